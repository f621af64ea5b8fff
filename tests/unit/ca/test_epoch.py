"""The revocation epoch: bumped by every revoking transaction (revoke, supersede, void) on both backends; the CRL is
dirty until the leader's job reissues it; the watch reads the database at most every half second."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.crl import CrlPublisher
from jointcert.ca.epoch import EpochWatch
from jointcert.ca.hierarchy import ISSUING, ROOT
from jointcert.ca.ports import AuditEvent, PendingRecord
from jointcert.clock import FakeClock
from jointcert.storage.repositories.ca_epoch import SqlRevocationEpochs
from tests.unit.ca.conftest import CA_SETTINGS, CaEnv
from tests.unit.ca.factories import fresh_rrn, make_request


def _publisher(env: CaEnv, epochs: SqlRevocationEpochs) -> CrlPublisher:
    signers = {ROOT: env.hierarchy.root, ISSUING: env.hierarchy.issuing}
    return CrlPublisher(store=env.store, signers=signers, clock=env.clock, settings=CA_SETTINGS, epochs=epochs)


def test_every_revoking_path_bumps_the_epoch_and_dirties_the_crl(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    epochs = SqlRevocationEpochs(env.database)
    crl = _publisher(env, epochs)
    assert epochs.current() == 0 and not crl.dirty(ISSUING) and crl.regenerate_dirty() == []
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    assert epochs.current() == 0  # issuing is not revoking
    env.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    assert epochs.current() == 1 and crl.dirty(ISSUING) and not crl.dirty(ROOT)
    (made,) = crl.regenerate_dirty(actor="leader")
    assert made.issuer == ISSUING and not crl.dirty(ISSUING) and crl.regenerate_dirty() == []
    listed = x509.load_der_x509_crl(made.der).get_revoked_certificate_by_serial_number(issued.serial)
    assert listed is not None

    rrn = fresh_rrn()
    first = env.authority.issue(make_request(subscriber_keys[1], rrn=rrn))
    env.authority.issue(make_request(subscriber_keys[2], rrn=rrn))  # supersedes the first
    assert env.authority.certificate(first.serial).status.value == "revoked"  # type: ignore[union-attr]
    assert epochs.current() == 2 and crl.dirty(ISSUING)
    again = crl.current(ISSUING)  # asked before the leader got to it: reissued on the spot
    assert again.number > made.number and not crl.dirty(ISSUING)
    assert x509.load_der_x509_crl(again.der).get_revoked_certificate_by_serial_number(first.serial) is not None


def test_voiding_stale_records_bumps_the_epoch(env: CaEnv) -> None:
    epochs = SqlRevocationEpochs(env.database)
    now = env.clock.now()
    pending = PendingRecord(
        issuer=ISSUING,
        serial=0x5EED,
        profile="limited",
        subject="CN=x",
        unique_id="1" * 21,
        holder_hash=None,
        not_before=now,
        not_after=now + timedelta(days=1),
        tbs_sha256=b"\x00" * 32,
        created_at=now,
        channel="cli",
    )
    env.store.record_pending(pending, AuditEvent("t", "t", now))  # as a crash between record and store leaves it
    env.clock.advance(timedelta(minutes=6))
    assert env.authority.recover_stale() == [0x5EED]
    assert epochs.current() == 1 and epochs.crl_dirty(ISSUING)


class _Source:
    def __init__(self) -> None:
        self.value, self.reads, self.broken = 0, 0, False

    def current(self) -> int:
        self.reads += 1
        if self.broken:
            raise ConnectionError("database away")
        return self.value


def test_the_watch_reads_at_most_every_interval_and_says_none_when_unreadable(clock: FakeClock) -> None:
    source = _Source()
    watch = EpochWatch(source, clock, interval_seconds=0.5)  # type: ignore[arg-type]
    assert [watch.current() for _ in range(100)] == [0] * 100 and source.reads == 1
    source.value = 7
    assert watch.current() == 0  # not re-read within the interval
    clock.advance(timedelta(seconds=0.5))
    assert watch.current() == 7 and source.reads == 2
    source.broken = True
    clock.advance(timedelta(seconds=1))
    assert watch.current() is None
