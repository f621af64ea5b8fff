import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointcert.pii import PiiProtector, PiiUnreadable

KEY = os.urandom(32)


@given(st.text(max_size=40))
def test_encrypt_round_trips_and_never_contains_the_plaintext(value: str) -> None:
    pii = PiiProtector(KEY)
    blob = pii.encrypt(value)
    assert pii.decrypt(blob) == value
    if len(value) >= 4:
        assert value.encode() not in blob


def test_lookup_hash_is_deterministic_keyed_and_purpose_bound() -> None:
    a, b = PiiProtector(KEY), PiiProtector(os.urandom(32))
    assert a.lookup_hash("9001011234567") == a.lookup_hash("9001011234567")
    assert a.lookup_hash("9001011234567") != b.lookup_hash("9001011234567")
    assert a.lookup_hash("9001011234567", "rrn") != a.lookup_hash("9001011234567", "holder")
    assert a.matches("9001011234567", a.lookup_hash("9001011234567"))
    assert not a.matches("9001011234568", a.lookup_hash("9001011234567"))


@pytest.mark.parametrize("mutate", [lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b"", lambda b: b"\x02" + b[1:]])
def test_tampered_or_foreign_ciphertext_is_refused(mutate) -> None:  # type: ignore[no-untyped-def]
    pii = PiiProtector(KEY)
    with pytest.raises(PiiUnreadable):
        pii.decrypt(mutate(pii.encrypt("9001011234567")))


def test_wrong_purpose_cannot_decrypt() -> None:
    pii = PiiProtector(KEY)
    with pytest.raises(PiiUnreadable):
        pii.decrypt(pii.encrypt("x", "rrn"), "phone")


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        PiiProtector(b"short")
