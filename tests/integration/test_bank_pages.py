"""The bank app's pages over HTTP (in-process): each renders with the strict page headers, the menus link where the
flow goes, and an unknown URL under the app gets the friendly not-found page, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jointcert.app import build_services, init_instance
from jointcert.bank.seed import demo_customer
from jointcert.config import load_settings
from jointcert.ra.steps.terms import TERMS
from jointcert.web.app import create_app
from jointcert.web.routes.bank_app import ISSUANCE_STEPS
from jointcert.web.templates import PAGE_HEADERS, linkify
from tests.integration.issuance_flow import cheap_hasher

SHELL_PAGES = ["/", "/bank/security", "/bank/certificates", "/bank/issuance"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One instance (SQLite, the demo customers seeded) for the module: the pages only read."""
    data_dir = tmp_path_factory.mktemp("bank-pages") / "data"
    with pytest.MonkeyPatch.context() as env:
        for name in (
            "JOINTCERT_DATABASE_URL",
            "JOINTCERT_SECRET_KEY",
            "JOINTCERT_CA__PASSPHRASE",
            "JOINTCERT_DATA_DIR",
        ):
            env.delenv(name, raising=False)
        init_instance(data_dir)
        settings = load_settings(data_dir)
        services = build_services(settings, actor="test", bank_hasher=cheap_hasher(settings.secret_key_bytes()))
    services.bank.seed()
    try:
        yield TestClient(create_app(services, sandbox=True), raise_server_exceptions=False)
    finally:
        services.close()


@pytest.mark.parametrize("path", SHELL_PAGES + [f"/bank/issuance/{step}" for step in ISSUANCE_STEPS])
def test_page_renders_with_the_page_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value
    body = response.text
    assert '<main id="main"' in body
    assert 'href="/static/css/bank.css"' in body
    assert "<script>" not in body and "style=" not in body  # CSP: our own modules and stylesheet only


def test_home_links_the_menus_the_relying_parties_and_the_sandbox(client: TestClient) -> None:
    body = client.get("/").text
    for href in ('href="/bank/security"', 'href="/bank/certificates"', 'href="/rp/"', 'href="/sandbox/'):
        assert href in body


def test_certificate_menu_links_every_feature(client: TestClient) -> None:
    body = client.get("/bank/certificates").text
    for href in (
        "/bank/issuance",
        "/bank/wallet",
        "/bank/copy/to-pc",
        "/bank/copy/from-pc",
        "/bank/pc/certs/import",
        "/bank/login",
    ):
        assert f'href="{href}"' in body
    assert "인증서 발급/재발급" in body and "Issue / reissue" in body


@pytest.mark.parametrize(
    "path",
    [
        "/bank/issuance/no-such-step",
        "/bank/issuance/terms/extra",
        "/bank/issuance/%2e%2e",
        "/bank/issuance/" + "x" * 300,
    ],
)
def test_unknown_issuance_step_is_the_friendly_not_found_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["Content-Security-Policy"] == PAGE_HEADERS["Content-Security-Policy"]
    assert "페이지를 찾을 수 없습니다" in response.text
    assert "Traceback" not in response.text


def test_logout_drops_the_app_session_and_stays_in_the_app(client: TestClient) -> None:
    session, _ = client.app.state.bank_sessions.issue(serial="1", name="김민준", cert_type="limited")
    client.cookies.set("bank_session", session)  # a genuine session (docs/web-wallet.md)
    try:
        assert "앱에 로그인되어 있습니다" in client.get("/").text
        response = client.post("/bank/logout?next=/bank/issuance/start", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/bank/issuance/start"
        assert 'bank_session=""' in response.headers["set-cookie"]
        outside = client.post("/bank/logout?next=//evil.example/", follow_redirects=False)
        assert outside.headers["location"] == "/"
    finally:
        client.cookies.clear()


def test_virtual_phone_of_a_demo_customer(client: TestClient) -> None:
    """The ARS screen shows only the masked number; the sandbox link finds the customer's virtual phone."""
    found = client.get(
        "/sandbox/phone-of/minjun88/" + demo_customer("minjun88").spec.phones[0].id, follow_redirects=False
    )
    assert found.status_code == 303
    assert found.headers["location"].endswith("/sandbox/phone/010-2718-4406")
    for path in ("/sandbox/phone-of/minjun88/nope", "/sandbox/phone-of/nobody/p1"):
        missing = client.get(path)
        assert missing.status_code == 400
        assert missing.json()["code"] == "ra_unknown_phone"


def test_terms_and_types_come_from_the_ra(client: TestClient) -> None:
    """The terms screen lists every term (required ones marked) and the type screen the fee of each type."""
    terms = client.get("/bank/issuance/terms").text
    for term in TERMS:
        assert f'value="{term.id}"' in terms and term.title_ko in terms
    assert terms.count('data-required="true"') == sum(term.required for term in TERMS)
    types = client.get("/bank/issuance/type").text
    assert "수수료 4,400원" in types and "Fee 4,400 KRW" in types
    assert 'value="limited"' in types and 'value="general"' in types


def test_issuance_screens_carry_their_step_and_config(client: TestClient) -> None:
    body = client.get("/bank/issuance/verify").text
    assert 'data-step="verify"' in body
    assert '<script type="application/json" id="flow-config">' in body
    assert '"appLoggedIn": false' in body
    client.cookies.set("bank_session", "s-1")  # not a genuine session: logged out
    assert '"appLoggedIn": false' in client.get("/bank/issuance/start").text
    session, _ = client.app.state.bank_sessions.issue(serial="1", name="김민준", cert_type="limited")
    client.cookies.set("bank_session", session)
    try:
        assert '"appLoggedIn": true' in client.get("/bank/issuance/start").text
    finally:
        client.cookies.clear()


def test_inbox_text_links_only_its_addresses() -> None:
    """The sandbox inbox shows an SMS's renew address as a link, as a phone does; anything else stays text."""
    html = str(linkify("갱신해 주십시오: http://127.0.0.1:8000/bank/wallet.\n<script>x</script> javascript:alert(1)"))
    assert '<a href="http://127.0.0.1:8000/bank/wallet">http://127.0.0.1:8000/bank/wallet</a>.' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert html.count("<a ") == 1  # a javascript: "address" is not linked


def test_issuance_screens_preload_their_modules_and_the_next_screens(client: TestClient) -> None:
    """Each screen lists its module graph, and the one the next screen loads lazily, as modulepreload links."""
    notice = client.get("/bank/issuance").text
    assert '<link rel="modulepreload" href="/static/js/issuance.js">' in notice  # the terms screen's code
    typed = client.get("/bank/issuance/type").text
    for module in ("issuance.js", "issuance-common.js", "issuance-enroll.js", "vault.js", "keys.js"):
        assert f'<link rel="modulepreload" href="/static/js/{module}">' in typed
    assert "issuance-enroll.js" not in client.get("/bank/issuance/terms").text
