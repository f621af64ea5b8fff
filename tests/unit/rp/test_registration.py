"""타기관 인증서 등록: VID + the institution's identity check, then logins need only a signature and a registration."""

from __future__ import annotations

from collections.abc import Callable

from jointcert.npki.oids import POLICY_LIMITED_PERSONAL
from jointcert.rp import (
    CertificateSummary,
    ChallengeService,
    CheckName,
    InMemoryRegistrationStore,
    Reason,
    SignedLogin,
    Status,
    Verifier,
)
from jointcert.rp.policy import DEMO_BANK, DEMO_SECURITIES
from tests.unit.rp.pki import RRN, TestPki
from tests.unit.rp.test_verifier import login, refusal, register

MakeVerifier = Callable[..., Verifier]


def test_registration_then_login_needs_only_the_signature(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, registry: InMemoryRegistrationStore
) -> None:
    bank = make_verifier(DEMO_BANK)
    ee = pki.issue()
    assert refusal(bank.verify_login(login(bank, challenges, ee))) is Reason.NOT_REGISTERED
    seen: list[tuple[str, CertificateSummary]] = []

    def identity_check(customer: str, cert: CertificateSummary) -> bool:
        seen.append((customer, cert))
        return True

    verdict = bank.register(login(bank, challenges, ee), customer_id="cust-9", rrn=RRN, identity_check=identity_check)
    assert verdict.accepted and verdict.customer_id == "cust-9"
    assert [c.name for c in verdict.checks][-3:] == [CheckName.VID, CheckName.IDENTITY, CheckName.REGISTRATION]
    assert seen[0][0] == "cust-9" and seen[0][1].fingerprint_sha256 == verdict.certificate.fingerprint_sha256  # type: ignore[union-attr]
    stored = registry.find(DEMO_BANK, verdict.certificate.fingerprint_sha256)  # type: ignore[union-attr]
    assert stored is not None and stored.serial_hex == format(ee.cert.serial_number, "x")

    sent = login(bank, challenges, ee)
    later = bank.verify_login(SignedLogin(sent.challenge, sent.session_id, signed_data=sent.signed_data))
    assert later.accepted and later.customer_id == "cust-9"
    assert later.check(CheckName.VID).status is Status.SKIPPED  # type: ignore[union-attr]
    assert refusal(bank.verify_login(login(bank, challenges, ee), customer_id="cust-other")) is Reason.NOT_REGISTERED


def test_registration_requires_the_vid_check(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    bank = make_verifier(DEMO_BANK)
    ee = pki.issue()
    no_rrn = bank.register(login(bank, challenges, ee), customer_id="c", identity_check=lambda c, s: True)
    assert refusal(no_rrn) is Reason.VID_MISSING
    assert no_rrn.check(CheckName.REGISTRATION).status is Status.SKIPPED  # type: ignore[union-attr]
    wrong = bank.register(
        login(bank, challenges, ee), customer_id="c", rrn="8001011234567", identity_check=lambda c, s: True
    )
    assert refusal(wrong) is Reason.VID_MISMATCH


def test_registration_requires_the_identity_check(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, registry: InMemoryRegistrationStore
) -> None:
    bank = make_verifier(DEMO_BANK)
    verdict = bank.register(
        login(bank, challenges, pki.issue()), customer_id="c", rrn=RRN, identity_check=lambda c, s: False
    )
    assert refusal(verdict) is Reason.IDENTITY_CHECK_FAILED
    assert registry.for_customer(DEMO_BANK, "c") == []


def test_certificate_belongs_to_one_customer_per_institution(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    bank = make_verifier(DEMO_BANK)
    ee = pki.issue()
    assert register(bank, challenges, ee, "alice").accepted
    assert register(bank, challenges, ee, "alice").accepted  # idempotent
    assert refusal(register(bank, challenges, ee, "mallory")) is Reason.ALREADY_REGISTERED


def test_registration_at_the_securities_firm_needs_general_purpose(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    firm = make_verifier(DEMO_SECURITIES)
    verdict = register(firm, challenges, pki.issue(policy=POLICY_LIMITED_PERSONAL))
    assert refusal(verdict) is Reason.POLICY_NOT_ACCEPTED
    assert verdict.check(CheckName.IDENTITY).status is Status.SKIPPED  # type: ignore[union-attr]
