"""The cross-origin wallet protocol in headless Chromium: a partner site on a second origin (another port of the same
server) logs in and has a document signed through the bank's wallet window (popup + postMessage, and the redirect
variant); the wallet refuses unregistered origins and clients, and the partner's server refuses a replayed response
and one used at another origin or by another client. openssl verifies the document signature made in the browser."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect

from jointcert.app import Services
from jointcert.clock import SystemClock
from jointcert.rp import CheckName, Status
from jointcert.rp.policy import DEMO_CARD, DEMO_GOV
from jointcert.rp.wallet import WalletResponse, WalletResponseVerifier
from jointcert.web.app import create_app
from jointcert.web.routes.partner import PARTNER_COOKIE, demo_document
from tests.e2e.harness.bank import PHONE, Issued, fresh_instance, issue, phone_page, save_in_wallet
from tests.e2e.harness.support import RequestRecorder

pytestmark = pytest.mark.browser

PASSWORD = "Wallet#2026-origin"
WRONG = "Wallet#2026-origim"


@dataclass(frozen=True)
class Origins:
    """The bank (wallet) and the partner sites: two origins of one server."""

    bank: str
    partner: str
    services: Services


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def _serve(app: object, sockets: list[socket.socket]) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(30)
        for sock in sockets:
            sock.close()


@pytest.fixture(scope="module")
def origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origins]:
    """One instance for the module (making one costs seconds), served on two ports: two origins."""
    bank_sock, partner_sock = _socket(), _socket()
    bank = f"http://127.0.0.1:{bank_sock.getsockname()[1]}"
    partner = f"http://127.0.0.1:{partner_sock.getsockname()[1]}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JOINTCERT_RP__WALLET_URL", bank)
        with fresh_instance(tmp_path_factory.mktemp("wallet") / "data", SystemClock()) as services:
            clients = services.relying_parties.wallet_clients
            clients.register(
                DEMO_GOV,
                name="나라민원포털",
                name_en="Nara portal",
                origins=[partner],
                return_urls=[f"{partner}/partner/{DEMO_GOV}"],
            )
            clients.register(DEMO_CARD, name="푸른카드", name_en="Purun Card", origins=[partner])
            with _serve(create_app(services), [bank_sock, partner_sock]):
                yield Origins(bank, partner, services)


def _store(page: Page, origins: Origins, issued: Issued) -> None:
    """The certificate in the browser's wallet, which lives on the bank's origin."""
    page.goto(f"{origins.bank}/rp/")
    save_in_wallet(page, issued, PASSWORD)


def _open_partner(page: Page, origins: Origins, site: str = DEMO_GOV) -> None:
    page.goto(f"{origins.partner}/partner/{site}")
    page.wait_for_selector("body[data-ready=true]")


def _open_wallet(page: Page, button: str) -> Page:
    with page.expect_popup() as info:
        page.click(button)
    popup = info.value
    popup.set_viewport_size(PHONE)
    popup.wait_for_selector("body[data-ready=true]")
    return popup


def _result(page: Page) -> tuple[str, str]:
    box = page.locator("#result")
    expect(box).to_be_visible(timeout=30_000)
    return str(box.get_attribute("data-accepted")), str(box.get_attribute("data-reason"))


def _verify(page: Page, site: str, kind: str, response: dict[str, Any]) -> dict[str, Any]:
    """Post a response to a partner site's server from the page (its cookies, its origin)."""
    verdict: dict[str, Any] = page.evaluate(
        """async ([site, kind, response]) => (await fetch(`/partner/${site}/api/verify`, { method: "POST",
            headers: { "Content-Type": "application/json" }, body: JSON.stringify({ kind, response }) })).json()""",
        [site, kind, response],
    )
    return verdict


def _openssl_verify(
    tmp_path: Path, services: Services, document: bytes, signature: bytes
) -> subprocess.CompletedProcess[str]:
    chain = b"".join(
        signer.certificate.public_bytes(serialization.Encoding.PEM) for signer in services.signers.values()
    )
    (tmp_path / "chain.pem").write_bytes(chain)
    (tmp_path / "document.txt").write_bytes(document)
    (tmp_path / "signature.der").write_bytes(signature)
    command = [
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "signature.der",
        "-content",
        "document.txt",
        "-CAfile",
        "chain.pem",
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)


