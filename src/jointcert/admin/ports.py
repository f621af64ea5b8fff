"""Ports of the admin services (adapters in ``storage/repositories/admin.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from jointcert.admin.model import Operator, OperatorSession, Proposal, ProposalStatus, Role

__all__ = ["OperatorStore", "ProposalStore", "SessionStore"]


class OperatorStore(Protocol):
    """Operator accounts."""

    def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        totp_secret: bytes,
        roles: frozenset[Role],
        *,
        at: datetime,
    ) -> Operator:
        """Create an account; :class:`~jointcert.admin.model.OperatorExists` when the username is taken."""
        ...

    def credentials(self, username: str) -> tuple[Operator, str, bytes] | None:
        """The operator, its password hash and encrypted TOTP secret."""
        ...

    def get(self, operator_id: int) -> Operator | None:
        """By id."""
        ...

    def set_roles(self, operator_id: int, roles: frozenset[Role]) -> None:
        """Replace the roles."""
        ...

    def count(self) -> int:
        """How many operators exist."""
        ...


class SessionStore(Protocol):
    """Console sessions (server-side)."""

    def create(self, session: OperatorSession) -> None:
        """Store a new session."""
        ...

    def touch(self, token_hash: bytes, now: datetime, idle_since: datetime) -> OperatorSession | None:
        """Refresh ``last_seen`` if the session was seen after ``idle_since``; ``None`` (and delete) otherwise."""
        ...

    def delete(self, token_hash: bytes) -> None:
        """End a session."""
        ...


class ProposalStore(Protocol):
    """Dual-control proposals."""

    def add(self, kind: str, payload: dict[str, Any], by: str, at: datetime, expires_at: datetime) -> Proposal:
        """Record a new proposal."""
        ...

    def get(self, proposal_id: int) -> Proposal | None:
        """By id."""
        ...

    def decide(self, proposal_id: int, status: ProposalStatus, by: str, at: datetime, result: dict[str, Any]) -> bool:
        """Move a PROPOSED proposal to ``status`` (one conditional UPDATE); ``False`` if it was not PROPOSED."""
        ...

    def finish(self, proposal_id: int, status: ProposalStatus, result: dict[str, Any]) -> None:
        """Record the outcome of a claimed proposal."""
        ...

    def consume(self, proposal_id: int, kind: str) -> bool:
        """Mark an executed authorisation of ``kind`` used; ``False`` if it is not (or no longer) executed."""
        ...

    def pending(self) -> Sequence[Proposal]:
        """Proposals still waiting."""
        ...
