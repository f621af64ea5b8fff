import base64
import hashlib
import os

import pytest
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.der import encoder
from pyasn1.type import namedtype, univ
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.errors import ErrorKind, InvalidInput
from jointcert.npki.keyfile import (
    KeyFileUnreadable,
    KeyScheme,
    NotAKeyFile,
    PrivateKeyBundle,
    decode_pkcs8,
    decrypt_sign_pri,
    describe_sign_pri,
    encode_pkcs8,
    encrypt_sign_pri,
    generate_bundle,
    new_random_num,
)
from jointcert.npki.vid import identify_data_of
from tests.unit.npki import factories

SIGN_PRI = base64.b64decode(TEST_CERT["signPri"])
PASSWORD = TEST_CERT["signPw"]
passwords = st.one_of(
    st.text(min_size=1, max_size=24),
    st.text(alphabet="가나다라마바사아자차카타파하한글비밀번호", min_size=1, max_size=12),
    st.binary(min_size=1, max_size=24),
)
schemes = st.sampled_from(list(KeyScheme))
fast = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the yessign TEST vector shipped with PyPinkSign --------------------------------------------------------------


def test_yessign_test_key_opens_with_its_password() -> None:
    bundle = decrypt_sign_pri(SIGN_PRI, PASSWORD)
    numbers = bundle.key.private_numbers()
    assert bundle.random_num == TEST_CERT["r"]
    assert (numbers.p, numbers.q, numbers.d) == (TEST_CERT["p"], TEST_CERT["q"], TEST_CERT["d"])
    assert numbers.public_numbers.n == TEST_CERT["n"]


def test_yessign_test_key_belongs_to_its_certificate_with_a_vid() -> None:
    cert = x509.load_der_x509_certificate(base64.b64decode(TEST_CERT["signCert"]))
    assert cert.public_key() == decrypt_sign_pri(SIGN_PRI, PASSWORD).key.public_key()
    ident = identify_data_of(cert)
    assert ident is not None and ident.vid is not None


def test_pkcs8_encoding_is_byte_identical_to_pypinksign_inject_rand() -> None:
    bundle = decrypt_sign_pri(SIGN_PRI, PASSWORD)
    assert encode_pkcs8(bundle) == base64.b64decode(TEST_CERT["plainSignPriFullB64"])
    assert decode_pkcs8(base64.b64decode(TEST_CERT["plainSignPriFullB64"])).random_num == TEST_CERT["r"]


def test_encrypting_with_the_vector_salt_reproduces_the_vector_byte_for_byte() -> None:
    bundle = decrypt_sign_pri(SIGN_PRI, PASSWORD)
    salt = base64.b64decode(TEST_CERT["signPriSalt"])
    assert encrypt_sign_pri(bundle, PASSWORD, salt=salt) == SIGN_PRI


def test_describe_reads_the_scheme_without_a_password() -> None:
    info = describe_sign_pri(SIGN_PRI)
    assert (info.oid, info.name, info.kdf, info.cipher) == (
        "1.2.410.200004.1.15",
        "seedCBCWithSHA1",
        "PBKDF1-SHA1",
        "SEED-CBC",
    )
    assert info.salt == base64.b64decode(TEST_CERT["signPriSalt"]) and info.iterations == 2048


def test_key_without_random_num_decodes_with_none() -> None:
    plain = base64.b64decode(TEST_CERT["plainSignPri"])
    bundle = decode_pkcs8(plain)
    assert bundle.random_num is None
    assert encode_pkcs8(bundle) == plain


# --- the other forms seen in the wild, built here from their specifications -------------------------------------


class _SaltIter(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("salt", univ.OctetString()), namedtype.NamedType("iter", univ.Integer())
    )


