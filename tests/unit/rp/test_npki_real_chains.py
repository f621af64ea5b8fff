"""The real NPKI: every public CA certificate chains to its KISA root, and the yessign TEST certificate validates
against Kisa Test RootCA 7 + yessignCA-Test Class 4 as of a time in its validity (openssl agrees)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.cli.main import main
from jointcert.clock import FakeClock
from jointcert.npki.policies import Usage, issuing_ca_name, oids_for, policy_info
from jointcert.rp import CheckName, InstitutionPolicy, Reason, TrustAnchors, Verifier
from jointcert.rp.path import validate_path
from jointcert.rp.truststore import bundled_certificates, trust_store

REPO = Path(__file__).resolve().parents[3]
YESSIGN = x509.load_der_x509_certificate(base64.b64decode(TEST_CERT["signCert"]))
IN_VALIDITY = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)  # the test certificate: 2020-02-25 … 2020-03-25
ROOTS = {"kisa-rootca-1.pem", "kisa-rootca-4.pem", "kisa-test-rootca-6.pem", "kisa-test-rootca-7.pem"}


def vectors_dir() -> Path:
    """``../shared/vectors/npki-ca`` beside the repository (``JOINTCERT_NPKI_VECTORS`` overrides); under CI a
    missing directory fails the test instead of skipping it."""
    folder = Path(os.environ.get("JOINTCERT_NPKI_VECTORS") or REPO.parent / "shared" / "vectors" / "npki-ca")
    if not folder.is_dir():
        message = f"the NPKI CA vectors are missing at {folder} (set JOINTCERT_NPKI_VECTORS)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="module")
def vectors() -> dict[str, x509.Certificate]:
    return {p.name: x509.load_pem_x509_certificate(p.read_bytes()) for p in sorted(vectors_dir().glob("*.pem"))}


def _cn(name: x509.Name) -> str:
    return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _middle(cert: x509.Certificate) -> datetime:
    return cert.not_valid_before_utc + (cert.not_valid_after_utc - cert.not_valid_before_utc) / 2


def test_every_public_ca_chains_to_its_kisa_root(vectors: dict[str, x509.Certificate]) -> None:
    assert len(vectors) == 24
    roots = {name for name, cert in vectors.items() if cert.subject == cert.issuer}
    assert roots == ROOTS  # the four KISA roots; every other vector is an issuing CA (no cross-certificates)
    anchors = TrustAnchors.of(vectors.values())
    for name, cert in vectors.items():
        result = validate_path(cert, anchors, _middle(cert))
        assert result.chain.code is Reason.OK, (name, result.chain.message_en)
        anchor = result.path[-1]
        assert _cn(anchor.subject).lower().startswith("kisa"), name
        if name not in ROOTS:
            assert len(result.path) == 2 and _cn(anchor.subject) == _cn(cert.issuer), name
    print(f"{len(vectors) - len(ROOTS)} issuing CAs chain to {len(ROOTS)} KISA roots")


def test_the_shipped_trust_stores_are_the_vectors(vectors: dict[str, x509.Certificate]) -> None:
    assert bundled_certificates() == vectors
    real, test = trust_store("npki"), trust_store("npki-test")
    assert {_cn(c.subject) for c in real.roots} == {"KISA RootCA 1", "KISA RootCA 4"}
    assert {_cn(c.subject) for c in test.roots} == {"Kisa Test RootCA 6", "Kisa Test RootCA 7"}
    assert len(real.intermediates) + len(test.intermediates) == 20
    assert not set(real.intermediates) & set(test.intermediates)
    for cert in test.intermediates:  # a test CA never validates against the real roots
        assert validate_path(cert, real, _middle(cert)).chain.code is Reason.CHAIN_UNTRUSTED
        assert validate_path(cert, test, _middle(cert)).chain.code is Reason.OK


def _policy(anchors: TrustAnchors) -> InstitutionPolicy:
    return InstitutionPolicy(
        "npki-bank", "은행", "A bank", anchors, accepted_policy_oids=oids_for(Usage.PERSONAL_BANKING)
    )


def test_yessign_test_certificate_validates_and_openssl_agrees(
    vectors: dict[str, x509.Certificate], tmp_path: Path
) -> None:
    root, ca = vectors["kisa-test-rootca-7.pem"], vectors["yessignca-test-class-4.pem"]
    anchors = TrustAnchors((root,), (ca,))
    for when, accepted in ((IN_VALIDITY, True), (IN_VALIDITY + timedelta(days=40), False)):
        verdict = Verifier(_policy(anchors), clock=FakeClock(when)).verify_certificate(YESSIGN, check_revocation=False)
        assert verdict.check(CheckName.CHAIN).code is Reason.OK  # type: ignore[union-attr]
        assert verdict.accepted is accepted, verdict.reason
        files = {}
        for label, cert in (("root", root), ("ca", ca), ("ee", YESSIGN)):
            files[label] = tmp_path / f"{label}.pem"
            files[label].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        args = ["-attime", str(int(when.timestamp())), "-CAfile", str(files["root"]), "-untrusted", str(files["ca"])]
        openssl = subprocess.run(
            ["openssl", "verify", *args, str(files["ee"])],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (openssl.returncode == 0) is accepted, openssl.stdout + openssl.stderr
    policy = verdict.check(CheckName.POLICY)
    assert policy is not None and "Limited-use" in policy.message_en and "(yessign)" in policy.message_en
    assert verdict.certificate is not None and "1.2.410.200005.1.1.4" in verdict.certificate.policy_oids


def test_verify_command_with_the_builtin_test_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ee = tmp_path / "signCert.der"
    ee.write_bytes(base64.b64decode(TEST_CERT["signCert"]))
    base = [
        "jointcert",
        "--data-dir",
        str(tmp_path / "none"),
        "verify",
        str(ee),
        "--no-revocation",
        "--no-aia",
        "--json",
    ]
    codes = {}
    for store in ("npki-test", "npki"):
        monkeypatch.setattr(sys, "argv", [*base, "--trust", store, "--at", "2020-03-01T12:00:00+09:00"])
        with pytest.raises(SystemExit) as done:
            main()
        out = capsys.readouterr().out
        checks = {c["name"]: c for c in json.loads(out)["checks"]}
        codes[store] = (int(done.value.code or 0), checks["chain"])
    assert codes["npki-test"][0] == 0 and "Kisa Test RootCA 7" in codes["npki-test"][1]["message_en"]
    assert codes["npki"][0] != 0 and codes["npki"][1]["code"] == "chain_untrusted"


def test_policies_by_name_and_the_issuer_named_honestly() -> None:
    banking = oids_for("personal-banking")
    assert {"1.2.410.200005.1.1.4", "1.2.410.200004.5.2.1.7.1", "1.2.410.200004.5.4.1.101"} <= banking
    assert "1.2.410.200005.1.1.1" not in banking
    assert oids_for(Usage.PERSONAL_GENERAL, cas=("yessign",)) == {"1.2.410.200005.1.1.1"}
    assert "1.2.410.200004.5.4.1.104" in oids_for(Usage.PERSONAL_EGOV)
    assert "1.2.410.200005.1.1.5" in oids_for(Usage.CORPORATE_GENERAL)
    with pytest.raises(ValueError):
        oids_for(Usage.PERSONAL_GENERAL, cas=("nosuchca",))
    info = policy_info("1.2.410.200005.1.1.4")
    assert info is not None
    assert issuing_ca_name(info, YESSIGN.issuer) == "yessign"
    ours = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jointsign")])
    assert issuing_ca_name(info, ours) == "jointsign (yessign OID)"
