"""OpenSSL reads the PFX files and PBES2 key files we write, and we read the PFX files OpenSSL writes."""

import hashlib
import hmac
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyasn1.codec.der import decoder, encoder
from pyasn1.type import univ
from pyasn1_modules import rfc5652, rfc7292

from jointcert.npki._kdf import PKCS12_MAC, bmp_password, pkcs12_kdf
from jointcert.npki.keyfile import KeyScheme, encrypt_sign_pri
from jointcert.npki.pfx import export_pfx, import_pfx
from tests.unit.npki import factories

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]
R_HEX = " ".join(f"{b:02X}" for b in factories.TEST_R)


def openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False, timeout=60)


def _legacy_provider() -> bool:
    return openssl("list", "-providers", "-provider", "legacy").returncode == 0


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        (False, [b"MAC: sha256", b"PBES2, PBKDF2, AES-256-CBC", b"PRF hmacWithSHA256", b"Shrouded Keybag"]),
        (True, [b"MAC: sha1", b"Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC", b"PKCS7 Data"]),
    ],
)
@pytest.mark.parametrize("password", ["Pfx-pass1!", "한글 비밀번호1!"])
def test_openssl_pkcs12_info_reads_our_pfx(tmp_path: Path, legacy: bool, expected: list[bytes], password: str) -> None:
    path = tmp_path / "ours.pfx"
    chain = [factories.ca_certificate()]
    path.write_bytes(export_pfx(factories.certificate(), factories.bundle(), password, chain=chain, legacy=legacy))
    info = openssl("pkcs12", "-info", "-noout", "-in", str(path), "-passin", f"pass:{password}")
    assert info.returncode == 0, info.stderr
    for fragment in expected:
        assert fragment in info.stdout + info.stderr
    dump = openssl("pkcs12", "-in", str(path), "-passin", f"pass:{password}", "-nodes")
    assert dump.returncode == 0, dump.stderr
    assert f"1.2.410.200004.10.1.1.3: {R_HEX}".encode() in dump.stdout  # R survives, visible to OpenSSL
    assert dump.stdout.count(b"BEGIN CERTIFICATE") == 2


def test_openssl_refuses_our_pfx_with_a_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "ours.pfx"
    path.write_bytes(export_pfx(factories.certificate(), factories.bundle(), "Pfx-pass1!"))
    assert openssl("pkcs12", "-info", "-noout", "-in", str(path), "-passin", "pass:wrong").returncode != 0


@pytest.mark.skipif(not _legacy_provider(), reason="OpenSSL's legacy provider (SEED) is not installed")
def test_openssl_decrypts_our_pbes2_seed_key_file(tmp_path: Path) -> None:
    path = tmp_path / "signPri.key"
    path.write_bytes(encrypt_sign_pri(factories.bundle(), "Cert-pass1!", scheme=KeyScheme.PBES2_SEED))
    out = openssl(
        *("pkcs8", "-inform", "DER", "-in", str(path), "-passin", "pass:Cert-pass1!", "-outform", "DER"),
        *("-provider", "legacy", "-provider", "default"),
    )
    assert out.returncode == 0, out.stderr
    key = serialization.load_der_private_key(out.stdout, None)
    assert key.private_numbers() == factories.rsa_key().private_numbers()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def openssl_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("openssl")
    pem = folder / "both.pem"
    key = factories.rsa_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem.write_bytes(key + factories.certificate().public_bytes(serialization.Encoding.PEM))
    return pem


@pytest.mark.parametrize("options", [[], ["-keypbe", "NONE", "-certpbe", "NONE"], ["-descert"], ["-legacy"]], ids=str)
def test_we_import_pfx_made_by_openssl(tmp_path: Path, openssl_pem: Path, options: list[str]) -> None:
    if "-legacy" in options and not _legacy_provider():
        pytest.skip("OpenSSL's legacy provider (RC2) is not installed")
    path = tmp_path / "theirs.pfx"
    made = openssl("pkcs12", "-export", "-in", str(openssl_pem), "-out", str(path), "-passout", "pass:pw", *options)
    assert made.returncode == 0, made.stderr
    contents = import_pfx(path.read_bytes(), "pw")
    assert contents.cert == factories.certificate() and contents.bundle.random_num is None
    assert contents.bundle.key.private_numbers() == factories.rsa_key().private_numbers()


