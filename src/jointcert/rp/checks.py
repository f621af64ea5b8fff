"""What a verification decides: named checks with a status and a reason, gathered into a :class:`Verdict`.

A bad certificate or signature never raises: every refusal is a failed :class:`Check` with its own stable reason
code and a Korean and an English message. Exceptions are left for programming errors and bad configuration.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jointcert.types import CertType

__all__ = [
    "CertificateSummary",
    "Check",
    "CheckName",
    "Reason",
    "Status",
    "Verdict",
]


class Status(enum.StrEnum):
    """Outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"  # accepted, but someone should look (e.g. fail-open revocation)
    SKIPPED = "skipped"  # not asked for, or pointless after an earlier failure


class CheckName(enum.StrEnum):
    """The checks, in the order a verification runs them."""

    BINDING = "binding"  # a wallet response: signed for this relying party's origin and client id
    CHALLENGE = "challenge"
    SIGNATURE = "signature"
    CERTIFICATE = "certificate"
    CHAIN = "chain"
    VALIDITY = "validity"
    KEY_USAGE = "key_usage"
    POLICY = "policy"
    REVOCATION = "revocation"
    IDENTIFY_DATA = "identify_data"
    VID = "vid"
    IDENTITY = "identity"
    REGISTRATION = "registration"
    DOCUMENT = "document"  # a wallet document signature: the document's hash and its CMS signature


class Reason(enum.StrEnum):
    """Stable reason codes; each refusal has its own."""

    OK = "ok"
    SKIPPED = "skipped"
    MALFORMED_CERTIFICATE = "malformed_certificate"
    MALFORMED_SIGNATURE = "malformed_signature"
    SIGNATURE_INVALID = "signature_invalid"
    CONTENT_MISMATCH = "content_mismatch"
    CHAIN_UNTRUSTED = "chain_untrusted"
    CHAIN_INVALID = "chain_invalid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    KEY_USAGE = "key_usage"
    POLICY_NOT_ACCEPTED = "policy_not_accepted"
    REVOKED = "revoked"
    REVOCATION_UNAVAILABLE = "revocation_unavailable"
    CHALLENGE_REPLAYED = "challenge_replayed"
    CHALLENGE_EXPIRED = "challenge_expired"
    CHALLENGE_UNKNOWN = "challenge_unknown"
    CHALLENGE_MISMATCH = "challenge_mismatch"
    VID_MISSING = "vid_missing"
    VID_MISMATCH = "vid_mismatch"
    IDENTITY_CHECK_FAILED = "identity_check_failed"
    NOT_REGISTERED = "not_registered"
    ALREADY_REGISTERED = "already_registered"
    BINDING_MISMATCH = "binding_mismatch"
    DOCUMENT_MISMATCH = "document_mismatch"

    @property
    def message_ko(self) -> str:
        """Default Korean message."""
        return _MESSAGES[self][0]

    @property
    def message_en(self) -> str:
        """Default English message."""
        return _MESSAGES[self][1]


_MESSAGES: dict[Reason, tuple[str, str]] = {
    Reason.OK: ("확인되었습니다.", "Passed."),
    Reason.SKIPPED: ("확인하지 않았습니다.", "Not checked."),
    Reason.MALFORMED_CERTIFICATE: ("인증서 형식이 올바르지 않습니다.", "The certificate is malformed."),
    Reason.MALFORMED_SIGNATURE: ("서명 데이터 형식이 올바르지 않습니다.", "The signed data is malformed."),
    Reason.SIGNATURE_INVALID: ("전자서명 검증에 실패했습니다.", "The signature does not verify."),
    Reason.CONTENT_MISMATCH: ("서명된 내용이 요청한 값과 다릅니다.", "The signed content is not the challenge."),
    Reason.CHAIN_UNTRUSTED: (
        "신뢰하는 인증기관이 발급한 인증서가 아닙니다.",
        "The issuer is not among the trust anchors.",
    ),
    Reason.CHAIN_INVALID: ("인증서 경로가 올바르지 않습니다.", "The certification path is not valid."),
    Reason.EXPIRED: ("인증서 유효기간이 만료되었습니다.", "The certificate has expired."),
    Reason.NOT_YET_VALID: ("인증서 유효기간이 아직 시작되지 않았습니다.", "The certificate is not yet valid."),
    Reason.KEY_USAGE: ("전자서명 용도의 인증서가 아닙니다.", "The certificate may not be used for signatures."),
    Reason.POLICY_NOT_ACCEPTED: (
        "이 기관에서 사용할 수 없는 인증서 종류입니다.",
        "This institution does not accept this type of certificate.",
    ),
    Reason.REVOKED: ("폐지된 인증서입니다.", "The certificate has been revoked."),
    Reason.REVOCATION_UNAVAILABLE: (
        "인증서 폐지 여부를 확인할 수 없습니다.",
        "The revocation status could not be determined.",
    ),
    Reason.CHALLENGE_REPLAYED: ("이미 사용된 요청입니다.", "The challenge has already been used."),
    Reason.CHALLENGE_EXPIRED: ("요청 유효시간이 지났습니다.", "The challenge has expired."),
    Reason.CHALLENGE_UNKNOWN: ("알 수 없는 요청입니다.", "The challenge is unknown."),
    Reason.CHALLENGE_MISMATCH: (
        "다른 기관 또는 세션에 발급된 요청입니다.",
        "The challenge was issued to another institution or session.",
    ),
    Reason.VID_MISSING: ("본인확인 값(VID) 또는 R이 없습니다.", "The VID or R is missing."),
    Reason.VID_MISMATCH: (
        "주민등록번호와 인증서의 본인확인 값(VID)이 일치하지 않습니다.",
        "The resident registration number does not match the certificate's VID.",
    ),
    Reason.IDENTITY_CHECK_FAILED: ("본인확인에 실패했습니다.", "The identity check failed."),
    Reason.NOT_REGISTERED: ("이 기관에 등록되지 않은 인증서입니다.", "The certificate is not registered here."),
    Reason.ALREADY_REGISTERED: (
        "다른 고객에게 등록된 인증서입니다.",
        "The certificate is registered to another customer.",
    ),
    Reason.BINDING_MISMATCH: (
        "다른 기관 또는 다른 요청을 위해 서명된 응답입니다.",
        "The response was signed for another relying party or request.",
    ),
    Reason.DOCUMENT_MISMATCH: (
        "서명된 문서가 요청한 문서와 다르거나 문서 서명이 올바르지 않습니다.",
        "The signed document is not the requested one, or its signature does not verify.",
    ),
}


