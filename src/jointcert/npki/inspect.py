"""What is in a certificate, a signPri.key, an NPKI folder or root, or a PFX — as a report object (no printing).

:func:`inspect_path` reads the path, recognises what it is and returns an :class:`InspectReport`; the CLI renders
it. Without a password a key file shows only how it is encrypted; with one it is opened, and a wrong password is
recorded on the key (:attr:`KeyReport.error`) so the rest can still be shown. A PFX cannot be read at all without
its password.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509

from jointcert.errors import InvalidInput, JointcertError, NotFound
from jointcert.npki.keyfile import (
    EncryptionInfo,
    KeyFileUnreadable,
    NotAKeyFile,
    PrivateKeyBundle,
    decrypt_sign_pri,
    describe_sign_pri,
)
from jointcert.npki.oids import PolicyInfo, policy_info
from jointcert.npki.pfx import import_pfx, is_pfx
from jointcert.npki.policies import issuing_ca_name
from jointcert.npki.store import CERT_FILE, KEY_FILE, KM_CERT_FILE, KM_KEY_FILE, dn_string
from jointcert.npki.vid import InvalidIdentifyData, identify_data_of

__all__ = [
    "CertificateReport",
    "InputKind",
    "InspectReport",
    "ItemReport",
    "KeyReport",
    "PasswordRequired",
    "UnrecognisedFile",
    "VidStatus",
    "inspect_path",
    "usage_of",
]


class UnrecognisedFile(InvalidInput):
    """The file is none of: certificate (DER/PEM), signPri.key, PFX."""

    code = "unrecognised_file"
    message_ko = "인증서, 개인키(signPri.key), PFX 파일이 아닙니다."
    message_en = "This is not a certificate, a private key file (signPri.key) or a PFX file."


class PasswordRequired(InvalidInput):
    """The input can only be read with its password."""

    code = "password_required"
    message_ko = "PFX 파일은 비밀번호가 있어야 볼 수 있습니다 (--password)."
    message_en = "A PFX file can only be read with its password (--password)."


class InputKind(enum.Enum):
    """What the inspected path turned out to be."""

    CERTIFICATE = "certificate"
    KEY_FILE = "key file"
    NPKI_FOLDER = "NPKI folder"
    NPKI_ROOT = "NPKI root"
    PFX = "PFX"


class VidStatus(enum.Enum):
    """Whether the certificate carries KISA identifyData with a VID."""

    PRESENT = "present"
    ABSENT = "absent"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class CertificateReport:
    """The facts of one certificate a person wants to see."""

    subject: str
    issuer: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    policy_oids: tuple[str, ...]
    policy: PolicyInfo | None  # the first policy OID we know the meaning of
    vid: VidStatus
    real_name: str | None
    ca_name: str | None = None  # who issued it, named from the OID only when the issuer is that OID's CA
    usage: str = "other"  # "signing" (signCert.der), "encryption" (kmCert.der: keyEncipherment only) or "other"


@dataclass(frozen=True)
class KeyReport:
    """A key file: how it is encrypted and, once opened, the key's size, R and whether it fits the certificate."""

    encryption: EncryptionInfo | None  # None inside a PFX
    opened: bool = False
    key_size: int | None = None
    random_num_present: bool | None = None
    matches_certificate: bool | None = None
    error: JointcertError | None = None


@dataclass(frozen=True)
class ItemReport:
    """One certificate and/or key (a file, a folder, a PFX) with the other certificates that came with it."""

    path: Path
    certificate: CertificateReport | None
    key: KeyReport | None
    chain: tuple[CertificateReport, ...] = ()
    km: ItemReport | None = None  # the encryption pair of an NPKI folder (kmCert.der + kmPri.key)


@dataclass(frozen=True)
class InspectReport:
    """Everything found at the inspected path."""

    kind: InputKind
    path: Path
    items: tuple[ItemReport, ...]

    @property
    def errors(self) -> list[JointcertError]:
        """Key files that could not be opened (wrong password, damage), kmPri.key included."""
        items = [*self.items, *(item.km for item in self.items if item.km is not None)]
        return [item.key.error for item in items if item.key is not None and item.key.error is not None]


