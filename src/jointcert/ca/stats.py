"""Thread-safe event counters the CA services keep; the web layer exposes them on ``/metrics``."""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["Counters"]


class Counters:
    """Named monotonically increasing counters (Prometheus ``_total`` semantics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()

    def inc(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to ``name``."""
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> dict[str, int]:
        """A copy of every counter."""
        with self._lock:
            return dict(self._values)
