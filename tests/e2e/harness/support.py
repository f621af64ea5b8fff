"""Helpers of the browser tests: secret-leak search, the request recorder, an ASGI server thread, base64."""

from __future__ import annotations

import base64
import binascii
import contextlib
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from playwright.sync_api import BrowserContext, Page, Request, Route, WebSocket

__all__ = [
    "RecordedRequest",
    "RequestRecorder",
    "b64",
    "call",
    "error_of",
    "find_secret",
    "js",
    "js_error",
    "secret_encodings",
    "serve_asgi",
    "text_encodings",
    "unb64",
]

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


# ---------------------------------------------------------------------------------------------------------------
# Secrets in transit: every encoding a secret could travel in


def secret_encodings(secret: bytes) -> dict[str, bytes]:
    """Needles to look for: raw, hex, and base64/base64url at each of the three byte alignments inside longer data."""
    needles = {"raw": secret, "hex": secret.hex().encode(), "HEX": secret.hex().upper().encode()}
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + secret)
        first = 1 if shift else 0  # the first group mixes in the bytes before the secret
        last = (shift + len(secret)) // 3  # groups after this one mix in the bytes after it
        core = encoded[4 * first : 4 * last]
        if len(core) >= 8:
            needles[f"base64+{shift}"] = core
            needles[f"base64url+{shift}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    return needles


def text_encodings(text: str) -> dict[str, bytes]:
    """Needles for a string secret (a password): UTF-8, percent-encoded, UTF-16, JSON-escaped, and its bytes'."""
    raw = text.encode()
    needles = {f"utf8:{k}": v for k, v in secret_encodings(raw).items()}
    needles["url"] = urllib.parse.quote(text, safe="").encode()
    needles["url+"] = urllib.parse.quote_plus(text).encode()
    needles["utf16le"] = text.encode("utf-16-le")
    needles["json"] = text.encode("unicode_escape")
    return needles


def find_secret(haystack: bytes, needles: dict[str, bytes]) -> str | None:
    """The name of the first encoding of a secret found in ``haystack``, or None."""
    return next((name for name, needle in needles.items() if needle and needle in haystack), None)


# ---------------------------------------------------------------------------------------------------------------
# Request recorder


@dataclass(frozen=True)
class RecordedRequest:
    """One request a page made (or a WebSocket frame it sent)."""

    method: str
    url: str
    resource_type: str
    headers: dict[str, str]
    body: bytes

    def haystack(self) -> bytes:
        """Everything of the request that leaves the page, as one byte string."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return b"\n".join(
            [self.method.encode(), self.url.encode(), urllib.parse.unquote(self.url).encode(), head.encode(), self.body]
        )


@dataclass
class RequestRecorder:
    """Captures every request of every page of a browser context; non-loopback requests are blocked and kept."""

    requests: list[RecordedRequest] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        """Record from this context on (call before the first page opens)."""
        context.route("**/*", self._route)
        context.on("request", self._on_request)
        context.on("page", lambda page: page.on("websocket", self._on_websocket))

    def _route(self, route: Route) -> None:
        host = urllib.parse.urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOOPBACK_HOSTS:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _on_request(self, request: Request) -> None:
        body = request.post_data_buffer or b""
        self.requests.append(RecordedRequest(request.method, request.url, request.resource_type, request.headers, body))

    def _on_websocket(self, ws: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            self.requests.append(RecordedRequest("WS", ws.url, "websocket", {}, data))

        ws.on("framesent", frame)

    def urls(self) -> list[str]:
        """The URLs requested, in order."""
        return [r.url for r in self.requests]

    def find(self, needles: dict[str, bytes]) -> list[tuple[RecordedRequest, str]]:
        """Requests that carry any of the needles, with the encoding found."""
        hits = []
        for request in self.requests:
            name = find_secret(request.haystack(), needles)
            if name:
                hits.append((request, name))
        return hits

    def assert_never_sent(self, *, passwords: tuple[str, ...] = (), secrets: tuple[bytes, ...] = ()) -> None:
        """Fail if any recorded request carries one of the passwords or secret byte strings, in any encoding."""
        assert self.requests, "the recorder saw no request at all: is it attached?"
        checks = [(f"password #{i}", text_encodings(p)) for i, p in enumerate(passwords)]
        checks += [(f"secret #{i}", secret_encodings(s)) for i, s in enumerate(secrets)]
        for label, needles in checks:
            hits = self.find(needles)
            assert not hits, f"{label} left the page: " + ", ".join(f"{r.method} {r.url} ({n})" for r, n in hits)


# ---------------------------------------------------------------------------------------------------------------
# Servers


@contextlib.contextmanager
def serve_asgi(app: object, *, lifespan: str = "auto", timeout: float = 10.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free 127.0.0.1 port in a thread; yield its base URL; stop it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"asgi-{port}")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the ASGI server on 127.0.0.1:{port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def b64(data: bytes) -> str:
    """Standard base64 text of bytes (how the harness takes bytes)."""
    return base64.b64encode(data).decode()


def unb64(value: object) -> bytes:
    """Bytes from the harness's ``{"$b64": …}`` form or plain base64 text."""
    text = value["$b64"] if isinstance(value, dict) else value
    assert isinstance(text, str)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:  # pragma: no cover - a harness bug
        raise AssertionError(f"not base64: {text!r}") from exc


# ---------------------------------------------------------------------------------------------------------------
# Calling into the harness page (tests/e2e/harness/page/harness.js)


def _outcome(page: Page, script: str, args: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(script, args)
    return result


def call(page: Page, name: str, *args: Any) -> Any:
    """``harness.<name>(...args)``: its value (bytes as ``{"$b64"}``); fails the test if it gave an error."""
    result = _outcome(page, f"(args) => harness.{name}(...args)", list(args))
    assert "error" not in result, result
    return result["value"]


def error_of(page: Page, name: str, *args: Any) -> dict[str, Any]:
    """``harness.<name>(...args)`` that must fail: the typed error (name, code, messageKo, messageEn, …)."""
    result = _outcome(page, f"(args) => harness.{name}(...args)", list(args))
    assert "error" in result, f"expected an error, got {result}"
    error: dict[str, Any] = result["error"]
    return error


def js(page: Page, function: str, *args: Any) -> Any:
    """Run a JS function ``(modules, ...args) => …`` in the page with the browser modules; its JSON-safe value."""
    script = f"(args) => harness.run('js', () => ({function})(harness.modules, ...args))"
    result = _outcome(page, script, list(args))
    assert "error" not in result, result
    return result["value"]


def js_error(page: Page, function: str, *args: Any) -> dict[str, Any]:
    """Like :func:`js` for a function that must throw: the typed error."""
    script = f"(args) => harness.run('js', () => ({function})(harness.modules, ...args))"
    result = _outcome(page, script, list(args))
    assert "error" in result, f"expected an error, got {result}"
    error: dict[str, Any] = result["error"]
    return error
