"""The JSON enrollment as a saga (enroll → confirm) and the reconciler's settling of delivered sessions, on the
real RA with the sandbox bank and a fake CA."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.bank.model import NotificationEvent
from jointcert.ca.errors import BadProofOfPossession
from jointcert.clock import FakeClock
from jointcert.config import RaSettings
from jointcert.ra.errors import ConfirmationLate, EnrollmentKeyMismatch
from jointcert.ra.ports import FeeKind
from jointcert.ra.reconciler import Reconciler
from jointcert.storage.repositories.ra import SqlStepLog
from tests.unit.ra.support import Rig, build_rig
from tests.unit.ra.test_workflow import _balance, _to_type_chosen

KEY = rsa.generate_private_key(65537, 2048)
SPKI = KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
START = 1_523_400


def _sign(text: str, key: rsa.RSAPrivateKey = KEY) -> bytes:
    return key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())


def _delivered(rig: Rig) -> tuple[str, str, str, int]:
    sid, token = _to_type_chosen(rig, "minjun88", "general")
    challenge = rig.ra.enrollment_challenge(sid, token).value.challenge
    done = rig.ra.enroll(sid, token, public_key_der=SPKI, random_num=bytes(20), signature=_sign(challenge))
    assert done.value is not None and done.session.state == "delivered"
    return sid, token, challenge, done.value.serial


def _reconciler(rig: Rig) -> Reconciler:
    return Reconciler(ctx=rig.ra.ctx, step_log=SqlStepLog(rig.database))


def test_a_retry_returns_the_same_certificate_and_charges_once(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, FakeClock())
    sid, token, challenge, serial = _delivered(rig)
    again = rig.ra.enroll(sid, token, public_key_der=SPKI, random_num=bytes(20), signature=_sign(challenge))
    assert again.value is not None and again.value.serial == serial and again.session.state == "delivered"
    assert len(rig.authority.issued) == 1 and _balance(rig, "minjun88") == START - 4_400
    assert [e.kind for e in rig.ra.ctx.fees.entries(serial)] == [FeeKind.CHARGE]
    other = rsa.generate_private_key(65537, 2048).public_key()
    other_spki = other.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(EnrollmentKeyMismatch):
        rig.ra.enroll(sid, token, public_key_der=other_spki, random_num=bytes(20), signature=_sign(challenge))


def test_only_the_confirmation_supersedes_and_makes_the_fee_final(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, FakeClock())
    sid, token, challenge, serial = _delivered(rig)
    assert rig.authority.confirmed == []
    with pytest.raises(BadProofOfPossession):  # the enrollment's own signature is not a confirmation
        rig.ra.confirm_enrollment(sid, token, _sign(challenge))
    done = rig.ra.confirm_enrollment(sid, token, _sign(f"jointcert-confirm:{challenge}:{serial:x}"))
    assert done.session.state == "issued" and rig.authority.confirmed == [serial]
    assert [e.kind for e in rig.ra.ctx.fees.entries(serial)] == [FeeKind.CHARGE, FeeKind.FINAL]
    again = rig.ra.confirm_enrollment(sid, token, _sign(f"jointcert-confirm:{challenge}:{serial:x}"))
    assert again.session.state == "issued" and again.value.serial == serial  # a repeated confirmation: same answer
    assert _reconciler(rig).run().total == 0
    assert _balance(rig, "minjun88") == START - 4_400


def test_unconfirmed_after_the_wait_is_revoked_refunded_and_notified(tmp_path: Path) -> None:
    clock = FakeClock()
    rig = build_rig(tmp_path, clock, settings=RaSettings(confirm_wait_seconds=300))
    sid, token, challenge, serial = _delivered(rig)
    reconciler = _reconciler(rig)
    clock.advance(timedelta(seconds=299))
    assert reconciler.run().total == 0 and rig.authority.revoked == []
    clock.advance(timedelta(seconds=2))
    with pytest.raises(ConfirmationLate):
        rig.ra.confirm_enrollment(sid, token, _sign(f"jointcert-confirm:{challenge}:{serial:x}"))
    report = reconciler.run()
    assert report.revoked_unconfirmed == [format(serial, "x")] and report.reversed_fees == [format(serial, "x")]
    assert rig.authority.revoked == [serial] and rig.authority.confirmed == []
    assert rig.ra.status(sid, token).state == "unconfirmed"
    assert _balance(rig, "minjun88") == START
    kinds = [e.kind for e in rig.ra.ctx.fees.entries(serial)]
    assert kinds == [FeeKind.CHARGE, FeeKind.REVERSAL]
    customer_id = rig.ra.ctx.sessions.get(sid).customer_id  # type: ignore[union-attr]
    events = [m.event for m in rig.bank.outbox.messages(customer_id or "")]
    assert NotificationEvent.UNCONFIRMED in events and NotificationEvent.ISSUED not in events
    assert reconciler.run().total == 0  # idempotent


def test_a_delivered_session_outlives_the_session_ttl_and_is_reaped(tmp_path: Path) -> None:
    clock = FakeClock()
    rig = build_rig(tmp_path, clock)
    sid, token, _, serial = _delivered(rig)
    clock.advance(timedelta(seconds=RaSettings().session_ttl_seconds + 1))
    rig.ra.start(app_logged_in=False)  # expires stale sessions: not this one
    assert rig.ra.status(sid, token).state == "delivered"
    assert _reconciler(rig).run().revoked_unconfirmed == [format(serial, "x")]
    assert rig.ra.status(sid, token).state == "unconfirmed" and _balance(rig, "minjun88") == START
