"""Request key hygiene: ROCA-shaped keys (generated the way Infineon's RSALib made them), small factors, the Debian
weak-key blocklist format and keys revoked for keyCompromise are all refused before anything is recorded."""

from __future__ import annotations

import math
import secrets
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jointcert.ca.errors import CompromisedKey, DebianWeakKey, RocaVulnerableKey, SmallFactorKey
from jointcert.ca.key_hygiene import KeyHygiene, WeakKeyBlocklist, debian_fingerprint, has_roca_fingerprint
from jointcert.ca.validate import validate_public_key
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request

# RSALib for 1952–3936-bit keys: M = the product of the first 126 primes (Nemec et al., CCS 2017, table 1)
_FIRST_PRIMES = [p for p in range(2, 702) if all(p % d for d in range(2, math.isqrt(p) + 1))]
ROCA_M = math.prod(_FIRST_PRIMES[:126])


def _probable_prime(n: int, rounds: int = 24) -> bool:
    if n % 2 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _roca_prime(bits: int = 1024) -> int:
    """p = k·M + (65537^a mod M), the RSALib construction, with random k and a."""
    k_bits = bits - ROCA_M.bit_length()
    while True:
        k = secrets.randbits(k_bits) | (3 << (k_bits - 2))  # top two bits: p·q has all 2048 bits
        p = k * ROCA_M + pow(65537, secrets.randbits(64), ROCA_M)
        if p.bit_length() == bits and _probable_prime(p):
            return p


@cache
def roca_key() -> rsa.RSAPrivateKey:
    """A 2048-bit key whose primes have the ROCA structure (a generated known-vulnerable vector)."""
    p, q = _roca_prime(), _roca_prime()
    d = pow(65537, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(65537, p * q)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    )
    return numbers.private_key()


def _spki(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_roca_fingerprint_on_generated_vulnerable_keys_only(subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    key = roca_key()
    assert key.key_size == 2048 and has_roca_fingerprint(key.public_key().public_numbers().n)
    with pytest.raises(RocaVulnerableKey):
        validate_public_key(_spki(key.public_key()))
    for good in subscriber_keys:
        assert not has_roca_fingerprint(good.public_key().public_numbers().n)
        validate_public_key(_spki(good.public_key()))
    odd = [secrets.randbits(2048) | 1 for _ in range(2000)]
    assert sum(has_roca_fingerprint(n) for n in odd) == 0  # ~2^-154 each for a random modulus


def test_roca_key_is_refused_by_the_pipeline(env: CaEnv) -> None:
    before = env.audit.head()
    with pytest.raises(RocaVulnerableKey) as raised:
        env.authority.issue(make_request(roca_key()))
    assert raised.value.code == "weak_key_roca" and env.audit.head() == before  # nothing recorded


@pytest.mark.parametrize("factor", [3, 7919, 9973])
def test_small_factor_is_refused(factor: int) -> None:
    modulus = 0
    while modulus.bit_length() != 2048:
        modulus = factor * (secrets.randbits(2049 - factor.bit_length()) | 1)
    key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    with pytest.raises(SmallFactorKey) as raised:
        validate_public_key(_spki(key))
    assert raised.value.details["factor"] <= factor and modulus % raised.value.details["factor"] == 0


def test_debian_blocklist_format(tmp_path: Path, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    weak, fine = (k.public_key() for k in subscriber_keys[:2])
    n = weak.public_numbers().n
    listing = tmp_path / "blacklist.RSA-2048"
    listing.write_text(f"# openssl-vulnkey style\n{debian_fingerprint(n)}\n")
    blocklist = WeakKeyBlocklist.from_file(listing)
    assert len(blocklist) == 1 and n in blocklist
    assert len(debian_fingerprint(n)) == 20 and debian_fingerprint(n) == debian_fingerprint(n).lower()
    hygiene = KeyHygiene(blocklist)
    with pytest.raises(DebianWeakKey):
        hygiene.check(weak)
    hygiene.check(fine)
    assert len(WeakKeyBlocklist.from_file(tmp_path / "missing")) == 0


def test_key_revoked_for_key_compromise_is_refused_forever(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    hygiene = KeyHygiene(WeakKeyBlocklist(), env.store)
    lost, retired = subscriber_keys[2], subscriber_keys[3]
    first = env.authority.issue(make_request(lost))
    other = env.authority.issue(make_request(retired))
    env.authority.revoke(first.serial, x509.ReasonFlags.key_compromise, actor="test")
    env.authority.revoke(other.serial, x509.ReasonFlags.cessation_of_operation, actor="test")
    with pytest.raises(CompromisedKey) as raised:
        hygiene.check(lost.public_key())
    assert raised.value.code == "weak_key_compromised"
    hygiene.check(retired.public_key())  # revoked for another reason: the key itself is not blocked
    before = env.audit.head()
    with pytest.raises(CompromisedKey):
        env.authority.issue(make_request(lost))  # the authority is wired with the same check (conftest, app.py)
    assert env.audit.head() == before
