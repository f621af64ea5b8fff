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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
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
    "AdminSettings",
    "BankSessionSettings",
    "CaSettings",
    "CmpSettings",
    "MissingSecret",
    "Pkcs11Settings",
    "RaSettings",
    "RelaySettings",
    "RpSettings",
    "SandboxSettings",
    "ServerSettings",
    "Settings",
    "ThrottleSettings",
    "load_settings",
    "local_url",
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
    """Where the HTTP service listens and how it is reached from outside.

    ``public_url`` (the base of the CRL DP, AIA and CPS URIs written into every certificate) follows ``host`` and
    ``port`` unless it is set explicitly (config file, ``JOINTCERT_SERVER__PUBLIC_URL``), e.g. behind a proxy.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"  # base of CRL DP, AIA OCSP and CPS URIs in certificates
    workers: int = 1
    api_docs: bool = False  # /docs and /redoc (Swagger UI / ReDoc load scripts from a CDN); off by default

    @model_validator(mode="after")
    def _follow_port(self) -> ServerSettings:
        if "public_url" not in self.model_fields_set:
            object.__setattr__(self, "public_url", local_url(self.host, self.port))
        return self

    @property
    def public_url_explicit(self) -> bool:
        """Whether ``public_url`` was configured rather than derived from host and port."""
        return "public_url" in self.model_fields_set

    def listening_on(self, host: str, port: int) -> ServerSettings:
        """These settings with another bind address; ``public_url`` follows unless it was set explicitly."""
        data = self.model_dump(include=self.model_fields_set)
        return ServerSettings(**{**data, "host": host, "port": port})


def local_url(host: str, port: int) -> str:
    """``http://host:port``, with a wildcard bind address replaced by the loopback one."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 (a comparison, not a bind)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


class Pkcs11Settings(_Group):
    """Where CA keys live when ``[ca] key_source = "pkcs11"``: the module, the token, the user PIN (a secret)."""

    module: str = "/usr/lib/softhsm/libsofthsm2.so"
    token_label: str = "jointcert-ca"  # noqa: S105 (a token's label, not a secret)
    pin: SecretStr | None = None  # secrets.toml [ca.pkcs11] pin or JOINTCERT_CA__PKCS11__PIN


class CaSettings(_Group):
    """The certification authority: names, key protection, validity, CRL/OCSP timing."""

    preset: Literal["jointsign", "yessign-like", "neutral"] = "jointsign"  # ca/presets.py
    organization: str = "jointsign"  # o= of the CA names and of the NPKI folder
    unit: str = "AccreditedCA"
    issuing_name: str = "jointsignCA Class 1"
    root_name: str = "jointsign RootCA"
    bank_unit: str = "HANBIT"  # ou=<bank> in subjects of the certificates our RA requests
    bank_code: str = "081"  # the 3-digit bank code inside the cn's unique digits
    passphrase: SecretStr | None = None  # CA keys are encrypted at rest under this
    key_source: Literal["file", "pkcs11"] = "file"  # file: encrypted PEM under <data_dir>/ca; pkcs11: a token
    pkcs11: Pkcs11Settings = Field(default_factory=Pkcs11Settings)
    validity_days: int = 365
    crl_interval_seconds: int = 3600
    crl_next_update_hours: int = 24
    crl_partition_size: int = 10_000  # certificates per CRL partition (its DP in each certificate); 0: one full CRL
    crl_dirty_seconds: float = 1.0  # how often the scheduler leader reissues the CRLs a revocation made dirty
    crl_stale_seconds: float = 30.0  # /readyz: a partition CRL missing an older revocation makes the node not ready
    ocsp_cache_seconds: int = 300
    ocsp_next_update_minutes: int = 60
    ocsp_presign_seconds: float = 30.0  # how often the scheduler leader re-signs due pre-signed OCSP responses …
    ocsp_presign_batch: int = 500  # … in batches of this many (one transaction each)
    audit_checkpoint_path: Path | None = None  # default <data_dir>/audit-checkpoints.jsonl (outside the database)
    audit_checkpoint_entries: int = 100  # checkpoint the audit head every this many entries …
    audit_checkpoint_minutes: int = 10  # … or this often when it moved
    weak_key_blocklist: Path | None = None  # openssl-vulnkey RSA-2048 list; default: Debian's path if present
    # the lint gate before signing (ca/lint_gate.py): "full" runs pkilint + the KISA checks on every certificate;
    # "template" lints each profile's template and compares every certificate with it (proven equivalent by a
    # mutation corpus), re-linting lint_sample_rate of the issued certificates in the background
    lint: Literal["full", "template"] = "template"
    lint_sample_rate: float = Field(default=0.01, ge=0.0, le=1.0)
    # batched issuance (ca/batcher.py): concurrent issuances recorded, signed and stored together; a lone caller
    # takes the single-unit path. The window is waited only after a batch of two or more, while callers prepare
    batch: bool = True
    batch_max: int = Field(default=64, ge=1)  # units per batch
    batch_window_ms: float = Field(default=2.0, ge=0.0)


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
    session_max_seconds: int = 3600  # 연장 never takes a session past this age (absolute cap)
    ars_timeout_seconds: int = 180
    max_pin_failures: int = 5
    max_otp_failures: int = 5
    max_security_card_failures: int = 5
    max_app_pin_failures: int = 5
    max_pattern_failures: int = 5
    max_ars_failures: int = 3
    general_fee_krw: int = 4400
    renewal_window_days: int = 30
    app_session_seconds: int = 600  # unused since the server-side sessions: see [bank_session]
    confirm_wait_seconds: int = 300  # JSON enrollment: unconfirmed after this, the new certificate is revoked
    reconcile_interval_seconds: int = 5  # the reconciler's period in the scheduler leader
    saga_grace_seconds: int = 10  # a saga step older than this was cut short by a crash: the reconciler settles it


