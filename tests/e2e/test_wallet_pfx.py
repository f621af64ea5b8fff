"""인증서 관리 → PFX로 내보내기 / PFX 파일 가져오기 in headless Chromium against the real app: the PFX the wallet
writes is read by `openssl pkcs12` (MAC and both safes) and by PyPinkSign, and `jointcert.npki.pfx` finds R in it;
PFX files written by `jointcert export --pfx` (R kept), by `openssl pkcs12 -export` and by cryptography (what
PyPinkSign's library reads; no R in either) import into the wallet; a wrong password and a legacy 3DES file are
refused with a clear message. Passwords, keys and R never leave the page."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import Browser, Page, expect
from pypinksign import PinkSign

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.npki.keyfile import PrivateKeyBundle
from jointcert.npki.pfx import export_pfx, import_pfx
from jointcert.web.app import create_app
from tests.e2e.harness.bank import START, Issued, fresh_instance, issue, phone_page, save_in_wallet, shot
from tests.e2e.harness.support import RequestRecorder

pytestmark = pytest.mark.browser

PASSWORD = "Wallet#2026-pfx"
PFX_PASSWORD = "Pfx#2026-transfer"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with fresh_instance(tmp_path / "data", FakeClock(START)) as built:
        yield built


def open_wallet(page: Page, base: str) -> None:
    page.goto(f"{base}/bank/wallet")
    page.wait_for_selector("body[data-ready=true]")


def unlock(page: Page, certificate_der: bytes, password: str) -> dict[str, str]:
    """Unlock the wallet credential of ``certificate_der``: its certificate and R (base64), or ``{"error": code}``."""
    result: dict[str, str] = page.evaluate(
        """async ([cert, password]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { toBase64, fromBase64, toHex } = await import("/static/js/bytes.js");
            const id = toHex(await crypto.subtle.digest("SHA-256", fromBase64(cert)));
            const vault = await openVault();
            try {
                const unlocked = await vault.unlock(id, password);
                const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", unlocked.privateKey,
                                                           new TextEncoder().encode("pfx"));
                return { certificate: toBase64(unlocked.certificateDer), randomNum: toBase64(unlocked.randomNum),
                         signature: toBase64(new Uint8Array(signature)) };
            } catch (err) {
                return { error: err.code ?? String(err) };
            } finally {
                vault.close();
            }
        }""",
        [base64.b64encode(certificate_der).decode(), password],
    )
    return result


def import_in_wallet(page: Page, pfx: Path, password: str, new_password: str = "") -> None:
    page.click("#action-pfx-import")
    page.set_input_files("#pfx-file", str(pfx))
    page.fill("#pfx-import-password", password)
    page.fill("#pfx-import-new-password", new_password)
    page.click("#pfx-import-submit")


def _openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=60, check=False)


def _pem(issued: Issued, tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / f"{issued.serial:x}.key", tmp_path / f"{issued.serial:x}.crt"
    key.write_bytes(
        issued.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert.write_bytes(x509.load_der_x509_certificate(issued.cert_der).public_bytes(serialization.Encoding.PEM))
    return key, cert


def _signed_by(issued: Issued, signature_b64: str) -> None:
    public = x509.load_der_x509_certificate(issued.cert_der).public_key()
    public.verify(base64.b64decode(signature_b64), b"pfx", padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]


def test_export_is_read_by_openssl_and_pypinksign_with_r_kept(
    *,
    services: Services,
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    issued = issue(services, name="김내보")
    base = live_server(create_app(services))
    with phone_page(browser, recorder) as page:
        open_wallet(page, base)
        save_in_wallet(page, issued, PASSWORD)
        open_wallet(page, base)
        page.click("#action-pfx-export")
        assert page.evaluate("document.activeElement?.id") == "pfx-export-password"
        page.fill("#pfx-export-password", "Wallet#2026-wrong")
        page.click("#pfx-export-submit")
        expect(page.locator("#pfx-export-error")).to_have_attribute("data-code", "wrong_certificate_password")
        page.fill("#pfx-export-password", PASSWORD)
        page.fill("#pfx-export-pfx-password", PFX_PASSWORD)
        shot(screenshot, page, "1-export-form")
        with page.expect_download() as started:
            page.click("#pfx-export-submit")
        expect(page.locator("#wallet-message")).to_contain_text("PFX 파일로 내보냈습니다")
        download = started.value
        assert download.suggested_filename == f"김내보_{issued.serial:x}.pfx"
        pfx = tmp_path / "exported.pfx"
        download.save_as(pfx)
        shot(screenshot, page, "2-exported")
    recorder.assert_never_sent(passwords=(PASSWORD, PFX_PASSWORD), secrets=issued.secrets())

    data = pfx.read_bytes()
    info = _openssl("pkcs12", "-in", str(pfx), "-info", "-noout", "-passin", f"pass:{PFX_PASSWORD}")
    assert info.returncode == 0, info.stderr.decode()
    assert b"MAC: sha256" in info.stderr and b"PBES2, PBKDF2, AES-256-CBC" in info.stderr
    dump = _openssl("pkcs12", "-in", str(pfx), "-nodes", "-passin", f"pass:{PFX_PASSWORD}")
    assert dump.returncode == 0, dump.stderr.decode()
    key = serialization.load_pem_private_key(dump.stdout[dump.stdout.index(b"-----BEGIN PRIVATE KEY") :], None)
    assert key.public_key() == issued.key.public_key()  # type: ignore[union-attr]
    assert _openssl("pkcs12", "-in", str(pfx), "-noout", "-passin", "pass:Wrong#pass-1").returncode != 0
    signer = PinkSign(p12_data=data, prikey_password=PFX_PASSWORD.encode())
    assert signer.cn() == x509.load_der_x509_certificate(issued.cert_der).subject.rfc4514_string().split(",")[0][3:]
    public = x509.load_der_x509_certificate(issued.cert_der).public_key()
    public.verify(signer.sign(b"message"), b"message", padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    contents = import_pfx(data, PFX_PASSWORD)
    assert contents.bundle.random_num == issued.r  # R kept inside the key bag's PKCS#8
    assert contents.cert.public_bytes(serialization.Encoding.DER) == issued.cert_der
    assert contents.friendly_name == "김내보"


def test_imports_from_jointcert_openssl_and_cryptography(
    *,
    services: Services,
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    ours, by_openssl, by_cryptography, legacy = (
        issue(services, name=n) for n in ("박우리", "최오픈", "정파이", "한구형")
    )
    cert = x509.load_der_x509_certificate
    ours_pfx = tmp_path / "ours.pfx"
    ours_pfx.write_bytes(export_pfx(cert(ours.cert_der), PrivateKeyBundle(ours.key, ours.r), PFX_PASSWORD))
    key_pem, cert_pem = _pem(by_openssl, tmp_path)
    openssl_pfx = tmp_path / "openssl.p12"
    made = _openssl("pkcs12", "-export", "-inkey", str(key_pem), "-in", str(cert_pem), "-out", str(openssl_pfx),
                    "-passout", f"pass:{PFX_PASSWORD}")  # fmt: skip
    assert made.returncode == 0, made.stderr.decode()
    crypto_pfx = tmp_path / "cryptography.pfx"
    crypto_pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"crypto", by_cryptography.key, cert(by_cryptography.cert_der), None,
            serialization.BestAvailableEncryption(PFX_PASSWORD.encode()),
        )
    )  # fmt: skip
    legacy_pfx = tmp_path / "legacy.pfx"
    legacy_pfx.write_bytes(
        export_pfx(cert(legacy.cert_der), PrivateKeyBundle(legacy.key, legacy.r), PFX_PASSWORD, legacy=True)
    )
    base = live_server(create_app(services))
    with phone_page(browser, recorder) as page:
        open_wallet(page, base)
        import_in_wallet(page, ours_pfx, "Pfx#2026-wrong1")
        expect(page.locator("#pfx-import-error")).to_have_attribute("data-code", "wrong_certificate_password")
        expect(page.locator("#pfx-import-error")).to_contain_text("비밀번호")
        page.click("#pfx-import-panel [data-cancel]")
        import_in_wallet(page, ours_pfx, PFX_PASSWORD, new_password=PASSWORD)
        expect(page.locator("#wallet-message")).to_contain_text("R 포함")
        expect(page.locator("#detail-title")).to_have_text("박우리")  # the list shows it, chosen
        shot(screenshot, page, "1-imported-ours")
        unlocked = unlock(page, ours.cert_der, PASSWORD)
        assert base64.b64decode(unlocked["randomNum"]) == ours.r  # R kept
        _signed_by(ours, unlocked["signature"])

        import_in_wallet(page, openssl_pfx, PFX_PASSWORD)  # the PFX password becomes the certificate password
        expect(page.locator("#wallet-message")).to_contain_text("R이 없어")
        unlocked = unlock(page, by_openssl.cert_der, PFX_PASSWORD)
        assert unlocked["randomNum"] == "" and base64.b64decode(unlocked["certificate"]) == by_openssl.cert_der
        _signed_by(by_openssl, unlocked["signature"])

        import_in_wallet(page, crypto_pfx, PFX_PASSWORD)
        expect(page.locator("#wallet-message")).to_contain_text("정파이 인증서를 가져왔습니다")
        _signed_by(by_cryptography, unlock(page, by_cryptography.cert_der, PFX_PASSWORD)["signature"])

        import_in_wallet(page, legacy_pfx, PFX_PASSWORD)
        expect(page.locator("#pfx-import-error")).to_have_attribute("data-code", "pfx_legacy_cipher")
        expect(page.locator("#pfx-import-error")).to_contain_text("jointcert import")
        page.fill("#pfx-import-new-password", "short")
        import_in_wallet(page, ours_pfx, PFX_PASSWORD, new_password="short")
        expect(page.locator("#pfx-import-error")).to_have_attribute("data-code", "weak_certificate_password")
        shot(screenshot, page, "2-refused")
        expect(page.locator(".cert")).to_have_count(3)
    recorder.assert_never_sent(
        passwords=(PASSWORD, PFX_PASSWORD), secrets=ours.secrets() + by_openssl.secrets() + by_cryptography.secrets()
    )
