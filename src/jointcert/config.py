"""One typed, frozen settings object whose defaults just work.

Precedence: explicit overrides > environment (``JOINTCERT_`` prefix, ``__`` for nesting, e.g.
``JOINTCERT_CA__VALIDITY_DAYS``) > ``<data_dir>/secrets.toml`` (mode 0600: ``secret_key``, ``ca.passphrase``) >
``<data_dir>/jointcert.toml`` > defaults. ``JOINTCERT_DATABASE_URL`` selects PostgreSQL; without it the instance
uses SQLite inside its data directory.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from jointcert.errors import ErrorKind, JointcertError

__all__ = [
    "CONFIG_FILE_NAME",
    "SECRETS_FILE_NAME",
    "CaSettings",
    "CmpSettings",
    "MissingSecret",
    "RaSettings",
    "RelaySettings",
    "RpSettings",
    "ServerSettings",
    "Settings",
    "load_settings",
]

CONFIG_FILE_NAME = "jointcert.toml"
SECRETS_FILE_NAME = "secrets.toml"


class MissingSecret(JointcertError):
    """The instance has no usable secret key."""

    kind = ErrorKind.INVALID
    code = "missing_secret"
    message_ko = "인스턴스 비밀키가 없습니다. 'jointcert init'을 먼저 실행하세요."
    message_en = "The instance has no secret key: run 'jointcert init' first (or set JOINTCERT_SECRET_KEY)."


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Group):
    """Where the HTTP service listens and how it is reached from outside."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"  # base of CRL DP, AIA OCSP and CPS URIs in certificates
    workers: int = 1


class CaSettings(_Group):
    """The certification authority: names, key protection, validity, CRL/OCSP timing."""

    organization: str = "jointsign"  # o= of the CA names and of the NPKI folder
    unit: str = "AccreditedCA"
    issuing_name: str = "jointsignCA Class 1"
    root_name: str = "jointsign RootCA"
    bank_unit: str = "HANBIT"  # ou=<bank> in subjects of the certificates our RA requests
    bank_code: str = "081"  # the 3-digit bank code inside the cn's unique digits
    passphrase: SecretStr | None = None  # CA keys are encrypted at rest under this
    validity_days: int = 365
    crl_interval_seconds: int = 3600
    crl_next_update_hours: int = 24
    ocsp_cache_seconds: int = 300
    ocsp_next_update_minutes: int = 60


class CmpSettings(_Group):
    """CMP enrollment rules."""

    reference_ttl_days: int = 7
    max_mac_failures: int = 5
    confirm_wait_seconds: int = 300
    allow_implicit_confirm: bool = True
    rate_limit_per_minute: int = 120  # CMP requests per client address (0 = no limit)


class RaSettings(_Group):
    """The bank's issuance workflow: session lifetime, attempt limits, fees."""

    session_ttl_seconds: int = 900
    ars_timeout_seconds: int = 180
    max_pin_failures: int = 5
    max_otp_failures: int = 5
    max_security_card_failures: int = 5
    max_app_pin_failures: int = 5
    max_pattern_failures: int = 5
    max_ars_failures: int = 3
    general_fee_krw: int = 4400
    renewal_window_days: int = 30
    app_session_seconds: int = 600  # the bank app's login (bank_session cookie) lasts this long
    confirm_wait_seconds: int = 300  # JSON enrollment: unconfirmed after this, the new certificate is revoked
    reconcile_interval_seconds: int = 5  # the reconciler's period in the scheduler leader
    saga_grace_seconds: int = 10  # a saga step older than this was cut short by a crash: the reconciler settles it


class RelaySettings(_Group):
    """Certificate copy between devices."""

    ttl_seconds: int = 180
    max_wrong_codes: int = 5
    code_digits: int = 12


class RpSettings(_Group):
    """Relying-party verification."""

    challenge_ttl_seconds: int = 120
    fail_closed: bool = True


class Settings(BaseSettings):
    """Everything configurable, in one frozen object."""

    model_config = SettingsConfigDict(
        env_prefix="JOINTCERT_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    secret_key: SecretStr | None = None  # keys the keyed hashes and encryption of stored personal data
    log_level: str = "INFO"
    server: ServerSettings = Field(default_factory=ServerSettings)
    ca: CaSettings = Field(default_factory=CaSettings)
    cmp: CmpSettings = Field(default_factory=CmpSettings)
    ra: RaSettings = Field(default_factory=RaSettings)
    relay: RelaySettings = Field(default_factory=RelaySettings)
    rp: RpSettings = Field(default_factory=RpSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides, then environment, then the instance's TOML file."""
        data_dir = Path(os.environ.get("JOINTCERT_DATA_DIR", "data"))
        init_dir = init_settings().get("data_dir")
        if init_dir is not None:
            data_dir = Path(init_dir)
        secrets = TomlConfigSettingsSource(settings_cls, toml_file=data_dir / SECRETS_FILE_NAME)
        config = TomlConfigSettingsSource(settings_cls, toml_file=data_dir / CONFIG_FILE_NAME)
        return (init_settings, env_settings, secrets, config)

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'jointcert.db').resolve()}"

    @property
    def config_path(self) -> Path:
        """Path of this instance's TOML file."""
        return self.data_dir / CONFIG_FILE_NAME

    @property
    def secrets_path(self) -> Path:
        """Path of this instance's secrets file (secret key, CA passphrase)."""
        return self.data_dir / SECRETS_FILE_NAME

    def secret_key_bytes(self) -> bytes:
        """The instance secret key (base64 in config/env), or :class:`MissingSecret`."""
        if self.secret_key is None:
            raise MissingSecret()
        try:
            key = base64.b64decode(self.secret_key.get_secret_value(), validate=True)
        except ValueError as exc:
            raise MissingSecret("JOINTCERT_SECRET_KEY is not valid base64.") from exc
        if len(key) < 32:
            raise MissingSecret("The instance secret key must be at least 32 bytes.")
        return key


def load_settings(data_dir: Path | str | None = None, **overrides: Any) -> Settings:
    """Load settings for the instance in ``data_dir`` (default: ``$JOINTCERT_DATA_DIR`` or ``./data``)."""
    if data_dir is not None:
        overrides["data_dir"] = Path(data_dir)
    return Settings(**overrides)
