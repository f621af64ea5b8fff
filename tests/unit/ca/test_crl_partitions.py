"""Partitioned CRLs: assignment at issuance, the DP/IDP byte identity, per-partition dirty marks, publishing speed.

The CI variant publishes 5,000 revocations in 5 partitions; ``@pytest.mark.slow`` (``JOINTCERT_SLOW=1``) a million
in 100 partitions plus the full CRL, and prints the time. openssl and pkilint check every partition.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from bench.crl_fill import fill_revoked
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.ca.crl import CrlPublisher
from jointcert.ca.errors import UnknownCrlPartition
from jointcert.ca.hierarchy import ISSUING, ROOT, Hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ports import AuditEvent
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca_epoch import SqlRevocationEpochs
from tests.unit.ca.conftest import CA_SETTINGS, PUBLIC_URL, CaEnv, build_env
from tests.unit.ca.factories import make_request

SMALL = CA_SETTINGS.model_copy(update={"crl_partition_size": 2})


@pytest.fixture
def small(database: Database, clock: FakeClock, hierarchy: Hierarchy, linter: PkixLinter, tmp_path: Path) -> CaEnv:
    """A CA whose partitions hold two certificates each."""
    return build_env(database, clock, hierarchy, linter, tmp_path / "keys", settings=SMALL)


def _dp(cert: x509.Certificate) -> x509.Extension[x509.CRLDistributionPoints]:
    return cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)


def _idp(crl: x509.CertificateRevocationList) -> x509.Extension[x509.IssuingDistributionPoint]:
    return crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)


def _uri_der(url: str) -> bytes:
    """GeneralName uniformResourceIdentifier [6] IA5String, as DER (short form: our URLs are < 128 bytes)."""
    return b"\x86" + bytes([len(url)]) + url.encode("ascii")


def test_certificates_fill_partitions_of_the_configured_size(
    small: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = [small.authority.issue(make_request(subscriber_keys[i % 4])) for i in range(5)]
    records = [small.store.get(ISSUING, i.serial) for i in issued]
    assert [r.crl_partition for r in records if r is not None] == [0, 0, 1, 1, 2]
    for number, cert in zip([0, 0, 1, 1, 2], issued, strict=True):
        [point] = _dp(cert.certificate).value
        assert point.full_name == [x509.UniformResourceIdentifier(f"{PUBLIC_URL}/crl/class1/p{number}.crl")]
    assert small.partitions.numbers(ISSUING) == [0, 1, 2]
    assert small.partitions.numbers(ROOT) == []
    made = small.crl.regenerate_all()
    assert sorted((r.issuer, -1 if r.partition is None else r.partition) for r in made) == [
        (ISSUING, -1), (ISSUING, 0), (ISSUING, 1), (ISSUING, 2), (ROOT, -1)
    ]  # fmt: skip
    numbers = [r.number for r in made if r.issuer == ISSUING]
    assert len(set(numbers)) == 4  # one counter per issuer: numbers never repeat across its CRLs


def test_partition_crl_names_its_distribution_point_byte_for_byte(
    small: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], linter: PkixLinter
) -> None:
    a, b, c = (small.authority.issue(make_request(subscriber_keys[i])) for i in range(3))
    small.authority.revoke(a.serial, x509.ReasonFlags.key_compromise, actor="test")
    small.authority.revoke(c.serial, x509.ReasonFlags.superseded, actor="test")
    issuing = small.hierarchy.issuing.key.public_key()
    listed: dict[int, set[int]] = {}
    for number, cert in ((0, a.certificate), (1, c.certificate)):
        record = small.crl.partition(ISSUING, number)
        crl = x509.load_der_x509_crl(record.der)
        assert crl.is_signature_valid(issuing)
        idp = _idp(crl)
        assert idp.critical and idp.value.only_contains_user_certs and not idp.value.indirect_crl
        url = f"{PUBLIC_URL}/crl/class1/p{number}.crl"
        assert idp.value.full_name == [x509.UniformResourceIdentifier(url)] == _dp(cert).value[0].full_name
        assert _uri_der(url) in idp.value.public_bytes() and _uri_der(url) in _dp(cert).value.public_bytes()
        assert _uri_der(url) in record.der and _uri_der(url) in cert.public_bytes(Encoding.DER)  # the same bytes
        assert [f for f in linter.crl(record.der) if f.is_error] == []
        listed[number] = {entry.serial_number for entry in crl}
    assert listed == {0: {a.serial}, 1: {c.serial}}  # b (partition 0) is not revoked
    full = x509.load_der_x509_crl(small.crl.current(ISSUING).der)
    assert {entry.serial_number for entry in full} == {a.serial, c.serial}
    with pytest.raises(x509.ExtensionNotFound):
        _idp(full)  # the full CRL covers everything
    assert b.serial not in listed[0] | listed[1]


def test_a_revocation_marks_only_its_partition_dirty(small: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    a, _, c = (small.authority.issue(make_request(subscriber_keys[i])) for i in range(3))
    assert small.partitions.dirty(ISSUING) == [0, 1]  # new partitions get their first CRL from the scheduler
    small.crl.regenerate_dirty()
    assert small.partitions.dirty(ISSUING) == []
    before = small.partitions.latest(ISSUING, 1)
    assert before is not None
    event = AuditEvent("certificate.revoked", "test", small.clock.now(), {})
    small.store.revoke(ISSUING, c.serial, x509.ReasonFlags.key_compromise, small.clock.now(), event)  # no listener
    assert small.partitions.dirty(ISSUING) == [1]
    assert small.partitions.latest(ISSUING, 1) == before  # the revoking transaction signed nothing
    [made] = small.crl.regenerate_dirty()
    assert made.number > before.number and small.partitions.dirty(ISSUING) == []
    crl = x509.load_der_x509_crl(made.der)
    entry = crl.get_revoked_certificate_by_serial_number(c.serial)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    p0 = small.partitions.latest(ISSUING, 0)
    assert p0 is not None and x509.load_der_x509_crl(p0.der).get_revoked_certificate_by_serial_number(a.serial) is None


def test_unknown_partitions_are_not_found(small: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    small.authority.issue(make_request(subscriber_keys[0]))
    assert x509.load_der_x509_crl(small.crl.published("class1/p0").der).issuer == small.hierarchy.issuing.name
    for name in ("class1/p1", "class1/p01", "class1/x", "class1/p-1", "root/p0"):
        with pytest.raises(UnknownCrlPartition):
            small.crl.published(name)
    assert small.crl.published("class1").issuer == ISSUING


@pytest.fixture
def unpartitioned(
    database: Database, clock: FakeClock, hierarchy: Hierarchy, linter: PkixLinter, tmp_path: Path
) -> CaEnv:
    """A CA with ``crl_partition_size = 0``: one full CRL, its URL in every certificate."""
    off = CA_SETTINGS.model_copy(update={"crl_partition_size": 0})
    return build_env(database, clock, hierarchy, linter, tmp_path / "keys", settings=off)


def test_partition_size_zero_writes_the_full_crl(
    unpartitioned: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    env = unpartitioned
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    assert _dp(issued.certificate).value[0].full_name == [
        x509.UniformResourceIdentifier(f"{PUBLIC_URL}/crl/class1.crl")
    ]
    record = env.store.get(ISSUING, issued.serial)
    assert record is not None and record.crl_partition is None
    env.authority.revoke(issued.serial, x509.ReasonFlags.superseded, actor="test")
    crl = x509.load_der_x509_crl(env.crl.current(ISSUING).der)
    assert crl.get_revoked_certificate_by_serial_number(issued.serial) is not None
    assert env.partitions.numbers(ISSUING) == []


# --- publishing many revocations ------------------------------------------------------------------------------
def _openssl_verifies(path: Path, issuer_pem: Path) -> None:
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(path), "-CAfile", str(issuer_pem), "-noout"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "verify OK" in result.stderr, result.stderr


def _publish(env: CaEnv, tmp_path: Path, count: int, size: int, *, lint_all: bool) -> None:
    by_partition = fill_revoked(env.database, count, size, env.clock.now())
    publisher = CrlPublisher(
        store=env.store,
        signers={ROOT: env.hierarchy.root, ISSUING: env.hierarchy.issuing},
        clock=env.clock,
        settings=CA_SETTINGS.model_copy(update={"crl_partition_size": size}),
        epochs=SqlRevocationEpochs(env.database),
        partitions=env.partitions,
        public_url=PUBLIC_URL,
    )
    started = time.perf_counter()
    made = publisher.regenerate_dirty()
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    full = publisher.current(ISSUING)
    print(
        f"\npublished {count:,} revocations ({env.database.engine.dialect.name}): {len(by_partition)} partitions of "
        f"≤ {size:,} + the full CRL ({len(full.der) / 1e6:.1f} MB) in {elapsed:.2f} s (load average {load:.2f})"
    )
    assert len(made) == len(by_partition) + 1 and env.partitions.dirty(ISSUING) == []
    assert elapsed <= 10.0
    issuer_pem = tmp_path / "class1.pem"
    issuer_pem.write_bytes(env.hierarchy.issuing.certificate.public_bytes(Encoding.PEM))
    linter = PkixLinter()
    for number, serials in by_partition.items():
        record = env.partitions.latest(ISSUING, number)
        assert record is not None
        crl = x509.load_der_x509_crl(record.der)
        assert len(crl) == len(serials) and crl.get_revoked_certificate_by_serial_number(serials[-1]) is not None
        assert _idp(crl).value.full_name == [x509.UniformResourceIdentifier(f"{PUBLIC_URL}/crl/class1/p{number}.crl")]
        path = tmp_path / f"p{number}.crl"
        path.write_bytes(record.der)
        _openssl_verifies(path, issuer_pem)
        if lint_all or number == 0:
            assert [f for f in linter.crl(record.der) if f.is_error] == [], number
    assert len(x509.load_der_x509_crl(full.der)) == count
    (tmp_path / "full.crl").write_bytes(full.der)
    _openssl_verifies(tmp_path / "full.crl", issuer_pem)


def test_thousands_of_revocations_publish_in_partitions(env: CaEnv, tmp_path: Path) -> None:
    _publish(env, tmp_path, 5_000, 1_000, lint_all=True)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="a million revocations: set JOINTCERT_SLOW=1")
def test_a_million_revocations_publish_within_ten_seconds(env: CaEnv, tmp_path: Path) -> None:
    _publish(env, tmp_path, 1_000_000, CA_SETTINGS.crl_partition_size, lint_all=False)


def test_places_are_reserved_in_blocks_never_past_the_partition_size(env: CaEnv) -> None:
    assert env.partitions.reserve("class1", 3, 5) == [0, 0, 0, 1, 1]
    assert env.partitions.reserve("class1", 3, 2) == [1, 2]  # the rest of the newest, then a new one
    assert env.partitions.reserve("class1", 3, 1) == [2]  # one place: the newest partition while it has room
    assert env.partitions.numbers("class1") == [0, 1, 2]
    assert env.partitions.reserve("class1", 3, 2) == [2, 3]  # 2 is full after one more place


def test_the_authority_reserves_partition_places_a_block_at_a_time(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    reserve = env.partitions.reserve

    def counting(issuer: str, size: int, count: int) -> list[int]:
        calls.append(count)
        return reserve(issuer, size, count)

    monkeypatch.setattr(env.partitions, "reserve", counting)
    serials = [env.authority.issue(make_request(subscriber_keys[0])).serial for _ in range(3)]
    assert calls == [64]  # one transaction for the three certificates (and 61 more)
    records = [env.authority.certificate(s) for s in serials]
    assert [r.crl_partition for r in records if r is not None] == [0, 0, 0]
