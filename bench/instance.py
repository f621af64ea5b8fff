"""A throwaway jointcert instance for the benchmarks: SQLite in a temporary directory or a PostgreSQL database
created and dropped for the run, bench customers in the sandbox bank, and ``uvicorn --workers N`` serving it
through the same factory ``jointcert serve --workers N`` uses (plus one bare endpoint, :mod:`bench.server`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from argon2 import PasswordHasher, profiles

from bench.server import launched
from jointcert.app import Services, build_services, init_instance
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.bank.sandbox.spec import AccountSpec, CustomerSpec, DepartureSpec, PhoneSpec, SecurityCardSpec
from jointcert.config import load_settings
from jointcert.npki.resident_number import check_digit
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository.seeding import SqlBankSeeder

__all__ = ["Instance", "bench_customer", "free_port", "postgres_database", "prepared_instance", "serving"]

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_PIN = "2580"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database ``bench_<pid>`` (trust auth on 127.0.0.1), dropped afterwards; yields its URL."""
    name = f"bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench_customer(index: int) -> CustomerSpec:
    """A sandbox customer abroad (overseas-departure check, no ARS) with a security card: the flow's shortest
    path that still runs every kind of step."""
    first = f"9001011{index:05d}"
    cells = tuple(f"{(index * 31 + cell * 7) % 10_000:04d}" for cell in range(30))
    return CustomerSpec(
        id=f"B{index:05d}",
        user_id=f"bench{index:05d}",
        name="홍길동",
        rrn=f"{first[:6]}-{first[6:]}{check_digit(first)}",
        email=f"bench{index:05d}@example.com",
        address="서울특별시 중구 세종대로 110",
        phones=(PhoneSpec(f"PB{index:05d}", f"010-7{index // 1000:03d}-{index % 1000:04d}"),),
        accounts=(AccountSpec(f"110-900-{index:06d}", "벤치 통장", pin=BENCH_PIN, balance_krw=1_000_000),),
        security_card=SecurityCardSpec(serial=f"0099-{index:04d}-0000", cells=cells),
        departures=(DepartureSpec(departed_days_ago=10, destination="미국"),),
    )


@dataclass(frozen=True)
class Instance:
    """Where the instance lives and how the server is reached."""

    backend: str  # "sqlite" | "postgresql"
    data_dir: Path
    database_url: str | None
    port: int
    sandbox: bool = False  # the sandbox devices (virtual phone, OTP) mounted, for the browser walk

    @property
    def url(self) -> str:
        """The server's base URL (also the instance's public URL: AIA/CRL DP point here)."""
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The environment a process of this instance runs with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
        env.update(
            JOINTCERT_DATA_DIR=str(self.data_dir),
            JOINTCERT_SERVER__PUBLIC_URL=self.url,
            JOINTCERT_LOG_LEVEL="WARNING",
            JOINTCERT_CMP__RATE_LIMIT_PER_MINUTE="0",  # one client address sends everything here
            # ... so the anti-automation caps per address are lifted to far above any benchmark run
            JOINTCERT_THROTTLE__IDENTITY_PER_ADDRESS="100000000",
            JOINTCERT_THROTTLE__SECRET_PER_ADDRESS="100000000",
            JOINTCERT_THROTTLE__ARS_CALLS_PER_ADDRESS="100000000",
            JOINTCERT_THROTTLE__LOGIN_PER_ADDRESS="100000000",
        )
        if self.database_url:
            env["JOINTCERT_DATABASE_URL"] = self.database_url
        if self.sandbox:
            env["JOINTCERT_SANDBOX__ENABLED"] = "true"
        return env

    @contextmanager
    def environ(self) -> Iterator[None]:
        """This process's environment set to the instance's while the block runs."""
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.environment())
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    @contextmanager
    def services(self, *, cheap_bank_hash: bool = True) -> Iterator[Services]:
        """Services of the instance in this process (for preparation, never while measuring)."""
        with self.environ():
            settings = load_settings(self.data_dir)
        pii = PiiProtector(settings.secret_key_bytes())
        hasher = SecretHasher(pii, PasswordHasher.from_parameters(profiles.CHEAPEST)) if cheap_bank_hash else None
        services = build_services(settings, actor="bench", bank_hasher=hasher)
        try:
            yield services
        finally:
            services.close()


@contextmanager
def prepared_instance(tmp: Path, backend: str, customers: int, *, production_hash: bool = False) -> Iterator[Instance]:
    """An initialised instance with ``customers`` bench customers; PostgreSQL gets its own database."""
    if backend == "postgresql":
        with postgres_database() as url:
            yield _prepare(Instance(backend, tmp / backend, url, free_port()), customers, production_hash)
    else:
        yield _prepare(Instance(backend, tmp / backend, None, free_port()), customers, production_hash)


def _prepare(instance: Instance, customers: int, production_hash: bool) -> Instance:
    with instance.environ():
        init_instance(instance.data_dir)
    with instance.services() as services:
        pii = services.pii
        if production_hash:  # Argon2id RFC 9106 low-memory, as the sandbox bank seeds by default
            hasher = SecretHasher(pii)
        else:  # cheapest Argon2id: the account step measures the flow, not the deliberate hash cost
            hasher = SecretHasher(pii, PasswordHasher.from_parameters(profiles.CHEAPEST))
        seeder = SqlBankSeeder(services.database, pii, hasher, services.clock)
        for index in range(customers):
            seeder.add_customer(bench_customer(index))
    return instance


@contextmanager
def serving(instance: Instance, workers: int, bare_response: Path, stack: str = "reuseport") -> Iterator[None]:
    """``python -m bench.server`` (the ``serve`` stack and factory, N workers) for the instance until the block
    ends; the bench meters the server's CPU (bench/cpu.py)."""
    env = instance.environment()
    with launched(instance.port, workers, bare_response, env, instance.data_dir / f"server-{stack}.log", stack=stack):
        yield
