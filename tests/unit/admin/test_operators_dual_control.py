"""Operators (password + TOTP, idle timeout, roles) and dual control on the real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from cryptography import x509

from jointcert.admin.dual import DualControl, role_change
from jointcert.admin.model import (
    DualControlRefused,
    LoginFailed,
    Operator,
    ProposalExpired,
    ProposalStatus,
    Role,
    RoleRequired,
    SessionExpired,
)
from jointcert.admin.operators import OperatorService
from jointcert.admin.revocation import bulk_revocation
from jointcert.ca.authority import BulkRevocation
from jointcert.ca.errors import AlreadyRevoked
from jointcert.clock import FakeClock
from jointcert.pii import PiiProtector
from jointcert.storage.db import Database
from jointcert.storage.repositories.admin import SqlOperatorStore, SqlProposalStore, SqlSessionStore
from jointcert.storage.repositories.ca import SqlAuditStore

_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


class FakeCa:
    """The CA calls revocation makes (one, or many at once), remembering what it revoked (a Protocol fake)."""

    def __init__(self) -> None:
        self.revoked: dict[int, tuple[x509.ReasonFlags, str]] = {}

    def revoke(self, serial: int, reason: x509.ReasonFlags, *, actor: str) -> None:
        if serial in self.revoked:
            raise AlreadyRevoked(serial=format(serial, "x"))
        self.revoked[serial] = (reason, actor)

    def revoke_many(self, serials: Sequence[int], reason: x509.ReasonFlags, *, actor: str) -> BulkRevocation:
        done = [s for s in serials if s not in self.revoked]
        for serial in done:
            self.revoked[serial] = (reason, actor)
        return BulkRevocation(done, len(serials) - len(done))


def _services(database: Database, clock: FakeClock, ca: FakeCa) -> tuple[OperatorService, DualControl]:
    operators = OperatorService(
        operators=SqlOperatorStore(database),
        sessions=SqlSessionStore(database),
        audit=SqlAuditStore(database),
        pii=PiiProtector(b"k" * 32),
        clock=clock,
        idle_seconds=900,
        hasher=_FAST,
    )
    actions = {"bulk_revocation": bulk_revocation(ca), "operator_roles": role_change(operators)}
    dual = DualControl(
        proposals=SqlProposalStore(database), audit=SqlAuditStore(database), clock=clock, actions=actions
    )
    return operators, dual


def _login(operators: OperatorService, clock: FakeClock, name: str, roles: set[Role]) -> tuple[str, Operator]:
    _, secret = operators.create(name, name.title(), PASSWORD, frozenset(roles), actor="cli")
    return operators.login(name, PASSWORD, pyotp.TOTP(secret).at(clock.now()))


def test_login_needs_password_and_totp_and_sessions_expire_when_idle(database: Database, clock: FakeClock) -> None:
    operators, _ = _services(database, clock, FakeCa())
    _, secret = operators.create("kim", "Kim", PASSWORD, frozenset({Role.RA_OFFICER}), actor="cli")
    code = pyotp.TOTP(secret).at(clock.now())
    with pytest.raises(LoginFailed):
        operators.login("kim", "wrong password!!", code)
    with pytest.raises(LoginFailed):
        operators.login("kim", PASSWORD, "000000" if code != "000000" else "111111")
    with pytest.raises(LoginFailed):
        operators.login("nobody", PASSWORD, code)
    token, operator = operators.login("kim", PASSWORD, code)
    clock.advance(timedelta(minutes=14))
    assert operators.authenticate(token).username == "kim"  # activity restarts the idle clock
    clock.advance(timedelta(minutes=14))
    assert operators.authenticate(token) == operator
    clock.advance(timedelta(minutes=16))
    with pytest.raises(SessionExpired):
        operators.authenticate(token)
    with pytest.raises(RoleRequired):
        OperatorService.require(operator, Role.AUDITOR)
    types = [(e.type, e.actor) for e in SqlAuditStore(database).entries()]
    assert ("operator.login", "operator:kim") in types and ("operator.login_failed", "operator:kim") in types


def test_bulk_revocation_needs_a_second_operator_in_time(database: Database, clock: FakeClock) -> None:
    ca = FakeCa()
    operators, dual = _services(database, clock, ca)
    _, alice = _login(operators, clock, "alice", {Role.CA_ADMIN})
    _, bob = _login(operators, clock, "bob", {Role.CA_ADMIN})
    _, officer = _login(operators, clock, "carol", {Role.RA_OFFICER})
    proposal = dual.propose(alice, "bulk_revocation", {"serials": ["0A", "0x0b", "0c"], "reason": "keyCompromise"})
    with pytest.raises(DualControlRefused):
        dual.approve(alice, proposal.id)  # the proposer alone cannot
    with pytest.raises(RoleRequired):
        dual.approve(officer, proposal.id)
    assert ca.revoked == {}
    done = dual.approve(bob, proposal.id)
    assert done.status is ProposalStatus.EXECUTED and done.result == {"revoked": 3, "skipped": 0}
    assert set(ca.revoked) == {10, 11, 12}
    assert {actor for _, actor in ca.revoked.values()} == {"operator:alice+operator:bob"}
    with pytest.raises(ProposalExpired):
        dual.approve(bob, proposal.id)  # runs once

    late = dual.propose(alice, "bulk_revocation", {"serials": ["0d"], "reason": "superseded"})
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(ProposalExpired):
        dual.approve(bob, late.id)
    assert 13 not in ca.revoked
    kinds = [(e.type, e.actor) for e in SqlAuditStore(database).entries() if e.type.startswith("dual_control.")]
    assert ("dual_control.refused", "operator:alice") in kinds
    assert ("dual_control.executed", "operator:alice+operator:bob") in kinds


def test_role_changes_go_through_dual_control(database: Database, clock: FakeClock) -> None:
    operators, dual = _services(database, clock, FakeCa())
    _, alice = _login(operators, clock, "alice", {Role.CA_ADMIN})
    _, bob = _login(operators, clock, "bob", {Role.CA_ADMIN})
    _, dave = _login(operators, clock, "dave", {Role.AUDITOR})
    proposal = dual.propose(alice, "operator_roles", {"operator_id": dave.id, "roles": ["auditor", "ra_officer"]})
    assert operators.get(dave.id) == dave  # nothing changes before approval
    dual.approve(bob, proposal.id)
    changed = operators.get(dave.id)
    assert changed is not None and changed.roles == {Role.AUDITOR, Role.RA_OFFICER}
