"""``jointcert verify``: the verdict as a table (or JSON) and an exit code; the yessign TEST certificate too."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.cli.main import main
from jointcert.npki.keyfile import PrivateKeyBundle, encrypt_sign_pri
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL
from tests.unit.rp.pki import RRN, R, TestPki, key

PASSWORD = "Cert-pass-2026!"


def run(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["jointcert", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A fresh test PKI on disk (signCert.der and the CA certificates as PEM)."""
    pki = TestPki()
    paths = {
        "root": tmp_path / "root.pem",
        "ca": tmp_path / "ca.pem",
        "limited": tmp_path / "limited.der",
        "general": tmp_path / "general.der",
        "offline": tmp_path / "offline.der",
        "key": tmp_path / "signPri.key",
        "other_key": tmp_path / "other" / "signPri.key",
    }
    paths["root"].write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    paths["ca"].write_bytes(pki.ca.public_bytes(serialization.Encoding.PEM))
    paths["limited"].write_bytes(pki.issue().der)
    paths["general"].write_bytes(pki.issue(policy=POLICY_GENERAL_PERSONAL).der)
    paths["offline"].write_bytes(pki.issue(ocsp_url="http://127.0.0.1:9/ocsp", crl_url=None).der)
    paths["key"].write_bytes(encrypt_sign_pri(PrivateKeyBundle(key(3), R), PASSWORD))  # the key of limited.der
    paths["other_key"].parent.mkdir()
    paths["other_key"].write_bytes(encrypt_sign_pri(PrivateKeyBundle(key(4), R), PASSWORD))
    return paths


def anchors(files: dict[str, Path]) -> list[str]:
    return ["--trust-anchor", str(files["root"]), "-t", str(files["ca"])]


