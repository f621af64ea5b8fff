"""uvicorn's HTTP/1.1 protocol with ``TCP_NODELAY`` on every connection.

With ``--workers N`` uvicorn binds the listening socket itself as ``socket(AF_INET, SOCK_STREAM)`` (protocol 0),
and asyncio turns Nagle's algorithm off only for sockets whose protocol is ``IPPROTO_TCP``; so in worker mode
every response (headers and body are two writes) waits for the client's delayed ACK — about 40 ms per request on
Linux. Setting the option per connection restores the single-process latency.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["PROTOCOL", "NoDelayH11Protocol"]

PROTOCOL = "jointcert.cli.nodelay:NoDelayH11Protocol"


class NoDelayH11Protocol(H11Protocol):
    """:class:`H11Protocol` that disables Nagle's algorithm on its TCP connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set ``TCP_NODELAY``, then proceed as uvicorn does."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