def test_login_and_document_signing_from_another_origin(
    origins: Origins, browser: Browser, recorder: RequestRecorder, screenshot: Callable[..., Path], tmp_path: Path
) -> None:
    issued = issue(origins.services)
    with phone_page(browser, recorder) as page:
        _store(page, origins, issued)
        _open_partner(page, origins)
        assert page.evaluate("indexedDB.databases().then((d) => d.length)") == 0  # the partner origin holds no key
        screenshot(page, "1-partner")

        popup = _open_wallet(page, "#login-popup")
        expect(popup.locator("#ask-origin")).to_have_text(origins.partner)
        expect(popup.locator("#ask-name")).to_contain_text("나라민원포털")
        expect(popup.locator(".cert")).to_have_count(1)
        screenshot(popup, "2-wallet-login")
        popup.fill("#cert-password", WRONG)
        popup.click("#sign-button")
        expect(popup.locator("#sign-error")).to_have_attribute("data-code", "wrong_certificate_password")
        popup.fill("#cert-password", PASSWORD)
        popup.click("#sign-button")
        assert _result(page) == ("true", "ok")
        expect(page.locator(".check--passed[data-name=binding]")).to_have_count(1)
        screenshot(page, "3-partner-logged-in")
        login = page.evaluate("window.jointcertLastResponse")

        # the same response again: the challenge is single use
        assert _verify(page, DEMO_GOV, "login", login)["reason"]["code"] == "challenge_replayed"
        # used by another client on the same origin, or by the same client id on another origin: the binding says no
        assert _verify(page, DEMO_CARD, "login", login)["reason"]["code"] == "binding_mismatch"
        other = httpx.post(f"{origins.bank}/partner/{DEMO_GOV}/api/verify", json={"kind": "login", "response": login})
        assert other.json()["reason"]["code"] == "binding_mismatch", other.text

        # identify: the site holds the resident number and asks for R; the bank's verifier checks the VID
        with page.expect_popup() as info:
            page.evaluate(
                """async (bank) => {
                  const { JointcertWallet } = await import("/static/js/jointcert-rp.js");
                  const request = fetch("/partner/gov-portal/api/request", { method: "POST",
                    headers: { "Content-Type": "application/json" }, body: '{"kind": "login", "identify": true}' })
                    .then((r) => r.json()).then((a) => a.request);
                  window.identified = new JointcertWallet({ walletUrl: bank }).popup(request);
                }""",
                origins.bank,
            )
        popup = info.value
        expect(popup.locator("#identify")).to_be_visible()
        popup.fill("#cert-password", PASSWORD)
        popup.click("#sign-button")
        identified = page.evaluate("window.identified")
        assert base64.b64decode(identified["random_num"]) == issued.r
        session = next(c["value"] for c in page.context.cookies() if c["name"] == PARTNER_COOKIE)
        gov = origins.services.relying_parties.verifiers[DEMO_GOV]
        checker = WalletResponseVerifier(gov, client_id=DEMO_GOV, origin=origins.partner)
        verdict = checker.verify(WalletResponse.from_json(identified), session_id=session, rrn=issued.rrn)
        assert verdict.accepted and verdict.check(CheckName.VID).status is Status.PASSED, verdict.to_dict()

        popup = _open_wallet(page, "#sign-popup")
        expect(popup.locator("#document-text")).to_contain_text("전자문서 동의서")
        screenshot(popup, "4-wallet-document")
        popup.fill("#cert-password", PASSWORD)
        popup.click("#sign-button")
        assert _result(page) == ("true", "ok")
        expect(page.locator(".check--passed[data-name=document]")).to_have_count(1)
        screenshot(page, "5-partner-signed")
        signed = page.evaluate("window.jointcertLastResponse")

    document = demo_document(DEMO_GOV, "나라민원포털")[1]
    signature = base64.b64decode(signed["document_signature"])
    verified = _openssl_verify(tmp_path, origins.services, document, signature)
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    tampered = _openssl_verify(tmp_path, origins.services, document + b" ", signature)
    assert tampered.returncode != 0
    binding = json.loads(base64.b64decode(signed["binding"]))
    assert binding["origin"] == origins.partner and binding["client_id"] == DEMO_GOV and binding["kind"] == "sign"
    assert "random_num" not in signed
    # R left once, to the site that asked for the VID check; never the key or the password
    recorder.assert_never_sent(passwords=(PASSWORD, WRONG), secrets=tuple(s for s in issued.secrets() if s != issued.r))