class ThrottleSettings(_Group):
    """Anti-automation buckets (docs/security.md): fixed windows per client address and per customer."""

    backend: str = Field(default="database", pattern="^(database|redis)$")  # where the buckets live
    redis_url: str = "redis://127.0.0.1:6379/0"
    window_seconds: int = Field(default=600, ge=1)
    identity_per_address: int = Field(default=10, ge=1)  # identity + 아이디 찾기 attempts per address and window
    identity_failures_per_customer: int = Field(default=10, ge=1)  # wrong pairs per user ID before it is guarded
    secret_per_address: int = Field(default=20, ge=1)  # account PIN and second-factor attempts per address
    secret_failures_per_customer: int = Field(default=10, ge=1)
    ars_calls_per_address: int = Field(default=10, ge=1)
    ars_calls_per_customer: int = Field(default=5, ge=1)
    login_per_address: int = Field(default=30, ge=1)  # certificate logins to the bank app
    login_failures_per_certificate: int = Field(default=10, ge=1)


class BankSessionSettings(_Group):
    """The bank app's login sessions (server side, ``bank_app_sessions``)."""

    idle_timeout_seconds: int = Field(default=600, ge=1)
    absolute_lifetime_seconds: int = Field(default=12 * 3600, ge=1)


class RelaySettings(_Group):
    """Certificate copy between devices."""

    ttl_seconds: int = 180
    max_wrong_codes: int = 5
    code_digits: int = 12


class RpSettings(_Group):
    """Relying-party verification."""

    challenge_ttl_seconds: int = 120
    fail_closed: bool = True
    ocsp_cache_seconds: int = 0  # the demo institutions reuse a good OCSP answer this long (0: ask every login)
    wallet_url: str = ""  # the bank's wallet (/wallet/connect) the demo partner sites open; "" = server.public_url
    partner_url: str = "http://127.0.0.1:8001"  # the demo partner sites' own origin (jointcert demo serves it)


class AdminSettings(_Group):
    """The operator console: session idle timeout and the dual-control approval window."""

    idle_seconds: int = 900
    approval_seconds: int = 3600


class SandboxSettings(_Group):
    """The sandbox bank's devices (virtual phone, OTP devices, outbox): mounted only by ``demo`` or when enabled."""

    enabled: bool = False


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
    key_dir: Path | None = None  # the encrypted CA key files (default <data_dir>/ca): a node needs no shared data dir
    secret_key: SecretStr | None = None  # keys the keyed hashes and encryption of stored personal data
    log_level: str = "INFO"
    server: ServerSettings = Field(default_factory=ServerSettings)
    ca: CaSettings = Field(default_factory=CaSettings)
    cmp: CmpSettings = Field(default_factory=CmpSettings)
    ra: RaSettings = Field(default_factory=RaSettings)
    relay: RelaySettings = Field(default_factory=RelaySettings)
    rp: RpSettings = Field(default_factory=RpSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)
    bank_session: BankSessionSettings = Field(default_factory=BankSessionSettings)

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
    def ca_key_dir(self) -> Path:
        """Where the encrypted CA key files are (``JOINTCERT_KEY_DIR``, else ``<data_dir>/ca``)."""
        return self.key_dir if self.key_dir is not None else self.data_dir / "ca"

    @property
    def config_path(self) -> Path:
        """Path of this instance's TOML file."""
        return self.data_dir / CONFIG_FILE_NAME

    @property
    def audit_checkpoint_path(self) -> Path:
        """Where the audit log's signed checkpoints are appended (``[ca] audit_checkpoint_path``)."""
        return self.ca.audit_checkpoint_path or self.data_dir / "audit-checkpoints.jsonl"

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
