"""The test helpers themselves, without a browser: secret search and the ASGI server thread."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.e2e.harness.support import b64, secret_encodings, serve_asgi


def test_secret_encodings_find_a_secret_at_any_offset() -> None:
    """Pure Python: the base64 needles match however the secret is aligned inside a longer message."""
    secret = bytes(range(50, 80))
    for prefix in range(6):
        for suffix in range(4):
            message = bytes(range(prefix)) + secret + bytes(suffix)
            for encode in (b64, lambda b: b64(b).replace("+", "-").replace("/", "_").rstrip("=")):
                assert _contains(encode(message).encode(), secret), (prefix, suffix)
    assert not _contains(b64(bytes(range(30))).encode(), secret)


def _contains(haystack: bytes, secret: bytes) -> bool:
    return any(n in haystack for n in secret_encodings(secret).values())


def test_serve_asgi_stops_the_server() -> None:
    app = Starlette(routes=[Route("/", lambda _: PlainTextResponse("up"))])
    with serve_asgi(app) as base:
        assert httpx.get(base + "/").text == "up"
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/", timeout=2)
