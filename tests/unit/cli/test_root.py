import subprocess
import sys


def test_console_script_shows_help_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "jointcert", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith("jointcert ")