def _seed_cbc(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(SEED(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()


def _epki(oid: str, params_der: bytes, ciphertext: bytes) -> bytes:
    alg = univ.Sequence()
    alg[0] = univ.ObjectIdentifier(oid)
    alg[1] = univ.Any(params_der)
    outer = univ.Sequence()
    outer[0] = alg
    outer[1] = univ.OctetString(ciphertext)
    return bytes(encoder.encode(outer))


def test_old_seed_cbc_file_with_fixed_iv_decrypts() -> None:
    # Oldest NPKI form: seedCBC OID at top level, {salt, iter}, key = PBKDF1-SHA1(P,S,c)[0:16], IV "0123456789012345".
    bundle = factories.bundle()
    salt, count = os.urandom(8), 2048
    t = hashlib.sha1(b"old-password1!" + salt).digest()
    for _ in range(count - 1):
        t = hashlib.sha1(t).digest()
    params = _SaltIter()
    params["salt"], params["iter"] = salt, count
    ciphertext = _seed_cbc(t[:16], b"0123456789012345", encode_pkcs8(bundle))
    data = _epki("1.2.410.200004.1.4", bytes(encoder.encode(params)), ciphertext)
    opened = decrypt_sign_pri(data, "old-password1!")
    assert opened.random_num == bundle.random_num
    assert opened.key.private_numbers() == bundle.key.private_numbers()
    assert describe_sign_pri(data).name == "seedCBC (old NPKI)"


def _pbes2_seed_sha256(password: bytes, plaintext: bytes) -> bytes:
    salt, iv, count = os.urandom(8), os.urandom(16), 1000
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=16, salt=salt, iterations=count).derive(password)
    prf = univ.Sequence()
    prf[0], prf[1] = univ.ObjectIdentifier("1.2.840.113549.2.9"), univ.Null("")
    kdf_params = univ.Sequence()
    kdf_params[0], kdf_params[1], kdf_params[2] = univ.OctetString(salt), univ.Integer(count), prf
    kdf = univ.Sequence()
    kdf[0], kdf[1] = univ.ObjectIdentifier("1.2.840.113549.1.5.12"), kdf_params
    enc = univ.Sequence()
    enc[0], enc[1] = univ.ObjectIdentifier("1.2.410.200004.1.4"), univ.OctetString(iv)
    params = univ.Sequence()
    params[0], params[1] = kdf, enc
    return _epki("1.2.840.113549.1.5.13", bytes(encoder.encode(params)), _seed_cbc(key, iv, plaintext))


def test_pbes2_with_sha256_prf_and_seed_decrypts() -> None:
    bundle = factories.bundle()
    data = _pbes2_seed_sha256("비밀번호Pw1!".encode(), encode_pkcs8(bundle))
    assert decrypt_sign_pri(data, "비밀번호Pw1!").random_num == bundle.random_num
    assert describe_sign_pri(data).kdf == "PBKDF2-HMAC-SHA256"


def test_pbes2_aes_key_from_cryptography_decrypts_without_r() -> None:
    key = factories.rsa_key()
    data = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"openssl-pw"),
    )
    opened = decrypt_sign_pri(data, "openssl-pw")
    assert opened.random_num is None and opened.key.private_numbers() == key.private_numbers()
    assert describe_sign_pri(data).cipher == "AES-256-CBC"


# --- writing and round trips --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(KeyScheme))
@pytest.mark.parametrize("random_num", [factories.TEST_R, None])
def test_round_trip_of_each_writable_scheme(scheme: KeyScheme, random_num: bytes | None) -> None:
    bundle = factories.bundle(random_num=random_num)
    data = encrypt_sign_pri(bundle, "Cert-pass1!", scheme=scheme)
    opened = decrypt_sign_pri(data, "Cert-pass1!")
    assert opened.random_num == random_num
    assert opened.key.private_numbers() == bundle.key.private_numbers()
    info = describe_sign_pri(data)
    assert info.iterations == 2048 and len(info.salt) == 8
    assert info.name == ("seedCBCWithSHA1" if scheme is KeyScheme.SEED_CBC_WITH_SHA1 else "PBES2")


def test_pbes2_is_written_with_sha1_prf_and_seed_like_the_wild_files() -> None:
    info = describe_sign_pri(encrypt_sign_pri(factories.bundle(), "Cert-pass1!", scheme=KeyScheme.PBES2_SEED))
    assert (info.kdf, info.cipher) == ("PBKDF2-HMAC-SHA1", "SEED-CBC")


@fast
@given(passwords, st.binary(min_size=8, max_size=8), st.integers(1, 40), schemes)
def test_any_password_salt_and_count_round_trips(
    password: str | bytes, salt: bytes, count: int, scheme: KeyScheme
) -> None:
    bundle = factories.small_bundle()
    data = encrypt_sign_pri(bundle, password, scheme=scheme, iterations=count, salt=salt)
    opened = decrypt_sign_pri(data, password)
    assert opened.random_num == bundle.random_num
    assert opened.key.private_numbers() == bundle.key.private_numbers()


def test_text_password_is_its_utf8_bytes() -> None:
    data = encrypt_sign_pri(factories.bundle(), "한글비밀번호1!", iterations=5)
    assert decrypt_sign_pri(data, "한글비밀번호1!".encode()).random_num == factories.TEST_R


# --- errors ---------------------------------------------------------------------------------------------------------


