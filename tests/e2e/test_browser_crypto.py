"""Browser-side cryptography in headless Chromium: keys, signatures, the encrypted vault, export, and no leaks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Page
from pyasn1.codec.der import decoder
from pyasn1.type import namedtype, tag, univ
from pyasn1_modules import rfc5280
from pypinksign import PinkSign, encrypt_decrypted_prikey

from jointcert.npki.oids import ID_KISA_RANDOM_NUM
from tests.e2e.harness.certs import FakeCa, make_ca
from tests.e2e.harness.support import (
    RequestRecorder,
    b64,
    call,
    error_of,
    js,
    secret_encodings,
    text_encodings,
    unb64,
)

pytestmark = pytest.mark.browser

PASSWORD = "Hanbit#2026pw"
NEW_PASSWORD = "Byeol!7sky-river"
WRONG_PASSWORD = "Hanbit#2026pX"


@pytest.fixture(scope="module")
def ca() -> FakeCa:
    """One test CA for the module."""
    return make_ca()


@dataclass(frozen=True)
class NewKey:
    """A key pair made in the page, as the test sees it."""

    spki: bytes
    random_num: bytes
    pkcs8: bytes  # revealed to the test only, to know what must never leave the page or reach storage
    cert: bytes

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_der_private_key(self.pkcs8, None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key


def new_key(page: Page, ca: FakeCa) -> NewKey:
    """Generate a key pair and R in the page, and a certificate for it from the test CA."""
    made = call(page, "generate")
    spki, random_num = unb64(made["spki"]), unb64(made["randomNum"])
    pkcs8 = unb64(page.evaluate("harness.revealPkcs8ForTest()"))
    return NewKey(spki, random_num, pkcs8, ca.issue(spki, random_num=random_num))


def verify(spki: bytes, signature: bytes, data: bytes) -> None:
    """Verify sha256WithRSAEncryption with Python's cryptography (raises InvalidSignature)."""
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


