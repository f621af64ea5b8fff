"""SoftHSM 2 tokens for tests: each test gets its own SOFTHSM2_CONF and token directory under tmp_path.

SoftHSM reads SOFTHSM2_CONF at C_Initialize, so the PKCS#11 library is re-initialised after pointing the variable
at the new directory (sessions of an earlier test in the same process become invalid: that test is over).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest

from jointcert.config import Pkcs11Settings

MODULE = Pkcs11Settings().module
SO_PIN, USER_PIN = "9911", "4826-hsm"


@dataclass(frozen=True)
class SoftToken:
    """A fresh, initialised token: its label, user PIN and directory."""

    label: str
    pin: str
    directory: Path

    def ca_overrides(self) -> dict[str, object]:
        """The ``[ca]`` settings that put an instance's keys in this token."""
        return {"key_source": "pkcs11", "pkcs11": {"module": MODULE, "token_label": self.label, "pin": self.pin}}


def make_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, label: str = "jointcert-test") -> SoftToken:
    """Create a SoftHSM configuration and an initialised token in ``tmp_path``; point this process at it."""
    directory = tmp_path / "softhsm" / "tokens"
    directory.mkdir(parents=True)
    conf = tmp_path / "softhsm" / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.setenv("JOINTCERT_CA__PKCS11__PIN", USER_PIN)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", USER_PIN],
        check=True,
        capture_output=True,
        timeout=60,
    )
    lib = pkcs11.lib(MODULE)
    lib.reinitialize()
    return SoftToken(label, USER_PIN, directory)
