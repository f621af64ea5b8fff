"""Institution policies: which certificate types each demo institution accepts."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from jointcert.npki.oids import KNOWN_POLICIES, POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL
from jointcert.rp import InstitutionPolicy, Reason, Status, TrustAnchors, demo_institutions
from jointcert.rp.policy import DEMO_SECURITIES, describe_policy, policy_check
from jointcert.types import CertType
from tests.unit.rp.pki import TestPki


def test_demo_institutions_accept_what_the_product_says() -> None:
    institutions = demo_institutions(TrustAnchors())
    assert len(institutions) == 5
    for key, policy in institutions.items():
        assert policy.accepts(POLICY_GENERAL_PERSONAL)
        assert policy.accepts(POLICY_LIMITED_PERSONAL) is (key != DEMO_SECURITIES)


@pytest.mark.parametrize("info", list(KNOWN_POLICIES.values()), ids=lambda i: i.oid)
def test_every_known_ca_policy_maps_to_its_type(info: object) -> None:
    securities = demo_institutions(TrustAnchors())[DEMO_SECURITIES]
    assert securities.accepts(info.oid) is (info.cert_type is CertType.GENERAL)  # type: ignore[attr-defined]


def test_unknown_policy_needs_an_explicit_oid(pki: TestPki) -> None:
    cert = pki.issue(policy="1.2.3.4.5").cert
    strict = InstitutionPolicy("x", "기관", "Inst", TrustAnchors())
    check = policy_check(cert, strict)
    assert check.code is Reason.POLICY_NOT_ACCEPTED and "unknown type (policy 1.2.3.4.5)" in check.message_en
    lenient = InstitutionPolicy("x", "기관", "Inst", TrustAnchors(), accepted_policy_oids=frozenset({"1.2.3.4.5"}))
    assert policy_check(cert, lenient).status is Status.PASSED


def test_a_policy_must_accept_something() -> None:
    with pytest.raises(ValueError):
        InstitutionPolicy("x", "기관", "Inst", TrustAnchors(), accepted_types=frozenset())


def test_describe_policy_names_type_in_human_words() -> None:
    ko, en = describe_policy(POLICY_LIMITED_PERSONAL)
    assert "yessign" not in ko and "개인" not in ko and POLICY_LIMITED_PERSONAL not in ko + en
    assert ko.endswith("공동인증서") and "Limited-use" in en
    other_ko, _ = describe_policy("1.2.410.200004.5.2.1.2")
    assert "(signGATE)" in other_ko


def test_describe_policy_does_not_call_our_certificates_yessign() -> None:
    ours = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jointsign")])
    ko, en = describe_policy(POLICY_LIMITED_PERSONAL, ours)
    assert "jointsign (yessign OID)" in ko and "jointsign (yessign OID)" in en
    theirs = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "yessign")])
    assert "(yessign)" in describe_policy(POLICY_LIMITED_PERSONAL, theirs)[1]
