"""Key ceremonies under dual control (the action ``key_ceremony``).

A ceremony runs on the server, where the token and its PIN are (``jointcert ca ceremony``); what the console
controls is the authorisation. A CA administrator proposes the exact ceremony.toml (its text and SHA-256 are the
proposal); a second administrator approves it, which records an authorisation — nothing is generated yet. The
ceremony command, given ``--approved-in <instance> --proposal N``, then claims that authorisation once
(EXECUTED → USED, one conditional UPDATE) if the file's SHA-256 is the approved one and the approval is younger than
``[admin] approval_seconds``; the ceremony's audit entry names both operators, and the authorising instance's log
gets ``ca.ceremony_authorisation_used`` and ``ca.ceremony_performed``.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from jointcert.admin.dual import Action
from jointcert.admin.model import Proposal, ProposalExpired, ProposalStatus, Role
from jointcert.admin.ports import ProposalStore
from jointcert.ca.ceremony import CeremonyPlan, ceremony_plan
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.clock import Clock
from jointcert.errors import Denied, InvalidInput, NotFound

__all__ = ["KIND", "CeremonyAuthorisations", "CeremonyNotApproved", "key_ceremony"]

KIND = "key_ceremony"
_MAX_CONFIG = 64 * 1024


class CeremonyNotApproved(Denied):
    """The ceremony.toml is not the one two operators approved, or the approval is not usable."""

    code = "ceremony_not_approved"
    message_ko = "승인된 키 생성식이 아닙니다: 두 운영자가 승인한 설정 파일과 제안 번호가 필요합니다."
    message_en = "This key ceremony is not approved: it needs the ceremony.toml and proposal two operators approved."


def _plan(payload: dict[str, Any]) -> tuple[str, CeremonyPlan]:
    config = payload.get("config")
    if not isinstance(config, str) or not config.strip() or len(config.encode()) > _MAX_CONFIG:
        raise InvalidInput(
            "Paste the ceremony.toml (at most 64 KiB).", message_ko="ceremony.toml 내용을 붙여 넣으세요 (64 KiB 이하)."
        )
    return config, ceremony_plan(config.encode())


def key_ceremony() -> Action:
    """The action: ``{"config": "<ceremony.toml text>"}``; approving records the authorisation."""

    def check(payload: dict[str, Any]) -> dict[str, Any]:
        config, plan = _plan(payload)
        return {"config": config, "config_sha256": plan.sha256, "token_label": plan.token_label}

    def run(payload: dict[str, Any], actor: str) -> dict[str, Any]:
        return {"authorised_sha256": payload["config_sha256"], "token_label": payload["token_label"]}

    return Action(Role.CA_ADMIN, check, run)


class CeremonyAuthorisations:
    """Claims an approved ceremony for the command that runs it (once, in time, for the same file)."""

    def __init__(self, *, proposals: ProposalStore, audit: AuditStore, clock: Clock, approval_seconds: int) -> None:
        self._proposals, self._audit, self._clock = proposals, audit, clock
        self._ttl = timedelta(seconds=approval_seconds)

    def claim(self, proposal_id: int, config: bytes, *, shell_user: str) -> Proposal:
        """The approved proposal for exactly these bytes, marked used; :class:`CeremonyNotApproved` otherwise."""
        proposal = self._proposals.get(proposal_id)
        if proposal is None or proposal.kind != KIND:
            raise NotFound(f"No key-ceremony proposal {proposal_id}.", message_ko="키 생성식 제안을 찾을 수 없습니다.")
        sha = ceremony_plan(config).sha256
        approved = str(proposal.payload.get("config_sha256", ""))
        if proposal.status is not ProposalStatus.EXECUTED or not hmac.compare_digest(sha, approved):
            self._refused(proposal, sha, shell_user, "not approved or another file")
            raise CeremonyNotApproved(id=proposal_id, status=proposal.status.value)
        if proposal.decided_at is None or self._clock.now() >= proposal.decided_at + self._ttl:
            self._refused(proposal, sha, shell_user, "approval too old")
            raise ProposalExpired(id=proposal_id)
        if not self._proposals.consume(proposal_id, KIND):
            raise ProposalExpired(id=proposal_id)
        data = {"id": proposal_id, "config_sha256": sha, "shell_user": shell_user}
        self._audit.append(AuditEvent("ca.ceremony_authorisation_used", self.actor(proposal), self._clock.now(), data))
        return proposal

    @staticmethod
    def actor(proposal: Proposal) -> str:
        """Both operators: ``operator:<proposer>+operator:<approver>``."""
        return f"{proposal.proposed_by}+{proposal.decided_by}"

    def performed(self, proposal: Proposal, record_sha256: str, instance: str) -> None:
        """Record in the authorising instance's log what the ceremony made."""
        data = {"id": proposal.id, "record_sha256": record_sha256, "instance": instance}
        self._audit.append(AuditEvent("ca.ceremony_performed", self.actor(proposal), self._clock.now(), data))

    def _refused(self, proposal: Proposal, sha: str, shell_user: str, why: str) -> None:
        data = {"id": proposal.id, "config_sha256": sha, "shell_user": shell_user, "why": why}
        self._audit.append(AuditEvent("ca.ceremony_refused", f"shell:{shell_user}", self._clock.now(), data))
