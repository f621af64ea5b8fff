"""The NPKI folder store: ``<root>/<CA org>/USER/<folder from the subject DN>/signCert.der + signPri.key``, and
for a sign + km pair also ``kmCert.der + kmPri.key`` (the encryption certificate and its key file: the same
EncryptedPrivateKeyInfo under the same password, without R).

This is the layout every NPKI program (and PyPinkSign's ``choose_cert``) walks: the CA folder is the issuer's
``o=`` (``yessign``), the certificate folder is the subject DN written most-specific first with lower-case
attribute names, e.g. ``cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr``.
Characters no file system takes (``/ \\ : * ? " < > |``, control characters) become ``_`` so that a subject can
never name a path outside its folder.

Writes are atomic (a hidden staging folder renamed into place), never overwrite silently, and leave the key file
readable by its owner only (0600).
"""

from __future__ import annotations

import builtins
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from jointcert.errors import Conflict, InvalidInput, NotFound
from jointcert.npki.keyfile import KeyFileUnreadable, NotAKeyFile, describe_sign_pri

__all__ = [
    "CERT_FILE",
    "KEY_FILE",
    "KM_CERT_FILE",
    "KM_KEY_FILE",
    "CertificateExists",
    "CertificateNotFound",
    "InvalidCertificate",
    "NpkiStore",
    "StoredCertificate",
    "ca_folder_name",
    "default_npki_root",
    "dn_string",
    "folder_name",
]

CERT_FILE = "signCert.der"
KEY_FILE = "signPri.key"
KM_CERT_FILE = "kmCert.der"  # the encryption certificate of a sign + km pair
KM_KEY_FILE = "kmPri.key"
_UNSAFE = set('<>:"/\\|?*')


class CertificateExists(Conflict):
    """The store already holds a certificate folder of that name."""

    code = "certificate_exists"
    message_ko = "같은 인증서가 이미 저장되어 있습니다."
    message_en = "A certificate with this name is already stored."


class CertificateNotFound(NotFound):
    """No certificate folder (or one without its files) at that place."""

    code = "certificate_not_found"
    message_ko = "인증서를 찾을 수 없습니다."
    message_en = "The certificate was not found."


class InvalidCertificate(InvalidInput):
    """The bytes are not an X.509 certificate."""

    code = "invalid_certificate"
    message_ko = "인증서 파일이 올바르지 않습니다."
    message_en = "This is not a valid certificate."


@dataclass(frozen=True)
class StoredCertificate:
    """One certificate folder of the store."""

    path: Path
    certificate: x509.Certificate
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime


def default_npki_root(platform: str | None = None, home: Path | None = None) -> Path:
    """Where NPKI software keeps certificates on ``platform`` (default: this one) for the user at ``home``."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):
        base = home or Path(os.environ.get("USERPROFILE") or Path.home())
        return base / "AppData" / "LocalLow" / "NPKI"
    base = home or Path.home()
    if platform == "darwin":
        return base / "Library" / "Preferences" / "NPKI"
    return base / "NPKI"


def _safe(component: str) -> str:
    cleaned = "".join("_" if c in _UNSAFE or ord(c) < 32 or ord(c) == 127 else c for c in component)
    cleaned = cleaned.rstrip(". ")
    return cleaned if cleaned not in ("", ".", "..") else "_"


def _value(attribute: x509.NameAttribute[str | bytes]) -> str:
    value = attribute.value
    return value.hex() if isinstance(value, bytes) else value


def dn_string(name: x509.Name) -> str:
    """A DN the way NPKI software writes it: most specific RDN first, ``cn=…,ou=…,o=…,c=kr``."""
    rdns = ("+".join(f"{a.rfc4514_attribute_name.lower()}={_value(a)}" for a in rdn) for rdn in reversed(name.rdns))
    return ",".join(rdns)


def folder_name(cert: x509.Certificate) -> str:
    """The certificate's folder name under ``<CA>/USER/``: its subject DN, made safe for file systems."""
    return _safe(dn_string(cert.subject))


def ca_folder_name(cert: x509.Certificate) -> str:
    """The CA folder: the issuer's organisation (``yessign``), else the subject's, else ``UNKNOWN``."""
    for name in (cert.issuer, cert.subject):
        orgs = name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if orgs:
            return _safe(_value(orgs[0]))
    return "UNKNOWN"


def _write_file(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, mode)


