"""``jointcert demo`` (idempotent, prints the customers, gives doyun90 a certificate and an NPKI folder),
``jointcert sandbox otp``, the virtual-phone page, and the OpenAPI document of the issuance API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.npki.store import NpkiStore
from tests.integration.issuance_flow import REQUIRED_TERMS, Flow, http, ra_services

__all__ = ["http", "ra_services"]


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")} | {"COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "jointcert", "--data-dir", str(data_dir), *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_demo_prepares_once_and_prints_the_customers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _run(data_dir, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "8 created" in first.stdout and "인증서 발급" in first.stdout
    for user_id in ("minjun88", "seoyeon91", "jihopark", "yujin93", "haneul84", "doyun90", "seoa99", "lannguyen"):
        assert user_id in first.stdout
    assert "/sandbox/otp/" in first.stdout and "/sandbox/phone/" in first.stdout
    folders = NpkiStore(data_dir / "demo-npki").list()
    assert len(folders) == 1
    second = _run(data_dir, "demo", "--no-serve")
    assert second.returncode == 0, second.stderr
    assert "0 created, 8 existing" in second.stdout and "인증서 보유" in second.stdout
    otp = _run(data_dir, "sandbox", "otp", "seoyeon91")
    assert otp.returncode == 0 and re.match(r"\d{6}  TOTP", otp.stdout), otp.stdout
    none = _run(data_dir, "sandbox", "otp", "minjun88")
    assert none.returncode == 4 and "sandbox_no_otp_device" in none.stderr


def test_virtual_phone_page_answers_a_call(http: TestClient) -> None:
    flow = Flow(http)
    flow.to_identified("jihopark")
    code = flow.ok("/ars/call", {"phone_id": "P3001"})["code"]
    page = http.get("/sandbox/phone/010-4862-1937")
    assert page.status_code == 200 and "한빛은행" in page.text and 'name="call_id"' in page.text
    call_id = re.search(r'name="call_id" value="([0-9a-f]+)"', page.text)
    assert call_id is not None
    answered = http.post(
        "/sandbox/phone/010-4862-1937", data={"call_id": call_id.group(1), "digits": code}, follow_redirects=False
    )
    assert answered.status_code == 303 and "result=confirmed" in answered.headers["location"]
    assert flow.ok("/ars/confirm")["status"] == "confirmed"
    assert "수신 중인 전화가 없습니다" in http.get("/sandbox/phone/01048621937").text
    otp_page = http.get("/sandbox/otp/seoyeon91")
    assert otp_page.status_code == 200 and re.search(r">\d{6}<", otp_page.text)
    assert http.get("/api/v1/sandbox/otp/jihopark").json()["code"] == "sandbox_no_otp_device"


def test_openapi_lists_every_endpoint_with_its_problems(http: TestClient, ra_services: Services) -> None:
    spec = http.get("/openapi.json").json()
    paths = spec["paths"]
    base = "/api/v1/issuance/sessions/{session_id}"
    expected = [
        "/api/v1/issuance/terms",
        "/api/v1/issuance/certificate-types",
        "/api/v1/issuance/password-policy",
        "/api/v1/issuance/sessions",
        base,
        *(
            base + suffix
            for suffix in (
                "/terms",
                "/find-user-id",
                "/identity",
                "/ars/call",
                "/ars/confirm",
                "/abroad",
                "/account",
                "/app-cert/pin",
                "/app-cert/pattern",
                "/security-card/challenge",
                "/security-card",
                "/otp",
                "/contact",
                "/certificate-type",
                "/enrollment/challenge",
                "/enrollment",
                "/enrollment/cmp",
            )
        ),
        "/api/v1/certificates/challenges",
        "/api/v1/certificates/renew",
        "/api/v1/certificates/revoke",
        "/api/v1/sandbox/phone/{number}/calls",
        "/api/v1/sandbox/phone/{number}/calls/{call_id}/answer",
        "/api/v1/sandbox/otp/{user_id}",
    ]
    assert [p for p in expected if p not in paths] == []
    account = paths[base + "/account"]["post"]["responses"]
    assert "ra_wrong_credential" in account["401"]["description"]
    assert "ra_credential_locked" in account["423"]["description"]
    assert "ra_step_out_of_order" in account["409"]["description"]
    assert "invalid_request" in account["422"]["description"]
    terms = http.get("/api/v1/issuance/terms").json()
    assert [t["id"] for t in terms if t["required"]] == REQUIRED_TERMS
    types = {t["cert_type"]: t["fee_krw"] for t in http.get("/api/v1/issuance/certificate-types").json()}
    assert types == {"limited": 0, "general": ra_services.settings.ra.general_fee_krw}
    assert http.get("/api/v1/issuance/password-policy").json()["min_length"] == 10
