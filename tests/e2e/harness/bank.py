"""Helpers for the bank app's browser tests: an instance on a fake clock, CA-issued certificates put into the
browser's wallet through the page's own vault module, and a phone-sized (390×844) page that fails the test on
uncaught errors and (unless allowed) console errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Browser, Page, ViewportSize

from jointcert.app import Services, build_services, init_instance
from jointcert.clock import Clock
from jointcert.config import load_settings
from jointcert.npki.keyfile import new_random_num
from jointcert.types import CertType
from tests.e2e.harness.support import RequestRecorder, b64
from tests.integration.issuance_flow import cheap_hasher
from tests.unit.ca.factories import fresh_rrn, make_request

__all__ = [
    "PHONE",
    "START",
    "Issued",
    "fresh_instance",
    "issue",
    "phone_page",
    "save_in_wallet",
    "shot",
    "unlock_in_page",
]

PHONE: ViewportSize = {"width": 390, "height": 844}
START = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Issued:
    """A CA-issued certificate and what only the device may know."""

    key: rsa.RSAPrivateKey
    r: bytes
    rrn: str
    cert_der: bytes
    serial: int

    @property
    def pkcs8(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def secrets(self) -> tuple[bytes, ...]:
        """The PKCS#8, R and the private numbers, none of which may ever be sent."""
        numbers = self.key.private_numbers()
        as_bytes = [n.to_bytes((n.bit_length() + 7) // 8, "big") for n in (numbers.d, numbers.p, numbers.q)]
        return (self.pkcs8, self.r, *as_bytes)


@contextlib.contextmanager
def fresh_instance(data_dir: Path, clock: Clock, *, cheap_bank_secrets: bool = False) -> Iterator[Services]:
    """``jointcert init`` in ``data_dir`` (SQLite) and its services on ``clock``; closed afterwards.
    ``cheap_bank_secrets``: the sandbox bank hashes PINs with Argon2's cheapest parameters (fast seeding)."""
    with pytest.MonkeyPatch.context() as env:
        for name in (
            "JOINTCERT_DATABASE_URL",
            "JOINTCERT_SECRET_KEY",
            "JOINTCERT_CA__PASSPHRASE",
            "JOINTCERT_DATA_DIR",
        ):
            env.delenv(name, raising=False)
        init_instance(data_dir, clock)
        settings = load_settings(data_dir)
        hasher = cheap_hasher(settings.secret_key_bytes()) if cheap_bank_secrets else None
        services = build_services(settings, clock, actor="test", bank_hasher=hasher)
    try:
        yield services
    finally:
        services.close()


def issue(services: Services, cert_type: CertType = CertType.LIMITED, name: str = "홍길동") -> Issued:
    """A certificate from the instance's CA for a key made here (what the issuance pages would have stored)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rrn, r = fresh_rrn(), new_random_num()
    issued = services.authority.issue(make_request(key, rrn=rrn, random_num=r, cert_type=cert_type, name=name))
    return Issued(key, r, rrn, issued.der, issued.certificate.serial_number)


def save_in_wallet(page: Page, issued: Issued, password: str) -> str:
    """Store PKCS#8 + R + certificate under ``password`` with the page's own vault module; the vault id."""
    credential_id: str = page.evaluate(
        """async ([pkcs8, r, cert, password]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { fromBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const saved = await vault.saveCredential({ pkcs8: fromBase64(pkcs8), randomNum: fromBase64(r),
                                                       certificateDer: fromBase64(cert) }, password);
            vault.close();
            return saved.id;
        }""",
        [b64(issued.pkcs8), b64(issued.r), b64(issued.cert_der), password],
    )
    return credential_id


def unlock_in_page(page: Page, password: str) -> dict[str, str]:
    """Unlock the wallet's only credential: its certificate and R (base64), or ``{"error": code}``."""
    result: dict[str, str] = page.evaluate(
        """async ([password]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { toBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const list = await vault.listCredentials();
            if (list.length !== 1) return { error: `count ${list.length}` };
            try {
                const unlocked = await vault.unlock(list[0].id, password);
                return { certificate: toBase64(unlocked.certificateDer), randomNum: toBase64(unlocked.randomNum) };
            } catch (err) {
                return { error: err.code ?? String(err) };
            } finally {
                vault.close();
            }
        }""",
        [password],
    )
    return result


@contextlib.contextmanager
def phone_page(browser: Browser, recorder: RequestRecorder, *, console_errors_expected: bool = False) -> Iterator[Page]:
    """A 390×844 page in a fresh, recorded context (Korean, Asia/Seoul); fails on page errors after the test."""
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport=PHONE)
    recorder.attach(context)
    uncaught: list[str] = []
    console: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: uncaught.append(str(exc)))
        page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
        yield page
        assert not uncaught, "uncaught errors in the page:\n" + "\n".join(uncaught)
        if not console_errors_expected:
            assert not console, "console errors in the page:\n" + "\n".join(console)
    finally:
        context.close()


def shot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    """A full-page screenshot taken from the top (the app's header is sticky: scrolled, it would cover content)."""
    page.evaluate("window.scrollTo(0, 0)")
    return screenshot(page, name)
