"""The relying parties' cache across processes: a moved revocation epoch drops every cached answer; an unreadable
epoch means nothing cached is used; ``max_age`` caps a good answer's reuse (zero: never cached)."""

from __future__ import annotations

from datetime import timedelta

from cryptography.x509 import ocsp

from jointcert.clock import FakeClock
from jointcert.rp.checks import Reason, Status
from jointcert.rp.revocation import RevocationCache, RevocationChecker
from tests.unit.rp.conftest import FakeCrl, FakeOcsp
from tests.unit.rp.pki import TestPki


class _Epoch:
    def __init__(self) -> None:
        self.value: int | None = 1

    def current(self) -> int | None:
        return self.value


def test_a_moved_epoch_drops_the_cached_good_answer(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl
) -> None:
    ee, epoch = pki.issue(), _Epoch()
    rc = RevocationChecker(clock, fake_ocsp, fake_crl, cache=RevocationCache(epoch=epoch))
    assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED  # revoked by another process
    calls = fake_ocsp.calls
    assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED  # the epoch has not moved yet
    assert fake_ocsp.calls == calls
    epoch.value = 2
    assert rc.check(ee.cert, pki.ca, fail_closed=True).code is Reason.REVOKED
    epoch.value = None  # the database is away: ask the responder every time
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.GOOD
    before = fake_ocsp.calls
    for _ in range(2):
        assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    assert fake_ocsp.calls == before + 2


def test_max_age_caps_reuse_and_zero_never_caches(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl
) -> None:
    ee = pki.issue()
    never = RevocationChecker(clock, fake_ocsp, fake_crl, cache=RevocationCache(max_age=timedelta(0)))
    before = fake_ocsp.calls
    for _ in range(3):
        assert never.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    assert fake_ocsp.calls == before + 3
    brief = RevocationChecker(clock, fake_ocsp, fake_crl, cache=RevocationCache(max_age=timedelta(minutes=10)))
    assert brief.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    calls = fake_ocsp.calls
    assert brief.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    assert fake_ocsp.calls == calls  # reused: its thisUpdate is 5 minutes old
    clock.advance(timedelta(minutes=6))
    assert brief.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    assert fake_ocsp.calls == calls + 1  # asked again after it
