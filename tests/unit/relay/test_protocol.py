"""The copy code, its keys and the envelope; the payload and its inner PBES2 layer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.npki.keyfile import KeyFileUnreadable, NotAKeyFile, decrypt_sign_pri, describe_sign_pri, generate_bundle
from jointcert.relay import protocol
from jointcert.relay.errors import InvalidCode, InvalidRelayRequest, PayloadTampered
from jointcert.relay.payload import CopyPayload, decode_payload, encode_payload, unwrap_key, wrap_key
from tests.unit.npki import factories

SALT = bytes(range(16))
ITERATIONS = 600_000


def _hkdf(master: bytes, info: bytes) -> bytes:
    """RFC 5869 with an empty salt and one block, written out independently of ``cryptography``."""
    prk = hmac.new(bytes(32), master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_keys_match_an_independent_derivation() -> None:
    code = "482159307716"
    keys = protocol.derive_keys(code, SALT, ITERATIONS)
    master = hashlib.pbkdf2_hmac("sha256", code.encode(), SALT, ITERATIONS, 32)
    assert keys.payload_key == _hkdf(master, b"jointcert-relay/v1 payload key")
    assert keys.proof == _hkdf(master, b"jointcert-relay/v1 upload proof")
    assert keys.verifier == hashlib.sha256(keys.proof).digest()
    assert protocol.derive_keys(code[:-1] + "7", SALT, ITERATIONS).proof != keys.proof


@pytest.mark.parametrize(("salt", "iterations"), [(SALT, 599_999), (SALT, 10_000_001), (SALT[:15], ITERATIONS)])
def test_a_relay_cannot_weaken_the_kdf(salt: bytes, iterations: int) -> None:
    with pytest.raises(InvalidRelayRequest):
        protocol.derive_keys("482159307716", salt, iterations)


def test_codes_are_digits_grouped_by_four() -> None:
    codes = [protocol.new_code(12) for _ in range(300)]
    assert all(len(c) == 12 and c.isdigit() for c in codes)
    counts = Counter("".join(codes))
    assert set(counts) == set("0123456789") and min(counts.values()) > 250  # 3600 digits, ~360 each
    assert protocol.format_code("482159307716") == "4821-5930-7716"
    assert protocol.format_code("4821593077161234") == "4821-5930-7716-1234"
    assert protocol.parse_code(" 4821-5930 7716 ") == "482159307716"
    assert protocol.transfer_id_of("482159307716") == "4821"
    with pytest.raises(InvalidCode):
        protocol.new_code(11)
    for text in ("4821-5930-771", "4821-5930-77a6", "٤٨٢١٥٩٣٠٧٧١٦", ""):
        with pytest.raises(InvalidCode):
            protocol.parse_code(text)
    with pytest.raises(InvalidCode):
        protocol.parse_code("4821593077161", digits=12)


def test_envelope_is_bound_to_its_transfer() -> None:
    keys = protocol.derive_keys("482159307716", SALT, ITERATIONS)
    envelope = protocol.seal_envelope(keys, "4821", SALT, b"payload")
    assert protocol.open_envelope(keys, "4821", SALT, envelope) == b"payload"
    assert protocol.seal_envelope(keys, "4821", SALT, b"payload") != envelope  # fresh IV
    flipped = envelope[:-1] + bytes([envelope[-1] ^ 1])
    other = protocol.derive_keys("482159307717", SALT, ITERATIONS)
    for attempt in (
        lambda: protocol.open_envelope(keys, "4821", SALT, flipped),
        lambda: protocol.open_envelope(keys, "4822", SALT, envelope),
        lambda: protocol.open_envelope(keys, "4821", bytes(16), envelope),
        lambda: protocol.open_envelope(other, "4821", SALT, envelope),
        lambda: protocol.open_envelope(keys, "4821", SALT, envelope[:20]),
    ):
        with pytest.raises(PayloadTampered):
            attempt()


def test_inner_layer_is_pbes2_aes256_under_the_password() -> None:
    bundle = generate_bundle()
    wrapped = wrap_key(bundle, "Inner#pass2026")
    info = describe_sign_pri(wrapped)
    assert (info.name, info.kdf, info.cipher, info.iterations) == (
        "PBES2",
        "PBKDF2-HMAC-SHA256",
        "AES-256-CBC",
        600_000,
    )
    assert len(info.salt) == 16
    opened = unwrap_key(wrapped, "Inner#pass2026")
    assert opened.random_num == bundle.random_num
    assert opened.key.private_numbers() == bundle.key.private_numbers()
    assert decrypt_sign_pri(wrapped, "Inner#pass2026").random_num == bundle.random_num
    with pytest.raises(KeyFileUnreadable):
        unwrap_key(wrapped, "Inner#pass2027")
    with pytest.raises(InvalidRelayRequest):
        wrap_key(bundle, "")


def test_payload_round_trip_and_refusals() -> None:
    cert = factories.certificate().public_bytes(Encoding.DER)
    wrapped = wrap_key(generate_bundle(), "Inner#pass2026", iterations=1000)
    payload = CopyPayload(cert, wrapped)
    assert decode_payload(encode_payload(payload)) == payload
    document = json.loads(encode_payload(payload))
    bad = [
        b"not json",
        b"[]",
        json.dumps({**document, "format": "jointcert-relay-payload/v0"}).encode(),
        json.dumps({**document, "certificate": "!!"}).encode(),
        json.dumps({**document, "certificate": base64.b64encode(b"not a certificate").decode()}).encode(),
        json.dumps({k: v for k, v in document.items() if k != "private_key"}).encode(),
    ]
    for plaintext in bad:
        with pytest.raises(InvalidRelayRequest):
            decode_payload(plaintext)
    with pytest.raises(NotAKeyFile):
        decode_payload(json.dumps({**document, "private_key": base64.b64encode(cert).decode()}).encode())


def test_a_certificate_with_an_unknown_key_type_is_refused_when_decoded() -> None:
    """Found by atheris (relay_envelope): a certificate whose SubjectPublicKeyInfo names an unknown algorithm parses,
    but its key raised cryptography's UnsupportedAlgorithm out of ``open_copied_key``."""
    cert = factories.certificate().public_bytes(Encoding.DER)
    rsa_encryption = bytes.fromhex("06092a864886f70d0101010500")  # rsaEncryption, NULL parameters
    assert cert.count(rsa_encryption) == 1
    unknown = cert.replace(rsa_encryption, bytes.fromhex("06092a864886f70d0101630500"))  # 1.2.840.113549.1.1.99
    wrapped = wrap_key(generate_bundle(), "Inner#pass2026", iterations=1000)
    for payload in (CopyPayload(unknown, wrapped), CopyPayload(cert, wrapped, unknown, wrapped)):
        with pytest.raises(InvalidRelayRequest) as refused:
            decode_payload(encode_payload(payload))
        assert refused.value.text_ko == "복사된 인증서의 공개키를 읽을 수 없습니다."
