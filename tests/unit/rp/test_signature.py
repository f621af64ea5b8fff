"""Raw and CMS signature verification, including PyPinkSign's SignedData."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyasn1.codec.der import decoder, encoder
from pyasn1_modules import rfc5652
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.rp.signature import (
    ContentMismatch,
    MalformedSignature,
    SignatureInvalid,
    verify_raw_signature,
    verify_signed_data,
)
from tests.unit.rp.pki import TestPki


def test_raw_signature_verifies_and_a_flipped_bit_does_not(pki: TestPki) -> None:
    ee = pki.issue()
    signature = ee.sign(b"challenge")
    verify_raw_signature(ee.cert, b"challenge", signature)
    with pytest.raises(SignatureInvalid):
        verify_raw_signature(ee.cert, b"challenge", bytes([signature[0] ^ 1]) + signature[1:])
    with pytest.raises(SignatureInvalid):
        verify_raw_signature(ee.cert, b"challengE", signature)


def test_signed_data_with_signed_attributes(pki: TestPki) -> None:
    ee = pki.issue()
    message = verify_signed_data(ee.signed_data(b"challenge"))
    assert message.content == b"challenge"
    assert message.signer == ee.cert
    assert message.has_signed_attributes
    assert message.signing_time is not None
    assert message.digest_algorithm == "sha256"


def test_signed_data_without_signed_attributes(pki: TestPki) -> None:
    ee = pki.issue()
    message = verify_signed_data(ee.signed_data(b"challenge", attributes=False))
    assert message.content == b"challenge" and not message.has_signed_attributes


def test_pypinksign_signed_data_of_our_key_verifies(pki: TestPki) -> None:
    ee = pki.issue()
    message = verify_signed_data(ee.pinksign_signed_data(b"login-challenge"))
    assert message.content == b"login-challenge"
    assert message.signer == ee.cert
    assert not message.has_signed_attributes


def test_pypinksign_vector_with_the_yessign_test_certificate_verifies() -> None:
    message = verify_signed_data(TEST_CERT["pkcs7SignMsg"])
    assert message.content == TEST_CERT["testMsg"]
    assert message.signer.serial_number == TEST_CERT["serialnum"]


def test_expected_content_must_match(pki: TestPki) -> None:
    ee = pki.issue()
    with pytest.raises(ContentMismatch):
        verify_signed_data(ee.signed_data(b"old challenge"), detached_content=b"new challenge")


def _tamper_content(der: bytes, new: bytes) -> bytes:
    info, _ = decoder.decode(der, asn1Spec=rfc5652.ContentInfo())
    signed, _ = decoder.decode(info["content"], asn1Spec=rfc5652.SignedData())
    signed["encapContentInfo"]["eContent"] = signed["encapContentInfo"]["eContent"].clone(new)
    info["content"] = encoder.encode(signed)
    return bytes(encoder.encode(info))


@pytest.mark.parametrize("attributes", [True, False])
def test_changed_content_fails(pki: TestPki, attributes: bool) -> None:
    ee = pki.issue()
    tampered = _tamper_content(ee.signed_data(b"pay 1000 won", attributes=attributes), b"pay 9999 won")
    with pytest.raises(SignatureInvalid):
        verify_signed_data(tampered)


def test_detached_signature_uses_the_supplied_content(pki: TestPki) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs7

    ee = pki.issue()
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(b"challenge")
        .add_signer(ee.cert, ee.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )
    assert verify_signed_data(der, detached_content=b"challenge").content == b"challenge"
    with pytest.raises(SignatureInvalid):
        verify_signed_data(der, detached_content=b"other")
    with pytest.raises(MalformedSignature):
        verify_signed_data(der)


def test_signature_by_another_key_fails(pki: TestPki) -> None:
    ee, other = pki.issue(key_index=3), pki.issue(key_index=4)
    # certificate of one subscriber, signature by another: swap the certificate inside the SignedData.
    swapped = _with_certificate(ee.signed_data(b"challenge"), other.der)
    with pytest.raises((SignatureInvalid, MalformedSignature)):
        verify_signed_data(swapped)


def _with_certificate(signed_data: bytes, certificate_der: bytes) -> bytes:
    """The SignedData re-encoded with ``certificate_der`` in place of its (only) certificate."""
    from pyasn1.codec.der import decoder, encoder
    from pyasn1_modules import rfc5280, rfc5652

    info, _ = decoder.decode(signed_data, asn1Spec=rfc5652.ContentInfo())
    inner, _ = decoder.decode(info["content"], asn1Spec=rfc5652.SignedData())
    cert, _ = decoder.decode(certificate_der, asn1Spec=rfc5280.Certificate())
    inner["certificates"][0]["certificate"] = cert
    info["content"] = encoder.encode(inner)
    return bytes(encoder.encode(info))


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x01", b"not der at all", bytes(100)])
def test_garbage_is_malformed(garbage: bytes) -> None:
    with pytest.raises(MalformedSignature):
        verify_signed_data(garbage)


def test_a_certificate_is_not_signed_data(pki: TestPki) -> None:
    with pytest.raises(MalformedSignature):
        verify_signed_data(pki.root.public_bytes(serialization.Encoding.DER))


def test_signer_certificate_must_be_included(pki: TestPki) -> None:
    ee = pki.issue()
    info, _ = decoder.decode(ee.signed_data(b"x"), asn1Spec=rfc5652.ContentInfo())
    signed, _ = decoder.decode(info["content"], asn1Spec=rfc5652.SignedData())
    signed["certificates"] = signed["certificates"].clone()  # empty set: no certificates
    info["content"] = encoder.encode(signed)
    with pytest.raises(MalformedSignature):
        verify_signed_data(bytes(encoder.encode(info)))


def test_non_rsa_certificate_is_refused_as_malformed() -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(MalformedSignature):
        verify_raw_signature(cert, b"x", b"y")
