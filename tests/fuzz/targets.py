"""The atheris targets: PKIMessage, OCSP request, certificate login input and relay envelope.

Each target is a context manager giving ``(one_input, seeds)``: ``one_input(data)`` feeds one input to the code
under test and lets only the project's own refusals (``JointcertError``) pass; anything else that comes out —
or a 5xx, or an OCSP answer that does not parse — is an uncaught exception, which atheris reports as a crash
(with the input saved). ``seeds`` start the corpus from valid inputs. The HTTP targets run the real ASGI app
in-process on a fresh SQLite instance in ``workdir``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient

from jointcert.app import Services, build_services, init_instance
from jointcert.client.copy import open_copied_key
from jointcert.clock import SystemClock
from jointcert.config import load_settings
from jointcert.errors import JointcertError
from jointcert.npki.keyfile import PrivateKeyBundle
from jointcert.relay import protocol
from jointcert.relay.model import ID_DIGITS, MIN_ITERATIONS, SALT_BYTES
from jointcert.relay.payload import CopyPayload, decode_payload, encode_payload, wrap_key
from jointcert.web.app import create_app

OneInput = Callable[[bytes], None]
Target = Callable[[Path], contextlib.AbstractContextManager[tuple[OneInput, list[bytes]]]]
_ENV = ("JOINTCERT_DATABASE_URL", "JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR")


@contextlib.contextmanager
def _instance(workdir: Path) -> Iterator[tuple[Services, TestClient]]:
    """``jointcert init`` in ``workdir`` (SQLite) and the app; an unhandled exception reaches the harness."""
    for name in _ENV:
        os.environ.pop(name, None)
    data_dir = workdir / "data"
    init_instance(data_dir, SystemClock())
    services = build_services(load_settings(data_dir), SystemClock(), actor="fuzz")
    try:
        yield services, TestClient(create_app(services), raise_server_exceptions=True)
    finally:
        services.close()


@contextlib.contextmanager
def pkimessage(workdir: Path) -> Iterator[tuple[OneInput, list[bytes]]]:
    """DER PKIMessages: decode, then what a CMP server runs next (protection, POP, randomNum)."""
    from tests.unit.cmp.test_fuzz import SEEDS, _exercise

    def one_input(data: bytes) -> None:
        with contextlib.suppress(JointcertError):
            _exercise(data)

    yield one_input, list(SEEDS)


def _ocsp_request(services: Services, nonce: bytes, serial: int) -> bytes:
    issuing = services.signers["class1"]
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuing.name_hashes["sha1"], issuing.key_hashes["sha1"], serial, hashes.SHA1()
    )
    builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


@contextlib.contextmanager
def ocsp_request(workdir: Path) -> Iterator[tuple[OneInput, list[bytes]]]:
    """``POST /ocsp`` bodies: always 200 with a parseable OCSP response (a refusal is an OCSP error status)."""
    with _instance(workdir) as (services, client):

        def one_input(data: bytes) -> None:
            answer = client.post("/ocsp", content=data, headers={"Content-Type": "application/ocsp-request"})
            if answer.status_code != 200 and not (answer.status_code == 413 and len(data) > 8 * 1024):
                raise AssertionError(f"OCSP answered {answer.status_code}")
            if answer.status_code == 200:
                ocsp.load_der_ocsp_response(answer.content)

        yield one_input, [_ocsp_request(services, os.urandom(n), 7) for n in (1, 16, 32)]


def _json_or_raw(data: bytes) -> dict[str, Any]:
    """The input as a JSON body when it is one (mutations of the seeds), else as raw content."""
    try:
        return {"json": json.loads(data)}
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"content": data, "headers": {"Content-Type": "application/json"}}


def _no_server_error(answer: Any) -> None:
    if answer.status_code >= 500:
        raise AssertionError(f"{answer.status_code}: {answer.text[:300]}")


@contextlib.contextmanager
def certificate_login(workdir: Path) -> Iterator[tuple[OneInput, list[bytes]]]:
    """``POST /rp/{site}/api/login`` bodies (challenge, certificate, signature, signed data)."""
    with _instance(workdir) as (services, client):
        site = client.get("/rp/api/sites").json()[0]["id"]
        cert = services.signers["class1"].certificate.public_bytes(serialization.Encoding.DER)

        def one_input(data: bytes) -> None:
            _no_server_error(client.post(f"/rp/{site}/api/login", **_json_or_raw(data)))

        shapes = [
            {"challenge": "x" * 64, "certificate": _b64(cert), "signature": _b64(os.urandom(256))},
            {"challenge": "x" * 64, "signed_data": _b64(cert)},
        ]
        yield one_input, [json.dumps(shape).encode() for shape in shapes]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _copy_payload(services: Services) -> bytes:
    key = rsa.generate_private_key(65537, 2048)
    cert = services.signers["class1"].certificate.public_bytes(serialization.Encoding.DER)
    return encode_payload(CopyPayload(cert, wrap_key(PrivateKeyBundle(key, os.urandom(20)), "fuzz-password")))


@contextlib.contextmanager
def relay_envelope(workdir: Path) -> Iterator[tuple[OneInput, list[bytes]]]:
    """The first byte picks the side. Even: the sender's ``PUT …/payload`` (proof, envelope) to a live transfer.
    Odd: the receiver's side — the rest, sealed under the code's keys as a sender who knows the code would, is
    opened, decoded as the copy payload and its key file unwrapped (``client/copy.py``'s steps)."""
    with _instance(workdir) as (services, client):
        transfer_id, salt = "7" * ID_DIGITS, os.urandom(SALT_BYTES)
        keys = protocol.derive_keys("7" * ID_DIGITS + "12345678", salt, MIN_ITERATIONS)
        created = client.post(
            "/api/v1/relay/transfers",
            json={
                "id": transfer_id,
                "kdf": {"iterations": MIN_ITERATIONS, "salt": _b64(salt)},
                "verifier": _b64(hashlib.sha256(keys.proof).digest()),
            },
        )
        assert created.status_code == 201, created.text

        def one_input(data: bytes) -> None:
            if not data[:1] or data[0] % 2 == 0:
                path = f"/api/v1/relay/transfers/{transfer_id}/payload"
                _no_server_error(client.put(path, **_json_or_raw(data[1:])))
                return
            envelope = protocol.seal_envelope(keys, transfer_id, salt, data[1:])
            with contextlib.suppress(JointcertError):
                payload = decode_payload(protocol.open_envelope(keys, transfer_id, salt, envelope))
                open_copied_key(payload, "fuzz-password")

        upload = {"proof": _b64(os.urandom(32)), "envelope": _b64(os.urandom(200))}
        yield one_input, [b"\x00" + json.dumps(upload).encode(), b"\x01" + _copy_payload(services)]


@contextlib.contextmanager
def canary(workdir: Path) -> Iterator[tuple[OneInput, list[bytes]]]:
    """The harness's self-check: an input starting with ``boom`` raises, which must end the run as a crash."""

    def one_input(data: bytes) -> None:
        if data.startswith(b"boom"):
            raise ValueError("the canary input")

    yield one_input, [b"boom"]


TARGETS: dict[str, Target] = {
    "canary": canary,
    "pkimessage": pkimessage,
    "ocsp_request": ocsp_request,
    "certificate_login": certificate_login,
    "relay_envelope": relay_envelope,
}
