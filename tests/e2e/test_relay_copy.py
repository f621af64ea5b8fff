"""Certificate copy end to end on the bank app's real pages: "PC로 인증서 복사" (/bank/copy/to-pc) and "PC에서 인증서
가져오기" (/bank/copy/from-pc) in headless Chromium ↔ ``jointcert copy`` (a subprocess) through a live server, with
certificates from the real CA pipeline; PyPinkSign loads what arrives, the VID verifies with R."""

from __future__ import annotations

import base64
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Page, Route, expect
from pypinksign import PinkSign

from jointcert.app import Services, build_services, init_instance
from jointcert.clock import FakeClock
from jointcert.config import Settings, load_settings
from jointcert.npki.keyfile import PrivateKeyBundle, decode_pkcs8, encode_pkcs8, encrypt_sign_pri
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.web.app import create_app
from tests.e2e.harness.bank import PHONE, shot
from tests.e2e.harness.support import RequestRecorder, b64, unb64
from tests.unit.relay.factories import RRN, issue_certificate, issue_npki_folder

pytestmark = pytest.mark.browser

PASSWORD = "Phone&PC-2026"
WRONG = "Phone&PC-2027"
CODE = re.compile(r"code: (\d{4}-\d{4}-\d{4})")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """An initialised instance on SQLite (its own data directory)."""
    data_dir = tmp_path_factory.mktemp("relay-e2e") / "data"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    try:
        init_instance(data_dir)
        yield load_settings(data_dir)
    finally:
        os.environ.update(saved)


