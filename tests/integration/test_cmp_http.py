"""CMP over HTTP in-process (both backends): our client enrolls, renews and revokes through ``POST /cmp`` into an
NPKI folder; the HTTP edge answers 415/413/429 problems; the well-known path works."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from jointcert.app import Services, build_services
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ports import RecordStatus
from jointcert.client.cmp import CmpClient
from jointcert.client.wallet import enroll_into_store, renew_in_store, revoke_from_store, select_certificate
from jointcert.clock import FakeClock
from jointcert.cmp.client import genm_ca_certs, request_header
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpRejected, FailInfo
from jointcert.cmp.http import CONTENT_TYPE, MAX_MESSAGE_SIZE
from jointcert.cmp.model import CrlReason, ErrorBody, GenRepBody
from jointcert.npki.keyfile import decrypt_sign_pri
from jointcert.npki.password_policy import WeakPassword
from jointcert.npki.store import NpkiStore
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.storage.db import Database
from jointcert.types import CertType
from jointcert.web.routes.cmp import RateLimiter

RRN, PASSWORD = "9001011234568", "Enroll-pass1!"


def _status(services: Services, cert: x509.Certificate) -> RecordStatus:
    record = services.authority.certificate(cert.serial_number)
    assert record is not None
    return record.status


def _vid_holds(cert: x509.Certificate, folder: Path) -> None:
    bundle = decrypt_sign_pri((folder / "signPri.key").read_bytes(), PASSWORD)
    identify = identify_data_of(cert)
    assert identify is not None and bundle.random_num is not None
    verify_vid(identify, RRN, bundle.random_num)


def test_enroll_renew_revoke_with_our_client(services: Services, client: TestClient, tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    ticket = services.registrations.register(
        real_name="홍길동", rrn=RRN, cert_type=CertType.LIMITED, requested_by="test"
    )
    cmp = CmpClient("http://testserver/cmp", http=client, clock=services.clock)
    enrolled = enroll_into_store(cmp, ticket.reference_number, ticket.authorization_code, PASSWORD, store)
    assert enrolled.folder.parent.parent.name == "jointsign" and (enrolled.folder / "signCert.der").exists()
    _vid_holds(enrolled.certificate, enrolled.folder)
    assert _status(services, enrolled.certificate) is RecordStatus.ISSUED

    entry = select_certificate(store, None)
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(enrolled.certificate.not_valid_after_utc - clock.now() - timedelta(days=29))  # the renewal window
    renewed = renew_in_store(cmp, store, entry, PASSWORD)
    assert not enrolled.folder.exists() and renewed.folder.exists()  # the old folder is replaced
    _vid_holds(renewed.certificate, renewed.folder)  # same R, copied VID
    assert _status(services, enrolled.certificate) is RecordStatus.REVOKED  # superseded at confirmation

    revoked = revoke_from_store(cmp, store, select_certificate(store, None), PASSWORD, CrlReason.KEY_COMPROMISE)
    assert revoked == renewed.certificate and not renewed.folder.exists()
    record = services.authority.certificate(revoked.serial_number)
    assert record is not None and record.revocation_reason is x509.ReasonFlags.key_compromise


def test_client_surfaces_refusals(services: Services, client: TestClient, tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    ticket = services.registrations.register(
        real_name="홍길동", rrn=RRN, cert_type=CertType.LIMITED, requested_by="test"
    )
    cmp = CmpClient("http://testserver/cmp", http=client, clock=services.clock)
    with pytest.raises(WeakPassword):
        enroll_into_store(cmp, ticket.reference_number, ticket.authorization_code, "short", store)
    with pytest.raises(CmpRejected) as refused:
        enroll_into_store(cmp, ticket.reference_number, "WRONGWRONGWRONGWRONG", PASSWORD, store)
    assert refused.value.fail_info is FailInfo.BAD_MESSAGE_CHECK
    assert store.list() == []


def test_a_certificate_that_cannot_be_stored_is_rejected_and_revoked(
    services: Services, client: TestClient, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    ticket = services.registrations.register(
        real_name="홍길동", rrn=RRN, cert_type=CertType.LIMITED, requested_by="test"
    )
    cmp = CmpClient("http://testserver/cmp", http=client, clock=services.clock)
    with pytest.raises(OSError):
        enroll_into_store(cmp, ticket.reference_number, ticket.authorization_code, PASSWORD, NpkiStore(blocker))
    serial = services.registrations.get(ticket.reference_number).serial  # type: ignore[union-attr]
    assert serial is not None and services.authority.certificate(serial).status is RecordStatus.REVOKED  # type: ignore[union-attr]


def _genm(services: Services) -> bytes:
    return encode_message(request_header(message_time=services.clock.now()), genm_ca_certs())


def test_well_known_path_and_content_type(services: Services, client: TestClient) -> None:
    for path in ("/cmp", "/.well-known/cmp"):
        response = client.post(path, content=_genm(services), headers={"Content-Type": CONTENT_TYPE})
        assert response.status_code == 200 and response.headers["content-type"] == CONTENT_TYPE
        assert isinstance(parse_message(response.content).body, GenRepBody)
    wrong = client.post("/cmp", content=_genm(services), headers={"Content-Type": "application/octet-stream"})
    assert wrong.status_code == 415 and wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["message_ko"] and wrong.json()["message_en"]
    big = client.post("/cmp", content=b"\x30" * (MAX_MESSAGE_SIZE + 1), headers={"Content-Type": CONTENT_TYPE})
    assert big.status_code == 413 and big.json()["code"] == "message_too_large"
    garbage = client.post("/cmp", content=b"\x30\x03\x02\x01", headers={"Content-Type": CONTENT_TYPE})
    assert garbage.status_code == 200 and isinstance(parse_message(garbage.content).body, ErrorBody)
    assert client.get("/cmp").status_code == 405


def test_rate_limit_per_client(services: Services, client: TestClient) -> None:
    client.app.state.cmp_rate_limiter = RateLimiter(3, services.clock)  # type: ignore[attr-defined]
    codes = [
        client.post("/cmp", content=_genm(services), headers={"Content-Type": CONTENT_TYPE}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    services.clock.advance(timedelta(seconds=20))  # one token back per 20 s
    assert client.post("/cmp", content=_genm(services), headers={"Content-Type": CONTENT_TYPE}).status_code == 200


def test_rate_limiter_unit() -> None:
    limiter = RateLimiter(0, FakeClock())
    assert all(limiter.allow("a") for _ in range(1000))  # 0 = unlimited


def test_unconfirmed_certificate_is_revoked_by_a_restarted_instance(
    services: Services, client: TestClient, shared_linter: PkixLinter
) -> None:
    ticket = services.registrations.register(
        real_name="홍길동", rrn=RRN, cert_type=CertType.LIMITED, requested_by="test"
    )
    cmp = CmpClient("http://testserver/cmp", http=client, clock=services.clock)
    pending = cmp.enroll(ticket.reference_number, ticket.authorization_code)  # and the client never confirms
    services.close()  # the process stops
    services.clock.advance(timedelta(seconds=services.settings.cmp.confirm_wait_seconds + 1))  # type: ignore[attr-defined]
    restarted = build_services(
        services.settings, services.clock, database=Database(services.database.url), linter=shared_linter
    )
    try:
        assert restarted.cmp.sweep().revoked_serials == [pending.certificate.serial_number]
        assert _status(restarted, pending.certificate) is RecordStatus.REVOKED
    finally:
        restarted.close()
