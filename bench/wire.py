"""A minimal asyncio HTTP/1.1 keep-alive client and a closed-loop load runner.

httpx spends about a millisecond of client CPU per request, which on a 2-core machine is taken from the server
being measured; this client spends a few tens of microseconds, so the server gets the cores. It understands only
what uvicorn sends back (``Content-Length`` bodies, no chunking).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bench.cpu import ServerCpu, meter_for

__all__ = ["Connection", "LoadResult", "Reply", "closed_loop"]


@dataclass(frozen=True)
class Reply:
    """Status, lower-cased headers (the last value of each) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive connection to ``host:port``, from the local address ``source`` when given (any of
    127.0.0.0/8 on loopback: the server then sees a client of its own)."""

    def __init__(self, host: str, port: int, *, source: str | None = None) -> None:
        self._host, self._port = host, port
        self._local = (source, 0) if source is not None else None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            opened = await asyncio.open_connection(self._host, self._port, local_addr=self._local)
            self._reader, self._writer = opened
        return self._reader, self._writer

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
    ) -> Reply:
        """Send one request and read the whole reply."""
        reader, writer = await self._open()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        length = int(fields.get("content-length", "0"))
        return Reply(status, fields, await reader.readexactly(length) if length else b"")

    async def close(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
            self._reader = self._writer = None


@dataclass(frozen=True)
class LoadResult:
    """Operations done, the wall time they took, each operation's latency in seconds and, when the bench started
    the server, the server's CPU per operation and its workers' shares (bench/cpu.py)."""

    count: int
    elapsed: float
    latencies: list[float]
    cpu: ServerCpu | None = None

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.count / self.elapsed


async def closed_loop(
    host: str,
    port: int,
    operation: Callable[[Connection, int], Awaitable[None]],
    *,
    count: int,
    concurrency: int,
) -> LoadResult:
    """Run ``operation(connection, i)`` for i in 0..count-1 from ``concurrency`` connections, each starting its
    next operation when the previous one is done; the server's CPU is metered when the bench started it."""
    next_index = 0
    latencies: list[float] = []

    async def worker() -> None:
        nonlocal next_index
        connection = Connection(host, port)
        try:
            while next_index < count:
                index, next_index = next_index, next_index + 1
                start = time.perf_counter()
                await operation(connection, index)
                latencies.append(time.perf_counter() - start)
        finally:
            await connection.close()

    meter = meter_for(port)
    before = meter.snapshot() if meter else {}
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return LoadResult(count, elapsed, latencies, meter.since(before, count) if meter else None)