@dataclass
class Live:
    """A served instance: its URL, services (with a fake clock) and database files."""

    url: str
    services: Services
    clock: FakeClock

    def database_bytes(self) -> bytes:
        path = Path(self.services.database.url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


@pytest.fixture
def live(settings: Settings, live_server: Callable[[object], str]) -> Iterator[Live]:
    """The real jointcert app (pages, static modules, relay API) on 127.0.0.1, with a fake clock."""
    clock = FakeClock()
    clock.set(clock.now().replace(year=2026, month=11, day=25, hour=9))
    services = build_services(settings, clock, actor="test")
    try:
        yield Live(live_server(create_app(services)), services, clock)
    finally:
        services.close()


def _open(page: Page, live: Live, path: str) -> Page:
    page.set_viewport_size(PHONE)
    page.goto(f"{live.url}{path}")
    page.wait_for_selector("body[data-ready=true]", timeout=10_000)
    return page


def _jointcert(*args: str) -> list[str]:
    return [sys.executable, "-m", "jointcert", *args]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    return {**env, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}


class CliReceiver:
    """``jointcert copy receive`` running in the background, its output read line by line."""

    def __init__(self, url: str, npki: Path, password: str) -> None:
        command = _jointcert("copy", "receive", "--server", url, "--npki-dir", str(npki), "--password", password)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def code(self, timeout: float = 30.0) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.process.kill()
                raise AssertionError("no code from the CLI:\n" + "".join(self.output)) from None
            found = CODE.search(line)
            if found:
                return found.group(1)

    def finish(self, timeout: float = 60.0) -> tuple[int, str, str]:
        try:
            code = self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        stderr = self.process.stderr.read() if self.process.stderr else ""
        return code, "".join(self.output), stderr


def _credential_in_browser(page: Page, live: Live) -> tuple[str, bytes, bytes, bytes]:
    """Key and R made in the page (WebCrypto), certificate issued by the instance's CA, saved in the page's vault:
    what the issuance pages do. Returns the vault id, certificate, the key's PKCS#8 (so the test knows what must
    never leave the page) and R."""
    made = page.evaluate(
        """async () => {
            const keys = await import("/static/js/keys.js");
            const { toBase64 } = await import("/static/js/bytes.js");
            window.__pair = await keys.generateKeyPair();
            window.__r = keys.randomNum();
            const pkcs8 = await crypto.subtle.exportKey("pkcs8", window.__pair.privateKey);
            return { spki: toBase64(window.__pair.spki), r: toBase64(window.__r), pkcs8: toBase64(pkcs8) };
        }"""
    )
    spki, random_num, pkcs8 = unb64(made["spki"]), unb64(made["r"]), unb64(made["pkcs8"])

    def sign(message: bytes) -> bytes:
        signature: str = page.evaluate(
            """async (m) => {
                const keys = await import("/static/js/keys.js");
                const { fromBase64, toBase64 } = await import("/static/js/bytes.js");
                return toBase64(await keys.sign(window.__pair.privateKey, fromBase64(m)));
            }""",
            b64(message),
        )
        return unb64(signature)

    cert = issue_certificate(live.services.authority, spki, sign, random_num)
    credential_id: str = page.evaluate(
        """async ([cert, password]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { fromBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const saved = await vault.saveCredential({ privateKey: window.__pair.privateKey, randomNum: window.__r,
                                                       certificateDer: fromBase64(cert) }, password);
            vault.close();
            delete window.__pair;
            delete window.__r;
            return saved.id;
        }""",
        [b64(cert), PASSWORD],
    )
    return credential_id, cert, pkcs8, random_num


def _send_from_page(page: Page, code: str, password: str = PASSWORD) -> None:
    """PC로 인증서 복사: the page's form with the only certificate chosen."""
    page.fill("#copy-code", code)
    page.fill("#copy-password", password)
    page.click("#send-button")


def _shown_code(page: Page) -> str:
    """PC에서 인증서 가져오기: the grouped code the page shows."""
    page.wait_for_selector("#copy-code[data-code]", timeout=20_000)
    code = page.get_attribute("#copy-code", "data-code")
    assert code is not None and re.fullmatch(r"\d{4}-\d{4}-\d{4}", code), code
    return code


def _unlock_and_sign(page: Page, password: str, data: bytes) -> dict[str, str]:
    result: dict[str, str] = page.evaluate(
        """async ([password, data]) => {
            const { openVault } = await import("/static/js/vault.js");
            const keys = await import("/static/js/keys.js");
            const { fromBase64, toBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const [credential] = await vault.listCredentials();
            const { privateKey, randomNum, certificateDer } = await vault.unlock(credential.id, password);
            const exported = await vault.exportPkcs8(credential.id, password);
            vault.close();
            return { signature: toBase64(await keys.sign(privateKey, fromBase64(data))),
                     randomNum: toBase64(randomNum), certificate: toBase64(certificateDer),
                     pkcs8WithRandomNum: toBase64(exported.pkcs8WithRandomNum) };
        }""",
        [password, b64(data)],
    )
    return result


def _flip_one_bit(route: Route) -> None:
    """Pass the request on; flip one bit of the envelope in the answer."""
    if route.request.method != "GET":
        route.continue_()
        return
    response = route.fetch()
    body = response.json()
    envelope = bytearray(base64.b64decode(body["envelope"]))
    envelope[1] ^= 0x80
    body["envelope"] = base64.b64encode(bytes(envelope)).decode()
    route.fulfill(response=response, json=body)


def _count(page: Page) -> int:
    count: int = page.evaluate(
        """async () => {
            const { openVault } = await import("/static/js/vault.js");
            const vault = await openVault();
            const n = (await vault.listCredentials()).length;
            vault.close();
            return n;
        }"""
    )
    return count


def _cli_send(live: Live, npki: Path, code: str) -> None:
    """``jointcert copy send`` of the only certificate under ``npki``."""
    args = ["copy", "send", "--code", code, "--server", live.url, "--npki-dir", str(npki), "--password", PASSWORD]
    result = subprocess.run(_jointcert(*args), capture_output=True, text=True, env=_env(), timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _pypinksign_checks(cert_der: bytes, sign_pri: bytes, expected_r: bytes) -> None:
    signer = PinkSign(pubkey_data=cert_der, prikey_data=sign_pri, prikey_password=PASSWORD.encode())
    signer.load_prikey()
    assert signer.verify(signer.sign(b"login challenge"), b"login challenge")
    r = signer._rand_num.asOctets()
    assert r == expected_r
    identify = identify_data_of(x509.load_der_x509_certificate(cert_der))
    assert identify is not None and identify.real_name == "김복사"
    verify_vid(identify, RRN, r)  # the relying party's check: resident number + R ↔ VID in the certificate


def test_phone_to_pc(
    page: Page, live: Live, recorder: RequestRecorder, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    _open(page, live, "/bank/copy/to-pc")
    credential_id, cert, pkcs8, random_num = _credential_in_browser(page, live)
    _open(page, live, "/bank/copy/to-pc")
    expect(page.locator(".cert")).to_contain_text("김복사")
    receiver = CliReceiver(live.url, tmp_path / "NPKI", PASSWORD)
    code = receiver.code()
    _send_from_page(page, code)
    shot(screenshot, page, "sending")
    expect(page.locator("#sent-panel")).to_be_visible(timeout=30_000)
    expect(page.locator("#sent-message")).to_contain_text("PC에서 인증서를 받았습니다")
    shot(screenshot, page, "sent")
    status, out, err = receiver.finish()
    assert status == 0, out + err
    assert "saved:" in out and "Traceback" not in err

    [folder] = list((tmp_path / "NPKI").glob("*/USER/*"))
    assert (folder / "signCert.der").read_bytes() == cert
    sign_pri = (folder / "signPri.key").read_bytes()
    _pypinksign_checks(cert, sign_pri, random_num)

    key = decode_pkcs8(pkcs8).key
    with_r = encode_pkcs8(PrivateKeyBundle(key, random_num))
    secret_digits = code.replace("-", "")[4:]
    recorder.assert_never_sent(passwords=(PASSWORD, secret_digits), secrets=(pkcs8, with_r, random_num))
    put = next(r for r in recorder.requests if r.method == "PUT")
    envelope = base64.b64decode(put.body.split(b'"envelope":"')[1].split(b'"')[0])
    stored = live.database_bytes()
    leftovers = {"envelope": envelope[-64:], "pkcs8": pkcs8, "R": random_num, "password": PASSWORD.encode()}
    assert [name for name, needle in leftovers.items() if needle in stored] == []
    assert credential_id  # still in the phone's wallet: a copy, not a move


@pytest.mark.console_errors_expected  # the page's first poll may race the upload; none expected, none harmful
def test_pc_to_phone(
    page: Page, live: Live, recorder: RequestRecorder, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    npki = tmp_path / "NPKI"
    cert, bundle = issue_npki_folder(live.services.authority, npki, PASSWORD)
    _open(page, live, "/bank/copy/from-pc")
    code = _shown_code(page)
    expect(page.locator("#copy-command")).to_have_text(f"jointcert copy send --code {code}")
    shot(screenshot, page, "code")
    _cli_send(live, npki, code)
    expect(page.locator("#password-panel")).to_be_visible(timeout=20_000)
    expect(page.locator("#received-facts")).to_contain_text("김복사")
    shot(screenshot, page, "password")
    page.fill("#received-password", WRONG)
    page.click("#password-button")
    expect(page.locator("#password-error")).to_have_text("인증서 비밀번호가 올바르지 않습니다.", use_inner_text=True)
    assert page.evaluate("document.activeElement?.id") == "received-password"
    shot(screenshot, page, "wrong-password")
    page.fill("#received-password", PASSWORD)
    page.click("#password-button")
    expect(page.locator("#done-panel")).to_be_visible(timeout=20_000)
    expect(page.locator("#done-message")).to_contain_text("김복사 님의 인증서를 이 기기에 저장했습니다")
    shot(screenshot, page, "saved")

    data = b"bank login challenge"
    unlocked = _unlock_and_sign(page, PASSWORD, data)
    assert unb64(unlocked["certificate"]) == cert
    public = x509.load_der_x509_certificate(cert).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(unb64(unlocked["signature"]), data, padding.PKCS1v15(), hashes.SHA256())
    assert unb64(unlocked["randomNum"]) == bundle.random_num
    exported = decode_pkcs8(unb64(unlocked["pkcs8WithRandomNum"]))
    _pypinksign_checks(cert, encrypt_sign_pri(exported, PASSWORD), bundle.random_num or b"")

    recorder.assert_never_sent(
        passwords=(PASSWORD, WRONG, code.replace("-", "")[4:]),
        secrets=(encode_pkcs8(bundle), encode_pkcs8(PrivateKeyBundle(bundle.key, None)), bundle.random_num or b""),
    )
    assert encode_pkcs8(bundle) not in live.database_bytes()


@pytest.mark.console_errors_expected
def test_page_shows_wrong_code_and_burn(
    page: Page, live: Live, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    _open(page, live, "/bank/copy/to-pc")
    _credential_in_browser(page, live)
    _open(page, live, "/bank/copy/to-pc")
    receiver = CliReceiver(live.url, tmp_path / "NPKI", PASSWORD)
    code = receiver.code().replace("-", "")
    wrong = code[:4] + ("0" if code[4] != "0" else "1") + code[5:]
    for left in (4, 3, 2, 1):
        _send_from_page(page, wrong)
        expect(page.locator("#send-error")).to_have_attribute("data-code", "relay_wrong_code")
        expect(page.locator("#send-error")).to_contain_text(str(left))
        assert page.evaluate("document.activeElement?.id") == "copy-code"
        if left == 4:
            shot(screenshot, page, "wrong-code")
        page.evaluate("document.getElementById('send-error').removeAttribute('data-code')")
    _send_from_page(page, wrong)
    expect(page.locator("#send-error")).to_have_attribute("data-code", "relay_transfer_burned")
    expect(page.locator("#send-error")).to_contain_text("새 인증번호")
    page.evaluate("document.getElementById('send-error').removeAttribute('data-code')")
    _send_from_page(page, code)
    expect(page.locator("#send-error")).to_have_attribute("data-code", "relay_transfer_burned")
    shot(screenshot, page, "burned")
    status, _, err = receiver.finish()
    assert status == 8 and "relay_transfer_burned" in err and "Traceback" not in err
    assert not (tmp_path / "NPKI").exists()


@pytest.mark.console_errors_expected
def test_page_refuses_tampered_ciphertext_and_expired_code(
    page: Page, live: Live, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    npki = tmp_path / "NPKI"
    issue_npki_folder(live.services.authority, npki, PASSWORD)
    _open(page, live, "/bank/copy/from-pc")
    code = _shown_code(page)
    page.route("**/api/v1/relay/transfers/*/payload", _flip_one_bit)  # a relay that alters the ciphertext
    _cli_send(live, npki, code)
    expect(page.locator("#receive-error")).to_have_attribute("data-code", "relay_payload_tampered", timeout=20_000)
    expect(page.locator("#receive-error")).to_contain_text("변조")
    expect(page.locator("#restart-button")).to_be_visible()
    shot(screenshot, page, "tampered")
    assert _count(page) == 0

    page.click("#restart-button")
    _shown_code(page)
    live.clock.advance(timedelta(seconds=181))
    expect(page.locator("#receive-error")).to_have_attribute("data-code", "relay_transfer_expired", timeout=20_000)
    expect(page.locator("#receive-error")).to_contain_text("유효 시간")
    shot(screenshot, page, "expired")
