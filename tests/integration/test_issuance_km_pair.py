"""The JSON enrollment with two public keys: the sign + km pair, one fee, confirmed and revoked as one."""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta

from cryptography import x509
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.ports import RecordStatus
from jointcert.client.issuance import enrollment_body
from jointcert.clock import FakeClock
from tests.integration.issuance_flow import Flow, b64, http, ra_services, rsa_key, sign, spki, verify_issued

__all__ = ["http", "ra_services"]

USER, METHOD = "jihopark", "security_card"


def _status(services: Services, serial: int) -> RecordStatus:
    record = services.authority.certificate(serial)
    assert record is not None
    return record.status


def _ready(http: TestClient) -> Flow:
    flow = Flow(http)
    flow.to_contact_confirmed(USER, METHOD)
    flow.ok("/certificate-type", {"cert_type": "general"})
    return flow


def test_two_keys_get_a_pair_and_one_fee(http: TestClient, ra_services: Services) -> None:
    flow, sign_key, km_key, random_num = _ready(http), rsa_key(0), rsa_key(1), os.urandom(20)
    response = flow.enroll(sign_key, random_num, km_key)
    assert response.status_code == 200, response.text
    issued = response.json()
    sign = verify_issued(ra_services, issued, demo_customer(USER).spec.rrn, random_num)
    km = x509.load_der_x509_certificate(base64.b64decode(issued["km_certificate"]))
    assert km.public_key() == km_key.public_key() and km.subject == sign.subject
    assert int(issued["km_serial"], 16) == km.serial_number
    assert km.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert issued["fee"]["amount_krw"] == 4400  # the pair is one product
    confirmed = flow.confirm(sign_key, issued["serial"])
    assert confirmed.status_code == 200 and confirmed.json()["session"]["state"] == "issued", confirmed.text
    assert _status(ra_services, km.serial_number) is RecordStatus.ISSUED

    again = _ready(http)  # 재발급: the new pair supersedes the old pair
    renewed = again.enroll(rsa_key(2), os.urandom(20), rsa_key(3)).json()
    assert again.confirm(rsa_key(2), renewed["serial"]).status_code == 200
    assert _status(ra_services, sign.serial_number) is RecordStatus.REVOKED
    assert _status(ra_services, km.serial_number) is RecordStatus.REVOKED
    assert _status(ra_services, int(renewed["km_serial"], 16)) is RecordStatus.ISSUED


def test_a_single_key_request_stays_valid(http: TestClient, ra_services: Services) -> None:
    flow = _ready(http)
    response = flow.enroll(rsa_key(0), os.urandom(20))
    assert response.status_code == 200, response.text
    assert response.json()["km_certificate"] is None and response.json()["km_serial"] is None


def test_bad_km_halves_are_refused_and_nothing_is_recorded(http: TestClient, ra_services: Services) -> None:
    flow, key = _ready(http), rsa_key(0)
    before = ra_services.authority._store.counts()  # type: ignore[attr-defined]
    challenge = flow.ok("/enrollment/challenge")["challenge"]
    body = enrollment_body(key, challenge, os.urandom(20), rsa_key(1))
    bad_signature = {**body, "km_signature": base64.b64encode(b"\x00" * 256).decode()}
    only_key = {k: v for k, v in body.items() if k != "km_signature"}
    same_key = {**body, "km_public_key": body["public_key"], "km_signature": body["signature"]}
    for wrong in (bad_signature, only_key, same_key):
        answer = flow.post("/enrollment", wrong)
        assert 400 <= answer.status_code < 500, answer.text
        problem = answer.json()
        assert problem["code"] and problem["message_ko"] and problem["message_en"], problem
        assert answer.status_code != 500
    assert ra_services.authority._store.counts() == before  # type: ignore[attr-defined]
    assert flow.post("/enrollment", body).status_code == 200  # the session is still usable


def test_the_holder_renews_and_revokes_the_pair(http: TestClient, ra_services: Services, clock: FakeClock) -> None:
    flow, random_num = _ready(http), os.urandom(20)
    issued = flow.enroll(rsa_key(0), random_num, rsa_key(1)).json()
    assert flow.confirm(rsa_key(0), issued["serial"]).status_code == 200
    clock.set(datetime.fromisoformat(issued["not_after"]) - timedelta(days=29))
    challenge = http.post("/api/v1/certificates/challenges", json={"purpose": "renew"}).json()
    text = challenge["challenge"]
    body = {
        "challenge_id": challenge["challenge_id"],
        "certificate": issued["certificate"],
        "signature": b64(sign(rsa_key(0), text)),
        "public_key": b64(spki(rsa_key(2))),
        "pop_signature": b64(sign(rsa_key(2), text)),
        "km_public_key": b64(spki(rsa_key(3))),
        "km_pop_signature": b64(sign(rsa_key(3), text)),
    }
    renewed = http.post("/api/v1/certificates/renew", json=body)
    assert renewed.status_code == 200, renewed.text
    new = renewed.json()
    km = x509.load_der_x509_certificate(base64.b64decode(new["km_certificate"]))
    assert km.public_key() == rsa_key(3).public_key()
    verify_issued(ra_services, new, demo_customer(USER).spec.rrn, random_num)  # same R, same VID
    for old in (issued["serial"], issued["km_serial"]):
        assert _status(ra_services, int(old, 16)) is RecordStatus.REVOKED
    revoke_challenge = http.post("/api/v1/certificates/challenges", json={"purpose": "revoke"}).json()
    revoked = http.post(
        "/api/v1/certificates/revoke",
        json={
            "challenge_id": revoke_challenge["challenge_id"],
            "certificate": new["certificate"],
            "signature": b64(sign(rsa_key(2), revoke_challenge["challenge"])),
            "reason": "keyCompromise",
        },
    )
    assert revoked.status_code == 200, revoked.text
    assert _status(ra_services, km.serial_number) is RecordStatus.REVOKED  # the holder's revocation takes both
