"""The fast CRL encoder: byte-for-byte what cryptography's builder makes, readable by openssl and cryptography."""

from __future__ import annotations

import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.ca.crl import build_crl
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.keys import CaSigner
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ports import RevokedEntry

_NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
_REASONS = [None, *x509.ReasonFlags]


def _reference(
    signer: CaSigner, entries: list[RevokedEntry], number: int, this_update: datetime, next_update: datetime
) -> bytes:
    """The same CRL through cryptography's builder, one RevokedCertificate object per entry."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(signer.name)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(signer.key_identifier, None, None), critical=False)
    )
    for entry in entries:
        revoked = x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
        if entry.reason is not None and entry.reason is not x509.ReasonFlags.unspecified:
            revoked = revoked.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    return builder.sign(signer.key, hashes.SHA256()).public_bytes(Encoding.DER)


def _entries(count: int, seed: int = 7) -> list[RevokedEntry]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        serial = rng.choice([1, 127, 128, 255, 256, 2**63, 2**127 + 5, rng.getrandbits(128) | 1]) + i
        when = _NOW - timedelta(seconds=rng.randrange(10**8))
        if i % 50 == 0:
            when = datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)  # GeneralizedTime from 2050 on
        out.append(RevokedEntry(serial, when, rng.choice(_REASONS)))
    return out


@pytest.mark.parametrize("count", [0, 1, 3, 400])
def test_same_bytes_as_the_builder(hierarchy: Hierarchy, count: int) -> None:
    signer = hierarchy.issuing
    entries = _entries(count)
    args = (signer, entries, 42, _NOW, _NOW + timedelta(hours=24))
    assert build_crl(*args) == _reference(*args)


def test_large_crl_reads_back_with_every_entry(hierarchy: Hierarchy, linter: PkixLinter) -> None:
    signer = hierarchy.issuing
    entries = _entries(5000, seed=11)
    der = build_crl(signer, entries, 7, _NOW, _NOW + timedelta(hours=24))
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(signer.key.public_key())
    assert [(r.serial_number, r.revocation_date_utc) for r in crl] == [
        (e.serial, e.revoked_at.replace(microsecond=0)) for e in entries
    ]
    reasons = [
        r.extensions.get_extension_for_class(x509.CRLReason).value.reason if len(r.extensions) else None for r in crl
    ]
    expected = [None if e.reason in (None, x509.ReasonFlags.unspecified) else e.reason for e in entries]
    assert reasons == expected
    assert [f for f in linter.crl(der) if f.is_error] == []


def test_openssl_reads_the_fast_crl(hierarchy: Hierarchy, tmp_path: Path) -> None:
    signer = hierarchy.issuing
    entries = _entries(300, seed=3)
    path = tmp_path / "class1.crl"
    path.write_bytes(build_crl(signer, entries, 9, _NOW, _NOW + timedelta(hours=24)))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(signer.certificate.public_bytes(Encoding.PEM))
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", path, "-noout", "-text", "-CAfile", ca],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "verify OK" in result.stderr + result.stdout
    assert result.stdout.count("Serial Number:") == len(entries)