@fast
@given(passwords, passwords, schemes)
def test_wrong_password_gives_exactly_key_file_unreadable(
    right: str | bytes, wrong: str | bytes, scheme: KeyScheme
) -> None:
    def as_bytes(p: str | bytes) -> bytes:
        return p.encode() if isinstance(p, str) else p

    if as_bytes(right).rstrip(b"\0") == as_bytes(wrong).rstrip(b"\0"):
        return  # PBKDF2's HMAC zero-pads its key: "a" and "a\0" are the same password there (RFC 2104)
    data = encrypt_sign_pri(factories.small_bundle(), right, scheme=scheme, iterations=3)
    with pytest.raises(KeyFileUnreadable) as caught:
        decrypt_sign_pri(data, wrong)
    assert type(caught.value) is KeyFileUnreadable
    assert caught.value.code == "key_file_unreadable" and caught.value.kind is ErrorKind.AUTHENTICATION


@fast
@given(st.data(), schemes)
def test_random_corruption_never_escapes_as_another_error(data: st.DataObject, scheme: KeyScheme) -> None:
    bundle = factories.small_bundle()
    blob = bytearray(encrypt_sign_pri(bundle, "Cert-pass1!", scheme=scheme, iterations=3))
    for _ in range(data.draw(st.integers(1, 4))):
        blob[data.draw(st.integers(0, len(blob) - 1))] ^= data.draw(st.integers(1, 255))
    try:
        opened = decrypt_sign_pri(bytes(blob), "Cert-pass1!")
    except KeyFileUnreadable:
        return
    # CBC without a MAC cannot notice every change (e.g. inside R); the RSA key itself is checked for consistency.
    assert opened.key.private_numbers() == bundle.key.private_numbers()


@fast
@given(st.binary(max_size=300))
def test_garbage_is_refused_with_one_error_type(blob: bytes) -> None:
    with pytest.raises(KeyFileUnreadable):
        decrypt_sign_pri(blob, "whatever")


def test_not_a_key_file_is_a_key_file_unreadable_of_kind_invalid() -> None:
    with pytest.raises(NotAKeyFile) as caught:
        decrypt_sign_pri(base64.b64decode(TEST_CERT["signCert"]), PASSWORD)
    assert isinstance(caught.value, KeyFileUnreadable)
    assert caught.value.kind is ErrorKind.INVALID and caught.value.code == "not_a_key_file"
    with pytest.raises(NotAKeyFile):
        describe_sign_pri(b"\x30\x03\x02\x01\x00")


def test_unsupported_scheme_is_unreadable() -> None:
    data = _epki("1.2.3.4", bytes(encoder.encode(univ.Null(""))), b"\x00" * 16)
    with pytest.raises(KeyFileUnreadable):
        decrypt_sign_pri(data, "pw")
    with pytest.raises(KeyFileUnreadable):
        describe_sign_pri(data)


def test_absurd_iteration_count_is_refused_before_deriving() -> None:
    params = _SaltIter()
    params["salt"], params["iter"] = b"saltsalt", 2**40
    data = _epki("1.2.410.200004.1.15", bytes(encoder.encode(params)), b"\x00" * 32)
    with pytest.raises(KeyFileUnreadable):
        decrypt_sign_pri(data, "pw")


@pytest.mark.parametrize(
    ("kwargs", "password"),
    [
        ({}, ""),
        ({"iterations": 0}, "pw"),
        ({"salt": b"short"}, "pw"),
        ({"salt": b"9 bytes!!"}, "pw"),
        ({"salt": b"x" * 65, "scheme": KeyScheme.PBES2_SEED}, "pw"),
    ],
)
def test_bad_write_arguments_are_invalid_input(kwargs: dict[str, object], password: str) -> None:
    with pytest.raises(InvalidInput):
        encrypt_sign_pri(factories.bundle(), password, **kwargs)  # type: ignore[arg-type]


def test_bundle_checks_its_parts() -> None:
    with pytest.raises(InvalidInput):
        PrivateKeyBundle(factories.rsa_key(), b"")
    with pytest.raises(InvalidInput):
        PrivateKeyBundle("not a key", None)  # type: ignore[arg-type]


def test_generated_bundle_has_a_fresh_20_byte_r() -> None:
    assert len(new_random_num()) == 20 and new_random_num() != new_random_num()
    made = generate_bundle(1024)
    assert made.key.key_size == 1024 and made.random_num is not None and len(made.random_num) == 20


def test_hostile_length_is_refused_cleanly() -> None:
    # Found by the corruption property: one flipped tag bit made pyasn1 read a 10^22-byte length (OverflowError).
    blob = bytearray(encrypt_sign_pri(factories.small_bundle(), "Cert-pass1!", iterations=3))
    blob[32] ^= 8
    with pytest.raises(KeyFileUnreadable):
        decrypt_sign_pri(bytes(blob), "Cert-pass1!")
