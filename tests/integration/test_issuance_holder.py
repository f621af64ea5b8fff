"""Reissue, renewal (inside/outside the window, VID kept) and revocation by the holder, over HTTP."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.model import NotificationChannel, NotificationEvent
from jointcert.bank.seed import demo_customer
from jointcert.ca.ports import RecordStatus
from jointcert.clock import FakeClock
from tests.integration.issuance_flow import Flow, b64, http, ra_services, rsa_key, sign, spki, verify_issued

__all__ = ["http", "ra_services"]
USER = "doyun90"


def _sms(services: Services, event: NotificationEvent) -> list[str]:
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    messages = services.bank.outbox.messages(customer.id, channel=NotificationChannel.SMS)
    return [m.body for m in messages if m.event is event]


def _challenge(http: TestClient, purpose: str) -> dict[str, Any]:
    response = http.post("/api/v1/certificates/challenges", json={"purpose": purpose})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _renew(
    http: TestClient, issued: dict[str, Any], old: int, new: int, challenge: dict[str, Any] | None = None
) -> Any:
    challenge = challenge or _challenge(http, "renew")
    body = {
        "challenge_id": challenge["challenge_id"],
        "certificate": issued["certificate"],
        "signature": b64(sign(rsa_key(old), challenge["challenge"])),
        "public_key": b64(spki(rsa_key(new))),
        "pop_signature": b64(sign(rsa_key(new), challenge["challenge"])),
    }
    return http.post("/api/v1/certificates/renew", json=body)


def _revoke(http: TestClient, certificate_b64: str, key: int, reason: str = "keyCompromise") -> Any:
    challenge = _challenge(http, "revoke")
    body = {
        "challenge_id": challenge["challenge_id"],
        "certificate": certificate_b64,
        "signature": b64(sign(rsa_key(key), challenge["challenge"])),
        "reason": reason,
    }
    return http.post("/api/v1/certificates/revoke", json=body)


def _serial(issued: dict[str, Any]) -> int:
    return int(issued["serial"], 16)


def test_reissue_supersedes_the_current_certificate(http: TestClient, ra_services: Services) -> None:
    first, _ = Flow(http).issue(USER, "app_cert", "limited", rsa_key(0))
    flow = Flow(http)
    flow.to_contact_confirmed(USER, "app_cert")
    chosen = flow.ok("/certificate-type", {"cert_type": "limited"})
    assert chosen["reissue"] is True and chosen["current_valid_until"] == first["not_after"]
    second = flow.enroll(rsa_key(1), os.urandom(20)).json()
    assert second["reissue"] is True and second["superseded_serial"] == first["serial"]
    kept = ra_services.authority.certificate(_serial(first))
    assert kept is not None and kept.status is RecordStatus.ISSUED  # only the confirmation supersedes it
    assert flow.confirm(rsa_key(1), second["serial"]).json()["superseded"] == [first["serial"]]
    old = ra_services.authority.certificate(_serial(first))
    assert old is not None and old.status is RecordStatus.REVOKED
    assert old.revocation_reason is x509.ReasonFlags.superseded
    assert any("재발급" in body for body in _sms(ra_services, NotificationEvent.REISSUED))


def test_renewal_only_inside_the_window_and_keeps_the_vid(
    http: TestClient, ra_services: Services, clock: FakeClock
) -> None:
    issued, random_num = Flow(http).issue(USER, "app_cert", "limited", rsa_key(0))
    early = _renew(http, issued, 0, 1)
    assert early.status_code == 409 and early.json()["code"] == "ra_renewal_not_due"
    not_after = datetime.fromisoformat(issued["not_after"])
    clock.set(not_after - timedelta(days=29))
    same_key = _renew(http, issued, 0, 0)
    assert same_key.status_code == 400 and same_key.json()["code"] == "ra_same_key"
    challenge = _challenge(http, "renew")
    renewed = _renew(http, issued, 0, 1, challenge)
    assert renewed.status_code == 200, renewed.text
    new = renewed.json()
    assert new["superseded_serial"] == issued["serial"] and new["cert_type"] == "limited"
    assert datetime.fromisoformat(new["not_after"]) > not_after
    verify_issued(ra_services, new, demo_customer(USER).spec.rrn, random_num)  # same RRN, same R
    old = ra_services.authority.certificate(_serial(issued))
    assert old is not None and old.status is RecordStatus.REVOKED
    assert _sms(ra_services, NotificationEvent.RENEWED)
    replay = _renew(http, new, 1, 2, challenge)
    assert replay.status_code == 403 and replay.json()["code"] == "ra_challenge_invalid"
    stale = _renew(http, issued, 0, 2)
    assert stale.status_code == 409 and stale.json()["code"] == "ra_certificate_not_active"
    clock.set(datetime.fromisoformat(new["not_after"]) + timedelta(seconds=1))
    expired = _renew(http, new, 1, 2)
    assert expired.status_code == 410 and expired.json()["code"] == "ra_certificate_expired"


def test_revocation_by_the_holder(http: TestClient, ra_services: Services) -> None:
    issued, _ = Flow(http).issue(USER, "app_cert", "general", rsa_key(0))
    wrong_key = _revoke(http, issued["certificate"], 1)
    assert wrong_key.status_code == 401 and wrong_key.json()["code"] == "ra_holder_signature_invalid"
    bad_reason = _revoke(http, issued["certificate"], 0, reason="certificateHold")
    assert bad_reason.status_code == 400
    revoked = _revoke(http, issued["certificate"], 0)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["reason"] == "keyCompromise" and revoked.json()["serial"] == issued["serial"]
    record = ra_services.authority.certificate(_serial(issued))
    assert record is not None and record.status is RecordStatus.REVOKED
    assert record.revocation_reason is x509.ReasonFlags.key_compromise
    assert any("폐지" in body for body in _sms(ra_services, NotificationEvent.REVOKED))
    again = _revoke(http, issued["certificate"], 0)
    assert again.status_code == 409 and again.json()["code"] == "ra_certificate_not_active"


def test_certificates_of_other_issuers_are_refused(http: TestClient) -> None:
    key = rsa_key(0)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=10))
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
    response = _revoke(http, der, 0)
    assert response.status_code == 403 and response.json()["code"] == "ra_certificate_not_ours"
    garbage = _revoke(http, b64(b"not a certificate"), 0)
    assert garbage.status_code == 400 and garbage.json()["code"] == "ra_malformed_input"
    unknown = http.post("/api/v1/certificates/challenges", json={"purpose": "steal"})
    assert unknown.status_code == 400
