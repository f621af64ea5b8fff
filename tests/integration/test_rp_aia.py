"""Path building beyond the anchors: the issuing CA fetched from the AIA caIssuers URL of our own server (cached),
and ``jointcert verify`` on our own certificate with no anchors given, or only the root."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jointcert.cli.main import main
from jointcert.clock import FakeClock
from jointcert.rp import CheckName, Reason, TrustAnchors, Verifier, demo_institutions
from jointcert.rp.aia import AiaIssuers, ca_issuers_urls
from jointcert.rp.http import HttpCaIssuersFetcher
from jointcert.rp.policy import DEMO_GOV
from jointcert.types import CertType
from tests.integration.test_rp_ca import Served, _anchors, _issue, served  # noqa: F401  (fixture)

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # nothing here depends on the backend


def _aia_is_fetched_and_cached(served: Served, clock: FakeClock) -> None:  # noqa: F811
    holder = _issue(served.services, CertType.LIMITED)
    assert ca_issuers_urls(holder.cert) == [f"{served.url}/ca/class1.crt"]
    root_only = TrustAnchors(_anchors(served.url).roots)
    policy = demo_institutions(root_only)[DEMO_GOV]
    without = Verifier(policy, clock=clock).verify_certificate(holder.cert, check_revocation=False)
    assert without.reason_code is Reason.CHAIN_UNTRUSTED
    fetcher = HttpCaIssuersFetcher(timeout=10)
    issuers = AiaIssuers(fetcher, clock)
    try:
        verifier = Verifier(policy, clock=clock, issuers=issuers)
        for _ in range(2):
            verdict = verifier.verify_certificate(holder.cert, check_revocation=False)
            assert verdict.accepted, verdict.reason
    finally:
        fetcher.close()
    assert issuers.fetches == 1  # the second verification used the cache


def _verify(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict]:
    monkeypatch.setattr(sys, "argv", ["jointcert", *argv, "--no-revocation", "--json"])
    with pytest.raises(SystemExit) as done:
        main()
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    return int(done.value.code or 0), checks[CheckName.CHAIN.value]


def test_aia_and_the_verify_command_on_our_own_certificate(
    served: Served,  # noqa: F811
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _aia_is_fetched_and_cached(served, clock)
    holder = _issue(served.services, CertType.GENERAL)
    cert = tmp_path / "signCert.der"
    cert.write_bytes(holder.cert.public_bytes(serialization.Encoding.DER))
    root = tmp_path / "root.pem"
    root.write_bytes(_anchors(served.url).roots[0].public_bytes(serialization.Encoding.PEM))
    data, elsewhere = str(served.data_dir), str(tmp_path / "no-instance")
    at = ["--at", served.services.clock.now().isoformat()]
    runs = {
        "instance": ["--data-dir", data, "verify", str(cert), "--no-aia", *at],
        "root+instance": ["--data-dir", data, "verify", str(cert), "-t", str(root), "--no-aia", *at],
        "root+aia": ["--data-dir", elsewhere, "verify", str(cert), "-t", str(root), *at],
        "root only": ["--data-dir", elsewhere, "verify", str(cert), "-t", str(root), "--no-aia", *at],
    }
    results = {label: _verify(argv, capsys, monkeypatch) for label, argv in runs.items()}
    for label in ("instance", "root+instance", "root+aia"):
        code, chain = results[label]
        assert code == 0 and chain["code"] == "ok", (label, chain)
    code, chain = results["root only"]
    assert code != 0 and chain["code"] == "chain_untrusted"
