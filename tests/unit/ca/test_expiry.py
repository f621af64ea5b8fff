"""With the clock moved far ahead: expired certificates are no longer active, CRLs and OCSP stay fresh."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.types import CertType
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import fresh_rrn, make_request
from tests.unit.ca.test_ocsp import ocsp_request


def test_a_year_and_more_later(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    rrn = fresh_rrn()
    issued = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn))
    old_crl = env.crl.current("class1")
    assert env.authority.active_for_holder(rrn, CertType.LIMITED) is not None
    env.clock.advance(timedelta(days=400))
    assert env.authority.active_for_holder(rrn, CertType.LIMITED) is None  # expired
    crl = env.crl.current("class1")  # the stored one passed its nextUpdate: a new one is made on demand
    assert crl.number > old_crl.number and crl.this_update >= env.clock.now() - timedelta(seconds=1)
    assert x509.load_der_x509_crl(crl.der).next_update_utc > env.clock.now()  # type: ignore[operator]
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(ocsp_request(env, issued.serial)))
    assert response.this_update_utc >= env.clock.now() - timedelta(seconds=1)
    renewed = env.authority.issue(make_request(subscriber_keys[1], rrn=rrn))
    assert renewed.not_before >= env.clock.now() - timedelta(seconds=1)
    assert env.authority.active_for_holder(rrn, CertType.LIMITED).serial == renewed.serial  # type: ignore[union-attr]
