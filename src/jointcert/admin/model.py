"""Operators, their sessions and dual-control proposals (values), and the admin errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jointcert.errors import AuthenticationFailed, Conflict, Denied, Expired, InvalidInput

__all__ = [
    "DualControlRefused",
    "LoginFailed",
    "Operator",
    "OperatorExists",
    "OperatorSession",
    "Proposal",
    "ProposalExpired",
    "ProposalStatus",
    "Role",
    "RoleRequired",
    "SessionExpired",
    "WeakPassword",
]


class Role(enum.StrEnum):
    """What an operator may do (an operator may hold several roles)."""

    RA_OFFICER = "ra_officer"  # search, unlock credentials, revoke one certificate
    CA_ADMIN = "ca_admin"  # CRL publish, OCSP signer renewal, profiles, key status
    AUDITOR = "auditor"  # audit log, chain verification, signed export


class ProposalStatus(enum.StrEnum):
    """Life of a dual-control proposal: proposed → executed | failed | expired (or rejected); executed → used."""

    PROPOSED = "proposed"
    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    USED = "used"  # an executed authorisation acted on outside the console (a key ceremony run on the server)


@dataclass(frozen=True)
class Operator:
    """An operator account (the password hash and TOTP secret stay in the store)."""

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True)
class OperatorSession:
    """A server-side console session, found by the SHA-256 of its cookie token."""

    token_hash: bytes
    operator_id: int
    created_at: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Proposal:
    """A dangerous action waiting for a second operator."""

    id: int
    kind: str
    payload: dict[str, Any]
    proposed_by: str
    proposed_at: datetime
    expires_at: datetime
    status: ProposalStatus = ProposalStatus.PROPOSED
    decided_by: str | None = None
    decided_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)


class LoginFailed(AuthenticationFailed):
    """Wrong username, password or TOTP code (deliberately not saying which)."""

    code = "operator_login_failed"
    message_ko = "아이디, 비밀번호 또는 OTP가 올바르지 않습니다."
    message_en = "The username, password or one-time code is wrong."


class SessionExpired(Expired):
    """The console session ended (idle timeout or logout)."""

    code = "operator_session_expired"
    message_ko = "세션이 만료되었습니다. 다시 로그인하세요."
    message_en = "The session has expired: log in again."


class RoleRequired(Denied):
    """The operator lacks the role this action needs."""

    code = "operator_role_required"
    message_ko = "이 작업을 수행할 권한이 없습니다."
    message_en = "Your operator role does not allow this action."


class OperatorExists(Conflict):
    """An operator with this username exists."""

    code = "operator_exists"
    message_ko = "이미 있는 운영자 아이디입니다."
    message_en = "An operator with this username already exists."


class WeakPassword(InvalidInput):
    """Operator passwords are at least 12 characters."""

    code = "operator_weak_password"
    message_ko = "운영자 비밀번호는 12자 이상이어야 합니다."
    message_en = "Operator passwords must be at least 12 characters long."


class DualControlRefused(Denied):
    """The approver is the proposer (or lacks the role): a second, different operator must approve."""

    code = "dual_control_refused"
    message_ko = "이중 통제: 제안한 운영자가 아닌 다른 운영자가 승인해야 합니다."
    message_en = "Dual control: a second operator, not the proposer, must approve this action."


class ProposalExpired(Expired):
    """The proposal was not approved in time (or was already decided)."""

    code = "proposal_expired"
    message_ko = "승인 기한이 지났거나 이미 처리된 제안입니다."
    message_en = "The proposal expired or was already decided."
