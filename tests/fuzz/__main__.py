"""``python -m tests.fuzz TARGET WORKDIR [libFuzzer flags]``: one atheris harness (tests/fuzz/targets.py).

jointcert is instrumented for coverage; the corpus starts from the target's seeds in ``WORKDIR/corpus``. libFuzzer
ends the process: exit 0 when the run (``-runs=N`` / ``-max_total_time=S``) found nothing, non-zero with the
crashing input saved under ``-artifact_prefix`` when an input raised an uncaught exception.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["jointcert"]):
    from tests.fuzz.targets import TARGETS


def main() -> None:
    name, workdir, flags = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    corpus = workdir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    with TARGETS[name](workdir) as (one_input, seeds):
        for index, seed in enumerate(seeds):
            (corpus / f"seed-{index}").write_bytes(seed)
        atheris.Setup([sys.argv[0], *flags, str(corpus)], one_input)
        atheris.Fuzz()


if __name__ == "__main__":
    main()
