"""The wallet's HTTP side in-process: authorize answers problems for unknown clients and origins, the redirect
variant is checked by the server before the page shows, the pages carry strict headers, and a partner site's
verify endpoint refuses malformed responses as input errors, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jointcert.app import build_services, init_instance
from jointcert.config import load_settings
from jointcert.web.app import create_app

PARTNER = "http://127.0.0.1:8001"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as env:
        for name in (
            "JOINTCERT_DATABASE_URL",
            "JOINTCERT_SECRET_KEY",
            "JOINTCERT_CA__PASSPHRASE",
            "JOINTCERT_DATA_DIR",
        ):
            env.delenv(name, raising=False)
        data: Path = tmp_path_factory.mktemp("wallet-web") / "data"
        init_instance(data)
        services = build_services(load_settings(data), actor="test")
    services.relying_parties.wallet_clients.register(
        "gov-portal",
        name="나라민원포털",
        name_en="Nara portal",
        origins=[PARTNER],
        return_urls=[f"{PARTNER}/partner/gov-portal"],
    )
    with TestClient(create_app(services), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client
    services.close()


def _redirect(**fields: object) -> str:
    request = {
        "v": 1,
        "type": "jointcert-wallet-request",
        "request_id": "r",
        "client_id": "gov-portal",
        "origin": PARTNER,
        "challenge": "c" * 43,
        "kind": "login",
        "return_url": f"{PARTNER}/partner/gov-portal",
        **fields,
    }
    return base64.urlsafe_b64encode(json.dumps(request).encode()).decode().rstrip("=")


def test_authorize(client: TestClient) -> None:
    ok = client.post("/wallet/api/authorize", json={"client_id": "gov-portal", "origin": PARTNER})
    assert ok.status_code == 200 and ok.json()["name"] == "나라민원포털"
    cases = [
        ({"client_id": "purun-card", "origin": PARTNER}, 404, "wallet_client_unknown"),
        ({"client_id": "gov-portal", "origin": "http://127.0.0.1:8000"}, 403, "wallet_origin_not_allowed"),
        ({"client_id": "gov-portal", "origin": "javascript:alert(1)"}, 403, "wallet_origin_not_allowed"),
        (
            {"client_id": "gov-portal", "origin": PARTNER, "return_url": f"{PARTNER}/evil"},
            403,
            "wallet_return_url_not_allowed",
        ),
    ]
    for body, status, code in cases:
        answer = client.post("/wallet/api/authorize", json=body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        assert answer.json()["message_ko"] and answer.json()["message_en"]
    assert client.post("/wallet/api/authorize", json={"client_id": "x" * 65, "origin": PARTNER}).status_code == 422


def test_connect_pages(client: TestClient) -> None:
    popup = client.get("/wallet/connect")
    assert popup.status_code == 200
    assert "frame-ancestors 'none'" in popup.headers["content-security-policy"]
    assert popup.headers["cross-origin-opener-policy"] == "unsafe-none"
    assert '"mode": "popup"' in popup.text
    good = client.get(f"/wallet/connect?request={_redirect()}")
    assert good.status_code == 200 and '"mode": "redirect"' in good.text and "Nara portal" in good.text
    for raw, status, code in [
        (_redirect(return_url=f"{PARTNER}/elsewhere"), 403, "wallet_return_url_not_allowed"),
        (_redirect(origin="https://evil.example"), 400, "invalid_rp_request"),
        (_redirect(client_id="dasom-life"), 404, "wallet_client_unknown"),
        ("not-base64-json!", 400, "invalid_rp_request"),
        (_redirect(v=2), 400, "invalid_rp_request"),
    ]:
        page = client.get(f"/wallet/connect?request={raw}")
        assert page.status_code == status, page.text
        assert f'data-code="{code}"' in page.text
        assert 'id="waiting" role="status" hidden' in page.text  # the refusal alone, no "waiting…"


def test_partner_endpoints(client: TestClient) -> None:
    made = client.post("/partner/gov-portal/api/request", json={"kind": "sign"})
    assert made.status_code == 200
    request = made.json()["request"]
    assert request["origin"] == "http://127.0.0.1:8000" and request["client_id"] == "gov-portal"
    assert len(base64.b64decode(request["document"]["sha256"])) == 32
    assert client.post("/partner/nope/api/request", json={}).status_code == 404
    for response in (
        {},
        {"v": 1, "type": "jointcert-wallet-response", "status": "ok", "binding": "!", "signed_data": ""},
    ):
        bad = client.post("/partner/gov-portal/api/verify", json={"kind": "login", "response": response})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_wallet_response", bad.text
    assert client.get("/partner/").status_code == 200 and client.get("/partner/gov-portal").status_code == 200
    assert client.get("/static/js/jointcert-rp.js").status_code == 200