def usage_of(cert: x509.Certificate) -> str:
    """``signing`` (digitalSignature + nonRepudiation: signCert.der), ``encryption`` (keyEncipherment without
    digitalSignature: kmCert.der) or ``other``."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return "other"
    if usage.digital_signature and usage.content_commitment:
        return "signing"
    if usage.key_encipherment and not usage.digital_signature:
        return "encryption"
    return "other"


def certificate_report(cert: x509.Certificate) -> CertificateReport:
    """Subject, issuer, serial, validity, type by policy OID and VID presence of ``cert``."""
    try:
        policies = tuple(
            p.policy_identifier.dotted_string
            for p in cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        )
    except x509.ExtensionNotFound:
        policies = ()
    known = [info for info in map(policy_info, policies) if info is not None]
    try:
        identify = identify_data_of(cert)
        vid = VidStatus.PRESENT if identify is not None and identify.vid is not None else VidStatus.ABSENT
        real_name = identify.real_name if identify is not None else None
    except InvalidIdentifyData:
        vid, real_name = VidStatus.MALFORMED, None
    return CertificateReport(
        subject=dn_string(cert.subject),
        issuer=dn_string(cert.issuer),
        serial_hex=f"{cert.serial_number:X}",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        policy_oids=policies,
        policy=known[0] if known else None,
        vid=vid,
        real_name=real_name,
        ca_name=issuing_ca_name(known[0], cert.issuer) if known else None,
        usage=usage_of(cert),
    )


def _opened(bundle: PrivateKeyBundle, cert: x509.Certificate | None, encryption: EncryptionInfo | None) -> KeyReport:
    matches = None if cert is None else cert.public_key() == bundle.key.public_key()
    return KeyReport(encryption, True, bundle.key.key_size, bundle.random_num is not None, matches)


def _key_report(data: bytes, password: str | None, cert: x509.Certificate | None) -> KeyReport:
    try:
        encryption = describe_sign_pri(data)
    except KeyFileUnreadable as error:
        return KeyReport(None, error=error)
    if password is None:
        return KeyReport(encryption)
    try:
        bundle = decrypt_sign_pri(data, password)
    except KeyFileUnreadable as error:
        return KeyReport(encryption, error=error)
    return _opened(bundle, cert, encryption)


def _folder_item(folder: Path, password: str | None) -> ItemReport:
    cert = _load_certificate((folder / CERT_FILE).read_bytes())
    key_path = folder / KEY_FILE
    key = _key_report(key_path.read_bytes(), password, cert) if key_path.exists() else None
    return ItemReport(folder, certificate_report(cert), key, km=_km_item(folder, password))


def _km_item(folder: Path, password: str | None) -> ItemReport | None:
    """kmCert.der + kmPri.key of a folder holding a sign + km pair (``None`` without kmCert.der)."""
    if not (folder / KM_CERT_FILE).is_file():
        return None
    cert = _load_certificate((folder / KM_CERT_FILE).read_bytes())
    key_path = folder / KM_KEY_FILE
    key = _key_report(key_path.read_bytes(), password, cert) if key_path.exists() else None
    return ItemReport(folder / KM_CERT_FILE, certificate_report(cert), key)


def _load_certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise UnrecognisedFile() from exc


def _inspect_file(path: Path, password: str | None) -> InspectReport:
    data = path.read_bytes()
    try:
        cert = _load_certificate(data)
    except UnrecognisedFile:
        pass
    else:
        return InspectReport(InputKind.CERTIFICATE, path, (ItemReport(path, certificate_report(cert), None),))
    if is_pfx(data):
        if password is None:
            raise PasswordRequired()
        contents = import_pfx(data, password)
        key = _opened(contents.bundle, contents.cert, None)
        chain = tuple(map(certificate_report, contents.chain))
        return InspectReport(InputKind.PFX, path, (ItemReport(path, certificate_report(contents.cert), key, chain),))
    try:
        describe_sign_pri(data)
    except NotAKeyFile as exc:
        raise UnrecognisedFile() from exc
    except KeyFileUnreadable:
        pass  # a key file in a scheme we do not read: reported on the key
    return InspectReport(InputKind.KEY_FILE, path, (ItemReport(path, None, _key_report(data, password, None)),))


def inspect_path(path: Path, password: str | None = None) -> InspectReport:
    """Recognise and read ``path``: a certificate, a key file, a PFX, one NPKI folder or a tree of them."""
    if not path.exists():
        raise NotFound(f"{path} does not exist.", message_ko=f"{path} 이(가) 없습니다.")
    if path.is_file():
        return _inspect_file(path, password)
    if (path / CERT_FILE).is_file():
        return InspectReport(InputKind.NPKI_FOLDER, path, (_folder_item(path, password),))
    folders = sorted(
        p.parent for p in path.rglob(CERT_FILE) if not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    items = []
    for folder in folders:
        try:
            items.append(_folder_item(folder, password))
        except UnrecognisedFile:
            continue  # a damaged signCert.der: skip it in a listing
    return InspectReport(InputKind.NPKI_ROOT, path, tuple(items))
