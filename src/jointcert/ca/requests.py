"""What callers ask the CA (``IssuanceRequest``, ``RenewalRequest``) and the identifyData / subject helpers
the pipeline uses on them (re-exported by :mod:`jointcert.ca.authority`)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from jointcert.ca.errors import CertificateNotFound
from jointcert.ca.tbs import der_length
from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA
from jointcert.npki.vid import build_identify_data, compute_vid
from jointcert.types import CertType

__all__ = [
    "IssuanceRequest",
    "RenewalRequest",
    "SignatureProof",
    "bank_unit_of",
    "identify_data",
    "identify_data_of",
]


@dataclass(frozen=True)
class SignatureProof:
    """Proof of possession: ``signature`` by the requested key over ``message`` (RSASSA-PKCS1-v1_5, SHA-256)."""

    message: bytes
    signature: bytes


@dataclass(frozen=True)
class IssuanceRequest:
    """Everything the CA needs to issue one subscriber certificate (the RRN is used, never stored)."""

    cert_type: CertType
    real_name: str
    rrn: str
    random_num: bytes | None
    public_key_der: bytes  # SubjectPublicKeyInfo DER
    pop: SignatureProof
    channel: str  # "cli" | "cmp" | "api" — for the audit log
    bank_unit: str | None = None
    bank_code: str | None = None
    confirm_later: bool = False  # supersede older certificates only at confirm() (CMP certConf)
    request_key: str | None = None  # idempotency key: the same key returns the certificate issued for it
    km_public_key_der: bytes | None = None  # the encryption key: issue a sign + km pair (kmCert.der)
    km_pop: SignatureProof | None = None  # its proof of possession (a signature by the km key)


@dataclass(frozen=True)
class RenewalRequest:
    """Renew an issued certificate of ours for a new key: same holder, type, name, bank and identifyData."""

    old_serial: int
    public_key_der: bytes  # SubjectPublicKeyInfo DER of the new key
    pop: SignatureProof
    channel: str
    confirm_later: bool = False
    km_public_key_der: bytes | None = None  # a new encryption key: renew the sign + km pair
    km_pop: SignatureProof | None = None


def identify_data(real_name: str, rrn: str, random_num: bytes | None) -> bytes:
    """The DER identifyData of a new certificate: the real name and, with R, the VID."""
    if random_num is None:  # no R from the client: identifyData carries the real name only (no VID)
        name = real_name.encode()
        inner = b"\x0c" + der_length(len(name)) + name
        return b"\x30" + der_length(len(inner)) + inner
    return build_identify_data(real_name, compute_vid(rrn, random_num))


def identify_data_of(cert: x509.Certificate) -> bytes:
    """The DER identifyData (otherName value) of one of our subscriber certificates."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id.dotted_string == ID_KISA_IDENTIFY_DATA:
            return other.value
    raise CertificateNotFound("The certificate carries no identifyData.", serial=format(cert.serial_number, "x"))


def bank_unit_of(cert: x509.Certificate) -> str:
    """``ou=<bank>``: the second organizationalUnitName of a subscriber subject (after ``personal4IB``)."""
    units = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    return units[-1]
