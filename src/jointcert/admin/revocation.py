"""Bulk revocation (a dual-control action): serials from a file through ``CertificateAuthority.revoke_many`` (one
transaction per chunk, an audit entry per certificate); then each revoked certificate's customer is notified
(``ra/revocation_notices.py``, the RA's notification path, in batches)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from cryptography import x509

from jointcert.admin.dual import Action
from jointcert.admin.model import Role
from jointcert.ca.authority import BulkRevocation
from jointcert.errors import InvalidInput
from jointcert.ra.revocation_notices import RevocationNotices

__all__ = ["Revoker", "bulk_revocation", "parse_serials", "revoke_each"]

_MAX = 1_000_000


class Revoker(Protocol):
    """What bulk revocation needs of the CA."""

    def revoke(self, serial: int, reason: x509.ReasonFlags, *, actor: str) -> None:
        """Revoke one certificate."""
        ...

    def revoke_many(self, serials: Sequence[int], reason: x509.ReasonFlags, *, actor: str) -> BulkRevocation:
        """Revoke the issued certificates among ``serials``; the others are counted as skipped."""
        ...


def parse_serials(text: str) -> list[str]:
    """Hex serials, one per line (``#`` comments and blank lines ignored), normalised to lower-case hex."""
    serials: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip().lower().removeprefix("0x").replace(":", "")
        if not line:
            continue
        try:
            serials.append(format(int(line, 16), "x"))
        except ValueError:
            raise InvalidInput(
                f"Line {number} is not a hex serial.", message_ko=f"{number}번째 줄이 일련번호가 아닙니다."
            ) from None
    if not serials or len(serials) > _MAX:
        raise InvalidInput("Give between 1 and 1,000,000 serials.", message_ko="일련번호 목록이 비었거나 너무 깁니다.")
    return sorted(set(serials))


def _check(payload: dict[str, Any]) -> dict[str, Any]:
    reason = str(payload.get("reason", "unspecified"))
    try:
        flag = x509.ReasonFlags(reason)
    except ValueError:
        raise InvalidInput(f"Unknown reason {reason!r}.", message_ko="알 수 없는 폐지 사유입니다.") from None
    serials = payload.get("serials")
    if not isinstance(serials, list):
        raise InvalidInput("serials must be a list.", message_ko="일련번호 목록이 필요합니다.")
    return {"serials": parse_serials("\n".join(map(str, serials))), "reason": flag.value}


def revoke_each(
    revoker: Revoker,
    serials: Iterable[str],
    reason: x509.ReasonFlags,
    actor: str,
    notices: RevocationNotices | None = None,
) -> dict[str, int]:
    """Revoke every hex serial; one that cannot be revoked (already revoked, unknown) is counted as skipped. Once
    all are revoked, ``notices`` queues each revoked certificate's customer notification."""
    done = revoker.revoke_many([int(serial, 16) for serial in serials], reason, actor=actor)
    revoked, skipped = done.revoked, done.skipped
    result = {"revoked": len(revoked), "skipped": skipped}
    if notices is not None:
        result |= notices.revoked(revoked).as_dict()
    return result


def bulk_revocation(revoker: Revoker, notices: RevocationNotices | None = None) -> Action:
    """The action: revoke every listed serial (already revoked or unknown ones are counted, not fatal), then
    notify the customers."""

    def run(payload: dict[str, Any], actor: str) -> dict[str, Any]:
        return revoke_each(revoker, payload["serials"], x509.ReasonFlags(payload["reason"]), actor, notices)

    return Action(Role.CA_ADMIN, _check, run)
