"""Thread-safe event counters the services keep; the web layer exposes them on ``/metrics``.

Any service may count an event by name (``counters.inc("reconciler_fixes")``); names are code constants (bounded).
``subscribe`` lets the metrics exporter mirror every increment (into prometheus-client counters, which also work
across ``serve --workers N`` processes) without the domain importing it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence

__all__ = ["WELL_KNOWN", "Counters"]

WELL_KNOWN = (  # exported from the start (at 0) so dashboards and alerts find them before the first event
    "certificates_issued",
    "certificates_revoked",
    "issuance_rejected",
    "lint_failures",
    "lint_templates",  # profile templates linted (template linting, ca/lint_gate.py)
    "lint_template_failures",
    "lint_samples",  # issued certificates re-linted in the background
    "lint_sample_findings",
    "lint_samples_skipped",
    "signer_errors",
    "reconciler_fixes",
    "ocsp_requests",
    "ocsp_signatures",
    "crls_issued",
    "issuance_batches",  # batches of two or more units recorded, signed and stored together (ca/batcher.py)
    "batched_units",  # units issued in those batches
    "batch_waits",  # a batch leader waited (the window) for callers still preparing
    "batch_fallbacks",  # a batch recorded or stored one unit at a time (a collision, a voided unit)
)


class Counters:
    """Named monotonically increasing counters (Prometheus ``_total`` semantics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()
        self._listeners: list[Callable[[str, int], None]] = []

    def inc(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to ``name``."""
        with self._lock:
            self._values[name] += amount
            listeners = list(self._listeners)
        for listener in listeners:
            listener(name, amount)

    def inc_each(self, names: Sequence[str]) -> None:
        """Add one to each of ``names`` (one lock for all: the OCSP hot path counts three per answer)."""
        with self._lock:
            for name in names:
                self._values[name] += 1
            listeners = list(self._listeners) if self._listeners else ()
        for listener in listeners:
            for name in names:
                listener(name, 1)

    def snapshot(self) -> dict[str, int]:
        """A copy of every counter."""
        with self._lock:
            return dict(self._values)

    def subscribe(self, listener: Callable[[str, int], None]) -> dict[str, int]:
        """Call ``listener(name, amount)`` on every later increment; returns the values so far (to catch up)."""
        with self._lock:
            self._listeners.append(listener)
            return dict(self._values)
