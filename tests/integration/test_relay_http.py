"""The relay over HTTP (in-process) with the PC client on both ends: a real CA certificate copied, problems
for every refusal, tampering detected by the receiver, and nothing secret or spent left in the database."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from pypinksign import PinkSign
from sqlalchemy import select, update

from jointcert.app import Services
from jointcert.client.copy import (
    Receiving,
    RelayClient,
    finish_receive,
    open_copied_key,
    save_to_npki,
    send_certificate,
    start_receive,
    wait_for_upload,
)
from jointcert.clock import FakeClock
from jointcert.npki.keyfile import KeyFileUnreadable, encode_pkcs8
from jointcert.npki.store import NpkiStore
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.relay.errors import (
    AlreadyDownloaded,
    PayloadTampered,
    TransferBurned,
    TransferExpired,
    WrongCode,
)
from jointcert.relay.model import MIN_ITERATIONS
from jointcert.relay.protocol import format_code
from jointcert.storage.tables.relay import RelayTransfer
from tests.unit.relay.factories import RRN, issue_npki_folder

PASSWORD = "Copy#2026pass"


class Recording(httpx.BaseTransport):
    """Forwards to the app and keeps every request body the PC client sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read() + request.url.raw_path + str(request.headers).encode())
        return self.inner.handle_request(request)


@pytest.fixture
def transport(client: TestClient) -> Recording:
    return Recording(client._transport)


@pytest.fixture
def relay(transport: Recording) -> Iterator[RelayClient]:
    relay = RelayClient("http://testserver", transport=transport)
    yield relay
    relay.close()


@pytest.fixture
def source(services: Services, tmp_path: Path) -> tuple[bytes, bytes, bytes]:
    """A CA-issued certificate in an NPKI folder: (certificate DER, signPri.key, PKCS#8 with R)."""
    cert, bundle = issue_npki_folder(services.authority, tmp_path / "pc-a", PASSWORD)
    [stored] = NpkiStore(tmp_path / "pc-a").list()
    _, sign_pri = NpkiStore(tmp_path / "pc-a").load(stored.path)
    return cert, sign_pri, encode_pkcs8(bundle)


def _receive(relay: RelayClient) -> Receiving:
    return start_receive(relay, iterations=MIN_ITERATIONS)


def test_pc_to_pc_copy_through_the_relay(
    relay: RelayClient, source: tuple[bytes, bytes, bytes], tmp_path: Path, transport: Recording
) -> None:
    cert, sign_pri, pkcs8 = source
    receiving = _receive(relay)
    assert len(receiving.code) == 12 and format_code(receiving.code).count("-") == 2
    send_certificate(relay, receiving.display_code, cert, sign_pri, PASSWORD)
    wait_for_upload(relay, receiving, sleep=lambda _: None)
    payload = finish_receive(relay, receiving)
    with pytest.raises(KeyFileUnreadable):
        open_copied_key(payload, PASSWORD + "x")
    bundle = open_copied_key(payload, PASSWORD)
    folder = save_to_npki(payload, bundle, PASSWORD, tmp_path / "pc-b")

    signer = PinkSign(
        pubkey_data=(folder / "signCert.der").read_bytes(),
        prikey_data=(folder / "signPri.key").read_bytes(),
        prikey_password=PASSWORD.encode(),
    )
    signer.load_prikey()
    assert signer.verify(signer.sign(b"login"), b"login")
    r = signer._rand_num.asOctets()
    identify = identify_data_of(signer.pub_cert)
    assert identify is not None
    verify_vid(identify, RRN, r)

    secret_digits = receiving.code[4:].encode()
    for body in transport.bodies:  # what the PC client sent over HTTP
        for secret in (PASSWORD.encode(), pkcs8, r, secret_digits, base64.b64encode(r)[:24]):
            assert secret not in body


