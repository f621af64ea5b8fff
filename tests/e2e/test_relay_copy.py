"""Certificate copy end to end: relay.js in headless Chromium ↔ ``jointcert copy`` (a subprocess) through a live
server, with certificates from the real CA pipeline; PyPinkSign loads what arrives, the VID verifies with R."""

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
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Page
from pypinksign import PinkSign
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from jointcert.app import Services, build_services, init_instance
from jointcert.clock import FakeClock
from jointcert.config import Settings, load_settings
from jointcert.npki.keyfile import PrivateKeyBundle, decode_pkcs8, encode_pkcs8, encrypt_sign_pri
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.storage.tables.relay import RelayTransfer
from jointcert.web.app import create_app
from tests.e2e.harness.server import STATIC_DIR, _SecurityHeaders
from tests.e2e.harness.support import RequestRecorder, b64, unb64
from tests.unit.relay.factories import RRN, issue_certificate, issue_npki_folder

pytestmark = pytest.mark.browser

PASSWORD = "Phone&PC-2026"
WRONG = "Phone&PC-2027"
HARNESS = Path(__file__).parent / "relay_harness"
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
    """The jointcert app + the real static files + the relay harness page, on one 127.0.0.1 origin."""
    clock = FakeClock()
    clock.set(clock.now().replace(year=2026, month=11, day=25, hour=9))
    services = build_services(settings, clock, actor="test")
    app = Starlette(
        routes=[
            Mount("/static", StaticFiles(directory=STATIC_DIR)),
            Mount("/relay-harness", StaticFiles(directory=HARNESS)),
            Mount("/", create_app(services)),
        ]
    )
    try:
        yield Live(live_server(_SecurityHeaders(app)), services, clock)
    finally:
        services.close()


@pytest.fixture
def harness(page: Page, live: Live) -> Page:
    page.goto(f"{live.url}/relay-harness/index.html")
    page.wait_for_function("() => window.relayHarness?.ready === true", timeout=10_000)
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


def _call(page: Page, script: str, *args: Any) -> Any:
    result = page.evaluate(f"(args) => relayHarness.{script}(...args)", list(args))
    assert isinstance(result, dict) and "error" not in result, result
    return result["value"]


def _error(page: Page, script: str, *args: Any) -> dict[str, Any]:
    result = page.evaluate(f"(args) => relayHarness.{script}(...args)", list(args))
    assert "error" in result, f"expected an error, got {result}"
    error: dict[str, Any] = result["error"]
    return error


def _credential_in_browser(page: Page, live: Live) -> tuple[str, bytes, bytes, bytes]:
    """Key and R made in the page, certificate issued by the instance's CA, saved in the vault."""
    made = page.evaluate("relayHarness.generate()")
    spki, random_num = unb64(made["spki"]), unb64(made["randomNum"])
    pkcs8 = unb64(page.evaluate("relayHarness.revealPkcs8ForTest()"))

    def sign(message: bytes) -> bytes:
        return unb64(page.evaluate("(m) => relayHarness.sign(m)", b64(message)))

    cert = issue_certificate(live.services.authority, spki, sign, random_num)
    credential_id = _call(page, "save", b64(cert), PASSWORD)
    return credential_id, cert, pkcs8, random_num


def _start_receive(page: Page, *passwords: str) -> dict[str, Any]:
    """Start "PC에서 인증서 가져오기" in the page; the code it shows."""
    assert page.evaluate("(p) => relayHarness.startReceive(p)", list(passwords)) is True
    page.wait_for_function("() => relayHarness.shown() !== null", timeout=20_000)
    shown: dict[str, Any] = page.evaluate("relayHarness.shown()")
    return shown


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
    harness: Page, live: Live, recorder: RequestRecorder, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    credential_id, cert, pkcs8, random_num = _credential_in_browser(harness, live)
    receiver = CliReceiver(live.url, tmp_path / "NPKI", PASSWORD)
    code = receiver.code()
    sent = _call(harness, "sendToPc", code, credential_id, PASSWORD)
    assert sent["status"] == "uploaded" and sent["id"] == code[:4]
    status, out, err = receiver.finish()
    assert status == 0, out + err
    assert "saved:" in out and "Traceback" not in err
    screenshot(harness, "sent")

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


