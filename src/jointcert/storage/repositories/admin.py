"""SQLAlchemy adapters for the admin ports: ``admin_operators``, ``admin_sessions``, ``admin_proposals``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from jointcert.admin.model import Operator, OperatorExists, OperatorSession, Proposal, ProposalStatus, Role
from jointcert.storage.db import Database, rowcount
from jointcert.storage.tables.admin import AdminOperator, AdminProposal, AdminSession

__all__ = ["SqlOperatorStore", "SqlProposalStore", "SqlSessionStore"]


def _roles(text: str) -> frozenset[Role]:
    return frozenset(Role(r) for r in text.split(",") if r)


def _operator(row: AdminOperator) -> Operator:
    return Operator(row.id, row.username, row.display_name, _roles(row.roles), row.created_at, row.disabled)


class SqlOperatorStore:
    """:class:`jointcert.admin.ports.OperatorStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

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
        """Insert; :class:`OperatorExists` on a taken username."""
        row = AdminOperator(
            username=username,
            display_name=display_name,
            roles=",".join(sorted(roles)),
            password_hash=password_hash,
            disabled=False,
            created_at=at,
            totp_secret=totp_secret,
        )
        try:
            with self._db.session() as session:
                session.add(row)
                session.flush()
                return _operator(row)
        except IntegrityError as exc:
            raise OperatorExists(username=username) from exc

    def credentials(self, username: str) -> tuple[Operator, str, bytes] | None:
        """The operator with its password hash and sealed TOTP secret."""
        with self._db.session() as session:
            row = session.scalars(select(AdminOperator).where(AdminOperator.username == username)).one_or_none()
            return None if row is None else (_operator(row), row.password_hash, bytes(row.totp_secret))

    def get(self, operator_id: int) -> Operator | None:
        """By id."""
        with self._db.session() as session:
            row = session.get(AdminOperator, operator_id)
            return None if row is None else _operator(row)

    def set_roles(self, operator_id: int, roles: frozenset[Role]) -> None:
        """Replace the roles."""
        with self._db.session() as session:
            session.execute(
                update(AdminOperator).where(AdminOperator.id == operator_id).values(roles=",".join(sorted(roles)))
            )

    def count(self) -> int:
        """How many operators exist."""
        with self._db.session() as session:
            return int(session.scalar(select(func.count()).select_from(AdminOperator)) or 0)


class SqlSessionStore:
    """:class:`jointcert.admin.ports.SessionStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def create(self, session_record: OperatorSession) -> None:
        """Insert a session."""
        with self._db.session() as session:
            session.add(
                AdminSession(
                    token_hash=session_record.token_hash,
                    operator_id=session_record.operator_id,
                    created_at=session_record.created_at,
                    last_seen=session_record.last_seen,
                )
            )

    def touch(self, token_hash: bytes, now: datetime, idle_since: datetime) -> OperatorSession | None:
        """One conditional UPDATE: live sessions get ``last_seen = now``; an idle one is deleted."""
        with self._db.session() as session:
            live = AdminSession.token_hash == token_hash
            done = session.execute(
                update(AdminSession).where(live, AdminSession.last_seen > idle_since).values(last_seen=now)
            )
            if rowcount(done) == 0:
                session.execute(delete(AdminSession).where(live))
                return None
            row = session.get(AdminSession, token_hash)
            if row is None:
                return None
            return OperatorSession(bytes(row.token_hash), row.operator_id, row.created_at, row.last_seen)

    def delete(self, token_hash: bytes) -> None:
        """End a session."""
        with self._db.session() as session:
            session.execute(delete(AdminSession).where(AdminSession.token_hash == token_hash))


def _proposal(row: AdminProposal) -> Proposal:
    return Proposal(
        id=row.id,
        kind=row.kind,
        payload=json.loads(row.payload),
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        expires_at=row.expires_at,
        status=ProposalStatus(row.status),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        result=json.loads(row.result),
    )


class SqlProposalStore:
    """:class:`jointcert.admin.ports.ProposalStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, kind: str, payload: dict[str, Any], by: str, at: datetime, expires_at: datetime) -> Proposal:
        """Insert a PROPOSED row."""
        row = AdminProposal(
            kind=kind,
            status=ProposalStatus.PROPOSED.value,
            proposed_by=by,
            proposed_at=at,
            expires_at=expires_at,
            payload=json.dumps(payload, sort_keys=True),
            result="{}",
        )
        with self._db.session() as session:
            session.add(row)
            session.flush()
            return _proposal(row)

    def get(self, proposal_id: int) -> Proposal | None:
        """By id."""
        with self._db.session() as session:
            row = session.get(AdminProposal, proposal_id)
            return None if row is None else _proposal(row)

    def decide(self, proposal_id: int, status: ProposalStatus, by: str, at: datetime, result: dict[str, Any]) -> bool:
        """PROPOSED → ``status`` in one conditional UPDATE."""
        with self._db.session() as session:
            done = session.execute(
                update(AdminProposal)
                .where(AdminProposal.id == proposal_id, AdminProposal.status == ProposalStatus.PROPOSED.value)
                .values(status=status.value, decided_by=by, decided_at=at, result=json.dumps(result, sort_keys=True))
            )
            return rowcount(done) == 1

    def finish(self, proposal_id: int, status: ProposalStatus, result: dict[str, Any]) -> None:
        """Record the outcome."""
        with self._db.session() as session:
            session.execute(
                update(AdminProposal)
                .where(AdminProposal.id == proposal_id)
                .values(status=status.value, result=json.dumps(result, sort_keys=True))
            )

    def consume(self, proposal_id: int, kind: str) -> bool:
        """EXECUTED → USED for an authorisation acted on outside the console (one conditional UPDATE)."""
        with self._db.session() as session:
            done = session.execute(
                update(AdminProposal)
                .where(
                    AdminProposal.id == proposal_id,
                    AdminProposal.kind == kind,
                    AdminProposal.status == ProposalStatus.EXECUTED.value,
                )
                .values(status=ProposalStatus.USED.value)
            )
            return rowcount(done) == 1

    def pending(self) -> Sequence[Proposal]:
        """Proposals still waiting, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(AdminProposal)
                .where(AdminProposal.status == ProposalStatus.PROPOSED.value)
                .order_by(AdminProposal.id)
            ).all()
            return [_proposal(r) for r in rows]
