"""django-ca side by side: its certificates per second through its Python API (``Certificate.objects.create_cert``)
as shipped — it loads and validates the CA key from storage for every signature — and with the key held in
memory, beside our in-process issuance in one thread (``CertificateAuthority.issue``: validation, the intended
certificate recorded with its audit entry before signing, the KISA checks, pkilint, the signature, the signed
certificate stored with its audit entry). django-ca records nothing before signing and lints nothing.

django-ca runs in a throwaway venv inside the project, ``.bench-venvs/django-ca`` (gitignored), made with pip on
first use; ``--quick`` uses it only when it is already there. Targets: ≥ 10× django-ca as shipped, ≥ 0.5× (within
2×) its key-in-memory path. Run: ``python -m bench.djangoca [--count N]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import Row, render

__all__ = ["VENV", "measure"]

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench-venvs" / "django-ca"
_PYTHON = VENV / "bin" / "python"
_REQUIREMENT = "django-ca>=3.2,<4"


def _ensure_venv() -> None:
    if _PYTHON.exists() and subprocess.run([_PYTHON, "-c", "import django_ca"], check=False).returncode == 0:
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([_PYTHON, "-m", "pip", "install", "--quiet", _REQUIREMENT], check=True)


def _django_ca(count: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="jointcert-djangoca-") as tmp:
        script = Path(__file__).with_name("djangoca_worker.py")
        done = subprocess.run(
            [_PYTHON, str(script), tmp, str(count)], capture_output=True, text=True, check=False, timeout=1800
        )
    if done.returncode != 0:
        raise RuntimeError(f"django-ca benchmark failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _ours(count: int) -> tuple[float, list[float]]:
    from bench.issue import _pipeline_rate  # the in-process pipeline of bench/issue.py, here in one thread

    with tempfile.TemporaryDirectory(prefix="jointcert-djangoca-ours-") as tmp:
        # the default lint gate; one thread: every issuance is a lone caller (the single-unit path)
        result, _ = _pipeline_rate(None, Path(tmp), count, 1, None, lint="template", batch=True)
    return result.rate, result.latencies


def measure(count: int, *, quick: bool = False) -> list[Row]:
    """django-ca both ways, then ours; the rows."""
    ours, ours_latencies = _ours(count)
    label = "jointcert CA pipeline, 1 thread, template lint"
    if quick and not _PYTHON.exists():
        note = f"django-ca skipped: --quick and no {VENV.relative_to(ROOT)} (python -m bench.djangoca makes it)"
        return [Row("-", label, ours, ours_latencies, note=note)]
    _ensure_venv()
    theirs = _django_ca(count)
    version = theirs["version"]
    shipped, in_memory = float(theirs["shipped"]), float(theirs["in_memory"])  # type: ignore[arg-type]
    return [
        Row("-", f"django-ca {version} as shipped (1 thread)", shipped, theirs["shipped_latencies"]),  # type: ignore[arg-type]
        Row("-", f"django-ca {version}, CA key in memory", in_memory, theirs["in_memory_latencies"]),  # type: ignore[arg-type]
        Row.against(
            "-", label, ours, ours_latencies, baseline="django-ca as shipped", baseline_rate=shipped,
            minimum_ratio=10.0,
        ),
        Row.against(
            "-", label, ours, ours_latencies, baseline="django-ca key in memory", baseline_rate=in_memory,
            minimum_ratio=0.5,
        ),
    ]  # fmt: skip


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    print(render(measure(args.count), f"django-ca side by side ({args.count} certificates each)"))


if __name__ == "__main__":
    main()
