"""Server CPU per operation and each worker's share: the CPU time of a server's process tree (supervisor and
workers, every thread) read from the kernel before and after a load.

Linux gives every process a CPU-time clock any process may read (``clock_gettime`` on the clock id
``MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)``), in nanoseconds and including threads that have exited; elsewhere
the meter reads nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuMeter", "ServerCpu", "meter_for", "register", "unregister"]

_METERS: dict[int, CpuMeter] = {}


def _cpu_seconds(pid: int) -> float | None:
    try:
        return time.clock_gettime((~pid << 3) | 2)  # CPUCLOCK_SCHED of the whole process
    except OSError:
        return None  # exited


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(x) for x in task.read_text().split()]
        except OSError:
            continue
    return out


def _tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        pids += _children(pids[index])
        index += 1
    return pids


@dataclass(frozen=True)
class ServerCpu:
    """Server CPU µs per operation, and the workers' shares of it (largest first; one entry per worker)."""

    per_operation_us: float
    shares: tuple[float, ...]

    def shares_text(self) -> str:
        """``51/49`` (percent per worker)."""
        return "/".join(f"{100 * s:.0f}" for s in self.shares)


class CpuMeter:
    """The CPU time of one server's process tree."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def snapshot(self) -> dict[int, float]:
        """CPU seconds of every process in the tree now."""
        out: dict[int, float] = {}
        for pid in _tree(self.pid):
            seconds = _cpu_seconds(pid)
            if seconds is not None:
                out[pid] = seconds
        return out

    def since(self, before: dict[int, float], operations: int) -> ServerCpu | None:
        """What the tree spent since ``before``, per operation; None when nothing could be read."""
        after = self.snapshot()
        spent = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
        total = sum(spent.values())
        if not after or operations <= 0 or total <= 0:
            return None
        workers = [v for pid, v in spent.items() if pid != self.pid] or [spent.get(self.pid, 0.0)]
        worker_total = sum(workers) or 1.0
        shares = tuple(sorted((v / worker_total for v in workers if v / worker_total >= 0.005), reverse=True))
        return ServerCpu(total / operations * 1e6, shares)


def register(port: int, pid: int) -> None:
    """Remember which process tree serves ``port`` (``bench.wire.closed_loop`` meters it)."""
    _METERS[port] = CpuMeter(pid)


def unregister(port: int) -> None:
    """Forget the server of ``port``."""
    _METERS.pop(port, None)


def meter_for(port: int) -> CpuMeter | None:
    """The meter of the server on ``port``, if the bench started it."""
    return _METERS.get(port)
