"""The composition root: ensure_initialised (for ``jointcert demo``) and build_services."""

from __future__ import annotations

from pathlib import Path

import pytest

from jointcert.app import build_services, ensure_initialised, is_initialised
from jointcert.ca.keys import KeyLocked
from jointcert.config import load_settings


def test_ensure_initialised_initialises_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JOINTCERT_DATABASE_URL", "JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    fresh = load_settings(tmp_path / "data")
    assert not is_initialised(fresh)
    settings = ensure_initialised(fresh)
    assert settings.secret_key is not None and is_initialised(settings)
    secrets = (tmp_path / "data" / "secrets.toml").read_bytes()
    again = ensure_initialised(load_settings(tmp_path / "data"))
    assert again.secret_key == settings.secret_key
    assert (tmp_path / "data" / "secrets.toml").read_bytes() == secrets
    services = build_services(settings)
    try:
        assert set(services.signers) == {"root", "class1", "ocsp"}
        assert services.authority.slug == "class1"
    finally:
        services.close()


def test_wrong_passphrase_is_a_typed_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JOINTCERT_DATABASE_URL", "JOINTCERT_SECRET_KEY", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = ensure_initialised(load_settings(tmp_path / "data"))
    monkeypatch.setenv("JOINTCERT_CA__PASSPHRASE", "wrong")
    with pytest.raises(KeyLocked):
        build_services(load_settings(settings.data_dir))
