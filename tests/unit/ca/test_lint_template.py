"""Template linting's parts: templates keyed by value, the background sample, the strict DER reader."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import MappingProxyType

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca import profiles
from jointcert.ca.der import DerError, children, dotted, encode, oid, read
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.lint import Finding, PkixLinter
from jointcert.ca.lint_gate import FullLint, TemplateLint
from jointcert.ca.lint_sample import LintSampler, Sample
from jointcert.ca.stats import Counters
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.types import CertType
from tests.unit.ca.conftest import CA_SETTINGS, CaEnv, build_env
from tests.unit.ca.factories import make_request
from tests.unit.ca.lint_mutants import patch_everywhere


def _gate(env: CaEnv) -> TemplateLint:
    gate = env.authority.lint_gate
    assert isinstance(gate, TemplateLint)
    return gate


def test_template_is_the_default_and_lints_each_profile_at_start(env: CaEnv) -> None:
    assert CA_SETTINGS.lint == "template"
    assert env.counters.snapshot()["lint_templates"] == len(profiles.ALL_PROFILES)


def test_a_changed_profile_gets_a_freshly_linted_template(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    env.authority.issue(make_request(subscriber_keys[0]))
    linted = env.counters.snapshot()["lint_templates"]
    env.authority.issue(make_request(subscriber_keys[1]))
    assert env.counters.snapshot()["lint_templates"] == linted  # same profile, same partition: cached
    table = dict(profiles.PROFILES)  # an operator changes the notice at run time
    table[CertType.LIMITED] = dataclasses.replace(table[CertType.LIMITED], notice_ko="바뀐 안내문입니다")
    patch_everywhere(monkeypatch, profiles.PROFILES, MappingProxyType(table))
    issued = env.authority.issue(make_request(subscriber_keys[2]))
    assert env.counters.snapshot()["lint_templates"] == linted + 1
    assert "바뀐 안내문입니다".encode("utf-16-be") in issued.der  # the BMPString notice of the new profile


def test_each_crl_partition_has_its_own_template(
    *,
    database: Database,
    clock: FakeClock,
    hierarchy: Hierarchy,
    linter: PkixLinter,
    tmp_path: Path,
    subscriber_keys: list[rsa.RSAPrivateKey],
) -> None:
    settings = CA_SETTINGS.model_copy(update={"crl_partition_size": 1})
    env = build_env(database, clock, hierarchy, linter, tmp_path / "k", settings=settings)
    for key in subscriber_keys[:3]:
        env.authority.issue(make_request(key))
    assert env.counters.snapshot()["lint_templates"] == len(profiles.ALL_PROFILES) + 3  # the DP names the partition


@pytest.mark.lint_findings_expected
def test_a_sampled_finding_is_logged_counted_and_audited(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], caplog: pytest.LogCaptureFixture
) -> None:
    env.authority.issue(make_request(subscriber_keys[0]))  # the partition's template, linted clean
    gate = _gate(env)
    gate.sampler.drain()
    gate.linter = PkixLinter()  # pkilint now disagrees with the templates' verdict
    gate.linter.certificate = lambda der: [Finding("ERROR", "pkix.made_up", "forced")]  # type: ignore[method-assign]
    issued = env.authority.issue(make_request(subscriber_keys[1]))  # equal to its clean template: signed
    gate.sampler.drain()
    assert env.counters.snapshot()["lint_sample_findings"] == 1
    assert f"issued certificate {issued.serial:x} fails the lint: ERROR pkix.made_up" in caplog.text
    entry = env.audit.entries(after_seq=0, limit=10_000)[-1]
    data = json.loads(entry.payload)["data"]
    assert entry.type == "certificate.lint_findings" and entry.actor == "lint-sample"
    assert data["serial"] == format(issued.serial, "x") and data["findings"] == ["ERROR pkix.made_up"]


def test_the_sample_rate_picks_a_share(env: CaEnv) -> None:
    seen: list[int] = []
    picks = iter([0.5, 0.005, 0.2, 0.009])
    sampler = LintSampler(
        lambda s: seen.append(s.serial) or [],
        lambda s, f: None,
        rate=0.01,
        counters=Counters(),
        pick=lambda: next(picks),
    )
    profile = profiles.PROFILES[CertType.LIMITED]
    picked = [sampler.offer(Sample(n, b"", profile)) for n in range(4)]
    sampler.drain()
    assert picked == [False, True, False, True] and seen == [1, 3]
    with pytest.raises(ValueError, match="between 0 and 1"):
        LintSampler(lambda s: [], lambda s, f: None, rate=1.5, counters=Counters())


def test_full_mode_lints_every_certificate_with_pkilint(
    *,
    database: Database,
    clock: FakeClock,
    hierarchy: Hierarchy,
    tmp_path: Path,
    subscriber_keys: list[rsa.RSAPrivateKey],
) -> None:
    calls: list[bytes] = []
    linter = PkixLinter()
    real = linter.certificate
    linter.certificate = lambda der: calls.append(der) or real(der)  # type: ignore[method-assign]
    env = build_env(
        database, clock, hierarchy, linter, tmp_path / "k", settings=CA_SETTINGS.model_copy(update={"lint": "full"})
    )
    assert isinstance(env.authority.lint_gate, FullLint) and calls == []
    for key in subscriber_keys[:2]:
        env.authority.issue(make_request(key))
    assert len(calls) == 2


def test_der_reader_is_strict() -> None:
    assert dotted(read(oid("1.2.410.200004.10.1.1"))) == "1.2.410.200004.10.1.1"
    seq = read(encode(0x30, encode(0x02, b"\x05") + encode(0x04, b"x" * 200)))
    assert [c.tag for c in children(seq)] == [0x02, 0x04] and children(seq)[1].content == b"x" * 200
    for bad in (
        b"\x30\x81\x05\x02\x01\x05\x05\x00",
        b"\x30\x80\x00\x00",
        b"\x02\x01\x05\x00",
        b"\x30\x05\x02\x01",
        b"",
    ):
        with pytest.raises(DerError):
            children(read(bad))
