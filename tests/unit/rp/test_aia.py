"""AIA caIssuers: DER, PEM and PKCS#7 bodies are read; answers and failures are cached for their own times."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from jointcert.clock import FakeClock
from jointcert.rp import RevocationFetchError
from jointcert.rp.aia import AiaIssuers, parse_certificates
from tests.unit.rp.pki import TestPki

URL = "http://127.0.0.1:1/ca/class1.crt"


class FakeFetcher:
    def __init__(self, body: bytes | None) -> None:
        self.body, self.calls = body, 0

    def fetch(self, url: str) -> bytes:
        self.calls += 1
        if self.body is None:
            raise RevocationFetchError(f"{url} is down")
        return self.body


def _with_aia(pki: TestPki) -> x509.Certificate:
    access = x509.AccessDescription(
        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(URL)
    )
    ee = pki.issue().cert
    builder = (
        x509.CertificateBuilder(ee.issuer, ee.subject, ee.public_key(), ee.serial_number)
        .not_valid_before(ee.not_valid_before_utc)
        .not_valid_after(ee.not_valid_after_utc)
        .add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    )
    return builder.sign(pki.ca_key, ee.signature_hash_algorithm)  # type: ignore[arg-type]


def test_every_form_of_body_is_read() -> None:
    pki = TestPki()
    der = pki.ca.public_bytes(serialization.Encoding.DER)
    pem = pki.ca.public_bytes(serialization.Encoding.PEM) + pki.root.public_bytes(serialization.Encoding.PEM)
    p7 = pkcs7.serialize_certificates([pki.ca], serialization.Encoding.DER)
    assert parse_certificates(der) == [pki.ca]
    assert parse_certificates(pem) == [pki.ca, pki.root]
    assert parse_certificates(p7) == [pki.ca]
    assert parse_certificates(b"<html>not found</html>") == []


def test_answers_and_failures_are_cached(clock: FakeClock) -> None:
    pki = TestPki()
    cert = _with_aia(pki)
    good = FakeFetcher(pki.ca.public_bytes(serialization.Encoding.DER))
    issuers = AiaIssuers(good, clock, ttl_seconds=600)
    assert list(issuers.issuers_of(cert)) == [pki.ca]
    assert list(issuers.issuers_of(cert)) == [pki.ca] and good.calls == 1
    clock.advance(timedelta(seconds=601))
    issuers.issuers_of(cert)
    assert good.calls == 2
    down = FakeFetcher(None)
    failing = AiaIssuers(down, clock, ttl_seconds=600)
    assert list(failing.issuers_of(cert)) == [] and list(failing.issuers_of(cert)) == []
    assert down.calls == 1
    clock.advance(timedelta(seconds=61))  # failures are retried after a minute, not after the full TTL
    failing.issuers_of(cert)
    assert down.calls == 2
