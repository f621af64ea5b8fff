"""atheris (coverage-guided, libFuzzer) over PKIMessage, OCSP request, certificate login input and relay envelope
(tests/fuzz/targets.py), each in its own process: 0 uncaught exceptions. CI runs each for
``JOINTCERT_FUZZ_CI_SECONDS`` (3 s of fuzzing after a ~15 s start); the ``slow`` set for ``JOINTCERT_FUZZ_SECONDS``
(600 s, 10 minutes) each."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["pkimessage", "ocsp_request", "certificate_login", "relay_envelope"]
CI_SECONDS = int(os.environ.get("JOINTCERT_FUZZ_CI_SECONDS", "3"))
SLOW_SECONDS = int(os.environ.get("JOINTCERT_FUZZ_SECONDS", "600"))
SLOW = pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="long fuzz run: set JOINTCERT_SLOW=1")


def _fuzz(target: str, seconds: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "tests.fuzz",
        target,
        str(workdir),
        f"-max_total_time={seconds}",
        "-timeout=30",  # one input running 30 s is a finding too
        "-rss_limit_mb=3072",
        f"-artifact_prefix={workdir}/",
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 300, check=False)


def _clean_run(target: str, seconds: int, workdir: Path) -> int:
    done = _fuzz(target, seconds, workdir)
    runs = re.search(r"Done (\d+) runs in (\d+) second", done.stderr)
    assert done.returncode == 0 and runs is not None, done.stderr[-4000:]
    assert list(workdir.glob("crash-*")) == []
    print(f"atheris {target}: {runs[1]} inputs in {runs[2]} s, 0 uncaught exceptions")
    return int(runs[1])


def test_an_uncaught_exception_is_reported_as_a_crash(tmp_path: Path) -> None:
    done = _fuzz("canary", 5, tmp_path)
    assert done.returncode != 0 and "Uncaught Python exception" in done.stdout + done.stderr
    crashes = list(tmp_path.glob("crash-*"))
    assert len(crashes) == 1 and crashes[0].read_bytes().startswith(b"boom")


@pytest.mark.parametrize("target", TARGETS)
def test_atheris_short(target: str, tmp_path: Path) -> None:
    assert _clean_run(target, CI_SECONDS, tmp_path) >= 20


@SLOW
@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_atheris_long(target: str, tmp_path: Path) -> None:
    assert _clean_run(target, SLOW_SECONDS, tmp_path) >= 1000
