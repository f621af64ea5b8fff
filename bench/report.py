"""The one table ``make bench`` prints: per workload its rate, p50/p99 latency and the ratio to its baseline."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Row", "percentile", "render"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` (nearest rank on the sorted list); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class Row:
    """One line of the table. ``rate`` is per second, latencies in seconds; ``target`` like ``≥ 0.60`` or
    ``p99 ≤ 50 ms``; ``met`` is None when the row has no target."""

    backend: str
    workload: str
    rate: float | None
    latencies: Sequence[float] = ()
    baseline: str = ""
    baseline_rate: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    unit: str = "/s"  # "s": ``rate`` holds seconds (CRL generation)

    @classmethod
    def against(
        cls,
        backend: str,
        workload: str,
        rate: float,
        latencies: Sequence[float],
        *,
        baseline: str,
        baseline_rate: float,
        minimum_ratio: float,
    ) -> Row:
        """A row measured against a baseline with the target ``rate / baseline_rate >= minimum_ratio``."""
        met = rate / baseline_rate >= minimum_ratio
        return cls(backend, workload, rate, latencies, baseline, baseline_rate, f"≥ {minimum_ratio:.2f}", met)

    @property
    def ratio(self) -> float | None:
        """rate / baseline rate."""
        if self.rate is None or not self.baseline_rate:
            return None
        return self.rate / self.baseline_rate

    @property
    def p50_ms(self) -> float | None:
        """Median latency in ms."""
        return statistics.median(self.latencies) * 1000 if self.latencies else None

    @property
    def p99_ms(self) -> float | None:
        """99th percentile latency in ms."""
        return percentile(self.latencies, 99) * 1000 if self.latencies else None


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def render(rows: Sequence[Row], header: str) -> str:
    """The table as fixed-width text."""
    columns = ("db", "workload", "rate/s", "p50 ms", "p99 ms", "baseline", "base/s", "ratio", "target", "met")
    widths = (6, 44, 10, 9, 9, 28, 10, 7, 14, 4)
    lines = [header, _line(columns, widths)]
    lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "NO")
        cells = (
            row.backend,
            row.workload,
            _num(row.rate, ".1f") if row.unit == "/s" else f"{row.rate:.2f} s",
            _num(row.p50_ms, ".2f"),
            _num(row.p99_ms, ".2f"),
            row.baseline,
            _num(row.baseline_rate, ".1f"),
            _num(row.ratio, ".3f"),
            row.target,
            met,
        )
        lines.append(_line(cells, widths))
        if row.note:
            lines.append(" " * (widths[0] + 2) + "  " + row.note)
    return "\n".join(lines)
