"""atheris harnesses (coverage-guided, libFuzzer): ``python -m tests.fuzz TARGET [libFuzzer flags]``."""
