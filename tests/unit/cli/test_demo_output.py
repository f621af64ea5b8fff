"""`jointcert demo` output, piped as a script or a log would read it: every credential whole, on one line, with the
labels Rich would take for markup (``account [dormant]``) kept."""

import os
import subprocess
import sys
from pathlib import Path

from jointcert.bank.seed import DEMO_CUSTOMERS, credential_lines


def test_demo_output_piped_keeps_every_credential_whole(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_") and k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "jointcert", "--data-dir", str(tmp_path / "data"),
         "demo", "--no-serve", "--port", "8999"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    labelled = [(label, value) for demo in DEMO_CUSTOMERS for label, value in credential_lines(demo)[1:]]
    assert any("[" in label for label, _ in labelled), "the seed has no bracketed label any more; pick another"
    for label, value in labelled:
        assert f"{label}: {value}" in out, f"{label}: {value}"
    assert "http://127.0.0.1:8999/sandbox/otp/" in out
    assert "Demo-cert-pw#1" in out
