"""openssl against our CA: chain verification, CRL parsing and revocation checks, OCSP over HTTP to a live server."""

from __future__ import annotations

import base64
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.ca.authority import IssuedCertificate
from jointcert.types import CertType
from tests.interop.conftest import LiveInstance
from tests.unit.ca.factories import make_request

pytestmark = pytest.mark.interop


def _key() -> rsa.RSAPrivateKey:
    """A fresh key per certificate: a key revoked for keyCompromise is never certified again (ca/key_hygiene.py)."""
    return rsa.generate_private_key(65537, 2048)


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], check=False, capture_output=True, text=True, timeout=60)


def _issue(live: LiveInstance, name: str, cert_type: CertType = CertType.LIMITED) -> tuple[IssuedCertificate, Path]:
    issued = live.services.authority.issue(make_request(_key(), cert_type=cert_type))
    path = live.files / f"{name}.pem"
    path.write_bytes(issued.certificate.public_bytes(serialization.Encoding.PEM))
    return issued, path


@pytest.mark.parametrize("cert_type", list(CertType))
def test_openssl_verifies_the_chain(live: LiveInstance, cert_type: CertType) -> None:
    _, ee = _issue(live, f"chain-{cert_type}", cert_type)
    result = _openssl("verify", "-CAfile", live.pem("root"), "-untrusted", live.pem("class1"), ee)
    assert result.returncode == 0 and result.stdout.strip() == f"{ee}: OK", result.stderr
    signer = _openssl(
        "verify",
        "-CAfile",
        live.pem("root"),
        "-untrusted",
        live.pem("class1"),
        "-purpose",
        "ocsphelper",
        live.pem("ocsp"),
    )
    assert signer.returncode == 0, signer.stderr


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def test_openssl_reads_the_crl_and_rejects_a_revoked_certificate(live: LiveInstance) -> None:
    issued, ee = _issue(live, "crl-revoked")
    live.services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    crl_path = live.files / "class1.crl"
    crl_path.write_bytes(_fetch(f"{live.url}/crl/class1.crl"))
    text = _openssl("crl", "-inform", "DER", "-in", crl_path, "-text", "-noout")
    assert text.returncode == 0, text.stderr
    serial_hex = f"{issued.serial:X}"
    serial_hex = "0" * (len(serial_hex) % 2) + serial_hex  # openssl prints whole bytes
    assert f"Serial Number: {serial_hex}" in text.stdout.upper().replace("SERIAL NUMBER", "Serial Number")
    assert "Key Compromise" in text.stdout and "CRL Number" in text.stdout
    pem_crl = live.files / "class1.crl.pem"
    _openssl("crl", "-inform", "DER", "-in", crl_path, "-out", pem_crl)
    root_crl = live.files / "root.crl.pem"
    root_crl.write_bytes(
        x509.load_der_x509_crl(_fetch(f"{live.url}/crl/root.crl")).public_bytes(serialization.Encoding.PEM)
    )
    checked = _openssl(
        "verify", "-crl_check_all", "-CAfile", live.pem("root"), "-untrusted", live.pem("class1"),
        "-CRLfile", pem_crl, "-CRLfile", root_crl, ee,
    )  # fmt: skip
    assert checked.returncode != 0 and "certificate revoked" in checked.stdout + checked.stderr
    _, fine = _issue(live, "crl-good")
    ok = _openssl(
        "verify", "-crl_check_all", "-CAfile", live.pem("root"), "-untrusted", live.pem("class1"),
        "-CRLfile", pem_crl, "-CRLfile", root_crl, fine,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_openssl_checks_a_certificate_against_its_partition_crl(live: LiveInstance) -> None:
    """The certificate's distribution point is fetched as written; openssl verifies the partition CRL's signature
    and matches its critical issuingDistributionPoint to the certificate's DP (a mismatch: "unable to get
    certificate CRL")."""
    revoked, ee = _issue(live, "partition-revoked")
    _, fine = _issue(live, "partition-good")
    live.services.authority.revoke(revoked.serial, x509.ReasonFlags.key_compromise, actor="test")
    [point] = revoked.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    [uri] = point.full_name
    assert "/crl/class1/p" in uri.value
    der = live.files / "partition.crl"
    der.write_bytes(_fetch(uri.value))
    verified = _openssl("crl", "-inform", "DER", "-in", der, "-CAfile", live.pem("class1"), "-noout", "-text")
    assert verified.returncode == 0 and "verify OK" in verified.stderr, verified.stderr
    assert "Issuing Distribution Point: critical" in verified.stdout and uri.value in verified.stdout
    pem_crl = live.files / "partition.crl.pem"
    _openssl("crl", "-inform", "DER", "-in", der, "-out", pem_crl)
    root_crl = live.files / "partition-root.crl.pem"
    root_crl.write_bytes(
        x509.load_der_x509_crl(_fetch(f"{live.url}/crl/root.crl")).public_bytes(serialization.Encoding.PEM)
    )
    chain: list[str | Path] = ["-CAfile", live.pem("root"), "-untrusted", live.pem("class1")]
    crls: list[str | Path] = ["-CRLfile", pem_crl, "-CRLfile", root_crl]
    checked = _openssl("verify", "-crl_check_all", *chain, *crls, ee)
    assert checked.returncode != 0 and "certificate revoked" in checked.stdout + checked.stderr
    ok = _openssl("verify", "-crl_check_all", *chain, *crls, fine)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def _ocsp_cli(live: LiveInstance, target: list[str | Path], *, nonce: bool, trust: str) -> str:
    trust_args: list[str | Path] = (
        ["-CAfile", live.files / "chain.pem"] if trust == "CAfile" else ["-VAfile", live.pem("ocsp")]
    )
    args: list[str | Path] = ["ocsp", "-issuer", live.pem("class1"), *target, "-url", f"{live.url}/ocsp", *trust_args]
    args += ["-nonce"] if nonce else ["-no_nonce"]
    result = _openssl(*args)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Response verify OK" in output, output
    return output


@pytest.mark.parametrize("nonce", [True, False])
@pytest.mark.parametrize("trust", ["CAfile", "VAfile"])
def test_openssl_ocsp_reports_good_revoked_unknown(live: LiveInstance, nonce: bool, trust: str) -> None:
    _, good = _issue(live, "ocsp-good")
    revoked, revoked_pem = _issue(live, "ocsp-revoked")
    assert f"{good}: good" in _ocsp_cli(live, ["-cert", good], nonce=nonce, trust=trust)
    assert f"{revoked_pem}: good" in _ocsp_cli(live, ["-cert", revoked_pem], nonce=nonce, trust=trust)
    live.services.authority.revoke(revoked.serial, x509.ReasonFlags.key_compromise, actor="test")
    out = _ocsp_cli(live, ["-cert", revoked_pem], nonce=nonce, trust=trust)  # the server's cache sees it at once
    assert f"{revoked_pem}: revoked" in out and "keyCompromise" in out
    unknown = _ocsp_cli(live, ["-serial", "0x0123456789abcdef0123456789abcdef"], nonce=nonce, trust=trust)
    assert ": unknown" in unknown


def test_ocsp_get_response_verifies_with_openssl(live: LiveInstance) -> None:
    issued, _ = _issue(live, "ocsp-get")
    issuer = live.services.signers["class1"].certificate
    request = ocsp.OCSPRequestBuilder().add_certificate(issued.certificate, issuer, hashes.SHA1()).build()
    encoded = urllib.parse.quote(base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode(), safe="")
    response_path = live.files / "get.ocsp"
    response_path.write_bytes(_fetch(f"{live.url}/ocsp/{encoded}"))
    result = _openssl(
        "ocsp", "-respin", response_path, "-issuer", live.pem("class1"), "-CAfile", live.files / "chain.pem",
        "-serial", str(issued.serial), "-no_nonce",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert "Response verify OK" in output and ": good" in output, output