def test_problems_for_second_download_and_unknown_transfer(
    relay: RelayClient, client: TestClient, source: tuple[bytes, bytes, bytes]
) -> None:
    cert, sign_pri, _ = source
    receiving = _receive(relay)
    send_certificate(relay, receiving.code, cert, sign_pri, PASSWORD)
    finish_receive(relay, receiving)
    response = client.get(
        f"/api/v1/relay/transfers/{receiving.transfer_id}/payload",
        headers={"Authorization": f"Bearer {receiving.token}"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "relay_already_downloaded"
    assert "한 번만" in body["message_ko"] and body["message_en"].startswith("This certificate was already received")
    with pytest.raises(AlreadyDownloaded):
        finish_receive(relay, receiving)

    unknown = "0000" if receiving.transfer_id != "0000" else "0001"
    response = client.get(f"/api/v1/relay/transfers/{unknown}")
    assert response.status_code == 404 and response.json()["code"] == "relay_transfer_not_found"
    assert response.json()["message_ko"] and response.json()["message_en"]


def test_expired_transfer(relay: RelayClient, client: TestClient, clock: FakeClock) -> None:
    receiving = _receive(relay)
    clock.advance(timedelta(seconds=181))
    response = client.get(f"/api/v1/relay/transfers/{receiving.transfer_id}")
    assert response.json()["status"] == "expired" and response.json()["seconds_left"] == 0
    body = {"proof": base64.b64encode(receiving.keys.proof).decode(), "envelope": base64.b64encode(bytes(64)).decode()}
    response = client.put(f"/api/v1/relay/transfers/{receiving.transfer_id}/payload", json=body)
    assert response.status_code == 410 and response.json()["code"] == "relay_transfer_expired"
    assert "유효 시간" in response.json()["message_ko"]
    with pytest.raises(TransferExpired):
        wait_for_upload(relay, receiving, sleep=lambda _: None)


def test_wrong_code_then_burned(relay: RelayClient, client: TestClient, source: tuple[bytes, bytes, bytes]) -> None:
    cert, sign_pri, _ = source
    receiving = _receive(relay)
    wrong = receiving.code[:4] + ("0" if receiving.code[4] != "0" else "1") + receiving.code[5:]
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as error:
            send_certificate(relay, wrong, cert, sign_pri, PASSWORD)
        assert error.value.details["attempts_left"] == left
    body = {"proof": base64.b64encode(bytes(32)).decode(), "envelope": base64.b64encode(bytes(64)).decode()}
    response = client.put(f"/api/v1/relay/transfers/{receiving.transfer_id}/payload", json=body)
    assert response.status_code == 423 and response.json()["code"] == "relay_transfer_burned"
    assert "여러 번" in response.json()["message_ko"]
    with pytest.raises(TransferBurned):  # the right code is useless now
        send_certificate(relay, receiving.code, cert, sign_pri, PASSWORD)
    with pytest.raises(TransferBurned):
        wait_for_upload(relay, receiving, sleep=lambda _: None)


def test_tampered_ciphertext_is_refused_by_the_receiver(
    relay: RelayClient, services: Services, source: tuple[bytes, bytes, bytes], tmp_path: Path
) -> None:
    cert, sign_pri, _ = source
    receiving = _receive(relay)
    send_certificate(relay, receiving.code, cert, sign_pri, PASSWORD)
    with services.database.session() as session:  # a malicious relay flips one bit of the ciphertext
        row = session.get(RelayTransfer, receiving.transfer_id)
        assert row is not None and row.envelope is not None
        tampered = bytearray(row.envelope)
        tampered[40] ^= 0x01
        session.execute(
            update(RelayTransfer).where(RelayTransfer.id == receiving.transfer_id).values(envelope=bytes(tampered))
        )
    with pytest.raises(PayloadTampered) as error:
        finish_receive(relay, receiving)
    assert error.value.code == "relay_payload_tampered" and "변조" in error.value.text_ko
    assert not (tmp_path / "pc-b").exists()


def test_rate_limited_with_retry_after(relay: RelayClient, client: TestClient) -> None:
    receiving = _receive(relay)
    statuses = [client.get(f"/api/v1/relay/transfers/{receiving.transfer_id}").status_code for _ in range(70)]
    assert statuses[:60] == [200] * 60 and statuses[-1] == 429
    response = client.get(f"/api/v1/relay/transfers/{receiving.transfer_id}")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert body["code"] == "relay_rate_limited" and body["message_ko"] and body["message_en"]


def test_config_and_openapi(client: TestClient) -> None:
    config = client.get("/api/v1/relay/config").json()
    assert config == {
        "code_digits": 12,
        "id_digits": 4,
        "ttl_seconds": 180,
        "max_wrong_codes": 5,
        "min_iterations": 600_000,
        "default_iterations": 1_000_000,
    }
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/relay/transfers", "/api/v1/relay/transfers/{transfer_id}/payload"} <= set(paths)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # the scan reads SQLite's database and WAL files
def test_storage_after_a_transfer_holds_nothing_secret_or_spent(
    relay: RelayClient, services: Services, source: tuple[bytes, bytes, bytes], transport: Recording
) -> None:
    cert, sign_pri, pkcs8 = source
    receiving = _receive(relay)
    send_certificate(relay, receiving.code, cert, sign_pri, PASSWORD)
    upload_body = next(b for b in transport.bodies if b'"envelope"' in b)
    envelope = base64.b64decode(upload_body.split(b'"envelope":"')[1].split(b'"')[0])
    path = Path(services.database.url.removeprefix("sqlite:///"))
    files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    assert envelope in b"".join(p.read_bytes() for p in files)  # positive control: the scan finds it while held
    payload = finish_receive(relay, receiving)
    bundle = open_copied_key(payload, PASSWORD)
    r = bundle.random_num or b""
    private_der = bundle.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    assert files and files[0] == path
    blob = b"".join(p.read_bytes() for p in files)
    needles = {
        "envelope": envelope,
        "envelope tail": envelope[-48:],
        "inner key": payload.encrypted_key[-64:],
        "pkcs8": pkcs8,
        "private key": private_der[-64:],
        "password": PASSWORD.encode(),
        "R": r,
        "code digits": receiving.code.encode(),
        "proof": receiving.keys.proof,
    }  # (the certificate itself is in the CA's table: it issued it)
    found = [name for name, needle in needles.items() if needle in blob]
    assert found == []
    with services.database.session() as session:
        rows = session.scalars(select(RelayTransfer)).all()
        assert [(r.status, r.envelope, r.verifier) for r in rows] == [("downloaded", None, None)]
