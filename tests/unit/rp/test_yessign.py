"""The real yessign TEST certificate shipped with PyPinkSign: read and reported check by check, never a crash."""

from __future__ import annotations

import base64

from pypinksign.test_pinkSign import TEST_CERT

from jointcert.clock import FakeClock
from jointcert.rp import CheckName, Reason, Status, TrustAnchors, Verifier, demo_institutions
from jointcert.rp.policy import DEMO_BANK, DEMO_SECURITIES
from tests.unit.rp.pki import TestPki

YESSIGN_DER = base64.b64decode(TEST_CERT["signCert"])


def test_yessign_test_certificate_is_reported_check_by_check(clock: FakeClock, pki: TestPki) -> None:
    anchors = TrustAnchors((pki.root,), (pki.ca,))
    verifier = Verifier(demo_institutions(anchors)[DEMO_BANK], clock=clock)
    verdict = verifier.verify_certificate(YESSIGN_DER)
    assert not verdict.accepted
    chain = verdict.check(CheckName.CHAIN)
    validity = verdict.check(CheckName.VALIDITY)
    policy = verdict.check(CheckName.POLICY)
    ident = verdict.check(CheckName.IDENTIFY_DATA)
    assert chain is not None and chain.code is Reason.CHAIN_UNTRUSTED
    assert "yessignCA-Test Class 4" in chain.message_en
    assert validity is not None and validity.code is Reason.EXPIRED and "2020-03-25" in validity.message_en
    # the customer reads the type and the CA, never the OID; the OID is in the certificate summary
    assert policy is not None and policy.status is Status.PASSED and "Limited-use" in policy.message_en
    assert "(yessign)" in policy.message_en and "1.2.410.200005.1.1.4" not in policy.message_en
    assert ident is not None and ident.status is Status.PASSED and "VID present" in ident.message_en
    assert verdict.check(CheckName.KEY_USAGE).status is Status.PASSED  # type: ignore[union-attr]
    assert verdict.check(CheckName.REVOCATION).status is Status.SKIPPED  # type: ignore[union-attr]
    assert verdict.reason is chain  # the first failure
    summary = verdict.certificate
    assert summary is not None and summary.cert_type == "limited" and summary.has_vid
    assert summary.serial == TEST_CERT["serialnum"] and summary.real_name == "HKD"
    assert "1.2.410.200005.1.1.4" in summary.policy_oids


def test_securities_firm_also_names_the_type(clock: FakeClock) -> None:
    verifier = Verifier(demo_institutions(TrustAnchors())[DEMO_SECURITIES], clock=clock)
    verdict = verifier.verify_certificate(YESSIGN_DER)
    assert verdict.check(CheckName.POLICY).code is Reason.POLICY_NOT_ACCEPTED  # type: ignore[union-attr]


def test_login_signed_by_pypinksign_with_the_yessign_test_key(clock: FakeClock, pki: TestPki) -> None:
    from pypinksign import PinkSign

    from jointcert.rp import ChallengeService, InMemoryChallengeStore, SignedLogin
    from jointcert.rp.policy import DEMO_GOV

    challenges = ChallengeService(InMemoryChallengeStore(), clock)
    verifier = Verifier(demo_institutions(TrustAnchors((pki.root,)))[DEMO_GOV], clock=clock, challenges=challenges)
    signer = PinkSign(
        pubkey_data=YESSIGN_DER,
        prikey_data=base64.b64decode(TEST_CERT["signPri"]),
        prikey_password=TEST_CERT["signPw"],
    )
    signer.load_prikey()
    challenge = challenges.issue(DEMO_GOV, "s")
    sent = SignedLogin(
        challenge.value, "s", signed_data=signer.pkcs7_signed_msg(challenge.data), random_num=TEST_CERT["r"]
    )
    verdict = verifier.verify_login(sent, rrn="9001011234567")  # the real resident number is not public
    statuses = {c.name: (c.status, c.code) for c in verdict.checks}
    assert statuses[CheckName.CHALLENGE] == (Status.PASSED, Reason.OK)
    assert statuses[CheckName.SIGNATURE] == (Status.PASSED, Reason.OK)
    assert statuses[CheckName.CHAIN][1] is Reason.CHAIN_UNTRUSTED
    assert statuses[CheckName.VALIDITY][1] is Reason.EXPIRED
    assert statuses[CheckName.VID] == (Status.FAILED, Reason.VID_MISMATCH)
