"""PyPinkSign, the reference NPKI reader, must load every signPri.key, NPKI folder and PFX we write."""

import ast
import base64
import inspect
import textwrap
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyasn1.codec.der import decoder
from pyasn1_modules import rfc5958
from pypinksign import PinkSign, choose_cert, encrypt_decrypted_prikey, inject_rand_in_plain_prikey
from pypinksign import test_pinkSign as pypinksign_tests
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.npki import _pbe
from jointcert.npki.keyfile import KeyScheme, decrypt_sign_pri, describe_sign_pri, encode_pkcs8, encrypt_sign_pri
from jointcert.npki.pfx import export_pfx
from jointcert.npki.store import NpkiStore
from tests.unit.npki import factories

pytestmark = pytest.mark.interop
MESSAGE = "공동인증서 서명 테스트".encode()


def _verify(cert_key: rsa.RSAPublicKey, signature: bytes) -> None:
    cert_key.verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())  # raises InvalidSignature


def _public(cert: x509.Certificate) -> rsa.RSAPublicKey:
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


@pytest.mark.parametrize("scheme", list(KeyScheme))
@pytest.mark.parametrize("password", ["Cert-pass1!", "한글비밀번호1!"])
def test_pypinksign_loads_our_sign_pri_and_reads_r(scheme: KeyScheme, password: str) -> None:
    cert = factories.certificate()
    key_file = encrypt_sign_pri(factories.bundle(), password, scheme=scheme)
    signer = PinkSign(
        pubkey_data=cert.public_bytes(serialization.Encoding.DER),
        prikey_data=key_file,
        prikey_password=password.encode(),
    )
    signer.load_prikey()
    _verify(_public(cert), signer.sign(MESSAGE))
    assert signer._rand_num.asOctets() == factories.TEST_R


@pytest.mark.parametrize("legacy", [False, True])
def test_pypinksign_loads_our_pfx(legacy: bool) -> None:
    cert = factories.certificate()
    data = export_pfx(cert, factories.bundle(), "Pfx-pass1!", chain=[factories.ca_certificate()], legacy=legacy)
    signer = PinkSign(p12_data=data, prikey_password=b"Pfx-pass1!")
    assert signer.cn() == "홍길동()0081234520261125000001"
    _verify(_public(cert), signer.sign(MESSAGE))


def test_pypinksign_choose_cert_finds_our_npki_folder(tmp_path: Path) -> None:
    cert = factories.certificate()
    store = NpkiStore(tmp_path / "NPKI")
    store.write(cert.public_bytes(serialization.Encoding.DER), encrypt_sign_pri(factories.bundle(), "Cert-pass1!"))
    store.write(base64.b64decode(TEST_CERT["signCert"]), base64.b64decode(TEST_CERT["signPri"]))
    chosen = choose_cert(base_path=str(store.root), cn="홍길동()0081234520261125000001", pw=b"Cert-pass1!")
    assert chosen.issuer() == "jointsign"
    _verify(_public(cert), chosen.sign(MESSAGE))
    assert chosen._rand_num.asOctets() == factories.TEST_R
    yessign = choose_cert(base_path=str(store.root), cn=TEST_CERT["cn"], pw=TEST_CERT["signPw"])
    assert yessign._rand_num.asOctets() == TEST_CERT["r"]


def test_we_read_what_pypinksign_writes() -> None:
    bundle = factories.bundle(random_num=None)
    plain = base64.b64encode(encode_pkcs8(bundle)).decode()
    with_r = inject_rand_in_plain_prikey(plain, factories.TEST_R)
    key_file = base64.b64decode(encrypt_decrypted_prikey(with_r, b"Their-pass1!"))
    opened = decrypt_sign_pri(key_file, "Their-pass1!")
    assert opened.random_num == factories.TEST_R
    assert opened.key.private_numbers() == bundle.key.private_numbers()


def _pypinksign_pbes2_vector() -> tuple[bytes, tuple[bytes, bytes]]:
    """The real PBES2 signPri.key and its expected (key, IV) from PyPinkSign's own test, read from its source."""
    method = pypinksign_tests.TestPinkSign.test_get_private_key_decryption_key_for_pbes2
    values = {}
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(method)))):
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in ("data", "expected"):
            values[target.id] = ast.literal_eval(node.value)  # type: ignore[attr-defined]
    return base64.b64decode(values["data"]), values["expected"]


def test_pbes2_key_derivation_matches_pypinksign_on_its_real_pbes2_file() -> None:
    data, expected = _pypinksign_pbes2_vector()
    info = describe_sign_pri(data)
    assert (info.name, info.kdf, info.cipher, info.iterations) == ("PBES2", "PBKDF2-HMAC-SHA1", "SEED-CBC", 1024)
    epki, _ = decoder.decode(data, asn1Spec=rfc5958.EncryptedPrivateKeyInfo())
    algorithm = epki["encryptionAlgorithm"]
    derived = _pbe.derive_key_iv(str(algorithm["algorithm"]), bytes(algorithm["parameters"]), TEST_CERT["signPw"])
    assert derived == expected