@dataclass(frozen=True)
class Check:
    """One named check: its status, reason code and messages."""

    name: CheckName
    status: Status
    code: Reason
    message_ko: str
    message_en: str

    @classmethod
    def passed(cls, name: CheckName, message_ko: str | None = None, message_en: str | None = None) -> Check:
        """A passed check (default message unless given)."""
        return cls._make(name, Status.PASSED, Reason.OK, message_ko, message_en)

    @classmethod
    def failed(
        cls, name: CheckName, code: Reason, message_ko: str | None = None, message_en: str | None = None
    ) -> Check:
        """A failed check with its reason."""
        return cls._make(name, Status.FAILED, code, message_ko, message_en)

    @classmethod
    def warning(
        cls, name: CheckName, code: Reason, message_ko: str | None = None, message_en: str | None = None
    ) -> Check:
        """An accepted-with-warning check."""
        return cls._make(name, Status.WARNING, code, message_ko, message_en)

    @classmethod
    def skipped(cls, name: CheckName, message_ko: str | None = None, message_en: str | None = None) -> Check:
        """A check that was not run."""
        return cls._make(name, Status.SKIPPED, Reason.SKIPPED, message_ko, message_en)

    @classmethod
    def _make(cls, name: CheckName, status: Status, code: Reason, ko: str | None, en: str | None) -> Check:
        return cls(name, status, code, ko or code.message_ko, en or code.message_en)

    def to_dict(self) -> dict[str, str]:
        """JSON-safe view."""
        return {
            "name": self.name.value,
            "status": self.status.value,
            "code": self.code.value,
            "message_ko": self.message_ko,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class CertificateSummary:
    """What a relying party wants to know about the certificate it looked at."""

    subject: str
    issuer: str
    serial: int
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    policy_oids: tuple[str, ...]
    cert_type: CertType | None
    policy_label_ko: str | None
    real_name: str | None
    has_vid: bool

    @property
    def serial_hex(self) -> str:
        """Serial number as lower-case hex."""
        return format(self.serial, "x")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial_hex,
            "fingerprint_sha256": self.fingerprint_sha256,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "policy_oids": list(self.policy_oids),
            "cert_type": self.cert_type.value if self.cert_type else None,
            "policy_label_ko": self.policy_label_ko,
            "real_name": self.real_name,
            "has_vid": self.has_vid,
        }


@dataclass(frozen=True)
class Verdict:
    """The ordered checks of one verification and what they add up to."""

    checks: tuple[Check, ...]
    certificate: CertificateSummary | None = None
    institution_id: str | None = None
    customer_id: str | None = field(default=None)

    @property
    def accepted(self) -> bool:
        """True when at least one check ran and none failed."""
        return bool(self.checks) and all(c.status is not Status.FAILED for c in self.checks)

    @property
    def reason(self) -> Check | None:
        """The first failed check (the reason for a refusal), or ``None`` when accepted."""
        return next((c for c in self.checks if c.status is Status.FAILED), None)

    @property
    def reason_code(self) -> Reason:
        """Reason code of the first failure, or ``ok``."""
        first = self.reason
        return first.code if first else Reason.OK

    @property
    def warnings(self) -> tuple[Check, ...]:
        """Checks that passed with a warning."""
        return tuple(c for c in self.checks if c.status is Status.WARNING)

    def check(self, name: CheckName) -> Check | None:
        """The check called ``name``, if it was recorded."""
        return next((c for c in self.checks if c.name is name), None)

    def with_checks(self, extra: Iterable[Check], **changes: Any) -> Verdict:
        """A copy with ``extra`` checks appended (and fields changed)."""
        values: dict[str, Any] = {
            "checks": self.checks + tuple(extra),
            "certificate": self.certificate,
            "institution_id": self.institution_id,
            "customer_id": self.customer_id,
        }
        values.update(changes)
        return Verdict(**values)

    def replacing(self, check: Check) -> Verdict:
        """A copy with the check of the same name replaced in place (appended if there was none)."""
        if self.check(check.name) is None:
            return self.with_checks([check])
        return self.with_checks([], checks=tuple(check if c.name is check.name else c for c in self.checks))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view."""
        first = self.reason
        return {
            "accepted": self.accepted,
            "reason": first.to_dict() if first else None,
            "institution_id": self.institution_id,
            "customer_id": self.customer_id,
            "certificate": self.certificate.to_dict() if self.certificate else None,
            "checks": [c.to_dict() for c in self.checks],
        }
