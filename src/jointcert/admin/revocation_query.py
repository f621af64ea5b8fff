"""Bulk revocation by query (a dual-control action): "every issued certificate of issuing CA X recorded between A
and B". The proposal records the query and how many matched when it was proposed; approval runs the query again
and revokes what is issued then (each through ``CertificateAuthority.revoke``, named by both operators)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from jointcert.admin.directory import CertificateQuery, Directory
from jointcert.admin.dual import Action
from jointcert.admin.model import Role
from jointcert.admin.revocation import Revoker, revoke_each
from jointcert.errors import InvalidInput
from jointcert.ra.revocation_notices import RevocationNotices

__all__ = ["MAX_MATCHES", "bulk_revocation_by_query"]

MAX_MATCHES = 1_000_000


def _time(value: object, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            f"{name} must be an ISO date/time (UTC).", message_ko=f"{name} 은(는) ISO 날짜·시각(UTC)이어야 합니다."
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _query(payload: dict[str, Any]) -> CertificateQuery:
    return CertificateQuery(
        issuer=payload["issuer"],
        issued_from=_time(payload["issued_from"], "issued_from"),
        issued_to=_time(payload["issued_to"], "issued_to"),
        status="issued",
        limit=MAX_MATCHES,
    )


def bulk_revocation_by_query(
    revoker: Revoker, directory: Directory, issuers: Collection[str], notices: RevocationNotices | None = None
) -> Action:
    """The action ``bulk_revocation_query``: ``{"issuer", "issued_from", "issued_to", "reason"}``."""

    def check(payload: dict[str, Any]) -> dict[str, Any]:
        issuer, reason = str(payload.get("issuer", "")), str(payload.get("reason", "unspecified"))
        if issuer not in issuers:
            raise InvalidInput(f"Unknown issuing CA {issuer!r}.", message_ko="알 수 없는 발급 CA입니다.")
        try:
            flag = x509.ReasonFlags(reason)
        except ValueError:
            raise InvalidInput(f"Unknown reason {reason!r}.", message_ko="알 수 없는 폐지 사유입니다.") from None
        if flag in (x509.ReasonFlags.remove_from_crl, x509.ReasonFlags.certificate_hold):
            raise InvalidInput("Revocation is final: no hold.", message_ko="보류는 지원하지 않습니다.")
        start = _time(payload.get("issued_from", ""), "issued_from")
        end = _time(payload.get("issued_to", ""), "issued_to")
        if start >= end:
            raise InvalidInput("The range ends before it starts.", message_ko="기간의 끝이 시작보다 빠릅니다.")
        checked = {"issuer": issuer, "issued_from": start.isoformat(), "issued_to": end.isoformat()}
        matched = len(directory.serials(_query(checked)))
        if matched == 0:
            raise InvalidInput("No issued certificate matches.", message_ko="조건에 맞는 유효한 인증서가 없습니다.")
        return {**checked, "reason": flag.value, "matched": matched}

    def run(payload: dict[str, Any], actor: str) -> dict[str, Any]:
        serials = directory.serials(_query(payload))
        return revoke_each(revoker, serials, x509.ReasonFlags(payload["reason"]), actor, notices)

    return Action(Role.CA_ADMIN, check, run)