def test_redirect_login_returns_to_the_registered_url(
    origins: Origins, browser: Browser, recorder: RequestRecorder, screenshot: Callable[..., Path]
) -> None:
    issued = issue(origins.services)
    with phone_page(browser, recorder) as page:
        _store(page, origins, issued)
        _open_partner(page, origins)
        page.click("#login-redirect")
        page.wait_for_url(f"{origins.bank}/wallet/connect?request=*")
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#ask-origin")).to_have_text(origins.partner)
        screenshot(page, "1-wallet-redirect")
        page.fill("#cert-password", PASSWORD)
        page.click("#sign-button")
        page.wait_for_url(f"{origins.partner}/partner/{DEMO_GOV}")
        assert _result(page) == ("true", "ok")
        assert "jointcert-wallet" not in page.url  # the fragment is taken out of the address bar
        screenshot(page, "2-partner-logged-in")
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=issued.secrets())


def test_the_wallet_refuses_unregistered_origins_clients_and_return_urls(
    origins: Origins, browser: Browser, recorder: RequestRecorder, screenshot: Callable[..., Path]
) -> None:
    with phone_page(browser, recorder, console_errors_expected=True) as page:
        # a site that is not registered for gov-portal: the bank's own origin plays the stranger here
        page.goto(f"{origins.bank}/partner/{DEMO_GOV}")
        page.wait_for_selector("body[data-ready=true]")
        popup = _open_wallet(page, "#login-popup")
        expect(popup.locator("#refusal")).to_be_visible()
        expect(popup.locator("#refusal")).to_have_attribute("data-code", "wallet_origin_not_allowed")
        expect(popup.locator("#refusal-origin")).to_have_text(origins.bank)
        expect(popup.locator("#ask")).to_be_hidden()
        screenshot(popup, "1-wallet-refuses-origin")
        popup.close()
        assert _result(page) == ("false", "popup_closed")

        # a client the bank never registered
        _open_partner(page, origins, "dasom-life")
        popup = _open_wallet(page, "#login-popup")
        expect(popup.locator("#refusal")).to_have_attribute("data-code", "wallet_client_unknown")
        popup.close()

        # a page that claims another origin than its own: the wallet would answer only that origin, so it refuses
        _open_partner(page, origins)
        with page.expect_popup() as info:
            page.evaluate(
                """(bank) => { const w = window.open(bank + "/wallet/connect", "w", "popup");
                  window.addEventListener("message", (e) => {
                    if (e.source === w && e.data.type === "jointcert-wallet-ready")
                    w.postMessage({ v: 1, type: "jointcert-wallet-request", request_id: "r1", client_id: "gov-portal",
                      origin: "http://127.0.0.1:1", challenge: "x".repeat(43), kind: "login" }, bank); }); }""",
                origins.bank,
            )
        popup = info.value
        expect(popup.locator("#refusal")).to_have_attribute("data-code", "wallet_origin_not_allowed")
        popup.close()

        # the redirect variant: a return URL that is not registered is refused by the bank before the page shows
        request = {
            "v": 1,
            "type": "jointcert-wallet-request",
            "request_id": "r2",
            "client_id": DEMO_CARD,
            "origin": origins.partner,
            "challenge": "y" * 43,
            "kind": "login",
            "return_url": f"{origins.partner}/partner/{DEMO_CARD}",
        }
        raw = base64.urlsafe_b64encode(json.dumps(request).encode()).decode().rstrip("=")
        answer = page.goto(f"{origins.bank}/wallet/connect?request={raw}")
        assert answer is not None and answer.status == 403
        expect(page.locator("#refusal")).to_have_attribute("data-code", "wallet_return_url_not_allowed")
        screenshot(page, "2-wallet-refuses-return-url")
    assert not any("/api/verify" in r.url for r in recorder.requests)
