"""Logins at the demo institutions: every refusal with its own reason, never an exception."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.x509 import ocsp

from jointcert.clock import FakeClock
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL
from jointcert.rp import (
    ChallengeService,
    CheckName,
    Reason,
    SignedLogin,
    Status,
    Verdict,
    Verifier,
    VerifierMisconfigured,
    VidProof,
    demo_institutions,
)
from jointcert.rp.policy import DEMO_BANK, DEMO_CARD, DEMO_GOV, DEMO_INSURER, DEMO_SECURITIES
from tests.unit.rp.conftest import FakeCrl, FakeOcsp
from tests.unit.rp.pki import NOW, RRN, EndEntity, R, TestPki, key

MakeVerifier = Callable[..., Verifier]
ALL = [DEMO_BANK, DEMO_CARD, DEMO_INSURER, DEMO_SECURITIES, DEMO_GOV]


def login(
    verifier: Verifier, challenges: ChallengeService, ee: EndEntity, *, cms: bool = True, **extra: object
) -> SignedLogin:
    challenge = challenges.issue(verifier.policy.id, "session-1")
    if cms:
        return SignedLogin(challenge.value, "session-1", signed_data=ee.signed_data(challenge.data), random_num=R)
    return SignedLogin(
        challenge.value, "session-1", certificate=ee.der, signature=ee.sign(challenge.data), random_num=R
    )


def register(verifier: Verifier, challenges: ChallengeService, ee: EndEntity, customer: str = "cust-1") -> Verdict:
    return verifier.register(
        login(verifier, challenges, ee), customer_id=customer, rrn=RRN, identity_check=lambda c, s: True
    )


def login_verdict(verifier: Verifier, challenges: ChallengeService, ee: EndEntity, **kw: object) -> Verdict:
    if verifier.policy.require_registration:
        assert register(verifier, challenges, ee).accepted
    return verifier.verify_login(login(verifier, challenges, ee), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("institution", [DEMO_BANK, DEMO_CARD, DEMO_INSURER, DEMO_GOV])
def test_limited_use_is_accepted_outside_securities(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, institution: str
) -> None:
    verdict = login_verdict(make_verifier(institution), challenges, pki.issue(policy=POLICY_LIMITED_PERSONAL))
    assert verdict.accepted, verdict.reason
    assert verdict.reason is None and not verdict.warnings
    assert [c.name for c in verdict.checks][:2] == [CheckName.CHALLENGE, CheckName.SIGNATURE]
    assert verdict.certificate is not None and verdict.certificate.cert_type == "limited"


def test_securities_firm_refuses_limited_use_with_a_clear_reason(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    verifier = make_verifier(DEMO_SECURITIES)
    verdict = verifier.verify_login(login(verifier, challenges, pki.issue(policy=POLICY_LIMITED_PERSONAL)))
    assert not verdict.accepted
    assert verdict.reason is not None and verdict.reason.code is Reason.POLICY_NOT_ACCEPTED
    assert verdict.reason.message_ko == "증권 거래에는 범용 인증서가 필요합니다"
    assert verdict.reason_code == "policy_not_accepted"


@pytest.mark.parametrize("institution", ALL)
@pytest.mark.parametrize("cms", [True, False])
def test_general_purpose_is_accepted_everywhere(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, institution: str, cms: bool
) -> None:
    verifier = make_verifier(institution)
    ee = pki.issue(policy=POLICY_GENERAL_PERSONAL)
    if verifier.policy.require_registration:
        assert register(verifier, challenges, ee).accepted
    verdict = verifier.verify_login(login(verifier, challenges, ee, cms=cms), rrn=RRN)
    assert verdict.accepted, verdict.reason
    assert verdict.check(CheckName.VID).status is Status.PASSED  # type: ignore[union-attr]


def test_pypinksign_signed_login_is_accepted(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    verifier = make_verifier(DEMO_GOV)
    ee = pki.issue()
    challenge = challenges.issue(DEMO_GOV, "s")
    verdict = verifier.verify_login(
        SignedLogin(challenge.value, "s", signed_data=ee.pinksign_signed_data(challenge.data))
    )
    assert verdict.accepted, verdict.reason


def refusal(verdict: Verdict) -> Reason:
    assert not verdict.accepted
    assert verdict.reason is not None
    return verdict.reason.code


def test_revoked_is_refused(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, fake_ocsp: FakeOcsp
) -> None:
    ee = pki.issue()
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
    verifier = make_verifier(DEMO_GOV)
    assert refusal(verifier.verify_login(login(verifier, challenges, ee))) is Reason.REVOKED


def test_expired_is_refused(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, fake_ocsp: FakeOcsp
) -> None:
    ee = pki.issue(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    verifier = make_verifier(DEMO_GOV)
    verdict = verifier.verify_login(login(verifier, challenges, ee))
    assert refusal(verdict) is Reason.EXPIRED
    assert verdict.check(CheckName.REVOCATION).status is Status.SKIPPED  # type: ignore[union-attr]
    assert fake_ocsp.calls == 0


def test_wrong_issuer_is_refused(make_verifier: MakeVerifier, challenges: ChallengeService) -> None:
    stranger = TestPki(root_key=key(10), ca_key=key(11), ca_cn="strangerCA Class 1", root_cn="stranger Root")
    verifier = make_verifier(DEMO_GOV)
    verdict = verifier.verify_login(login(verifier, challenges, stranger.issue()))
    assert refusal(verdict) is Reason.CHAIN_UNTRUSTED
    assert "strangerCA" in verdict.reason.message_en  # type: ignore[union-attr]


@pytest.mark.parametrize("cms", [True, False])
def test_tampered_signature_is_refused(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, cms: bool
) -> None:
    verifier = make_verifier(DEMO_GOV)
    ee = pki.issue()
    challenge = challenges.issue(DEMO_GOV, "s")
    if cms:
        der = bytearray(ee.signed_data(challenge.data, attributes=False))
        der[-1] ^= 0x01  # last byte of the signature
        sent = SignedLogin(challenge.value, "s", signed_data=bytes(der))
    else:
        signature = bytearray(ee.sign(challenge.data))
        signature[10] ^= 0x40
        sent = SignedLogin(challenge.value, "s", certificate=ee.der, signature=bytes(signature))
    verdict = verifier.verify_login(sent)
    assert refusal(verdict) is Reason.SIGNATURE_INVALID
    assert verdict.certificate is not None  # the certificate is still described


def test_signature_over_another_challenge_is_refused(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    verifier = make_verifier(DEMO_GOV)
    ee = pki.issue()
    challenge = challenges.issue(DEMO_GOV, "s")
    verdict = verifier.verify_login(SignedLogin(challenge.value, "s", signed_data=ee.signed_data(b"an old challenge")))
    assert refusal(verdict) is Reason.CONTENT_MISMATCH


def test_replayed_challenge_is_refused(make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki) -> None:
    verifier = make_verifier(DEMO_GOV)
    sent = login(verifier, challenges, pki.issue())
    assert verifier.verify_login(sent).accepted
    assert refusal(verifier.verify_login(sent)) is Reason.CHALLENGE_REPLAYED


def test_expired_unknown_and_foreign_challenges_are_refused(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, clock: FakeClock
) -> None:
    verifier = make_verifier(DEMO_GOV)
    ee = pki.issue()
    late = login(verifier, challenges, ee)
    clock.advance(timedelta(seconds=121))
    assert refusal(verifier.verify_login(late)) is Reason.CHALLENGE_EXPIRED
    made_up = SignedLogin("made-up", "session-1", signed_data=ee.signed_data(b"made-up"))
    assert refusal(verifier.verify_login(made_up)) is Reason.CHALLENGE_UNKNOWN
    other_session = login(verifier, challenges, ee)
    moved = SignedLogin(other_session.challenge, "session-2", signed_data=other_session.signed_data)
    assert refusal(verifier.verify_login(moved)) is Reason.CHALLENGE_MISMATCH
    bank = make_verifier(DEMO_BANK)
    assert refusal(bank.verify_login(login(verifier, challenges, ee))) is Reason.CHALLENGE_MISMATCH


def test_wrong_resident_number_is_refused(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    verifier = make_verifier(DEMO_GOV)
    verdict = verifier.verify_login(login(verifier, challenges, pki.issue()), rrn="8001011234567")
    assert refusal(verdict) is Reason.VID_MISMATCH


def test_vid_needs_r_and_a_vid(make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki) -> None:
    verifier = make_verifier(DEMO_GOV)
    sent = login(verifier, challenges, pki.issue())
    no_r = SignedLogin(sent.challenge, sent.session_id, signed_data=sent.signed_data)
    assert refusal(verifier.verify_login(no_r, rrn=RRN)) is Reason.VID_MISSING
    no_vid = login(verifier, challenges, pki.issue(vid=False))
    verdict = verifier.verify_login(no_vid, rrn=RRN)
    assert refusal(verdict) is Reason.VID_MISSING
    assert verdict.check(CheckName.IDENTIFY_DATA).status is Status.SKIPPED  # type: ignore[union-attr]


@pytest.mark.parametrize("fail_closed", [True, False])
def test_ocsp_unreachable_depends_on_fail_closed(  # noqa: PLR0917
    make_verifier: MakeVerifier,
    challenges: ChallengeService,
    pki: TestPki,
    fake_ocsp: FakeOcsp,
    fake_crl: FakeCrl,
    fail_closed: bool,
) -> None:
    fake_ocsp.down = fake_crl.down = True
    verifier = make_verifier(DEMO_GOV, fail_closed=fail_closed)
    verdict = verifier.verify_login(login(verifier, challenges, pki.issue()))
    revocation = verdict.check(CheckName.REVOCATION)
    assert revocation is not None and revocation.code is Reason.REVOCATION_UNAVAILABLE
    if fail_closed:
        assert refusal(verdict) is Reason.REVOCATION_UNAVAILABLE
    else:
        assert verdict.accepted and verdict.warnings == (revocation,)
        assert revocation.status is Status.WARNING


def test_ocsp_unreachable_with_a_crl_is_accepted(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, fake_ocsp: FakeOcsp
) -> None:
    fake_ocsp.down = True
    verifier = make_verifier(DEMO_GOV)
    verdict = verifier.verify_login(login(verifier, challenges, pki.issue()))
    assert verdict.accepted and "CRL" in verdict.check(CheckName.REVOCATION).message_en  # type: ignore[union-attr]


def test_malformed_inputs_are_refusals_not_exceptions(
    make_verifier: MakeVerifier, challenges: ChallengeService
) -> None:
    verifier = make_verifier(DEMO_GOV)
    c1 = challenges.issue(DEMO_GOV, "s")
    assert refusal(verifier.verify_login(SignedLogin(c1.value, "s", signed_data=b"junk"))) is Reason.MALFORMED_SIGNATURE
    c2 = challenges.issue(DEMO_GOV, "s")
    bad_cert = SignedLogin(c2.value, "s", certificate=b"junk", signature=b"sig")
    verdict = verifier.verify_login(bad_cert)
    assert verdict.check(CheckName.CERTIFICATE).code is Reason.MALFORMED_CERTIFICATE  # type: ignore[union-attr]
    c3 = challenges.issue(DEMO_GOV, "s")
    assert refusal(verifier.verify_login(SignedLogin(c3.value, "s"))) is Reason.MALFORMED_SIGNATURE
    assert refusal(verifier.verify_certificate(b"\x30\x00")) is Reason.MALFORMED_CERTIFICATE


def test_misconfiguration_raises(clock: FakeClock, anchors: object, challenges: ChallengeService) -> None:
    bank = Verifier(demo_institutions(anchors)[DEMO_BANK], clock=clock, challenges=challenges)  # type: ignore[arg-type]
    with pytest.raises(VerifierMisconfigured):
        bank.verify_login(SignedLogin("x", "s"))
    with pytest.raises(VerifierMisconfigured):
        bank.register(SignedLogin("x", "s"), customer_id="c", identity_check=lambda c, s: True)
    gov = Verifier(demo_institutions(anchors)[DEMO_GOV], clock=clock)  # type: ignore[arg-type]
    with pytest.raises(VerifierMisconfigured):
        gov.verify_login(SignedLogin("x", "s"))


def test_verify_certificate_without_revocation_source(clock: FakeClock, anchors: object, pki: TestPki) -> None:
    gov = demo_institutions(anchors)[DEMO_GOV]  # type: ignore[arg-type]
    verdict = Verifier(gov, clock=clock).verify_certificate(pki.issue().cert, vid=VidProof(RRN, R))
    assert refusal(verdict) is Reason.REVOCATION_UNAVAILABLE
    assert verdict.check(CheckName.VID).status is Status.PASSED  # type: ignore[union-attr]
    assert Verifier(gov, clock=clock).verify_certificate(pki.issue().cert, check_revocation=False).accepted


def test_far_future_clock_refuses_everything_as_expired(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, clock: FakeClock
) -> None:
    verifier = make_verifier(DEMO_GOV)
    ee = pki.issue()
    clock.advance(timedelta(days=365 * 30))
    assert refusal(verifier.verify_login(login(verifier, challenges, ee))) is Reason.EXPIRED


def test_verdict_serialises(make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki) -> None:
    verifier = make_verifier(DEMO_SECURITIES)
    data = verifier.verify_login(login(verifier, challenges, pki.issue())).to_dict()
    assert data["accepted"] is False
    assert data["reason"]["code"] == "policy_not_accepted"
    assert data["certificate"]["policy_oids"] == [POLICY_LIMITED_PERSONAL]
    assert {c["name"] for c in data["checks"]} >= {"challenge", "signature", "chain", "validity", "policy"}


def test_intermediate_carried_in_the_signed_data_completes_the_path(
    clock: FakeClock, challenges: ChallengeService, pki: TestPki, fake_ocsp: FakeOcsp
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    from jointcert.rp import RevocationChecker, TrustAnchors

    gov = demo_institutions(TrustAnchors((pki.root,)))[DEMO_GOV]  # the issuing CA is not configured
    verifier = Verifier(gov, clock=clock, revocation=RevocationChecker(clock, fake_ocsp), challenges=challenges)
    ee = pki.issue()
    challenge = challenges.issue(DEMO_GOV, "s")
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(challenge.data)
        .add_signer(ee.cert, ee.key, hashes.SHA256())
        .add_certificate(pki.ca)
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    verdict = verifier.verify_login(SignedLogin(challenge.value, "s", signed_data=der))
    assert verdict.accepted, verdict.reason
    # the validated issuing CA is remembered by this verifier's path cache (like an AIA fetch), so a verifier that
    # never saw the intermediate is the one that must refuse a login without it
    fresh = Verifier(gov, clock=clock, revocation=RevocationChecker(clock, fake_ocsp), challenges=challenges)
    challenge2 = challenges.issue(DEMO_GOV, "s")
    without = fresh.verify_login(SignedLogin(challenge2.value, "s", signed_data=ee.signed_data(challenge2.data)))
    assert refusal(without) is Reason.CHAIN_UNTRUSTED


def test_institution_fail_closed_overrides_the_setting(
    clock: FakeClock, anchors: object, pki: TestPki, fake_ocsp: FakeOcsp
) -> None:
    from dataclasses import replace

    from jointcert.config import RpSettings
    from jointcert.rp import RevocationChecker

    fake_ocsp.down = True
    gov = demo_institutions(anchors)[DEMO_GOV]  # type: ignore[arg-type]
    lenient = Verifier(
        replace(gov, fail_closed=False),
        clock=clock,
        settings=RpSettings(fail_closed=True),
        revocation=RevocationChecker(clock, fake_ocsp),
    )
    strict = Verifier(
        replace(gov, fail_closed=True),
        clock=clock,
        settings=RpSettings(fail_closed=False),
        revocation=RevocationChecker(clock, fake_ocsp),
    )
    ee = pki.issue()
    assert lenient.fail_closed is False and lenient.verify_certificate(ee.cert).accepted
    assert strict.fail_closed is True and refusal(strict.verify_certificate(ee.cert)) is Reason.REVOCATION_UNAVAILABLE


@pytest.mark.parametrize("institution", [DEMO_SECURITIES, DEMO_GOV])
def test_a_certificates_second_login_has_the_same_checks_at_each_institution(
    make_verifier: MakeVerifier, challenges: ChallengeService, pki: TestPki, institution: str
) -> None:
    """The checks of the certificate alone are remembered per verifier: the same verdicts the second time, and
    each institution's own policy decides (the securities firm still refuses a limited-use certificate)."""
    verifier, ee = make_verifier(institution), pki.issue(policy=POLICY_LIMITED_PERSONAL)
    first, second = (verifier.verify_login(login(verifier, challenges, ee, cms=False)) for _ in range(2))

    def kept(verdict: Verdict) -> list[object]:  # the revocation check says "cached" the second time
        return [c for c in verdict.checks if c.name is not CheckName.REVOCATION]

    assert kept(first) == kept(second) and [c.name for c in first.checks] == [c.name for c in second.checks]
    assert second.accepted is (institution == DEMO_GOV)
    if institution == DEMO_SECURITIES:
        assert second.reason is not None and second.reason.code is Reason.POLICY_NOT_ACCEPTED
