"""Copying a sign + km pair between the browser wallet and the PC (``jointcert copy`` subprocesses, a live
server, headless Chromium): both directions carry all four files; the km key never travels or rests in the clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Page, expect

from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.npki.keyfile import PrivateKeyBundle, decrypt_sign_pri, encode_pkcs8, encrypt_sign_pri, generate_bundle
from jointcert.npki.store import NpkiStore
from jointcert.types import CertType
from tests.e2e.harness.support import RequestRecorder, b64, unb64
from tests.e2e.test_relay_copy import (
    PASSWORD,
    CliReceiver,
    Live,
    _cli_send,
    _open,
    _send_from_page,
    _shown_code,
    live,
    settings,
)
from tests.unit.relay.factories import RRN

__all__ = ["live", "settings"]
pytestmark = pytest.mark.browser


def _spki(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _issue_pair(live: Live) -> tuple[bytes, PrivateKeyBundle, bytes, PrivateKeyBundle]:
    """A sign + km pair from the real CA pipeline: (signCert, its key with R, kmCert, the km key without R)."""
    sign, km = generate_bundle(), PrivateKeyBundle(generate_bundle().key, None)
    message = b"pair copy e2e pop"

    def proof(key: rsa.RSAPrivateKey) -> SignatureProof:
        return SignatureProof(message, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))

    request = IssuanceRequest(
        CertType.LIMITED, "김복사", RRN, sign.random_num, _spki(sign.key), proof(sign.key), "api",
        km_public_key_der=_spki(km.key), km_pop=proof(km.key),
    )  # fmt: skip
    issued = live.services.authority.issue(request)
    assert issued.km is not None
    return issued.der, sign, issued.km.der, km


def test_phone_to_pc_moves_the_pair(page: Page, live: Live, recorder: RequestRecorder, tmp_path: Path) -> None:
    cert, sign, km_cert, km = _issue_pair(live)
    _open(page, live, "/bank/copy/to-pc")
    page.evaluate(
        """async ([cert, pkcs8, kmCert, kmPkcs8, password]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { fromBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            await vault.saveCredential({ pkcs8: fromBase64(pkcs8), certificateDer: fromBase64(cert),
              km: { pkcs8: fromBase64(kmPkcs8), certificateDer: fromBase64(kmCert) } }, password);
            vault.close();
        }""",
        [b64(cert), b64(encode_pkcs8(sign)), b64(km_cert), b64(encode_pkcs8(km)), PASSWORD],
    )
    _open(page, live, "/bank/copy/to-pc")
    receiver = CliReceiver(live.url, tmp_path / "NPKI", PASSWORD)
    _send_from_page(page, receiver.code())
    expect(page.locator("#sent-panel")).to_be_visible(timeout=30_000)
    status, out, err = receiver.finish()
    assert status == 0, out + err
    [folder] = list((tmp_path / "NPKI").glob("*/USER/*"))
    assert (folder / "kmCert.der").read_bytes() == km_cert and (folder / "signCert.der").read_bytes() == cert
    copied = decrypt_sign_pri((folder / "kmPri.key").read_bytes(), PASSWORD)
    assert copied.random_num is None and copied.key.private_numbers() == km.key.private_numbers()
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=(encode_pkcs8(km), encode_pkcs8(sign)))


def test_pc_to_phone_keeps_the_pair(page: Page, live: Live, recorder: RequestRecorder, tmp_path: Path) -> None:
    cert, sign, km_cert, km = _issue_pair(live)
    npki = tmp_path / "NPKI"
    key_files = (encrypt_sign_pri(sign, PASSWORD), (km_cert, encrypt_sign_pri(km, PASSWORD)))
    NpkiStore(npki).write(cert, key_files[0], km=key_files[1])
    _open(page, live, "/bank/copy/from-pc")
    _cli_send(live, npki, _shown_code(page))
    expect(page.locator("#password-panel")).to_be_visible(timeout=20_000)
    page.fill("#received-password", PASSWORD)
    page.click("#password-button")
    expect(page.locator("#done-panel")).to_be_visible(timeout=20_000)
    held = page.evaluate(
        """async (password) => {
            const { openVault } = await import("/static/js/vault.js");
            const { toBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const [credential] = await vault.listCredentials();
            const exported = await vault.exportPkcs8(credential.id, password);
            await vault.changePassword(credential.id, password, password + "2");  // the km key is re-sealed too
            const again = await vault.exportPkcs8(credential.id, password + "2");
            vault.close();
            return { km: toBase64(credential.kmCertificateDer), kmPkcs8: toBase64(exported.km.pkcs8),
                     kmAfter: toBase64(again.km.pkcs8) };
        }""",
        PASSWORD,
    )
    assert unb64(held["km"]) == km_cert
    assert unb64(held["kmPkcs8"]) == unb64(held["kmAfter"])
    key = serialization.load_der_private_key(unb64(held["kmPkcs8"]), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.private_numbers() == km.key.private_numbers()
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=(encode_pkcs8(km), encode_pkcs8(sign)))