def test_pc_to_phone(
    harness: Page, live: Live, recorder: RequestRecorder, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    npki = tmp_path / "NPKI"
    cert, bundle = issue_npki_folder(live.services.authority, npki, PASSWORD)
    shown = _start_receive(harness, WRONG, PASSWORD)
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", shown["displayCode"])
    screenshot(harness, "code")
    _cli_send(live, npki, shown["displayCode"])
    finished = harness.evaluate("relayHarness.finishReceive()")
    assert "error" not in finished, finished
    assert [a["error"] for a in finished["asked"]] == [None, "wrong_certificate_password"]
    credential_id = finished["value"]

    data = b"bank login challenge"
    unlocked = _call(harness, "unlockAndSign", credential_id, PASSWORD, b64(data))
    assert unb64(unlocked["certificate"]) == cert
    public = x509.load_der_x509_certificate(cert).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(unb64(unlocked["signature"]), data, padding.PKCS1v15(), hashes.SHA256())
    assert unb64(unlocked["randomNum"]) == bundle.random_num
    exported = decode_pkcs8(unb64(_call(harness, "exportPkcs8", credential_id, PASSWORD)["pkcs8WithRandomNum"]))
    _pypinksign_checks(cert, encrypt_sign_pri(exported, PASSWORD), bundle.random_num or b"")

    recorder.assert_never_sent(
        passwords=(PASSWORD, WRONG, shown["code"][4:]),
        secrets=(encode_pkcs8(bundle), encode_pkcs8(PrivateKeyBundle(bundle.key, None)), bundle.random_num or b""),
    )
    assert encode_pkcs8(bundle) not in live.database_bytes()


@pytest.mark.console_errors_expected
def test_browser_sees_wrong_code_and_burn(harness: Page, live: Live, tmp_path: Path) -> None:
    credential_id, *_ = _credential_in_browser(harness, live)
    receiver = CliReceiver(live.url, tmp_path / "NPKI", PASSWORD)
    code = receiver.code().replace("-", "")
    wrong = code[:4] + ("0" if code[4] != "0" else "1") + code[5:]
    for left in (4, 3, 2, 1):
        error = _error(harness, "sendToPc", wrong, credential_id, PASSWORD)
        assert error["code"] == "relay_wrong_code" and error["status"] == 401
        assert error["problem"]["attempts_left"] == left and error["messageKo"]
    error = _error(harness, "sendToPc", wrong, credential_id, PASSWORD)
    assert error["code"] == "relay_transfer_burned" and "새 인증번호" in error["messageKo"]
    error = _error(harness, "sendToPc", code, credential_id, PASSWORD)
    assert error["code"] == "relay_transfer_burned"  # read from the status before any upload
    status, _, err = receiver.finish()
    assert status == 8 and "relay_transfer_burned" in err and "Traceback" not in err
    assert not (tmp_path / "NPKI").exists()


def test_browser_refuses_tampered_ciphertext_and_expired_code(harness: Page, live: Live, tmp_path: Path) -> None:
    npki = tmp_path / "NPKI"
    issue_npki_folder(live.services.authority, npki, PASSWORD)
    shown = _start_receive(harness, PASSWORD)
    _cli_send(live, npki, shown["code"])
    with live.services.database.session() as session:  # the relay (or its database) alters one bit
        row = session.get(RelayTransfer, shown["id"])
        assert row is not None and row.envelope is not None
        altered = bytes([row.envelope[0], row.envelope[1] ^ 0x80]) + row.envelope[2:]
        session.execute(update(RelayTransfer).where(RelayTransfer.id == shown["id"]).values(envelope=altered))
    finished = harness.evaluate("relayHarness.finishReceive()")
    assert finished["error"]["code"] == "relay_payload_tampered" and "변조" in finished["error"]["messageKo"]
    assert harness.evaluate("relayHarness.count()") == 0

    _start_receive(harness, PASSWORD)
    live.clock.advance(timedelta(seconds=181))
    finished = harness.evaluate("relayHarness.finishReceive()")
    assert finished["error"]["code"] == "relay_transfer_expired" and "유효 시간" in finished["error"]["messageKo"]
