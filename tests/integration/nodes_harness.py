"""Real deployments for the many-nodes tests: ``jointcert init`` once, ``jointcert serve`` processes configured from
the environment and the CA key files only (no shared data dir), a TCP proxy in front of PostgreSQL that the test can
cut, and the HTTP calls a customer's app makes (relying-party and bank logins, OCSP)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from jointcert.app import Services, build_services
from jointcert.config import load_settings
from tests.conftest import POSTGRES_ADMIN_URL
from tests.integration.issuance_flow import UNTHROTTLED, cheap_hasher
from tests.integration.test_rp_web import Holder, b64

__all__ = [
    "OCSP_HEADERS",
    "Deployment",
    "Node",
    "TcpProxy",
    "bank_login",
    "free_port",
    "fresh_postgres",
    "ocsp_request",
    "ocsp_status",
    "rp_login",
]

START_SECONDS = 300  # a loaded machine: unlocking keys and building pkilint's validators takes a while


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards); its SQLAlchemy URL."""
    name = f"jc_nodes_{uuid.uuid4().hex[:10]}"
    admin = POSTGRES_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Deployment:
    """An initialised instance: its init directory, database and what every node's environment holds."""

    home: Path
    database_url: str | None
    env: dict[str, str]

    @classmethod
    def create(cls, home: Path, public_url: str, database_url: str | None, **settings: str) -> Deployment:
        """``jointcert init`` in ``home/init``; nodes get the secrets and key directory through the environment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
        env.update({"COLUMNS": "250", "JOINTCERT_SERVER__PUBLIC_URL": public_url, **UNTHROTTLED, **settings})
        env["JOINTCERT_SANDBOX__ENABLED"] = "true"  # the flow's ARS calls ring on the sandbox phone
        if database_url is not None:
            env["JOINTCERT_DATABASE_URL"] = database_url
        deployment = cls(home, database_url, env)
        done = deployment.jointcert("init")
        assert done.returncode == 0, done.stdout + done.stderr
        secrets = tomllib.loads((deployment.data_dir / "secrets.toml").read_text(encoding="utf-8"))
        env["JOINTCERT_SECRET_KEY"] = secrets["secret_key"]
        env["JOINTCERT_CA__PASSPHRASE"] = secrets["ca"]["passphrase"]
        env["JOINTCERT_KEY_DIR"] = str(deployment.data_dir / "ca")
        return deployment

    @property
    def data_dir(self) -> Path:
        return self.home / "init"

    def jointcert(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """The CLI in another process, on this deployment."""
        command = [sys.executable, "-m", "jointcert", "--data-dir", str(self.data_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, env=self.env, timeout=timeout, check=False)

    def services(self, *, seed: bool = False) -> Services:
        """The services in this (the test's) process, on the same database (the sandbox bank seeded if asked)."""
        overrides: dict[str, Any] = {"database_url": self.database_url} if self.database_url else {}
        settings = load_settings(self.data_dir, **overrides)
        services = build_services(settings, bank_hasher=cheap_hasher(settings.secret_key_bytes()))
        if seed:
            services.bank.seed()
        return services


@dataclass
class Node:
    """One ``jointcert serve`` process with its own port and (empty) data directory."""

    deployment: Deployment
    name: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    database_url: str | None = None  # default: the deployment's (a node may reach it through a proxy)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def start(self) -> Node:
        self.launch()
        self.wait_healthy()
        return self

    def launch(self) -> None:
        """Start the process (:meth:`wait_healthy` waits for it to answer)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(self.deployment.env)
        if self.database_url is not None:
            env["JOINTCERT_DATABASE_URL"] = self.database_url
        command = [
            sys.executable,
            "-m",
            "jointcert",
            "--data-dir",
            str(self.data_dir),
            "serve",
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become healthy:\n{self.log.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, connections dropped as they are."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


class TcpProxy:
    """A TCP proxy to ``upstream`` on a port of its own: :meth:`cut` closes every connection and stops listening
    (clients see "connection refused", as when the database server is stopped); :meth:`restore` listens again."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.restore()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def url_for(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by the proxy's."""
        head, _, tail = database_url.rpartition("@")
        return f"{head}@127.0.0.1:{self.port}/{tail.split('/', 1)[1]}"

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def rp_login(client: httpx.Client, base: str, site: str, holder: Holder) -> dict[str, Any]:
    """Log in at a demo relying party (``/rp/{site}``); its verdict."""
    issued = client.post(f"{base}/rp/{site}/api/challenge")
    assert issued.status_code == 200, issued.text
    challenge = issued.json()["challenge"]
    body = {"challenge": challenge, "certificate": b64(holder.der), "signature": b64(holder.sign(challenge.encode()))}
    answer = client.post(f"{base}/rp/{site}/api/login", json=body)
    assert answer.status_code == 200, answer.text
    verdict: dict[str, Any] = answer.json()
    return verdict


def bank_login(client: httpx.Client, base: str, holder: Holder) -> httpx.Response:
    """The bank app's own certificate login (``/bank/api/login``)."""
    issued = client.post(f"{base}/bank/api/login/challenge")
    assert issued.status_code == 200, issued.text
    challenge = issued.json()["challenge"]
    body = {"challenge": challenge, "certificate": b64(holder.der), "signature": b64(holder.sign(challenge.encode()))}
    return client.post(f"{base}/bank/api/login", json=body)


OCSP_HEADERS = {"Content-Type": "application/ocsp-request"}


def ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """A DER OCSP request without a nonce (SHA-1 CertID, as RFC 5019 clients send)."""
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    return request.public_bytes(serialization.Encoding.DER)


def ocsp_status(client: httpx.Client, base: str, cert: x509.Certificate, issuer: x509.Certificate) -> str:
    """The status an OCSP request without a nonce (the cacheable kind) gets: good, revoked or unknown."""
    answer = client.post(f"{base}/ocsp", content=ocsp_request(cert, issuer), headers=OCSP_HEADERS)
    assert answer.status_code == 200, answer.text
    parsed = ocsp.load_der_ocsp_response(answer.content)
    assert parsed.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL, parsed.response_status
    return str(parsed.certificate_status.name).lower()


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
