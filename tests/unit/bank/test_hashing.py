import os

import pytest
from argon2 import PasswordHasher, profiles
from argon2.exceptions import VerifyMismatchError

from jointcert.bank.sandbox.hashing import SecretHasher, encode_pattern
from jointcert.pii import PiiProtector


@pytest.mark.parametrize(
    ("pattern", "encoded"),
    [
        ((1, 4, 7, 8, 9), "1-4-7-8-9"),
        ([3, 5, 7, 4], "3-5-7-4"),
        ((1, 2, 3), None),  # fewer than four
        ((1, 2, 3, 1), None),  # a cell twice
        ((0, 1, 2, 3), None),
        ((1, 2, 3, 10), None),
        ((True, 2, 3, 4), None),
    ],
)
def test_encode_pattern(pattern: tuple[int, ...], encoded: str | None) -> None:
    assert encode_pattern(pattern) == encoded


def _hasher(key: bytes) -> SecretHasher:
    return SecretHasher(PiiProtector(key), PasswordHasher.from_parameters(profiles.CHEAPEST))


def test_hash_verifies_only_the_same_secret_in_the_same_context() -> None:
    hasher = _hasher(os.urandom(32))
    stored = hasher.hash("4827", "account-pin:1")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "4827", "account-pin:1")
    assert not hasher.verify(stored, "4828", "account-pin:1")
    assert not hasher.verify(stored, "4827", "account-pin:2")  # copied to another row it does not verify
    assert not hasher.verify(None, "4827", "account-pin:1")
    assert not hasher.verify("not a hash", "4827", "account-pin:1")


def test_hash_is_useless_without_the_instance_key() -> None:
    stored = _hasher(os.urandom(32)).hash("4827", "account-pin:1")
    assert not _hasher(os.urandom(32)).verify(stored, "4827", "account-pin:1")
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, "4827")  # Argon2 of the bare PIN is not what is stored
