"""Errors of the certification authority, each with a stable code and Korean + English messages."""

from __future__ import annotations

from jointcert.errors import Conflict, ErrorKind, Expired, InvalidInput, JointcertError, NotFound
from jointcert.npki.resident_number import InvalidResidentNumber

__all__ = [
    "AlreadyInitialised",
    "AlreadyRevoked",
    "AuditChainBroken",
    "BadProofOfPossession",
    "CaNotInitialised",
    "CertificateExpired",
    "CertificateNotFound",
    "InvalidName",
    "InvalidResidentNumber",
    "KeyReused",
    "LintFailed",
    "RecordCollision",
    "UnknownAuthority",
    "UnknownCrlPartition",
    "UnknownProfile",
    "WeakKey",
]


class WeakKey(InvalidInput):
    """The requested public key is not an acceptable RSA key."""

    code = "weak_key"
    message_ko = "공개키가 허용되지 않습니다. RSA 2048비트 이상, 공개지수 65537이어야 합니다."
    message_en = "The public key is not acceptable: RSA with at least 2048 bits and public exponent 65537 is required."


class BadProofOfPossession(InvalidInput):
    """The proof-of-possession signature does not verify under the requested key."""

    code = "bad_proof_of_possession"
    message_ko = "개인키 소유 증명(서명)을 확인할 수 없습니다."
    message_en = "The proof of possession (signature by the requested key) does not verify."


class InvalidName(InvalidInput):
    """The real name (or bank unit/code) cannot be put in a certificate subject."""

    code = "invalid_name"
    message_ko = "인증서에 사용할 수 없는 이름입니다."
    message_en = "The name cannot be used in a certificate."


class UnknownProfile(InvalidInput):
    """No certificate profile of that name."""

    code = "unknown_profile"
    message_ko = "알 수 없는 인증서 종류입니다. (limited 또는 general)"
    message_en = "Unknown certificate profile (use limited or general)."


class LintFailed(JointcertError):
    """The certificate we were about to sign failed a profile check: nothing was signed."""

    kind = ErrorKind.INTERNAL
    code = "lint_failed"
    message_ko = "발급 전 인증서 검사에 실패하여 발급하지 않았습니다."
    message_en = "The certificate failed the pre-signing lint; nothing was signed."


class RecordCollision(Conflict):
    """A serial number or subject unique id is already used by this issuer (the pipeline retries)."""

    code = "record_collision"
    message_ko = "일련번호가 중복되었습니다."
    message_en = "The serial number or subject id is already in use."


class CertificateNotFound(NotFound):
    """No certificate with that serial number."""

    code = "certificate_not_found"
    message_ko = "해당 일련번호의 인증서가 없습니다."
    message_en = "No certificate with that serial number."


class AlreadyRevoked(Conflict):
    """The certificate is already revoked (or was never issued)."""

    code = "already_revoked"
    message_ko = "이미 폐지되었거나 발급되지 않은 인증서입니다."
    message_en = "The certificate is already revoked or was never issued."


class CertificateExpired(Expired):
    """The certificate is past its validity period (it cannot be renewed any more)."""

    code = "certificate_expired"
    message_ko = "유효기간이 지난 인증서입니다."
    message_en = "The certificate has expired."


class KeyReused(InvalidInput):
    """A renewal asked for the key the current certificate already certifies."""

    code = "key_reused"
    message_ko = "갱신에는 새 키를 사용해야 합니다."
    message_en = "A renewal needs a new key pair, not the current certificate's key."


class UnknownAuthority(NotFound):
    """No CA with that name in this instance."""

    code = "unknown_authority"
    message_ko = "해당 인증기관이 없습니다."
    message_en = "No such certification authority."


class UnknownCrlPartition(NotFound):
    """No CRL partition with that number (no certificate was ever assigned to it)."""

    code = "unknown_crl_partition"
    message_ko = "해당 CRL 분할 배포점이 없습니다."
    message_en = "No such CRL partition."


class CaNotInitialised(JointcertError):
    """The instance has no CA yet."""

    kind = ErrorKind.CONFLICT
    code = "ca_not_initialised"
    message_ko = "인증기관이 초기화되지 않았습니다. 'jointcert init'을 먼저 실행하세요."
    message_en = "The certification authority is not initialised: run 'jointcert init' first."


class AlreadyInitialised(JointcertError):
    """``init`` refuses to overwrite an existing instance."""

    kind = ErrorKind.CONFLICT
    code = "already_initialised"
    message_ko = "이미 초기화된 인스턴스입니다. 기존 데이터를 덮어쓰지 않습니다."
    message_en = "The instance is already initialised; nothing was changed."


class AuditChainBroken(JointcertError):
    """``audit verify`` found a broken link in the audit chain."""

    kind = ErrorKind.CONFLICT
    code = "audit_chain_broken"
    message_ko = "감사 로그의 해시 체인이 손상되었습니다."
    message_en = "The audit log's hash chain is broken."


# --- request hygiene and OCSP input checks (docs/security.md) ---
__all__ += ["CompromisedKey", "DebianWeakKey", "OcspNonceInvalid", "RocaVulnerableKey", "SmallFactorKey"]


class RocaVulnerableKey(WeakKey):
    """The modulus has the ROCA fingerprint (CVE-2017-15361, Infineon RSALib): its factors can be computed."""

    code = "weak_key_roca"
    message_ko = "ROCA 취약점(CVE-2017-15361)이 있는 키입니다. 다른 기기나 소프트웨어로 키를 새로 만드십시오."
    message_en = "The key has the ROCA fingerprint (CVE-2017-15361): generate a new key with other software."


class DebianWeakKey(WeakKey):
    """The modulus is one of the predictable keys of Debian's broken OpenSSL (CVE-2008-0166)."""

    code = "weak_key_debian"
    message_ko = "예측 가능한 Debian OpenSSL 취약 키(CVE-2008-0166)입니다. 키를 새로 만드십시오."
    message_en = "The key is a predictable Debian OpenSSL key (CVE-2008-0166): generate a new key."


class SmallFactorKey(WeakKey):
    """The modulus has a small prime factor (a broken or forged key)."""

    code = "weak_key_small_factor"
    message_ko = "공개키 모듈러스에 작은 소인수가 있습니다. 키를 새로 만드십시오."
    message_en = "The key's modulus has a small prime factor: generate a new key."


class CompromisedKey(WeakKey):
    """The key belongs to a certificate revoked for keyCompromise: it is refused forever."""

    code = "weak_key_compromised"
    message_ko = "키 손상으로 폐지된 인증서의 키입니다. 이 키로는 다시 발급할 수 없습니다."
    message_en = "The key belongs to a certificate revoked for key compromise and can never be certified again."


class OcspNonceInvalid(InvalidInput):
    """An OCSP request's nonce is not 1–32 bytes long (RFC 8954 §2.1): answered with malformedRequest."""

    code = "ocsp_nonce_invalid"
    message_ko = "OCSP 요청의 nonce 길이는 1~32바이트여야 합니다."
    message_en = "The OCSP request nonce must be 1 to 32 bytes long."
