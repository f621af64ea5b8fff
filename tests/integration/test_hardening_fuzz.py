"""Hypothesis harnesses over HTTP (in-process app): OCSP requests, certificate login input and relay envelopes.
Whatever arrives, the answer is a well-formed refusal or success — never a 500 or an unparseable OCSP response.
Short runs in CI (``JOINTCERT_FUZZ_EXAMPLES``, 60 inputs); the ``long`` variants (``slow``, ``JOINTCERT_SLOW=1``) run
for ``JOINTCERT_FUZZ_SECONDS`` (600: 10 minutes) each. PKIMessage: tests/unit/cmp/test_fuzz.py; the atheris
harnesses of the same four inputs: tests/fuzz/."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from jointcert.app import Services
from jointcert.relay.model import ID_DIGITS, MIN_ITERATIONS
from tests.fuzz.budget import FUZZ_SECONDS, run_for

SHORT_EXAMPLES = int(os.environ.get("JOINTCERT_FUZZ_EXAMPLES", "60"))
SLOW = pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="long fuzz run: set JOINTCERT_SLOW=1")
pytestmark = [
    pytest.mark.parametrize("database", ["sqlite"], indirect=True),
    pytest.mark.parametrize("long", [False, pytest.param(True, marks=[SLOW, pytest.mark.slow])], ids=["ci", "long"]),
]


def _run(harness: Callable[..., None], strategy: st.SearchStrategy[Any], long: bool) -> None:
    """Run ``harness`` over ``strategy``: SHORT_EXAMPLES inputs, or rounds for JOINTCERT_FUZZ_SECONDS (slow set)."""
    if long:
        calls = run_for(FUZZ_SECONDS, strategy, harness)
    else:
        calls = run_for(0, strategy, harness, rounds_of=SHORT_EXAMPLES)
    print(f"{harness.__qualname__}: {calls} inputs, 0 uncaught exceptions")
    assert calls >= SHORT_EXAMPLES


def _ocsp_request(services: Services, nonce: bytes | None, serial: int) -> bytes:
    issuing = services.signers["class1"]
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuing.name_hashes["sha1"], issuing.key_hashes["sha1"], serial, hashes.SHA1()
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    out = bytearray(data[: max(1, len(data) - cut)])
    for index, value in edits:
        out[index % len(out)] = value
    return bytes(out)


_EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6)


def test_fuzz_ocsp(client: TestClient, services: Services, long: bool) -> None:
    valid = _ocsp_request(services, os.urandom(16), 7)
    bodies = st.one_of(
        st.binary(max_size=600),
        st.builds(_mutate, st.just(valid), _EDITS, st.integers(0, 40)),
        st.builds(
            lambda n, serial: _ocsp_request(services, n, serial),
            st.one_of(st.none(), st.binary(max_size=64)),
            st.integers(1, 2**159),
        ),
    )

    def harness(body: bytes) -> None:
        answer = client.post("/ocsp", content=body, headers={"Content-Type": "application/ocsp-request"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/ocsp-response"
        ocsp.load_der_ocsp_response(answer.content)  # always a parseable OCSP response

    _run(harness, bodies, long)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_fuzz_certificate_login(client: TestClient, services: Services, long: bool) -> None:
    site = client.get("/rp/api/sites").json()[0]["id"]
    real_cert = services.signers["class1"].certificate.public_bytes(serialization.Encoding.DER)
    text = st.text(max_size=200)
    b64_blobs = st.one_of(
        st.binary(max_size=300).map(_b64), st.builds(_mutate, st.just(real_cert), _EDITS, st.integers(0, 200)).map(_b64)
    )
    bodies = st.fixed_dictionaries(
        {"challenge": st.one_of(text, st.just("x" * 64))},
        optional={
            "certificate": st.one_of(b64_blobs, text),
            "signature": st.one_of(b64_blobs, text),
            "signed_data": st.one_of(b64_blobs, text),
            "extra": text,
        },
    )

    def harness(body: dict[str, Any]) -> None:
        answer = client.post(f"/rp/{site}/api/login", json=body)
        assert answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith(("application/json", "application/problem+json"))

    _run(harness, bodies, long)


def test_fuzz_relay_envelope(client: TestClient, long: bool) -> None:
    proof = os.urandom(32)
    created = client.post(
        "/api/v1/relay/transfers",
        json={
            "id": "7" * ID_DIGITS,
            "kdf": {"iterations": MIN_ITERATIONS, "salt": _b64(os.urandom(16))},
            "verifier": _b64(hashlib.sha256(proof).digest()),
        },
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/relay/transfers/{'7' * ID_DIGITS}/payload"
    bodies = st.fixed_dictionaries(
        {
            "proof": st.one_of(st.binary(max_size=48).map(_b64), st.text(max_size=64)),
            "envelope": st.one_of(st.binary(max_size=2048).map(_b64), st.text(max_size=200)),
        }
    )

    def harness(body: dict[str, str]) -> None:
        answer = client.put(path, json=body)
        assert answer.status_code < 500, answer.text

    _run(harness, bodies, long)
