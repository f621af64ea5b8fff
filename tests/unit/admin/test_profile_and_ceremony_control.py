"""Dual control of profile changes and key ceremonies, and the customer notices of a bulk revocation, on the real
stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import pytest
from cryptography import x509

from jointcert.admin.ceremony_control import CeremonyAuthorisations, CeremonyNotApproved, key_ceremony
from jointcert.admin.dual import DualControl
from jointcert.admin.model import DualControlRefused, Operator, ProposalExpired, ProposalStatus, Role
from jointcert.admin.operators import OperatorService
from jointcert.admin.profile_change import profile_change, profile_rows
from jointcert.admin.revocation import bulk_revocation
from jointcert.bank.model import Notice, NotificationEvent
from jointcert.ca.profile_settings import LiveProfiles, ProfileVersionMoved
from jointcert.clock import FakeClock
from jointcert.config import CaSettings
from jointcert.errors import InvalidInput, JointcertError
from jointcert.pii import PiiProtector
from jointcert.ra.policies import Notifications
from jointcert.ra.ports import RegisteredCertificate
from jointcert.ra.revocation_notices import RevocationNotices
from jointcert.storage.db import Database
from jointcert.storage.repositories.admin import SqlOperatorStore, SqlProposalStore, SqlSessionStore
from jointcert.storage.repositories.ca import SqlAuditStore
from jointcert.storage.repositories.ca_profiles import SqlProfileSettings
from jointcert.types import CertType
from tests.unit.admin.test_operators_dual_control import _FAST, FakeCa, _login

CEREMONY = '[token]\nlabel = "jointcert-ca"\n[output]\ndirectory = "out"\n[ca]\norganization = "jointsign"\n'


def _dual(database: Database, clock: FakeClock, **extra: object) -> tuple[OperatorService, DualControl, LiveProfiles]:
    audit = SqlAuditStore(database)
    operators = OperatorService(
        operators=SqlOperatorStore(database),
        sessions=SqlSessionStore(database),
        audit=audit,
        pii=PiiProtector(b"k" * 32),
        clock=clock,
        idle_seconds=900,
        hasher=_FAST,
    )
    live = LiveProfiles(CaSettings(), SqlProfileSettings(database))
    actions = {
        "profile_change": profile_change(live, SqlProfileSettings(database), audit, clock),
        "key_ceremony": key_ceremony(),
        **extra,
    }
    dual = DualControl(proposals=SqlProposalStore(database), audit=audit, clock=clock, actions=actions)  # type: ignore[arg-type]
    return operators, dual, live


def _admins(operators: OperatorService, clock: FakeClock) -> tuple[Operator, Operator]:
    return _login(operators, clock, "alice", {Role.CA_ADMIN})[1], _login(operators, clock, "bob", {Role.CA_ADMIN})[1]


def test_a_profile_change_takes_two_operators_and_every_reader_sees_it(database: Database, clock: FakeClock) -> None:
    operators, dual, live = _dual(database, clock)
    alice, bob = _admins(operators, clock)
    other_process = LiveProfiles(CaSettings(), SqlProfileSettings(database))  # another node on the same database
    assert other_process.current().version == 0 and other_process.current().validity_days()["limited"] == 365
    changes = {"ca": {"preset": "yessign-like"}, "types": {"limited": {"validity_days": 90, "notice_ko": "새 고지"}}}
    proposal = dual.propose(alice, "profile_change", {"changes": changes})
    assert proposal.payload["before"] == {
        "ca": {"preset": "jointsign"},
        "types": {
            "limited": {
                "validity_days": None,
                "notice_ko": "이 인증서는 은행/신용카드/보험/전자정부용 공동인증서입니다",
            }
        },
    }
    with pytest.raises(DualControlRefused):
        dual.approve(alice, proposal.id)
    assert other_process.current().version == 0  # nothing changed yet
    done = dual.approve(bob, proposal.id)
    assert done.status is ProposalStatus.EXECUTED and done.result == {"version": 1}
    now = other_process.current()
    assert now.version == 1 and now.settings.preset == "yessign-like"
    assert now.profiles[CertType.LIMITED].notice_ko == "새 고지" and now.validity_days() == {
        "limited": 90,
        "general": 365,
    }
    assert profile_rows(live)["types"]["limited"]["validity_days"] == 90
    changed = [e for e in SqlAuditStore(database).entries() if e.type == "ca.profile_changed"]
    assert [e.actor for e in changed] == ["operator:alice+operator:bob"] and '"version":1' in changed[0].payload

    second = dual.propose(bob, "profile_change", {"changes": {"ca": {"validity_days": 730}}})
    dual.approve(alice, second.id)
    now = other_process.current()  # merged: the earlier change stays
    assert now.version == 2 and now.settings.validity_days == 730 and now.validity_days()["limited"] == 90


@pytest.mark.parametrize(
    "changes",
    [
        {"ca": {"organization": "evil"}},  # not a profile setting
        {"ca": {"preset": "no-such-preset"}},
        {"ca": {"validity_days": 0}},
        {"types": {"limited": {"validity_days": 99999}}},
        {"types": {"limited": {"notice_ko": "x" * 201}}},
        {"types": {"limited": {"policy_oid": "1.2.3"}}},
        {"types": {"platinum": {"validity_days": 10}}},
        {"ca": {"preset": "jointsign"}},  # already in force
        {},
    ],
)
def test_bad_profile_changes_are_refused_and_nothing_is_stored(
    database: Database, clock: FakeClock, changes: dict[str, object]
) -> None:
    operators, dual, live = _dual(database, clock)
    alice, _ = _admins(operators, clock)
    with pytest.raises(InvalidInput) as caught:
        dual.propose(alice, "profile_change", {"changes": changes})
    assert caught.value.text_ko and caught.value.text_en
    assert dual.pending() == [] and live.current().version == 0


def test_a_proposal_made_against_an_older_version_is_not_applied(database: Database, clock: FakeClock) -> None:
    operators, dual, live = _dual(database, clock)
    alice, bob = _admins(operators, clock)
    first = dual.propose(alice, "profile_change", {"changes": {"ca": {"validity_days": 200}}})
    stale = dual.propose(alice, "profile_change", {"changes": {"ca": {"validity_days": 300}}})
    dual.approve(bob, first.id)
    with pytest.raises(ProfileVersionMoved):
        dual.approve(bob, stale.id)
    assert live.current().settings.validity_days == 200
    stored = SqlProposalStore(database).get(stale.id)
    assert stored is not None and stored.status is ProposalStatus.FAILED


def test_a_key_ceremony_runs_only_with_the_approved_file_once_and_in_time(database: Database, clock: FakeClock) -> None:
    operators, dual, _ = _dual(database, clock)
    alice, bob = _admins(operators, clock)
    claims = CeremonyAuthorisations(
        proposals=SqlProposalStore(database), audit=SqlAuditStore(database), clock=clock, approval_seconds=3600
    )
    with pytest.raises(InvalidInput):
        dual.propose(alice, "key_ceremony", {"config": "[token]\nlabel = 3\n"})
    proposal = dual.propose(alice, "key_ceremony", {"config": CEREMONY})
    with pytest.raises(CeremonyNotApproved):
        claims.claim(proposal.id, CEREMONY.encode(), shell_user="root")  # not approved yet
    with pytest.raises(DualControlRefused):
        dual.approve(alice, proposal.id)
    dual.approve(bob, proposal.id)
    with pytest.raises(CeremonyNotApproved):
        claims.claim(proposal.id, CEREMONY.replace("jointsign", "other").encode(), shell_user="root")
    claimed = claims.claim(proposal.id, CEREMONY.encode(), shell_user="root")
    assert CeremonyAuthorisations.actor(claimed) == "operator:alice+operator:bob"
    with pytest.raises(CeremonyNotApproved):
        claims.claim(proposal.id, CEREMONY.encode(), shell_user="root")  # used
    stored = SqlProposalStore(database).get(proposal.id)
    assert stored is not None and stored.status is ProposalStatus.USED

    late = dual.propose(bob, "key_ceremony", {"config": CEREMONY})
    dual.approve(alice, late.id)
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(ProposalExpired):
        claims.claim(late.id, CEREMONY.encode(), shell_user="root")
    entries = [(e.type, e.actor) for e in SqlAuditStore(database).entries() if e.type.startswith("ca.ceremony")]
    assert ("ca.ceremony_authorisation_used", "operator:alice+operator:bob") in entries
    assert ("ca.ceremony_refused", "shell:root") in entries


class _Registry:
    def __init__(self, owners: Mapping[int, str]) -> None:
        self._owners = owners

    def get(self, serial: int) -> RegisteredCertificate | None:
        owner = self._owners.get(serial)
        return (
            None
            if owner is None
            else RegisteredCertificate(serial, owner, CertType.GENERAL, "issued", None, FakeClock().now())
        )

    def get_many(self, serials: Sequence[int]) -> dict[int, RegisteredCertificate]:
        return {s: r for s in serials if (r := self.get(s)) is not None}


class _Notifier:
    def __init__(self, broken: set[str]) -> None:
        self.sent: list[tuple[str, NotificationEvent, dict[str, str]]] = []
        self._broken = broken

    def notify(self, customer_id: str, event: NotificationEvent, params: Mapping[str, str]) -> None:
        if customer_id in self._broken:
            raise JointcertError("gateway down")
        self.sent.append((customer_id, event, dict(params)))

    def notify_many(self, notices: Sequence[Notice]) -> None:
        if any(n.customer_id in self._broken for n in notices):
            raise JointcertError("gateway down")
        self.sent += [(n.customer_id, n.event, dict(n.params)) for n in notices]


def test_bulk_revocation_queues_a_notice_per_revoked_certificate(database: Database, clock: FakeClock) -> None:
    notifier = _Notifier(broken={"c3"})
    notices = RevocationNotices(_Registry({10: "c1", 11: "c2", 12: "c3"}), Notifications(notifier))  # type: ignore[arg-type]
    ca = FakeCa()
    ca.revoked[11] = (x509.ReasonFlags.unspecified, "earlier")  # already revoked: skipped
    operators, dual, _ = _dual(database, clock, bulk_revocation=bulk_revocation(ca, notices))
    alice, bob = _admins(operators, clock)
    proposal = dual.propose(alice, "bulk_revocation", {"serials": ["0a", "0b", "0c", "0d"], "reason": "keyCompromise"})
    done = dual.approve(bob, proposal.id)
    assert done.result == {"revoked": 3, "skipped": 1, "notified": 1, "no_customer": 1, "notify_failed": 1}
    assert notifier.sent == [("c1", NotificationEvent.REVOKED, {"cert_type": CertType.GENERAL.label_ko})]
