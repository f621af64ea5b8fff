"""The PC web side of certificate copy (인증센터 → 인증서 가져오기 / 내보내기) end to end: a phone context at
390 px and a PC context at 1280 px on one live server, certificates from the real CA pipeline. Phone → PC: the
PC page shows the code and its QR, the phone opens the QR's link, sends; the PC checks the password and writes
signCert.der and signPri.key into the NPKI folder (File System Access API, here onto the origin-private file
system) and as downloads, which jointcert's npki code opens. PC → phone: the PC sends the NPKI files to the code
the phone shows. axe finds 0 violations on the PC pages; nothing secret is ever sent."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Browser, Page, ViewportSize, expect

from jointcert.app import build_services, init_instance
from jointcert.clock import FakeClock
from jointcert.config import Settings, load_settings
from jointcert.npki.keyfile import PrivateKeyBundle, decode_pkcs8, decrypt_sign_pri, describe_sign_pri, encode_pkcs8
from jointcert.npki.store import NpkiStore
from jointcert.relay.payload import wrap_key
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import PHONE, shot
from tests.e2e.harness.support import RequestRecorder, unb64
from tests.e2e.test_relay_copy import Live, _credential_in_browser, _unlock_and_sign
from tests.e2e.test_relay_km_pair_copy import _issue_pair
from tests.unit.relay.factories import issue_npki_folder

pytestmark = pytest.mark.browser

PC: ViewportSize = {"width": 1280, "height": 900}
PASSWORD = "Phone&PC-2026"  # the password _credential_in_browser saves under
WRONG = "Phone&PC-2027"
# The File System Access API's folder picker needs a person; the test answers it with the origin-private file system
# (a real FileSystemDirectoryHandle), so the page's writing code runs unchanged.
PICK_OPFS = "window.showDirectoryPicker = async () => navigator.storage.getDirectory();"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """An initialised instance on SQLite (its own data directory)."""
    data_dir = tmp_path_factory.mktemp("pc-copy") / "data"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    try:
        init_instance(data_dir)
        yield load_settings(data_dir)
    finally:
        os.environ.update(saved)


@pytest.fixture
def live(settings: Settings, live_server: Callable[[object], str]) -> Iterator[Live]:
    """The real app (pages, static modules, relay API) on 127.0.0.1, with a fake clock."""
    clock = FakeClock()
    clock.set(clock.now().replace(year=2026, month=11, day=25, hour=9))
    services = build_services(settings, clock, actor="test")
    try:
        yield Live(live_server(create_app(services)), services, clock)
    finally:
        services.close()


@contextlib.contextmanager
def device(browser: Browser, recorder: RequestRecorder, viewport: ViewportSize, *, pc: bool = False) -> Iterator[Page]:
    """A page in its own recorded context (Korean, Asia/Seoul); fails on uncaught page errors."""
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport=viewport, accept_downloads=pc)
    if pc:
        context.add_init_script(PICK_OPFS)
    recorder.attach(context)
    uncaught: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: uncaught.append(str(exc)))
        yield page
        assert not uncaught, "uncaught errors in the page:\n" + "\n".join(uncaught)
    finally:
        context.close()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=10_000)


def _opfs_file(page: Page, folder: str, name: str) -> bytes:
    """A file the page wrote under the picked folder (here the origin-private file system)."""
    data: str = page.evaluate(
        """async ([folder, name]) => {
            const { toBase64 } = await import("/static/js/bytes.js");
            let dir = await navigator.storage.getDirectory();
            for (const part of folder.split("/")) dir = await dir.getDirectoryHandle(part);
            const file = await (await dir.getFileHandle(name)).getFile();
            return toBase64(new Uint8Array(await file.arrayBuffer()));
        }""",
        [folder, name],
    )
    return unb64(data)


def _download(page: Page, button: str, target: Path) -> bytes:
    with page.expect_download() as info:
        page.click(button)
    download = info.value
    assert download.suggested_filename == target.name
    download.save_as(target)
    return target.read_bytes()


def _same_key(cert_der: bytes, bundle: PrivateKeyBundle) -> None:
    public = x509.load_der_x509_certificate(cert_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    signature = bundle.key.sign(b"npki login", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"npki login", padding.PKCS1v15(), hashes.SHA256())


def test_phone_to_pc_on_the_web(
    browser: Browser, live: Live, recorder: RequestRecorder, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    with device(browser, recorder, PHONE) as phone, device(browser, recorder, PC, pc=True) as pc:
        _open(phone, f"{live.url}/bank/copy/to-pc")
        _, cert, pkcs8, random_num = _credential_in_browser(phone, live)

        _open(pc, f"{live.url}/bank/pc/certs/import")
        pc.wait_for_selector("#copy-code[data-code]", timeout=20_000)
        code = pc.get_attribute("#copy-code", "data-code") or ""
        assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code), code
        link = pc.get_attribute("#qr", "data-text") or ""
        assert link == f"{live.url}/bank/copy/to-pc#code={code}"
        expect(pc.locator("#qr svg[role=img] path")).to_have_count(1)
        assert pc.get_attribute("#qr svg", "aria-label") and code in (pc.get_attribute("#qr svg", "aria-label") or "")
        assert_no_violations(pc, "PC import: code and QR")
        shot(screenshot, pc, "code")

        phone.goto("about:blank")
        _open(phone, link)  # what scanning the QR opens
        expect(phone.locator("#copy-code")).to_have_value(code)
        assert "#" not in phone.url  # the code leaves the address bar and the history
        phone.fill("#copy-password", PASSWORD)
        phone.click("#send-button")

        expect(pc.locator("#password-panel")).to_be_visible(timeout=30_000)
        expect(pc.locator("#received-facts")).to_contain_text("김복사")
        pc.fill("#received-password", WRONG)
        pc.click("#password-button")
        expect(pc.locator("#password-error")).to_contain_text("(오류 1/5회)")
        assert_no_violations(pc, "PC import: wrong password")
        pc.fill("#received-password", PASSWORD)
        pc.click("#password-button")
        expect(pc.locator("#save-panel")).to_be_visible(timeout=20_000)
        expect(phone.locator("#sent-panel")).to_be_visible(timeout=30_000)
        expect(pc.locator("#folder-button")).to_be_visible()
        pc.click("#folder-button")
        expect(pc.locator("#save-status[data-folder]")).to_be_attached()
        folder = pc.get_attribute("#save-status", "data-folder") or ""
        assert "/USER/cn=" in folder, folder
        assert_no_violations(pc, "PC import: saved")
        shot(screenshot, pc, "saved")

        written_cert = _opfs_file(pc, folder, "signCert.der")
        written_key = _opfs_file(pc, folder, "signPri.key")
        downloaded_cert = _download(pc, "#download-cert", tmp_path / "signCert.der")
        downloaded_key = _download(pc, "#download-key", tmp_path / "signPri.key")

    assert written_cert == downloaded_cert == cert
    assert written_key == downloaded_key
    x509.load_der_x509_certificate(downloaded_cert)  # parses
    info = describe_sign_pri(downloaded_key)
    assert "PBES2" in info.name and "AES" in info.cipher.upper(), info
    bundle = decrypt_sign_pri(downloaded_key, PASSWORD)  # jointcert's npki code opens it with the password
    assert bundle.random_num == random_num  # R kept: the VID still verifies
    assert bundle.key.private_numbers() == decode_pkcs8(pkcs8).key.private_numbers()
    _same_key(downloaded_cert, bundle)
    store = NpkiStore(tmp_path / "NPKI")
    written = store.write(downloaded_cert, downloaded_key)
    assert written.relative_to(store.root).as_posix() == folder  # the page names folders as jointcert's store

    with_r = encode_pkcs8(PrivateKeyBundle(bundle.key, random_num))
    recorder.assert_never_sent(
        passwords=(PASSWORD, WRONG, code.replace("-", "")[4:]), secrets=(pkcs8, with_r, random_num)
    )


def test_pc_to_phone_on_the_web(
    browser: Browser, live: Live, recorder: RequestRecorder, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    npki = tmp_path / "NPKI"
    cert, bundle = issue_npki_folder(live.services.authority, npki, PASSWORD)  # signPri.key in SEED
    [folder] = list(npki.glob("*/USER/*"))
    seed_key = (folder / "signPri.key").read_bytes()
    web_key = tmp_path / "web" / "signPri.key"  # as the import page writes it (PBES2, AES-256-CBC)
    web_key.parent.mkdir()
    web_key.write_bytes(wrap_key(bundle, PASSWORD))

    with (
        device(browser, recorder, PHONE) as phone,
        device(browser, recorder, PC, pc=True) as pc,
    ):
        _open(phone, f"{live.url}/bank/copy/from-pc")
        phone.wait_for_selector("#copy-code[data-code]", timeout=20_000)
        code = phone.get_attribute("#copy-code", "data-code") or ""

        _open(pc, f"{live.url}/bank/pc/certs/export")
        assert_no_violations(pc, "PC export: form")
        pc.fill("#export-code", code)
        pc.set_input_files("#cert-file", str(folder / "signCert.der"))
        pc.set_input_files("#key-file", str(folder / "signPri.key"))
        pc.fill("#export-password", PASSWORD)
        shot(screenshot, pc, "form")
        pc.click("#export-button")
        expect(pc.locator("#export-error")).to_contain_text("jointcert copy send")  # SEED: WebCrypto has none
        assert_no_violations(pc, "PC export: SEED refused")

        pc.set_input_files("#key-file", str(web_key))
        pc.fill("#export-password", WRONG)
        pc.click("#export-button")
        expect(pc.locator("#export-error")).to_have_attribute("data-code", "wrong_certificate_password")
        assert pc.evaluate("document.activeElement?.id") == "export-password"
        pc.fill("#export-password", PASSWORD)
        pc.click("#export-button")

        expect(phone.locator("#password-panel")).to_be_visible(timeout=30_000)
        phone.fill("#received-password", PASSWORD)
        phone.click("#password-button")
        expect(phone.locator("#done-panel")).to_be_visible(timeout=20_000)
        expect(pc.locator("#exported-panel")).to_be_visible(timeout=20_000)
        expect(pc.locator("#exported-facts")).to_contain_text("김복사")
        assert_no_violations(pc, "PC export: sent")
        shot(screenshot, pc, "sent")

        unlocked = _unlock_and_sign(phone, PASSWORD, b"bank login challenge")
    assert unb64(unlocked["certificate"]) == cert
    assert unb64(unlocked["randomNum"]) == bundle.random_num
    public = x509.load_der_x509_certificate(cert).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(unb64(unlocked["signature"]), b"bank login challenge", padding.PKCS1v15(), hashes.SHA256())
    pkcs8 = bundle.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    recorder.assert_never_sent(
        passwords=(PASSWORD, WRONG, code.replace("-", "")[4:]),
        secrets=(pkcs8, encode_pkcs8(bundle), bundle.random_num or b"", seed_key),
    )


def test_pc_to_phone_on_the_web_with_a_km_pair(
    browser: Browser, live: Live, recorder: RequestRecorder, tmp_path: Path
) -> None:
    """The PC page sends signCert.der + signPri.key with kmCert.der + kmPri.key; the phone's wallet keeps both."""
    cert, sign, km_cert, km = _issue_pair(live)
    files = tmp_path / "web"
    files.mkdir()
    for name, data in (
        ("signCert.der", cert),
        ("signPri.key", wrap_key(sign, PASSWORD)),  # as the import page writes it (PBES2, AES-256-CBC)
        ("kmCert.der", km_cert),
        ("kmPri.key", wrap_key(km, PASSWORD)),
    ):
        (files / name).write_bytes(data)
    with (
        device(browser, recorder, PHONE) as phone,
        device(browser, recorder, PC, pc=True) as pc,
    ):
        _open(phone, f"{live.url}/bank/copy/from-pc")
        phone.wait_for_selector("#copy-code[data-code]", timeout=20_000)
        code = phone.get_attribute("#copy-code", "data-code") or ""
        _open(pc, f"{live.url}/bank/pc/certs/export")
        pc.fill("#export-code", code)
        pc.set_input_files("#cert-file", str(files / "signCert.der"))
        pc.set_input_files("#key-file", str(files / "signPri.key"))
        pc.set_input_files("#km-cert-file", str(files / "kmCert.der"))
        pc.click("#export-button")  # kmPri.key missing: both km files or neither
        expect(pc.locator("#export-error")).to_contain_text("kmPri.key")
        pc.set_input_files("#km-key-file", str(files / "kmPri.key"))
        pc.fill("#export-password", PASSWORD)
        pc.click("#export-button")
        expect(phone.locator("#password-panel")).to_be_visible(timeout=30_000)
        phone.fill("#received-password", PASSWORD)
        phone.click("#password-button")
        expect(phone.locator("#done-panel")).to_be_visible(timeout=20_000)
        held = phone.evaluate(
            """async (password) => {
                const { openVault } = await import("/static/js/vault.js");
                const { toBase64 } = await import("/static/js/bytes.js");
                const vault = await openVault();
                const [credential] = await vault.listCredentials();
                const exported = await vault.exportPkcs8(credential.id, password);
                vault.close();
                return { km: toBase64(credential.kmCertificateDer), kmPkcs8: toBase64(exported.km.pkcs8) };
            }""",
            PASSWORD,
        )
    assert unb64(held["km"]) == km_cert
    assert decode_pkcs8(unb64(held["kmPkcs8"])).key.private_numbers() == km.key.private_numbers()
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=(encode_pkcs8(km), encode_pkcs8(sign)))
