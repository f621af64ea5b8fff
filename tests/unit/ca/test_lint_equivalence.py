"""Template linting is equivalent to the full lint: every bug of the mutation corpus that pkilint or the KISA checks
catch is refused by the template gate before anything is recorded or signed, whether the bug was there when the
templates were linted (at start) or appeared after (the comparison and the fast checks catch it); clean
certificates pass both gates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.authority import CertificateAuthority, IssuanceRequest
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.errors import LintFailed
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.keys import CaSigner, FileKeyStore
from jointcert.ca.lint import PkixLinter
from jointcert.ca.lint_gate import TemplateLint
from jointcert.clock import FakeClock
from jointcert.pii import PiiProtector
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.types import CertType
from tests.unit.ca.conftest import CA_SETTINGS, PUBLIC_URL
from tests.unit.ca.factories import make_request
from tests.unit.ca.lint_mutants import CORPUS, Mutant

MIN_CAUGHT = 50


@dataclass
class Ca:
    """One CA database for the whole corpus (the gate does not depend on it)."""

    store: SqlCertificateStore
    audit: SqlAuditStore
    hierarchy: Hierarchy
    clock: FakeClock
    linter: PkixLinter
    signed: list[bytes]

    def authority(self, mode: str) -> CertificateAuthority:
        return CertificateAuthority(
            store=self.store,
            audit=self.audit,
            pii=PiiProtector(b"k" * 32),
            clock=self.clock,
            settings=CA_SETTINGS.model_copy(update={"lint": mode}),
            public_url=PUBLIC_URL,
            issuing=self.hierarchy.issuing,
            linter=self.linter,
        )


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory, hierarchy: Hierarchy, linter: PkixLinter) -> Iterator[Ca]:
    base = tmp_path_factory.mktemp("equivalence")
    database = Database(f"sqlite:///{base / 'ca.db'}")
    database.migrate()
    store, audit = SqlCertificateStore(database), SqlAuditStore(database)
    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    install_hierarchy(hierarchy, store=store, audit=audit, keys=FileKeyStore(base / "k"), passphrase=b"pw", clock=clock)
    yield Ca(store, audit, hierarchy, clock, linter, [])
    database.dispose()


@pytest.fixture
def signing(ca: Ca, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every TBS the CA key signs during the test."""
    original = CaSigner.sign_tbs
    signed: list[bytes] = []

    def sign_tbs(self: CaSigner, tbs: bytes) -> bytes:
        signed.append(tbs)
        return original(self, tbs)

    monkeypatch.setattr(CaSigner, "sign_tbs", sign_tbs)
    return signed


@dataclass(frozen=True)
class Outcome:
    """What one issuance did."""

    signed: bool
    findings: tuple[str, ...] = ()


def _issue(ca: Ca, authority: CertificateAuthority, request: IssuanceRequest, signed: list[bytes]) -> Outcome:
    """Issue; a refusal must leave no record, no audit entry and no signature behind."""
    counts, head, signatures = ca.store.counts(), ca.audit.head(), len(signed)
    try:
        authority.issue(request)
    except LintFailed as failure:
        assert (ca.store.counts(), ca.audit.head(), len(signed)) == (counts, head, signatures)
        return Outcome(False, tuple(failure.details["findings"]))
    assert len(signed) == signatures + 1
    return Outcome(True)


def test_the_corpus_has_enough_caught_bugs() -> None:
    caught = [m for m in CORPUS if m.caught]
    assert len(caught) >= MIN_CAUGHT, f"{len(caught)} mutants the full lint catches; the proof needs {MIN_CAUGHT}"
    assert len({m.name for m in CORPUS}) == len(CORPUS)
    assert sum(m.variable and m.caught for m in CORPUS) >= 8


@pytest.mark.lint_findings_expected  # templates linted with a bug in them log it
@pytest.mark.parametrize("mutant", CORPUS, ids=lambda m: m.name)
def test_template_gate_refuses_every_bug_the_full_lint_catches(
    mutant: Mutant,
    ca: Ca,
    signing: list[bytes],
    subscriber_keys: list[rsa.RSAPrivateKey],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = subscriber_keys[0]
    with monkeypatch.context() as mp:  # the full lint, as the gate of reference
        mutant.apply(mp)
        full = _issue(ca, ca.authority("full"), mutant.request(key), signing)
    assert full.signed is not mutant.caught, f"the full lint {'missed' if mutant.caught else 'caught'} it: {full}"
    with monkeypatch.context() as mp:  # the bug is there at start: its templates are linted with it
        mutant.apply(mp)
        at_start = _issue(ca, ca.authority("template"), mutant.request(key), signing)
    clean = ca.authority("template")  # templates linted clean, then the bug appears (a data-dependent bug, a
    with monkeypatch.context() as mp:  # builder the template does not share, a cache gone stale …)
        mutant.apply(mp)
        later = _issue(ca, clean, mutant.request(key), signing)
    if mutant.caught:
        assert not at_start.signed and not later.signed, (at_start, later)
        assert not any(f.startswith("template:") for f in later.findings) or not mutant.variable
    if mutant.variable:  # the fast checks, not the templates, catch bugs in the variable fields
        assert not later.signed and not any(f.startswith("template:") for f in later.findings), later


@pytest.mark.parametrize("mode", ["full", "template"])
@pytest.mark.parametrize("cert_type", ["limited", "general"])
@pytest.mark.parametrize("with_vid", [True, False])
def test_clean_certificates_pass_both_gates(
    *,
    ca: Ca,
    signing: list[bytes],
    subscriber_keys: list[rsa.RSAPrivateKey],
    mode: str,
    cert_type: str,
    with_vid: bool,
) -> None:
    authority = ca.authority(mode)
    for key in subscriber_keys[:2]:
        request = replace(
            make_request(key, cert_type=CertType(cert_type)), random_num=None if not with_vid else b"r" * 20
        )
        assert _issue(ca, authority, request, signing).signed
    if mode == "template":
        assert isinstance(authority.lint_gate, TemplateLint)
        authority.lint_gate.sampler.drain()
        assert authority.counters.snapshot().get("lint_samples") == 2  # pkilint saw both signed certificates
        assert authority.counters.snapshot().get("lint_sample_findings") is None
