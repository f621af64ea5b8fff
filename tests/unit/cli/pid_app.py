"""A tiny ASGI app answering its worker's process id (the workers test serves it in real worker processes)."""

from __future__ import annotations

import os
from typing import Any


async def app(scope: Any, receive: Any, send: Any) -> None:
    """Answer ``pid`` to every HTTP request."""
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
