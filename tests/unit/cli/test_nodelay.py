"""``jointcert serve``'s HTTP protocol turns Nagle's algorithm off even on a socket bound the way uvicorn binds it
for ``--workers N`` (protocol 0), where asyncio would leave it on (≈40 ms per response with delayed ACKs)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from jointcert.cli.nodelay import NoDelayH11Protocol


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never called: no request is sent
    raise AssertionError


async def _accepted_nodelay(protocol_class: type) -> int:
    config = Config(app=_app, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    made: list[Any] = []

    def factory() -> Any:
        made.append(protocol_class(config=config, server_state=state, app_state={}))
        return made[-1]

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, like uvicorn's bind_socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = await asyncio.get_running_loop().create_server(factory, sock=listener)
    _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
    for _ in range(2000):  # up to 20 s: a loaded machine may take long to accept
        if made and made[0].transport is not None:
            break
        await asyncio.sleep(0.01)
    assert made and made[0].transport is not None, "the server never accepted the connection"
    accepted = made[0].transport.get_extra_info("socket")
    value = int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    writer.close()
    server.close()
    for connection in list(state.connections):
        connection.shutdown()
    await server.wait_closed()
    return value


def _nodelay_of(protocol_class: type) -> int:
    """Run the check on an event loop of its own thread (a browser test in this worker may keep one running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _accepted_nodelay(protocol_class)).result(timeout=60)


def test_connections_get_tcp_nodelay() -> None:
    assert _nodelay_of(NoDelayH11Protocol) != 0


def test_plain_h11_on_such_a_socket_keeps_nagle() -> None:
    """The reason the protocol exists (if asyncio or uvicorn fix it upstream, this test says so)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    assert _nodelay_of(H11Protocol) == 0
