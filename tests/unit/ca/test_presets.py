"""Profile presets: each chooses the policy OIDs, the case of c=, the qualifier order, the start of validity, the
cn's unique digits and the key files' iteration count; pkilint finds no error in any preset's certificate, a renewal
keeps the bank code whatever the digits, and ``inspect`` names the CA without calling our certificates yessign's."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from jointcert.ca.authority import RenewalRequest, SignatureProof
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.ca.names import bank_code_of, new_unique_id
from jointcert.ca.presets import PRESETS, preset_for
from jointcert.clock import FakeClock
from jointcert.config import CaSettings
from jointcert.npki.inspect import certificate_report
from jointcert.npki.policies import TEST_GENERAL_PERSONAL, TEST_LIMITED_PERSONAL
from jointcert.storage.db import Database
from jointcert.types import CertType
from tests.unit.ca.conftest import build_env
from tests.unit.ca.factories import fresh_rrn, make_request, spki

KST = timezone(timedelta(hours=9))
EXPECTED = {  # preset: (qualifier order, midnight start, limited OID, general OID, c=, digits, key iterations)
    "jointsign": (["cps", "notice"], False, "1.2.410.200005.1.1.4", "1.2.410.200005.1.1.1", "kr", 21, 2048),
    "yessign-like": (["notice", "cps"], True, "1.2.410.200005.1.1.4", "1.2.410.200005.1.1.1", "kr", 24, 2048),
    "neutral": (["cps", "notice"], False, TEST_LIMITED_PERSONAL, TEST_GENERAL_PERSONAL, "KR", 21, 1024),
}
CA_NAME = {  # what inspect says issued a certificate of each preset (our o= is jointsign)
    "jointsign": "jointsign (yessign OID)",
    "yessign-like": "jointsign (yessign OID)",
    "neutral": "jointsign (RFC 7229 test OID)",
}


def _qualifier_kinds(cert: x509.Certificate) -> list[str]:
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    return ["cps" if isinstance(q, str) else "notice" for q in policies[0].policy_qualifiers or ()]


def test_every_preset_is_tested() -> None:
    assert set(EXPECTED) == set(PRESETS) == set(CaSettings.model_fields["preset"].annotation.__args__)  # type: ignore[union-attr]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("preset", list(EXPECTED))
def test_presets(
    *,
    preset: str,
    database: Database,
    hierarchy: Hierarchy,
    linter: PkixLinter,
    subscriber_keys: list[rsa.RSAPrivateKey],
    tmp_path: Path,
) -> None:
    order, midnight, limited_oid, general_oid, country, digits, iterations = EXPECTED[preset]
    clock = FakeClock(datetime(2026, 11, 25, 1, 30, tzinfo=UTC))  # 10:30 KST
    env = build_env(database, clock, hierarchy, linter, tmp_path, settings=CaSettings(preset=preset))  # type: ignore[arg-type]
    limited = env.authority.issue(make_request(subscriber_keys[0], rrn=fresh_rrn(), random_num=os.urandom(20)))
    general = env.authority.issue(make_request(subscriber_keys[1], rrn=fresh_rrn(), cert_type=CertType.GENERAL))
    for issued, oid in ((limited, limited_oid), (general, general_oid)):
        cert = issued.certificate
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
        assert policies.critical and [p.policy_identifier.dotted_string for p in policies.value] == [oid]
        assert _qualifier_kinds(cert) == order
        assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == country
        cn = str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        suffix = cn.split("()", 1)[1]
        assert suffix.isdigit() and len(suffix) == digits and "20261125" in suffix
        assert bank_code_of(suffix) == "081"
        start = cert.not_valid_before_utc.astimezone(KST)
        if midnight:
            assert (start.hour, start.minute, start.second) == (0, 0, 0) and start.date().isoformat() == "2026-11-25"
        else:
            assert cert.not_valid_before_utc == clock.now()
        # the pipeline refuses pkilint errors; check the signed certificate itself as well
        assert [str(f) for f in linter.certificate(cert.public_bytes(Encoding.DER)) if f.is_error] == []
        assert certificate_report(cert).ca_name == CA_NAME[preset]
        assert "yessign" not in (certificate_report(cert).ca_name or "").split(" (")[0]
    assert preset_for(preset).key_iterations == iterations
    # a renewal keeps the bank code (read back from the unique digits, either length) and the policy
    message = b"renewal pop"
    proof = SignatureProof(message, subscriber_keys[2].sign(message, padding.PKCS1v15(), hashes.SHA256()))
    renewed = env.authority.renew(RenewalRequest(limited.serial, spki(subscriber_keys[2]), proof, "cmp"))
    assert [
        p.policy_identifier.dotted_string
        for p in renewed.certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    ] == [limited_oid]
    assert renewed.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[1].value == "HANBIT"


def test_unique_digits_layouts() -> None:
    now = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 01:00 KST on the 26th
    short, long = new_unique_id("081", now), new_unique_id("081", now, 24)
    assert short[:13] == "0008120261126" and len(short) == 21
    assert long[:15] == "000008120261126" and len(long) == 24  # yessign: 00 + 5-digit code + date + 9
    assert bank_code_of(short) == bank_code_of(long) == "081"
    with pytest.raises(ValueError, match="21 or 24"):
        new_unique_id("081", now, 22)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="yessign-like"):
        preset_for("nosuch")
    with pytest.raises(ValueError):
        CaSettings(preset="nosuch")  # type: ignore[arg-type]
    clock = FakeClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 00:00 KST on the 25th exactly
    assert preset_for("yessign-like").not_before(clock.now()) == clock.now()
