"""pkilint's own command-line linters on our certificates, CRLs and OCSP responses: no errors.

The one accepted finding (``ACCEPTED_FINDINGS``: BMPString explicitText, allowed since RFC 6818) is asserted to be
the only error-level finding; warnings are printed so the run lists them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.ca.lint import ACCEPTED_FINDINGS
from jointcert.types import CertType
from tests.interop.conftest import LiveInstance
from tests.unit.ca.factories import make_request

pytestmark = pytest.mark.interop
_BIN = Path(sys.executable).parent


def _key() -> rsa.RSAPrivateKey:
    """A fresh key per certificate: a key revoked for keyCompromise is never certified again (ca/key_hygiene.py)."""
    return rsa.generate_private_key(65537, 2048)


def _lint(tool: str, path: Path, *extra: str) -> list[dict[str, str]]:
    result = subprocess.run(
        [str(_BIN / tool), "lint", *extra, "-f", "JSON", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout, result.stderr
    findings = [f for r in json.loads(result.stdout)["results"] for f in r["finding_descriptions"]]
    for finding in findings:
        if finding["severity"] in ("WARNING", "NOTICE"):
            print(f"{tool} {path.name}: {finding['severity']} {finding['code']} {finding.get('message') or ''}")
    return findings


def _errors(findings: list[dict[str, str]]) -> list[str]:
    return [f["code"] for f in findings if f["severity"] in ("FATAL", "ERROR") and f["code"] not in ACCEPTED_FINDINGS]


def test_certificates_have_no_pkilint_errors(live: LiveInstance) -> None:
    paths: list[Path] = []
    for cert_type in CertType:
        issued = live.services.authority.issue(make_request(_key(), cert_type=cert_type, km_key=_key()))
        paths.append(live.files / f"lint-{cert_type}.der")
        paths[-1].write_bytes(issued.der)
        assert issued.km is not None  # the encryption (km) certificate of the pair, linted the same way
        paths.append(live.files / f"lint-{cert_type}km.der")
        paths[-1].write_bytes(issued.km.der)
    for slug, signer in live.services.signers.items():
        paths.append(live.files / f"lint-{slug}.der")
        paths[-1].write_bytes(signer.certificate.public_bytes(serialization.Encoding.DER))
    for path in paths:
        findings = _lint("lint_pkix_cert", path)
        assert _errors(findings) == [], path.name
        accepted = [f["code"] for f in findings if f["code"] in ACCEPTED_FINDINGS]
        assert accepted == (
            [] if path.name.split("-")[1].split(".")[0] in live.services.signers else list(ACCEPTED_FINDINGS)
        )


def test_crls_have_no_pkilint_errors(live: LiveInstance) -> None:
    issued = live.services.authority.issue(make_request(_key()))
    live.services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    for slug in ("class1", "root"):
        path = live.files / f"lint-{slug}.crl"
        path.write_bytes(live.services.crl.current(slug).der)
        assert _errors(_lint("lint_crl", path, "-t", "CRL" if slug == "class1" else "ARL", "-p", "PKIX")) == []
    numbers = live.services.crl.partition_numbers("class1")
    assert numbers  # every partition, with its critical issuingDistributionPoint
    for number in numbers:
        path = live.files / f"lint-class1-p{number}.crl"
        path.write_bytes(live.services.crl.partition("class1", number).der)
        assert _errors(_lint("lint_crl", path, "-t", "CRL", "-p", "PKIX")) == [], path.name


def test_ocsp_responses_have_no_pkilint_errors(live: LiveInstance) -> None:
    good = live.services.authority.issue(make_request(_key()))
    revoked = live.services.authority.issue(make_request(_key()))
    live.services.authority.revoke(revoked.serial, x509.ReasonFlags.superseded, actor="test")
    issuer = live.services.signers["class1"]
    for label, serial, nonce in (
        ("good", good.serial, True),
        ("revoked", revoked.serial, False),
        ("unknown", 99, True),
    ):
        builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            issuer.name_hashes["sha256"], issuer.key_hashes["sha256"], serial, hashes.SHA256()
        )
        if nonce:
            builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
        path = live.files / f"lint-{label}.ocsp"
        path.write_bytes(live.services.ocsp.respond(builder.build().public_bytes(serialization.Encoding.DER)))
        assert _errors(_lint("lint_ocsp_response", path)) == [], label
