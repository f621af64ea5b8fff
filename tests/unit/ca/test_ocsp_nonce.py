"""OCSP nonces must be 1–32 bytes (RFC 8954 §2.1): others get malformedRequest and a typed error internally."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from jointcert.ca.errors import OcspNonceInvalid
from jointcert.ca.ocsp import MAX_NONCE, OcspResponder
from tests.unit.ca.conftest import CaEnv


def _request(env: CaEnv, nonce: bytes) -> bytes:
    issuing = env.hierarchy.issuing
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuing.name_hashes["sha1"], issuing.key_hashes["sha1"], 4242, hashes.SHA1()
    )
    return builder.add_extension(x509.OCSPNonce(nonce), critical=False).build().public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("length", [0, MAX_NONCE + 1, 128])
def test_nonce_outside_one_to_32_bytes_is_malformed(env: CaEnv, length: int) -> None:
    der = _request(env, b"\x01" * length)
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(der))
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    with pytest.raises(OcspNonceInvalid) as raised:
        OcspResponder._nonce(ocsp.load_der_ocsp_request(der))
    assert raised.value.details == {"nonce_length": length}


@pytest.mark.parametrize("length", [1, 16, MAX_NONCE])
def test_nonce_of_one_to_32_bytes_is_echoed(env: CaEnv, length: int) -> None:
    nonce = bytes(range(1, length + 1))
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(_request(env, nonce)))
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce


# found by tests/integration/test_hardening_fuzz.py: a CertID whose hash algorithm OID is unknown (was a 500)
UNKNOWN_HASH_REQUEST = bytes.fromhex(
    "30673065303e303c303a30090605000000000000000414000000000000000000000000000000000000000004140000000000"
    "000000000000000000000000000000020100a2233021301f0609000000000000000000041200000000000000000000000000"
    "0000000000"
)


def test_unknown_certid_hash_algorithm_is_malformed(env: CaEnv) -> None:
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(UNKNOWN_HASH_REQUEST))
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


# found by atheris (tests/fuzz, ``ocsp_request``): a CertID of our issuer with a negative serial number (was a 500:
# cryptography cannot encode it in the response)
@pytest.mark.parametrize("nonce", [None, b"\x07" * 16])
def test_negative_serial_is_malformed(env: CaEnv, nonce: bytes | None) -> None:
    issuing = env.hierarchy.issuing
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuing.name_hashes["sha1"], issuing.key_hashes["sha1"], 0x1092, hashes.SHA1()
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    der = builder.build().public_bytes(serialization.Encoding.DER)
    negative = der.replace(b"\x02\x02\x10\x92", b"\x02\x02\x90\x92")  # INTEGER 0x1092 → -0x6f6e
    assert ocsp.load_der_ocsp_request(negative).serial_number < 0
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(negative))
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