@pytest.mark.skipif(not _legacy_provider(), reason="OpenSSL's legacy provider (RC2) is not installed")
def test_r_is_kept_when_another_safe_needs_the_fallback_reader(tmp_path: Path, openssl_pem: Path) -> None:
    # A PFX with an RC2-40 certificate safe (which only cryptography's loader reads) next to our 3DES key bag.
    theirs = tmp_path / "theirs.pfx"
    made = openssl("pkcs12", "-export", "-legacy", "-in", str(openssl_pem), "-out", str(theirs), "-passout", "pass:pw")
    assert made.returncode == 0, made.stderr
    rc2_safe = _safes(theirs.read_bytes())[0]
    encrypted, _ = decoder.decode(bytes(rc2_safe["content"]), asn1Spec=rfc5652.EncryptedData())
    rc2_40 = "1.2.840.113549.1.12.1.6"  # pbeWithSHAAnd40BitRC2-CBC
    assert str(encrypted["encryptedContentInfo"]["contentEncryptionAlgorithm"]["algorithm"]) == rc2_40
    ours = _safes(export_pfx(factories.certificate(), factories.bundle(), "pw", legacy=True))
    contents = import_pfx(_pfx_with_sha1_mac([rc2_safe, *ours], "pw"), "pw")
    assert contents.bundle.random_num == factories.TEST_R and contents.cert == factories.certificate()


def _safes(data: bytes) -> list[rfc5652.ContentInfo]:
    pfx, _ = decoder.decode(data, asn1Spec=rfc7292.PFX())
    auth, _ = decoder.decode(bytes(pfx["authSafe"]["content"]), asn1Spec=univ.OctetString())
    safes, _ = decoder.decode(bytes(auth), asn1Spec=rfc7292.AuthenticatedSafe())
    return list(safes)


def _pfx_with_sha1_mac(safes: list[rfc5652.ContentInfo], password: str) -> bytes:
    authenticated = rfc7292.AuthenticatedSafe()
    authenticated.extend(safes)
    auth = bytes(encoder.encode(authenticated))
    salt = os.urandom(8)
    key = pkcs12_kdf("sha1", bmp_password(password), salt, purpose=PKCS12_MAC, iterations=2048, length=20)
    pfx = rfc7292.PFX()
    pfx["version"] = 3
    pfx["authSafe"]["contentType"] = rfc5652.id_data
    pfx["authSafe"]["content"] = encoder.encode(univ.OctetString(auth))
    pfx["macData"]["mac"]["digestAlgorithm"]["algorithm"] = univ.ObjectIdentifier("1.3.14.3.2.26")
    pfx["macData"]["mac"]["digest"] = hmac.new(key, auth, hashlib.sha1).digest()
    pfx["macData"]["macSalt"] = salt
    pfx["macData"]["iterations"] = 2048
    return bytes(encoder.encode(pfx))


@pytest.mark.parametrize(
    "vector", [("SHA1", "Cert-pass1!", "0102030405060708", 1, 2048, 24), ("SHA256", "한글비번!", "a0" * 16, 3, 5, 32)]
)
def test_pkcs12_kdf_agrees_with_openssl(vector: tuple[str, str, str, int, int, int]) -> None:
    digest, password, salt, purpose, iterations, length = vector
    bmp = bmp_password(password)
    out = openssl(
        *("kdf", "-keylen", str(length), "-kdfopt", f"digest:{digest}", "-kdfopt", f"hexpass:{bmp.hex()}"),
        *("-kdfopt", f"hexsalt:{salt}", "-kdfopt", f"iter:{iterations}", "-kdfopt", f"id:{purpose}", "PKCS12KDF"),
    )
    assert out.returncode == 0, out.stderr
    ours = pkcs12_kdf(digest.lower(), bmp, bytes.fromhex(salt), purpose=purpose, iterations=iterations, length=length)
    assert out.stdout.decode().strip().replace(":", "").lower() == ours.hex()
