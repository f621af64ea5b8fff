"""The CA commands as a user runs them (subprocess): init, refusing re-init, crl, revoke, audit verify."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from jointcert.storage.db import Database


def _run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jointcert", "--data-dir", str(data_dir), *args],
        check=False,
        capture_output=True,
        text=True,
        env=base,
        timeout=120,
    )


def _digest(path: Path) -> str:
    """A file's SHA-256; for an SQLite database, of its rows (a dump through a read-only connection): whether
    committed pages still sit in the -wal file or were checkpointed into the main file is SQLite's business."""
    if path.suffix != ".db":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()
    finally:
        connection.close()


def _snapshot(directory: Path) -> dict[str, str]:
    """Every file of the instance (the database by its rows; its -wal and -shm files, which SQLite makes and
    removes as connections come and go, left out)."""
    return {
        str(p.relative_to(directory)): _digest(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised SQLite instance for the module."""
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    result = _run(data_dir, "init")
    assert result.returncode == 0, result.stderr
    assert "초기화 완료" in result.stdout and "class1" in result.stdout
    return data_dir


def test_init_writes_config_secrets_keys_and_database(instance: Path) -> None:
    assert (instance / "secrets.toml").stat().st_mode & 0o777 == 0o600
    secrets = (instance / "secrets.toml").read_text()
    assert "secret_key" in secrets and "passphrase" in secrets
    assert "[ca]" in (instance / "jointcert.toml").read_text()
    for slug in ("root", "class1", "ocsp"):
        key = instance / "ca" / f"{slug}.key.pem"
        assert key.stat().st_mode & 0o777 == 0o600
        assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with contextlib.closing(sqlite3.connect(instance / "jointcert.db")) as conn:  # closed: no WAL files left
        assert {r[0] for r in conn.execute("select slug from ca_authorities")} == {"root", "class1", "ocsp"}


def test_init_refuses_an_existing_instance_and_changes_nothing(instance: Path) -> None:
    before = _snapshot(instance)
    result = _run(instance, "init")
    assert result.returncode == 5
    assert "이미 초기화된 인스턴스" in result.stderr and "already initialised" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(instance) == before


def test_init_takes_secrets_from_the_environment(tmp_path: Path) -> None:
    key = base64.b64encode(b"x" * 32).decode()
    result = _run(tmp_path / "d", "init", env={"JOINTCERT_SECRET_KEY": key, "JOINTCERT_CA__PASSPHRASE": "from-env"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "secrets.toml").read_text().strip() == ""
    assert _run(tmp_path / "d", "audit", "verify").returncode == 3  # no secret key without the environment
    verified = _run(
        tmp_path / "d", "audit", "verify", env={"JOINTCERT_SECRET_KEY": key, "JOINTCERT_CA__PASSPHRASE": "from-env"}
    )
    assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize("database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_init_on_postgresql(database: Database, tmp_path: Path) -> None:
    env = {"JOINTCERT_DATABASE_URL": database.url}
    result = _run(tmp_path / "pg", "init", env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pg" / "jointcert.db").exists()
    assert _run(tmp_path / "pg", "crl", env=env).returncode == 0
    again = _run(tmp_path / "other", "init", env=env)  # same database, new directory: refused
    assert again.returncode == 5 and not (tmp_path / "other" / "secrets.toml").exists()


def test_crl_command_writes_and_numbers_crls(instance: Path) -> None:
    issue = ["issue", "--name", "홍길동", "--rrn", "900101-1234567", "--password", "Cert-pass-2026!"]
    issued = _run(instance, *issue, "--npki-dir", str(instance / "NPKI"))
    assert issued.returncode == 0, issued.stdout + issued.stderr
    first = _run(instance, "crl")
    second = _run(instance, "crl", "--ca", "class1")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert (instance / "crl" / "class1.crl").read_bytes()[:1] == b"\x30"
    partitions = sorted((instance / "crl" / "class1").glob("p*.crl"))  # the certificate's partition
    assert [p.name for p in partitions] == ["p0.crl"] and "CRL class1/p0 #" in second.stdout
    number = lambda out: int(out.split("class1 #")[1].split()[0])  # noqa: E731
    assert number(second.stdout) > number(first.stdout)


def test_revoke_errors_are_typed_messages_not_tracebacks(instance: Path) -> None:
    missing = _run(instance, "revoke", "abcdef", "--reason", "keyCompromise")
    assert missing.returncode == 4 and "해당 일련번호의 인증서가 없습니다" in missing.stderr
    bad_reason = _run(instance, "revoke", "abcdef", "--reason", "bored")
    assert bad_reason.returncode == 3 and "Unknown reason" in bad_reason.stderr
    bad_serial = _run(instance, "revoke", "xyz")
    assert bad_serial.returncode == 3
    assert all("Traceback" not in r.stderr for r in (missing, bad_reason, bad_serial))


def test_audit_verify_reports_the_first_broken_link(tmp_path: Path) -> None:
    data_dir = tmp_path / "audit"
    assert _run(data_dir, "init").returncode == 0
    ok = _run(data_dir, "audit", "verify")
    assert ok.returncode == 0 and "audit log intact" in ok.stdout
    with sqlite3.connect(data_dir / "jointcert.db") as conn:
        conn.execute("update ca_audit_log set payload = replace(payload, 'init', 'evil') where seq = 2")
    broken = _run(data_dir, "audit", "verify")
    assert broken.returncode == 5 and "2" in broken.stderr and "감사 로그" in broken.stderr


def test_audit_verify_catches_a_cut_tail_with_a_rewound_head(tmp_path: Path) -> None:
    """The attack the hash chain alone missed: delete the newest entries and rewind the head row to match."""
    data_dir = tmp_path / "cut"
    assert _run(data_dir, "init").returncode == 0
    assert _run(data_dir, "audit", "checkpoint").returncode == 0  # anchors the head outside the database
    checkpoints = (data_dir / "audit-checkpoints.jsonl").read_text().splitlines()
    assert len(checkpoints) == 2 and oct((data_dir / "audit-checkpoints.jsonl").stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(data_dir / "jointcert.db") as conn:
        (last,) = conn.execute("select max(seq) from ca_audit_log").fetchone()
        conn.execute("delete from ca_audit_log where seq > ?", (last - 3,))
        seq, digest, mac = conn.execute("select seq, hash, mac from ca_audit_log where seq = ?", (last - 3,)).fetchone()
        conn.execute("update ca_audit_head set seq = ?, hash = ?, mac = ?", (seq, digest, mac))
    broken = _run(data_dir, "audit", "verify")
    assert broken.returncode == 5 and "checkpoint" in broken.stderr, broken.stderr
