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
