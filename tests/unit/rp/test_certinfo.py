"""Certificates from bytes: remembered by their bytes once well-formed; malformed bytes refused every time."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from jointcert.rp.certinfo import MalformedCertificate, load_certificate, summarize
from tests.unit.rp.pki import TestPki


def test_certificates_are_parsed_once_per_bytes_and_malformed_bytes_every_time(pki: TestPki) -> None:
    der = pki.issue().cert.public_bytes(serialization.Encoding.DER)
    assert load_certificate(der) is load_certificate(bytes(der))  # the same bytes: the same well-formed object
    assert summarize(load_certificate(der)) is summarize(load_certificate(der))
    for _ in range(2):
        with pytest.raises(MalformedCertificate):
            load_certificate(der[:-5])
    other = pki.issue(name="김철수").cert
    assert summarize(other).serial != summarize(load_certificate(der)).serial
