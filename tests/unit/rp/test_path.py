"""Path validation: each failure with its own reason; the KISA profile passes cryptography's verifier."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from jointcert.rp.checks import Reason, Status
from jointcert.rp.path import TrustAnchors, key_usage_check, validate_path
from tests.unit.rp.pki import NOW, TestPki, key


def test_kisa_profile_certificate_chains_to_the_root(pki: TestPki, anchors: TrustAnchors) -> None:
    ee = pki.issue()
    result = validate_path(ee.cert, anchors, NOW)
    assert result.chain.status is Status.PASSED, result.chain.message_en
    assert result.validity.status is Status.PASSED
    assert result.path == (ee.cert, pki.ca, pki.root)
    assert result.issuer == pki.ca


def test_intermediate_may_come_from_the_signed_data(pki: TestPki) -> None:
    ee = pki.issue()
    only_root = TrustAnchors(roots=(pki.root,))
    missing = validate_path(ee.cert, only_root, NOW).chain
    assert missing.code is Reason.CHAIN_UNTRUSTED
    assert "neither given nor found" in missing.message_en and pki.ca.subject.rfc4514_string() in missing.message_en
    assert validate_path(ee.cert, only_root, NOW, extra_intermediates=[pki.ca]).chain.code is Reason.OK


def test_a_missing_root_is_named_past_the_intermediate_that_was_found(pki: TestPki) -> None:
    ee = pki.issue()
    other_root = TestPki(root_key=key(10), ca_key=key(11), root_cn="other RootCA").root
    result = validate_path(ee.cert, TrustAnchors(roots=(other_root,)), NOW, extra_intermediates=[pki.ca]).chain
    assert result.code is Reason.CHAIN_UNTRUSTED
    assert f"The chain reaches {pki.ca.subject.rfc4514_string()}" in result.message_en
    assert pki.root.subject.rfc4514_string() in result.message_en and "상위 인증서" in result.message_ko


def test_issuing_ca_may_itself_be_the_anchor(pki: TestPki) -> None:
    ee = pki.issue()
    assert validate_path(ee.cert, TrustAnchors(roots=(pki.ca,)), NOW).chain.code is Reason.OK


def test_certificate_from_another_pki_is_untrusted(anchors: TrustAnchors) -> None:
    other = TestPki(root_key=key(10), ca_key=key(11), ca_cn="otherCA Class 1", root_cn="other RootCA")
    result = validate_path(other.issue().cert, anchors, NOW)
    assert result.chain.code is Reason.CHAIN_UNTRUSTED
    assert "otherCA Class 1" in result.chain.message_en
    assert result.issuer is None


def test_same_names_but_another_key_is_a_bad_signature(anchors: TrustAnchors) -> None:
    impostor = TestPki(root_key=key(10), ca_key=key(11))  # same DNs as the real PKI, other keys
    result = validate_path(impostor.issue().cert, anchors, NOW)
    assert result.chain.code is Reason.CHAIN_INVALID
    assert "does not verify" in result.chain.message_en


def test_tampered_certificate_is_a_bad_signature(pki: TestPki, anchors: TrustAnchors) -> None:
    ee = pki.issue()
    der = bytearray(ee.der)
    index = der.find(b"HANBIT")
    der[index] = ord("X")
    tampered = x509.load_der_x509_certificate(bytes(der))
    assert validate_path(tampered, anchors, NOW).chain.code is Reason.CHAIN_INVALID


def test_expired_and_not_yet_valid_are_told_apart(pki: TestPki, anchors: TrustAnchors) -> None:
    expired = pki.issue(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=35))
    early = pki.issue(not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=366))
    result = validate_path(expired.cert, anchors, NOW)
    assert result.chain.code is Reason.OK  # the chain itself is fine; expiry is its own reason
    assert result.validity.code is Reason.EXPIRED
    assert validate_path(early.cert, anchors, NOW).validity.code is Reason.NOT_YET_VALID


def test_expired_ca_certificate_is_reported(pki: TestPki) -> None:
    ee = pki.issue()
    later = NOW + timedelta(days=3650 + 1)
    result = validate_path(ee.cert, TrustAnchors((pki.root,), (pki.ca,)), later)
    assert result.validity.code is Reason.EXPIRED


def test_ca_without_key_cert_sign_breaks_the_chain() -> None:
    bad = TestPki()
    bad.ca = bad._ca(key_usage=x509.KeyUsage(True, False, False, False, False, False, True, False, False))
    result = validate_path(bad.issue().cert, TrustAnchors((bad.root,), (bad.ca,)), NOW)
    assert result.chain.code is Reason.CHAIN_INVALID
    assert "keyCertSign" in result.chain.message_en


def test_end_entity_cannot_issue(pki: TestPki, anchors: TrustAnchors) -> None:
    ee = pki.issue(key_index=3)
    child = pki.issue(issuer=ee.cert, issuer_key=ee.key, key_index=4)
    result = validate_path(child.cert, TrustAnchors((pki.root,), (pki.ca, ee.cert)), NOW)
    assert result.chain.code is Reason.CHAIN_INVALID


def test_unknown_critical_extension_breaks_the_chain(pki: TestPki, anchors: TrustAnchors) -> None:
    ee = pki.issue()
    builder = (
        x509.CertificateBuilder()
        .subject_name(ee.cert.subject)
        .issuer_name(pki.ca.subject)
        .public_key(ee.key.public_key())
        .serial_number(77)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), critical=True)
    )
    cert = builder.sign(pki.ca_key, hashes.SHA256())
    assert validate_path(cert, anchors, NOW).chain.code is Reason.CHAIN_INVALID


def test_trust_anchors_split_roots_from_intermediates(pki: TestPki) -> None:
    anchors = TrustAnchors.of([pki.ca, pki.root])
    assert anchors.roots == (pki.root,) and anchors.intermediates == (pki.ca,)
    assert not TrustAnchors()


def test_key_usage(pki: TestPki) -> None:
    assert key_usage_check(pki.issue().cert).status is Status.PASSED
    sign_only = pki.issue(key_usage=x509.KeyUsage(True, False, False, False, False, False, False, False, False))
    assert key_usage_check(sign_only.cert).status is Status.WARNING
    encipher = pki.issue(key_usage=x509.KeyUsage(False, False, True, False, False, False, False, False, False))
    assert key_usage_check(encipher.cert).code is Reason.KEY_USAGE
    assert key_usage_check(encipher.cert).status is Status.FAILED
    assert "kmCert.der" in key_usage_check(encipher.cert).message_en  # names the km certificate for what it is
    assert "암호화용(km)" in key_usage_check(encipher.cert).message_ko
    assert key_usage_check(pki.ca).status is Status.FAILED