def _load_certificate(data: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise InvalidCertificate() from exc


def _check_key_file(data: bytes) -> None:
    try:
        describe_sign_pri(data)
    except NotAKeyFile:
        raise
    except KeyFileUnreadable:
        pass  # a key file in a scheme this version does not read is still a key file


class NpkiStore:
    """Certificates and key files in an NPKI folder tree rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        # absolute, so the folders list() returns stay loadable when the caller gave a relative root
        self.root = Path(root).absolute()

    def folder_for(self, cert: x509.Certificate) -> Path:
        """Where ``cert`` lives (or would live) in this store."""
        return self.root / ca_folder_name(cert) / "USER" / folder_name(cert)

    def write(
        self, cert_der: bytes, sign_pri: bytes, *, overwrite: bool = False, km: tuple[bytes, bytes] | None = None
    ) -> Path:
        """Store a certificate and its signPri.key atomically — with ``km`` = (kmCert.der, kmPri.key) the
        encryption pair in the same folder, in the same step; return the folder.

        Raises :class:`CertificateExists` when the folder exists and ``overwrite`` is false; with ``overwrite``
        the whole folder is replaced (a kmCert.der not given again is not kept).
        """
        cert = _load_certificate(cert_der)
        files = [(CERT_FILE, cert_der, 0o644), (KEY_FILE, sign_pri, 0o600)]
        if km is not None:
            _load_certificate(km[0])
            files += [(KM_CERT_FILE, km[0], 0o644), (KM_KEY_FILE, km[1], 0o600)]
        for _, key_file, mode in files:
            if mode == 0o600:
                _check_key_file(key_file)  # refuse anything that is not a key file before touching the disk
        target = self.folder_for(cert)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.exists() and not overwrite:
            raise CertificateExists(path=str(target))
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        try:
            for name, data, mode in files:
                _write_file(staging / name, data, mode)
            self._move_into_place(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    @staticmethod
    def _move_into_place(staging: Path, target: Path) -> None:
        if not target.exists():
            try:
                staging.rename(target)
            except OSError as exc:  # created meanwhile by someone else
                raise CertificateExists(path=str(target)) from exc
            return
        retired = target.parent / f".old-{uuid.uuid4().hex}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)

    def list(self) -> builtins.list[StoredCertificate]:
        """Every readable certificate folder under the root, sorted by path."""
        found: builtins.list[StoredCertificate] = []
        for cert_file in sorted(self.root.glob(f"*/USER/*/{CERT_FILE}")):
            folder = cert_file.parent
            if folder.name.startswith("."):
                continue
            try:
                cert = x509.load_der_x509_certificate(cert_file.read_bytes())
            except (OSError, ValueError):
                continue
            found.append(
                StoredCertificate(
                    folder,
                    cert,
                    dn_string(cert.subject),
                    dn_string(cert.issuer),
                    cert.not_valid_before_utc,
                    cert.not_valid_after_utc,
                )
            )
        return found

    def _inside(self, folder: Path) -> Path:
        path = folder if folder.is_absolute() else self.root / folder
        resolved, root = path.resolve(), self.root.resolve()
        if resolved.parent.name != "USER" or not resolved.is_relative_to(root):
            raise InvalidInput(
                f"{folder} is not a certificate folder of this store.",
                message_ko="이 저장소의 인증서 폴더가 아닙니다.",
            )
        return resolved

    def load(self, folder: Path) -> tuple[x509.Certificate, bytes]:
        """The certificate and the (still encrypted) signPri.key bytes of a folder."""
        path = self._inside(folder)
        try:
            cert_der, key = (path / CERT_FILE).read_bytes(), (path / KEY_FILE).read_bytes()
        except FileNotFoundError as exc:
            raise CertificateNotFound(path=str(folder)) from exc
        return _load_certificate(cert_der), key

    def load_km(self, folder: Path) -> tuple[x509.Certificate, bytes] | None:
        """The encryption certificate and the (still encrypted) kmPri.key of a folder; ``None`` without a pair."""
        path = self._inside(folder)
        try:
            cert_der, key = (path / KM_CERT_FILE).read_bytes(), (path / KM_KEY_FILE).read_bytes()
        except FileNotFoundError:
            return None
        return _load_certificate(cert_der), key

    def delete(self, folder: Path) -> None:
        """Remove a certificate folder of this store (and nothing outside it)."""
        path = self._inside(folder)
        if not (path / CERT_FILE).exists() and not (path / KEY_FILE).exists():
            raise CertificateNotFound(path=str(folder))
        shutil.rmtree(path)
