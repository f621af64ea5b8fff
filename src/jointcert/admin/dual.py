"""Dual control: one operator proposes a dangerous action, a second, different operator approves it in time.

Kinds (each with the role that may propose and approve it and the function that runs it): ``bulk_revocation``
(serials from a file or a query), ``operator_roles`` (role changes), and whatever the composition root registers
(key ceremonies, profile changes). Approving claims the proposal with one conditional UPDATE (PROPOSED → EXECUTED),
so two approvers cannot both run it; a failure is recorded as FAILED with the error code. Every step is audited
with both operators' identities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jointcert.admin.model import DualControlRefused, Operator, Proposal, ProposalExpired, ProposalStatus, Role
from jointcert.admin.operators import OperatorService, actor_of
from jointcert.admin.ports import ProposalStore
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.clock import Clock
from jointcert.errors import InvalidInput, JointcertError, NotFound

__all__ = ["Action", "DualControl", "role_change"]


@dataclass(frozen=True)
class Action:
    """A kind of dangerous action: who may propose/approve it, how to check its payload and how to run it."""

    role: Role
    check: Callable[[dict[str, Any]], dict[str, Any]]  # normalised payload, or InvalidInput
    run: Callable[[dict[str, Any], str], dict[str, Any]]  # (payload, actor) -> result summary


class DualControl:
    """Proposals and approvals of the registered actions."""

    def __init__(
        self,
        *,
        proposals: ProposalStore,
        audit: AuditStore,
        clock: Clock,
        actions: Mapping[str, Action],
        ttl_seconds: int = 3600,
    ) -> None:
        self._proposals, self._audit, self._clock = proposals, audit, clock
        self._actions, self._ttl = dict(actions), timedelta(seconds=ttl_seconds)

    def _action(self, kind: str) -> Action:
        action = self._actions.get(kind)
        if action is None:
            raise InvalidInput(f"Unknown action {kind!r}.", message_ko="알 수 없는 작업입니다.")
        return action

    def propose(self, operator: Operator, kind: str, payload: dict[str, Any]) -> Proposal:
        """Record a proposal (the proposer must hold the action's role)."""
        action = self._action(kind)
        OperatorService.require(operator, action.role)
        checked = action.check(payload)
        now = self._clock.now()
        proposal = self._proposals.add(kind, checked, actor_of(operator), now, now + self._ttl)
        self._audit.append(
            AuditEvent("dual_control.proposed", actor_of(operator), now, {"id": proposal.id, "kind": kind})
        )
        return proposal

    def _load(self, proposal_id: int) -> Proposal:
        proposal = self._proposals.get(proposal_id)
        if proposal is None:
            raise NotFound(f"No proposal {proposal_id}.", message_ko="제안을 찾을 수 없습니다.")
        return proposal

    def approve(self, operator: Operator, proposal_id: int) -> Proposal:
        """Run the proposal as a second operator; refused for the proposer, after expiry or when decided."""
        proposal, now, actor = self._load(proposal_id), self._clock.now(), actor_of(operator)
        action = self._action(proposal.kind)
        OperatorService.require(operator, action.role)
        if actor == proposal.proposed_by:
            self._audit.append(
                AuditEvent("dual_control.refused", actor, now, {"id": proposal.id, "why": "same operator"})
            )
            raise DualControlRefused()
        if proposal.status is not ProposalStatus.PROPOSED or now >= proposal.expires_at:
            if proposal.status is ProposalStatus.PROPOSED:
                self._proposals.decide(proposal.id, ProposalStatus.EXPIRED, actor, now, {})
            raise ProposalExpired(id=proposal.id)
        if not self._proposals.decide(proposal.id, ProposalStatus.EXECUTED, actor, now, {"running": True}):
            raise ProposalExpired(id=proposal.id)
        both = f"{proposal.proposed_by}+{actor}"
        self._audit.append(AuditEvent("dual_control.approved", actor, now, {"id": proposal.id, "kind": proposal.kind}))
        try:
            result = action.run(proposal.payload, both)
        except JointcertError as exc:
            self._proposals.finish(proposal.id, ProposalStatus.FAILED, {"error": exc.code})
            self._audit.append(
                AuditEvent("dual_control.failed", actor, self._clock.now(), {"id": proposal.id, "error": exc.code})
            )
            raise
        self._proposals.finish(proposal.id, ProposalStatus.EXECUTED, result)
        self._audit.append(AuditEvent("dual_control.executed", both, self._clock.now(), {"id": proposal.id, **result}))
        return self._load(proposal.id)

    def pending(self) -> list[Proposal]:
        """Proposals still waiting for approval."""
        return list(self._proposals.pending())

    def reject(self, operator: Operator, proposal_id: int) -> None:
        """Withdraw or reject a waiting proposal (either operator)."""
        proposal, now = self._load(proposal_id), self._clock.now()
        OperatorService.require(operator, self._action(proposal.kind).role)
        if not self._proposals.decide(proposal.id, ProposalStatus.REJECTED, actor_of(operator), now, {}):
            raise ProposalExpired(id=proposal.id)
        self._audit.append(AuditEvent("dual_control.rejected", actor_of(operator), now, {"id": proposal.id}))


def role_change(operators: OperatorService) -> Action:
    """The dual-control action ``operator_roles``: ``{"operator_id": n, "roles": [...]}``."""

    def check(payload: dict[str, Any]) -> dict[str, Any]:
        try:
            roles = sorted({Role(r).value for r in payload["roles"]})
            return {"operator_id": int(payload["operator_id"]), "roles": roles}
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                "operator_id and roles are required.", message_ko="운영자와 역할이 필요합니다."
            ) from None

    def run(payload: dict[str, Any], actor: str) -> dict[str, Any]:
        if operators.get(payload["operator_id"]) is None:
            raise NotFound("No such operator.", message_ko="운영자를 찾을 수 없습니다.")
        return operators.set_roles(payload["operator_id"], frozenset(Role(r) for r in payload["roles"]), actor=actor)

    return Action(Role.CA_ADMIN, check, run)