def test_yessign_test_certificate_table_in_a_real_process(tmp_path: Path) -> None:
    cert = tmp_path / "signCert.der"
    cert.write_bytes(base64.b64decode(TEST_CERT["signCert"]))
    env = {**os.environ, "COLUMNS": "250", "JOINTCERT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "jointcert", "verify", str(cert)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 7, done.stderr
    out = done.stdout
    for needle in ("chain_untrusted", "expired", "1.2.410.200005.1.1.4", "VID present", "yessignCA-Test Class 4"):
        assert needle in out
    assert "Limited-use" in out
    assert "chain_untrusted" in done.stderr and "Traceback" not in done.stderr


def test_yessign_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cert = tmp_path / "signCert.der"
    cert.write_bytes(base64.b64decode(TEST_CERT["signCert"]))
    code, out, _ = run(["--data-dir", str(tmp_path), "verify", str(cert), "--json"], capsys, monkeypatch)
    verdict = json.loads(out)
    checks = {c["name"]: c for c in verdict["checks"]}
    assert code == 7 and verdict["accepted"] is False
    assert checks["chain"]["code"] == "chain_untrusted"
    assert checks["validity"]["code"] == "expired"
    assert checks["policy"]["status"] == "passed" and "Limited-use" in checks["policy"]["message_en"]
    assert "1.2.410.200005.1.1.4" in verdict["certificate"]["policy_oids"]
    assert checks["identify_data"]["status"] == "passed"
    assert verdict["certificate"]["cert_type"] == "limited"


def test_trusted_certificate_is_accepted_with_vid(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["--data-dir", str(tmp_path), "verify", str(files["limited"]), *anchors(files), "--no-revocation"]
    code, out, err = run([*argv, "--rrn", RRN, "--random-num", R.hex()], capsys, monkeypatch)
    assert code == 0, err
    assert "수락 accepted" in out
    code, out, _ = run([*argv, "--rrn", "8001011234567", "--random-num", R.hex(), "--json"], capsys, monkeypatch)
    assert code == 6 and json.loads(out)["reason"]["code"] == "vid_mismatch"


def test_securities_firm_refuses_limited_use(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = [
        "--data-dir",
        str(tmp_path),
        "verify",
        *anchors(files),
        "--no-revocation",
        "--institution",
        "gaon-securities",
    ]
    code, _, err = run([*base, str(files["limited"])], capsys, monkeypatch)
    assert code == 7 and "증권 거래에는 범용 인증서가 필요합니다" in err.replace("\n", "")
    code, _, _ = run([*base, str(files["general"])], capsys, monkeypatch)
    assert code == 0


def test_unreachable_responder_is_refused_fail_closed_and_warned_fail_open(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["--data-dir", str(tmp_path), "verify", str(files["offline"]), *anchors(files), "--json"]
    code, out, _ = run(argv, capsys, monkeypatch)
    assert code == 10 and json.loads(out)["reason"]["code"] == "revocation_unavailable"
    monkeypatch.setenv("JOINTCERT_RP__FAIL_CLOSED", "false")
    code, out, _ = run(argv, capsys, monkeypatch)
    verdict = json.loads(out)
    assert code == 0 and verdict["accepted"] is True
    assert {c["name"]: c["status"] for c in verdict["checks"]}["revocation"] == "warning"


def test_bad_inputs_give_messages_not_tracebacks(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "junk.der"
    junk.write_bytes(b"not a certificate")
    code, out, _ = run(["--data-dir", str(tmp_path), "verify", str(junk), "--json"], capsys, monkeypatch)
    assert code == 3 and json.loads(out)["reason"]["code"] == "malformed_certificate"
    code, _, err = run(
        ["--data-dir", str(tmp_path), "verify", str(files["limited"]), "-t", str(junk)], capsys, monkeypatch
    )
    assert code == 3 and "no certificate" in err
    code, _, err = run(
        ["--data-dir", str(tmp_path), "verify", str(files["limited"]), "--institution", "nowhere"], capsys, monkeypatch
    )
    assert code == 3 and "Unknown institution" in err


def test_yessign_key_file_signs_and_gives_r(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key_file = tmp_path / "signCert.der", tmp_path / "signPri.key"
    cert.write_bytes(base64.b64decode(TEST_CERT["signCert"]))
    key_file.write_bytes(base64.b64decode(TEST_CERT["signPri"]))
    argv = ["--data-dir", str(tmp_path), "verify", str(cert), "--key", str(key_file), "--rrn", "9001011234567"]
    code, out, _ = run([*argv, "--password", TEST_CERT["signPw"].decode(), "--json"], capsys, monkeypatch)
    checks = {c["name"]: c["code"] for c in json.loads(out)["checks"]}
    assert code == 7
    assert checks["signature"] == "ok"  # the real key signs for the real certificate
    assert checks["chain"] == "chain_untrusted" and checks["validity"] == "expired"
    assert checks["vid"] == "vid_mismatch"  # R from the key file; the real resident number is not public
    code, _, err = run([*argv, "--password", "wrong password"], capsys, monkeypatch)
    assert code == 6 and "key_file_unreadable" in err


def test_key_file_login_path(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["--data-dir", str(tmp_path), "verify", str(files["limited"]), *anchors(files), "--no-revocation", "--json"]
    code, out, err = run([*base, "--key", str(files["key"]), "-p", PASSWORD, "--rrn", RRN], capsys, monkeypatch)
    checks = {c["name"]: c["status"] for c in json.loads(out)["checks"]}
    assert code == 0, err
    assert checks["challenge"] == checks["signature"] == checks["vid"] == "passed"
    code, out, _ = run([*base, "--key", str(files["other_key"]), "-p", PASSWORD], capsys, monkeypatch)
    assert code == 6 and json.loads(out)["reason"]["code"] == "signature_invalid"
    code, _, err = run([*base, "--key", str(files["key"]), "-p", PASSWORD, "--random-num", "00"], capsys, monkeypatch)
    assert code == 3 and "not both" in err
    code, _, err = run([*base, "--key", str(files["key"])], capsys, monkeypatch)
    assert code == 3 and "--password" in err
    monkeypatch.setattr("typer.prompt", lambda *a, **k: PASSWORD)
    code, _, _ = run([*base, "--key", str(files["key"]), "--ask-password"], capsys, monkeypatch)
    assert code == 0


def test_at_moves_the_validation_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = tmp_path / "signCert.der"
    cert.write_bytes(base64.b64decode(TEST_CERT["signCert"]))
    base = ["--data-dir", str(tmp_path), "verify", str(cert), "--json"]
    _, out, _ = run([*base, "--at", "2020-03-01T12:00:00+09:00"], capsys, monkeypatch)
    checks = {c["name"]: c["code"] for c in json.loads(out)["checks"]}
    assert checks["validity"] == "ok" and checks["chain"] == "chain_untrusted"
    _, out, _ = run([*base, "--at", "2020-01-01"], capsys, monkeypatch)
    assert {c["name"]: c["code"] for c in json.loads(out)["checks"]}["validity"] == "not_yet_valid"
    code, _, err = run([*base, "--at", "yesterday"], capsys, monkeypatch)
    assert code == 3 and "ISO 8601" in err
