"""Limits and headers against a real ``jointcert serve`` process: 50 MB bodies (declared and chunked) are refused
with 413 before they are read (server RSS measured), security headers on every response, sandbox off, files 0600."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from jointcert.app import build_services, init_instance
from jointcert.config import load_settings
from jointcert.web.middleware import JSON_LIMIT, OCSP_LIMIT, RELAY_LIMIT

FIFTY_MB = 50 * 1024 * 1024


@dataclass
class Served:
    """A served instance: its data dir, base URL, port and server PID."""

    data_dir: Path
    url: str
    port: int
    pid: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``init`` in-process, then ``jointcert serve`` as a subprocess (stopped by PID after the module)."""
    data_dir = tmp_path_factory.mktemp("hardening") / "data"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env.update({"JOINTCERT_DATA_DIR": str(data_dir), "JOINTCERT_SERVER__PUBLIC_URL": url})
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    try:
        init_instance(data_dir)
    finally:
        os.environ.update(saved)
    server = subprocess.Popen(
        [sys.executable, "-m", "jointcert", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(url, server)
        yield Served(data_dir, url, port, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _raw_post(port: int, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """POST over a raw socket; the answer is read by a thread while the body is still being sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = bytearray()

    def read() -> None:
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                answer.extend(data)
                if b"\r\n\r\n" in answer and _complete(bytes(answer)):
                    return
        except OSError:
            return

    reader = threading.Thread(target=read)
    reader.start()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    try:
        sock.sendall(head.encode() + b"\r\n")
        for chunk in chunks:
            sock.sendall(chunk)
            if _complete(bytes(answer)):
                break
    except OSError:
        pass  # the server may close once it has answered
    reader.join(timeout=60)
    sock.close()
    status = int(bytes(answer).split(b" ", 2)[1])
    return status, bytes(answer).split(b"\r\n\r\n", 1)[1]


def _complete(answer: bytes) -> bool:
    if b"\r\n\r\n" not in answer:
        return False
    head, body = answer.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _blocks(total: int, size: int = 1024 * 1024, *, chunked: bool = False) -> Iterator[bytes]:
    block = b"A" * size
    for _ in range(total // size):
        yield (f"{size:x}\r\n".encode() + block + b"\r\n") if chunked else block
    if chunked:
        yield b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("path", "content_type", "chunked"),
    [
        ("/api/v1/issuance/sessions", "application/json", False),
        ("/ocsp", "application/ocsp-request", True),
        ("/api/v1/relay/transfers", "application/json", True),
    ],
)
def test_fifty_megabytes_are_refused_before_they_are_read(
    served: Served, path: str, content_type: str, chunked: bool
) -> None:
    before = _rss_kib(served.pid)
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(FIFTY_MB)}
    status, body = _raw_post(
        served.port, path, {"Content-Type": content_type, **framing}, _blocks(FIFTY_MB, chunked=chunked)
    )
    after = _rss_kib(served.pid)
    print(f"{path} ({'chunked' if chunked else 'Content-Length'}): RSS {before} KiB -> {after} KiB")
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"
    assert after - before < 10 * 1024  # the 50 MB body never sat in memory


def _request(
    served: Served, path: str, data: bytes | None = None, ctype: str = "application/json", method: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(served.url + path, data=data, headers={"Content-Type": ctype}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_limits_per_route_family(served: Served) -> None:
    assert _request(served, "/api/v1/issuance/sessions", b" " * (JSON_LIMIT + 1))[0] == 413
    assert _request(served, "/api/v1/issuance/sessions", b"{}" + b" " * (JSON_LIMIT - 2))[0] == 201
    assert _request(served, "/ocsp", b"\x30" * (OCSP_LIMIT + 1), "application/ocsp-request")[0] == 413
    relay_body = b'{"proof": "x", "envelope": "' + b"A" * (RELAY_LIMIT - 100) + b'"}'
    path = "/api/v1/relay/transfers/000000/payload"
    assert _request(served, path, relay_body, method="PUT")[0] not in (413, 500)  # the route itself answers
    assert _request(served, path, relay_body + b" " * 200, method="PUT")[0] == 413


def test_security_headers_on_every_response(served: Served) -> None:
    for path, expected in (("/healthz", 200), ("/static/css/bank.css", 200), ("/nowhere", 404), ("/", 200)):
        status, headers, _ = _request(served, path)
        assert status == expected, path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    status, headers, _ = _request(served, "/ocsp", b"\x30" * (OCSP_LIMIT + 1), "application/ocsp-request")
    assert status == 413 and headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in _request(served, "/static/css/bank.css")[1].get("cache-control", "")


def test_token_responses_are_not_stored(served: Served) -> None:
    status, headers, body = _request(served, "/api/v1/issuance/sessions", b"{}")
    assert status == 201 and "token" in json.loads(body)
    assert headers["cache-control"] == "no-store"


def test_api_docs_and_sandbox_are_off_under_serve(served: Served) -> None:
    assert _request(served, "/docs")[0] == 404
    assert _request(served, "/redoc")[0] == 404
    assert _request(served, "/openapi.json")[0] == 200
    assert _request(served, "/api/v1/sandbox/otp/seoyeon91")[0] == 404
    assert _request(served, "/sandbox/phone/010-2718-4406")[0] == 404


def test_data_files_are_private(served: Served) -> None:
    assert stat.S_IMODE(served.data_dir.stat().st_mode) == 0o700
    files = [served.data_dir / name for name in ("jointcert.db", "jointcert.db-wal", "jointcert.db-shm")]
    files += [served.data_dir / "secrets.toml", *sorted((served.data_dir / "ca").glob("*.pem"))]
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files if p.exists()}
    assert "jointcert.db" in modes and "jointcert.db-wal" in modes
    assert set(modes.values()) == {"0o600"}, modes


def test_ocsp_nonce_length_over_http(served: Served) -> None:
    services = build_services(load_settings(served.data_dir), actor="test")
    try:
        issuing = services.signers["class1"]
        for nonce, expected in (
            (b"", "MALFORMED_REQUEST"),
            (b"n" * 33, "MALFORMED_REQUEST"),
            (b"n" * 32, "SUCCESSFUL"),
        ):
            builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
                issuing.name_hashes["sha1"], issuing.key_hashes["sha1"], 12345, hashes.SHA1()
            )
            der = builder.add_extension(x509.OCSPNonce(nonce), critical=False).build()
            status, _, body = _request(
                served, "/ocsp", der.public_bytes(serialization.Encoding.DER), "application/ocsp-request"
            )
            assert status == 200
            assert ocsp.load_der_ocsp_response(body).response_status.name == expected, len(nonce)
    finally:
        services.close()
