"""The README's examples work as written: its `jointcert login` lines, run from a directory where `jointcert demo`
made ``./data`` (so ``--npki-dir data/demo-npki`` is the demo folder), against `jointcert serve` on a free port (the
README's :8000 replaced), exit as the README says — registered, logged in, refused by the securities firm (exit 7)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.integration.test_rp_web_cli import _free_port, _wait_healthy

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO_KEY_PASSWORD = "Demo-cert-pw#1"  # what the README's comment says


def _login_examples() -> list[tuple[list[str], int]]:
    """Each README `jointcert login` line: its arguments and the exit code it promises (7 where it says so)."""
    examples = []
    for line in README.read_text().splitlines():
        if line.startswith("jointcert login "):
            command, _, comment = line.partition("#")
            examples.append((shlex.split(command)[1:], 7 if "exit 7" in comment else 0))
    return examples


def test_readme_login_examples(tmp_path: Path) -> None:
    examples = _login_examples()
    assert len(examples) == 3 and "--npki-dir" in examples[0][0] and "data/demo-npki" in examples[0][0]
    assert DEMO_KEY_PASSWORD in README.read_text()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")} | {"COLUMNS": "250"}

    def jointcert(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jointcert", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    prepared = jointcert("demo", "--no-serve", "--port", str(port))  # ./data under tmp_path, like `make demo`
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    assert (tmp_path / "data" / "demo-npki").is_dir()
    server = subprocess.Popen(
        [sys.executable, "-m", "jointcert", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        for args, expected in examples:
            given = [re.sub(r"^http://127\.0\.0\.1:8000", url, a) for a in args]
            done = jointcert(*given, "--password", DEMO_KEY_PASSWORD)
            assert done.returncode == expected, (args, done.stdout + done.stderr)
        assert "가온증권" in done.stdout + done.stderr and "Traceback" not in done.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
