import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinksign.pypinksign import pbkdf1 as pypinksign_pbkdf1

from jointcert.npki._kdf import bmp_password, password_bytes, pbkdf1_sha1, pkcs12_kdf

# Known answers of the PKCS #12 KDF (RFC 7292 B.2): the classic vectors of BouncyCastle's PKCS12 tests, each also
# confirmed with `openssl kdf -kdfopt digest:… -kdfopt hexpass:<BMP> -kdfopt hexsalt:… PKCS12KDF`.
PKCS12_VECTORS = [
    ("sha1", "smeg", "0a58cf64530d823f", 1, 1, 24, "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3"),
    ("sha1", "smeg", "0a58cf64530d823f", 2, 1, 8, "79993dfe048d3b76"),
    ("sha1", "queeg", "1682c0fc5b3f7ec5", 1, 1000, 24, "483dd6e919d7de2e8e648ba8f862f3fbfbdc2bcb2c02957f"),
    (
        "sha256",
        "비밀번호",
        "1682c0fc5b3f7ec5",
        3,
        7,
        32,
        "57dda5ac26def9c5841daf1859e44a0422bcb56cb433e43431c2ec785bb90326",
    ),
]


@pytest.mark.parametrize("vector", PKCS12_VECTORS)
def test_pkcs12_kdf_known_answers(vector: tuple[str, str, str, int, int, int, str]) -> None:
    hash_name, password, salt, purpose, iterations, length, expected = vector
    derived = pkcs12_kdf(
        hash_name, bmp_password(password), bytes.fromhex(salt), purpose=purpose, iterations=iterations, length=length
    )
    assert derived.hex() == expected


def test_bmp_password_is_utf16be_with_terminator() -> None:
    assert bmp_password("") == b""
    assert bmp_password("ab") == b"\x00a\x00b\x00\x00"
    assert bmp_password("비밀") == "비밀".encode("utf-16-be") + b"\x00\x00"
    assert bmp_password("비밀".encode()) == bmp_password("비밀")
    assert bmp_password(b"\xff") == b"\x00\xff\x00\x00"  # not UTF-8: read as Latin-1


def test_password_bytes_encodes_text_as_utf8() -> None:
    assert password_bytes("비밀번호1!") == "비밀번호1!".encode()
    assert password_bytes(b"\x80raw") == b"\x80raw"


def _pbkdf1_by_definition(password: bytes, salt: bytes, count: int) -> bytes:
    t = hashlib.sha1(password + salt).digest()
    for _ in range(count - 1):
        t = hashlib.sha1(t).digest()
    return t


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=40), st.binary(min_size=8, max_size=8), st.integers(1, 300), st.integers(1, 20))
def test_pbkdf1_matches_the_definition_and_pypinksign(password: bytes, salt: bytes, count: int, length: int) -> None:
    derived = pbkdf1_sha1(password, salt, count, length)
    assert derived == _pbkdf1_by_definition(password, salt, count)[:length]
    assert derived == pypinksign_pbkdf1(password, salt, count, length)


@pytest.mark.parametrize(("count", "length"), [(0, 20), (1, 21), (1, 0)])
def test_pbkdf1_refuses_impossible_arguments(count: int, length: int) -> None:
    with pytest.raises(ValueError):
        pbkdf1_sha1(b"pw", b"saltsalt", count, length)
