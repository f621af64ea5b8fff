"""CMP enrollment throughput, end to end: HTTP to a live ``jointcert serve``, PBM, issuance, certConf.

One enrollment = ``ir`` (PBM with a registered reference number) → ``ip`` → ``certConf`` → ``pkiConf``, by our
client over httpx, with the applicant's key made beforehand (key generation is the applicant's cost, not the
server's). Beside it, raw RSA-2048 signatures per second are measured in the same run with the same number of
threads: every enrollment needs one such signature, so the ratio says what the rest costs (two HTTP round trips,
four PBM computations, the registration and transaction bookkeeping, pkilint, the audit chain, SQLite commits).
Run: ``python -m bench.cmp [--count N] [--threads T] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.app import build_services, init_instance
from jointcert.ca.registration import RegistrationTicket
from jointcert.client.cmp import CmpClient
from jointcert.config import load_settings
from jointcert.npki.keyfile import PrivateKeyBundle, new_random_num
from jointcert.types import CertType


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rate(count: int, threads: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, range(count)))
    return count / (time.perf_counter() - start)


@contextmanager
def _server(data_dir: Path, url: str, port: int, database_url: str | None) -> Iterator[None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env.update(JOINTCERT_DATA_DIR=str(data_dir), JOINTCERT_SERVER__PUBLIC_URL=url, JOINTCERT_LOG_LEVEL="WARNING")
    env["JOINTCERT_CMP__RATE_LIMIT_PER_MINUTE"] = "0"  # one client address sends everything here
    if database_url:
        env["JOINTCERT_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "jointcert", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


def _instance(data_dir: Path, url: str, database_url: str | None) -> None:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    os.environ["JOINTCERT_SERVER__PUBLIC_URL"] = url
    if database_url:
        os.environ["JOINTCERT_DATABASE_URL"] = database_url
    try:
        init_instance(data_dir)
    finally:
        for key in ("JOINTCERT_SERVER__PUBLIC_URL", "JOINTCERT_DATABASE_URL"):
            os.environ.pop(key, None)
        os.environ.update(saved)


def _tickets(data_dir: Path, count: int, database_url: str | None) -> list[RegistrationTicket]:
    overrides = {"database_url": database_url} if database_url else {}
    services = build_services(load_settings(data_dir, **overrides), actor="bench")
    try:
        return [
            services.registrations.register(
                real_name="홍길동", rrn=f"900101{1 + i % 2}{i:06d}", cert_type=CertType.LIMITED, requested_by="bench"
            )
            for i in range(count)
        ]
    finally:
        services.close()


def run(count: int, threads: int, database_url: str | None) -> None:
    """Measure and print enrollments/s, raw RSA-2048 signatures/s and their ratio."""
    keys = [rsa.generate_private_key(65537, 2048) for _ in range(8)]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, port = Path(tmp) / "data", _free_port()
        url = f"http://127.0.0.1:{port}"
        _instance(data_dir, url, database_url)
        tickets = _tickets(data_dir, count + threads, database_url)
        bundles = [PrivateKeyBundle(keys[i % len(keys)], new_random_num()) for i in range(len(tickets))]
        clients = [CmpClient(f"{url}/cmp") for _ in range(threads)]

        def enroll(i: int) -> None:
            ticket = tickets[i]
            client = clients[i % threads]
            client.enroll(ticket.reference_number, ticket.authorization_code, bundle=bundles[i]).confirm()

        with _server(data_dir, url, port, database_url):
            for i in range(threads):  # warm up: connections, pkilint import in the server
                enroll(count + i)
            message = b"\x30" * 600
            sign_rate = _rate(count, threads, lambda _: keys[0].sign(message, padding.PKCS1v15(), hashes.SHA256()))
            enroll_rate = _rate(count, threads, enroll)
        for client in clients:
            client.close()
    backend = "PostgreSQL" if database_url else "SQLite"
    print(f"CMP enrollment benchmark ({backend}, {threads} client threads, 1 uvicorn worker, {count} enrollments, "
          f"{datetime.now(UTC):%Y-%m-%d})")  # fmt: skip
    print(f"  raw RSA-2048 signatures/s           : {sign_rate:10.1f}")
    print(f"  CMP enrollments/s (ir+certConf)     : {enroll_rate:10.1f}")
    print(f"  enrollment / raw signature          : {enroll_rate / sign_rate:10.4f}")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("JOINTCERT_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    run(args.count, args.threads, args.database_url)


if __name__ == "__main__":
    main()
