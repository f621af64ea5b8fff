"""Who may sign a ``kur`` or ``rr``: only the holder of a valid certificate of ours (checked after the signature)."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.ca.ports import CertificateRecord, RecordStatus
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.exchange import Deps

__all__ = ["SignerNotTrusted", "SignerRevoked", "trusted_signer"]


class SignerNotTrusted(CmpError):
    """The request is signed with a certificate that is not a valid subscriber certificate of ours."""

    code = "cmp_signer_not_trusted"
    message_ko = "요청에 서명한 인증서를 신뢰할 수 없습니다."
    message_en = "The certificate that signs the request is not a valid certificate of this CA."
    default_fail_info = FailInfo.SIGNER_NOT_TRUSTED


class SignerRevoked(CmpError):
    """The request is signed with a revoked certificate."""

    code = "cmp_signer_revoked"
    message_ko = "요청에 서명한 인증서는 폐지되었습니다."
    message_en = "The certificate that signs the request is revoked."
    default_fail_info = FailInfo.CERT_REVOKED


def _untrusted(text: str) -> CmpError:
    return SignerNotTrusted(text)


def trusted_signer(deps: Deps, cert: x509.Certificate) -> CertificateRecord:
    """The record of ``cert`` when it is an issued, unexpired subscriber certificate of our issuing CA.

    signerNotTrusted: not issued by us (signature, record, bytes) or outside its validity; certRevoked: revoked."""
    issuer = deps.issuer.certificate
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise _untrusted("The protection certificate was not issued by this CA.") from exc
    record = deps.authority.certificate(cert.serial_number)
    if record is None or record.der is None or record.der != cert.public_bytes(Encoding.DER):
        raise _untrusted("The protection certificate is not one this CA issued.")
    if record.cert_type is None:
        raise _untrusted("The protection certificate is not a subscriber certificate.")
    if record.status in (RecordStatus.REVOKED, RecordStatus.VOID):
        raise SignerRevoked()
    if record.status is not RecordStatus.ISSUED:
        raise _untrusted("The protection certificate is not issued.")
    now = deps.clock.now()
    if not record.not_before <= now < record.not_after:
        raise _untrusted("The protection certificate is not within its validity period.")
    return record
