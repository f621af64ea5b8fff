"""CRLs: increasing numbers, revoked serials with reasons, pkilint-clean."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.lint import PkixLinter
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request


def test_crl_lists_revocations_with_increasing_numbers(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], linter: PkixLinter
) -> None:
    first = env.crl.regenerate("class1")
    a = env.authority.issue(make_request(subscriber_keys[0]))
    b = env.authority.issue(make_request(subscriber_keys[1]))
    env.authority.revoke(a.serial, x509.ReasonFlags.key_compromise, actor="test")
    env.authority.revoke(b.serial, x509.ReasonFlags.unspecified, actor="test")
    current = env.crl.current("class1")
    assert current.number > first.number + 1  # each revocation reissued the CRL
    crl = x509.load_der_x509_crl(current.der)
    assert crl.is_signature_valid(env.hierarchy.issuing.key.public_key())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == current.number
    entry = crl.get_revoked_certificate_by_serial_number(a.serial)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    plain = crl.get_revoked_certificate_by_serial_number(b.serial)
    assert plain is not None and len(plain.extensions) == 0  # unspecified is omitted (RFC 5280 5.3.1)
    assert [f for f in linter.crl(current.der) if f.is_error] == []
    root = env.crl.current("root")
    assert x509.load_der_x509_crl(root.der).is_signature_valid(env.hierarchy.root.key.public_key())


def test_crl_numbers_never_repeat_across_publishers(env: CaEnv) -> None:
    numbers = [env.crl.regenerate("class1").number for _ in range(5)]
    assert numbers == sorted(set(numbers))
    assert env.crl.current("class1").number == numbers[-1]


def test_crl_revocation_dates_are_the_stored_times(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    """The records are read for the CRL without the ORM's datetime processing (text on SQLite): same times."""
    from datetime import timedelta

    issued = env.authority.issue(make_request(subscriber_keys[0]))
    env.clock.advance(timedelta(seconds=61, microseconds=250_000))
    revoked_at = env.clock.now()
    env.authority.revoke(issued.serial, x509.ReasonFlags.superseded, actor="test")
    [entry] = [e for e in env.store.revoked("class1") if e.serial == issued.serial]
    assert entry.revoked_at == revoked_at and entry.revoked_at.tzinfo is not None
    crl = x509.load_der_x509_crl(env.crl.current("class1").der)
    listed = crl.get_revoked_certificate_by_serial_number(issued.serial)
    assert listed is not None and listed.revocation_date_utc == revoked_at.replace(microsecond=0)
