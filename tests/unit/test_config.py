from pathlib import Path

import pytest

from jointcert.config import load_settings


def test_defaults_use_sqlite_inside_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOINTCERT_DATABASE_URL", raising=False)
    settings = load_settings(tmp_path)
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'jointcert.db').resolve()}"


def test_toml_file_then_environment_take_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "jointcert.toml").write_text("[ca]\nvalidity_days = 30\n[ra]\nmax_pin_failures = 3\n")
    monkeypatch.setenv("JOINTCERT_RA__MAX_PIN_FAILURES", "7")
    settings = load_settings(tmp_path)
    assert settings.ca.validity_days == 30
    assert settings.ra.max_pin_failures == 7


def test_database_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINTCERT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert load_settings(tmp_path).effective_database_url.startswith("postgresql+psycopg://")