def key_secrets(key: NewKey) -> tuple[bytes, ...]:
    """Byte strings that reveal the private key or R: the PKCS#8, its RSA primes and exponent, R."""
    numbers = key.private_key.private_numbers()
    big = [numbers.p, numbers.q, numbers.d]
    return (key.pkcs8, *(n.to_bytes((n.bit_length() + 7) // 8, "big") for n in big), key.random_num)


def test_key_pair_signs_what_python_verifies(harness: Page) -> None:
    made = call(harness, "generate")
    assert made["extractable"] is True and made["usages"] == ["sign"]
    public = serialization.load_der_public_key(unb64(made["spki"]))
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048 and public.public_numbers().e == 65537
    assert len(unb64(made["randomNum"])) == 20

    challenge = hashlib.sha256(b"login challenge 42").digest() + b"\x00\xff"
    signature = unb64(call(harness, "signWithNewKey", b64(challenge)))
    assert len(signature) == 256
    verify(unb64(made["spki"]), signature, challenge)
    with pytest.raises(InvalidSignature):
        verify(unb64(made["spki"]), signature, challenge + b"!")

    other = call(harness, "generate")
    assert unb64(other["randomNum"]) != unb64(made["randomNum"])
    with pytest.raises(InvalidSignature):
        verify(unb64(other["spki"]), signature, challenge)


def test_vault_save_list_unlock_change_delete(
    harness: Page, ca: FakeCa, recorder: RequestRecorder, screenshot: Callable[..., Path]
) -> None:
    key = new_key(harness, ca)
    saved = call(harness, "save", b64(key.cert), b64(key.random_num), PASSWORD, {"type": "limited"})
    assert saved["id"] == hashlib.sha256(key.cert).hexdigest()
    assert saved["meta"] == {"type": "limited"} and saved["iterations"] >= 600_000
    assert saved["info"]["subject"]["cn"] == "홍길동()0011223344556677"
    listed = call(harness, "list")
    assert [c["id"] for c in listed] == [saved["id"]] and unb64(listed[0]["certificateDer"]) == key.cert
    screenshot(harness, "saved")

    challenge = b"challenge-from-the-bank"
    unlocked = call(harness, "unlockAndSign", saved["id"], PASSWORD, b64(challenge))
    assert unlocked["privateKey"]["$cryptoKey"] == {
        "type": "private",
        "extractable": False,
        "algorithm": "RSASSA-PKCS1-v1_5",
        "usages": ["sign"],
    }
    assert unb64(unlocked["randomNum"]) == key.random_num
    verify(key.spki, unb64(unlocked["signature"]), challenge)

    wrong = error_of(harness, "unlockAndSign", saved["id"], WRONG_PASSWORD, b64(challenge))
    assert wrong["name"] == "WrongPasswordError" and wrong["code"] == "wrong_certificate_password"
    assert wrong["messageKo"] == "인증서 비밀번호가 올바르지 않습니다."
    assert harness.locator("#log li.error").last.text_content() == "unlock: 인증서 비밀번호가 올바르지 않습니다."
    screenshot(harness, "wrong-password")

    call(harness, "changePassword", saved["id"], PASSWORD, NEW_PASSWORD)
    assert error_of(harness, "changePassword", saved["id"], PASSWORD, "Another#pw1")["code"] == (
        "wrong_certificate_password"
    )
    assert error_of(harness, "unlockAndSign", saved["id"], PASSWORD, b64(challenge))["name"] == "WrongPasswordError"
    again = call(harness, "unlockAndSign", saved["id"], NEW_PASSWORD, b64(challenge))
    verify(key.spki, unb64(again["signature"]), challenge)

    stored = json.dumps(harness.evaluate("harness.dumpIndexedDb()")).encode()
    blobs = b"".join(unb64(v) for v in _binary_values(json.loads(stored)))
    for secret in key_secrets(key):
        for haystack in (stored, blobs):
            assert not _found(haystack, secret_encodings(secret)), "a private value is stored in clear"
    for password in (PASSWORD, NEW_PASSWORD):
        assert not _found(stored + blobs, text_encodings(password)), "a password is stored"
    assert key.cert in blobs  # the dump did read the records (the public certificate is there)
    assert harness.evaluate("localStorage.length + sessionStorage.length") == 0

    call(harness, "remove", saved["id"])
    assert call(harness, "list") == []
    gone = error_of(harness, "unlockAndSign", saved["id"], NEW_PASSWORD, b64(challenge))
    assert gone["code"] == "credential_not_found"
    assert error_of(harness, "remove", saved["id"])["code"] == "credential_not_found"
    recorder.assert_never_sent(passwords=(PASSWORD, NEW_PASSWORD, WRONG_PASSWORD), secrets=key_secrets(key))


def test_export_pkcs8_for_the_pc_copy(harness: Page, ca: FakeCa, recorder: RequestRecorder) -> None:
    key = new_key(harness, ca)
    saved = call(harness, "save", b64(key.cert), b64(key.random_num), PASSWORD, {})
    assert error_of(harness, "exportPkcs8", saved["id"], WRONG_PASSWORD)["code"] == "wrong_certificate_password"
    exported = call(harness, "exportPkcs8", saved["id"], PASSWORD)

    loaded = serialization.load_der_private_key(unb64(exported["pkcs8"]), None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    cert = x509.load_der_x509_certificate(unb64(exported["certificateDer"]))
    assert loaded.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    assert unb64(exported["randomNum"]) == key.random_num

    # The signPri.key plaintext: PyPinkSign (the real-world reader) finds R in the KISA attribute.
    with_r = unb64(exported["pkcs8WithRandomNum"])
    info, rest = decoder.decode(with_r, asn1Spec=_PrivateKeyInfo())
    assert not rest and bytes(info["privateKey"]) == unb64(exported["pkcs8"])[-len(bytes(info["privateKey"])) :]
    [attribute] = info["attributes"]
    assert str(attribute["type"]) == ID_KISA_RANDOM_NUM
    assert attribute["values"][0].asOctets() == key.random_num
    sign_pri_key = encrypt_decrypted_prikey(b64(with_r), PASSWORD.encode())
    pink = PinkSign(pubkey_data=key.cert)
    pink.load_prikey(prikey_data=unb64(sign_pri_key), prikey_password=PASSWORD.encode())
    assert pink._rand_num.asOctets() == key.random_num
    assert pink.prikey.private_numbers() == key.private_key.private_numbers()
    recorder.assert_never_sent(passwords=(PASSWORD, WRONG_PASSWORD), secrets=key_secrets(key))


def test_save_refuses_a_foreign_certificate_and_duplicates(harness: Page, ca: FakeCa) -> None:
    first = new_key(harness, ca)
    second = new_key(harness, ca)  # the page now holds the second key
    mismatch = error_of(harness, "save", b64(first.cert), b64(second.random_num), PASSWORD, {})
    assert mismatch["code"] == "key_mismatch" and mismatch["messageKo"] == "인증서와 개인키가 일치하지 않습니다."
    call(harness, "save", b64(second.cert), b64(second.random_num), PASSWORD, {})
    assert error_of(harness, "save", b64(second.cert), b64(second.random_num), PASSWORD, {})["code"] == (
        "credential_exists"
    )
    assert error_of(harness, "save", b64(b"not a certificate"), b64(second.random_num), PASSWORD, {})["code"] == (
        "malformed_der"
    )
    assert error_of(harness, "save", b64(second.cert), b64(second.random_num), "", {})["code"] == "password_required"
    assert len(call(harness, "list")) == 1


def test_save_a_kisa_pkcs8_brought_from_a_pc(harness: Page, ca: FakeCa) -> None:
    """A PC key: PKCS#8 with R as the KISA attribute, made by PyPinkSign's own encoder; R comes from the key."""
    from pypinksign import inject_rand_in_plain_prikey

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    random_num = bytes(range(100, 120))
    kisa = unb64(inject_rand_in_plain_prikey(b64(plain), random_num))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert = ca.issue(spki, random_num=random_num)
    saved = call(harness, "savePkcs8", b64(kisa), None, b64(cert), PASSWORD)
    unlocked = call(harness, "unlockAndSign", saved["id"], PASSWORD, b64(b"hello"))
    assert unb64(unlocked["randomNum"]) == random_num
    verify(spki, unb64(unlocked["signature"]), b"hello")
    exported = call(harness, "exportPkcs8", saved["id"], PASSWORD)
    assert unb64(exported["pkcs8"]) == plain


TAMPER = """async (m, id, field, index) => {
  const db = await m.idb.openStore(m.vault.DEFAULT_DB_NAME, "credentials", "id");
  await m.idb.transact(db, "credentials", "readwrite", async (store) => {
    const record = await m.idb.result(store.get(id));
    if (field === "iterations") record.kdf.iterations = 2 ** 40;
    else record[field][index] ^= 0x01;
    await m.idb.result(store.put(record));
  });
  db.close();
}"""


def test_damaged_records_fail_cleanly(harness: Page, ca: FakeCa) -> None:
    key = new_key(harness, ca)
    saved = call(harness, "save", b64(key.cert), b64(key.random_num), PASSWORD, {})
    js(harness, TAMPER, saved["id"], "wrappedKey", 40)
    damaged = error_of(harness, "unlockAndSign", saved["id"], PASSWORD, b64(b"x"))
    assert damaged["code"] == "credential_corrupt" and damaged["name"] == "CredentialCorruptError"
    js(harness, TAMPER, saved["id"], "iterations", 0)
    assert error_of(harness, "exportPkcs8", saved["id"], PASSWORD)["code"] == "credential_corrupt"
    js(harness, TAMPER, saved["id"], "certificateDer", 0)  # the SEQUENCE tag: no longer a certificate
    [listed] = call(harness, "list")
    assert listed["id"] == saved["id"] and listed["info"] is None
    harness.evaluate("harness.renderWallet()")
    assert harness.locator("#wallet tbody td").first.text_content() == "(손상된 인증서)"
    assert js(harness, "(m) => m.vault.requestPersistentStorage()") in (True, False)


def test_pbkdf2_iteration_time(harness: Page, report: Callable[[str], None]) -> None:
    """Measured and reported, not asserted: how long the vault's key derivation takes in headless Chromium."""
    iterations = harness.evaluate("harness.modules.kdf.DEFAULT_ITERATIONS")
    assert iterations >= 600_000
    runs = [harness.evaluate("(n) => harness.timePbkdf2(n)", iterations) for _ in range(5)]
    assert all(ms > 0 for ms in runs)
    report(
        f"PBKDF2-HMAC-SHA256 x{iterations:,} in headless Chromium: median {median(runs):.0f} ms "
        f"(runs: {', '.join(f'{ms:.0f}' for ms in runs)} ms)"
    )


class _Attribute(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.ObjectIdentifier()),
        namedtype.NamedType("values", univ.SetOf(componentType=univ.BitString())),
    )


class _PrivateKeyInfo(univ.Sequence):
    """PKCS#8 PrivateKeyInfo with randomNum-style attributes (an independent decoder for the JS encoder)."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("privateKeyAlgorithm", rfc5280.AlgorithmIdentifier()),
        namedtype.NamedType("privateKey", univ.OctetString()),
        namedtype.OptionalNamedType(
            "attributes",
            univ.SetOf(componentType=_Attribute()).subtype(
                implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
            ),
        ),
    )


def _binary_values(value: Any) -> list[dict[str, str]]:
    """Every ``{"$b64": …}`` leaf of a harness JSON dump."""
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return [value]
        return [leaf for v in value.values() for leaf in _binary_values(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _binary_values(v)]
    return []


def _found(haystack: bytes, needles: dict[str, bytes]) -> bool:
    return any(needle in haystack for needle in needles.values())


def test_save_with_a_password_key_derived_ahead(harness: Page, ca: FakeCa) -> None:
    """kdf.prepareKey (the issuance page starts PBKDF2 while the customer confirms the password): the vault seals
    under it for the same password, and derives its own for another; both open with the password saved under."""
    script = """async (m, pkcs8, r, cert, password, preparedFor) => {
        const vault = await m.vault.openVault();
        try {
            const prepared = m.kdf.prepareKey(preparedFor);
            const saved = await vault.saveCredential({ pkcs8: m.bytes.fromBase64(pkcs8),
                randomNum: m.bytes.fromBase64(r), certificateDer: m.bytes.fromBase64(cert) }, password, { prepared });
            const opened = await vault.exportPkcs8(saved.id, password);
            const db = await m.idb.openStore(m.vault.DEFAULT_DB_NAME, "credentials", "id");
            const record = await new Promise((resolve) => {
                const request = db.transaction("credentials").objectStore("credentials").get(saved.id);
                request.onsuccess = () => resolve(request.result);
            });
            db.close();
            await vault.deleteCredential(saved.id);
            return { sameSalt: m.bytes.toBase64(record.kdf.salt) === m.bytes.toBase64(prepared.salt),
                     iterations: record.kdf.iterations, pkcs8: m.bytes.toBase64(opened.pkcs8) };
        } finally { vault.close(); }
    }"""
    for prepared_for, same in ((PASSWORD, True), (NEW_PASSWORD, False)):
        key = new_key(harness, ca)
        result = js(harness, script, b64(key.pkcs8), b64(key.random_num), b64(key.cert), PASSWORD, prepared_for)
        assert result["sameSalt"] is same
        assert result["iterations"] >= 600_000
        assert unb64(result["pkcs8"]) == key.pkcs8
