"""The one table ``make bench`` prints: per workload its rate, p50/p99 latency, the server's CPU per operation and
its workers' shares, the ratio to its baseline with the target and whether it is met, and the load average.

A workload module returns :class:`Row` objects; the runner stamps each with the 1-minute load average when it was
measured and, over several rounds, merges them into one row each (:func:`median_rows`)."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bench.cpu import ServerCpu

__all__ = ["Row", "median_rows", "percentile", "render"]


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
    ``p99 ≤ 50 ms``; ``met`` is None when the row has no target; ``cpu`` the server's CPU per operation (a
    :class:`~bench.wire.LoadResult` carries it); ``load`` the 1-minute load average (the runner sets it)."""

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
    cpu: ServerCpu | None = None
    load: float | None = None
    minimum_ratio: float | None = None  # the target of :meth:`against`, kept to recompute ``met`` over rounds
    ratio_of_rounds: float | None = None  # the median of the rounds' ratios (set by :func:`median_rows`)

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
        cpu: ServerCpu | None = None,
    ) -> Row:
        """A row measured against a baseline with the target ``rate / baseline_rate >= minimum_ratio``."""
        met = rate / baseline_rate >= minimum_ratio
        target = f"≥ {minimum_ratio:.2f}" if minimum_ratio < 10 else f"≥ {minimum_ratio:.0f}×"
        return cls(
            backend, workload, rate, latencies, baseline, baseline_rate, target, met, cpu=cpu,
            minimum_ratio=minimum_ratio,
        )  # fmt: skip

    @property
    def ratio(self) -> float | None:
        """rate / baseline rate (over rounds: the median of each round's ratio)."""
        if self.ratio_of_rounds is not None:
            return self.ratio_of_rounds
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


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _merged(rounds: Sequence[Row]) -> Row:
    """One row from the same row of several rounds: median rate, baseline, ratio, CPU and load; the latencies of
    the round with the median rate."""
    first = rounds[0]
    if len(rounds) == 1:
        return first
    rates = [r.rate for r in rounds if r.rate is not None]
    middle = sorted(rounds, key=lambda r: r.rate or 0.0)[len(rounds) // 2] if rates else first
    ratio = _median([r.ratio for r in rounds])
    met = first.met
    if ratio is not None and first.minimum_ratio is not None:
        met = ratio >= first.minimum_ratio
    elif first.met is not None:
        met = sum(bool(r.met) for r in rounds) * 2 > len(rounds)
    cpus = [r.cpu for r in rounds if r.cpu is not None]
    cpu = sorted(cpus, key=lambda c: c.per_operation_us)[len(cpus) // 2] if cpus else None
    return dataclasses.replace(
        middle,
        rate=_median([r.rate for r in rounds]),
        baseline_rate=_median([r.baseline_rate for r in rounds]),
        ratio_of_rounds=ratio,
        met=met,
        cpu=cpu,
        load=_median([r.load for r in rounds]),
        latencies=middle.latencies if rates else [x for r in rounds for x in r.latencies],
    )


def median_rows(rounds: Sequence[Sequence[Row]]) -> list[Row]:
    """Merge the rows of several rounds (the same workloads in the same order) into one each; a row is known by
    its backend, workload and how many rows of that name came before it in its round."""
    groups: dict[tuple[str, str, int], list[Row]] = {}
    for rows in rounds:
        seen: dict[tuple[str, str], int] = {}
        for row in rows:
            name = (row.backend, row.workload)
            seen[name] = seen.get(name, 0) + 1
            groups.setdefault((*name, seen[name]), []).append(row)
    return [_merged(group) for group in groups.values()]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def render(rows: Sequence[Row], header: str) -> str:
    """The table as fixed-width text."""
    columns = (
        "db", "workload", "rate/s", "p50 ms", "p99 ms", "CPU µs/op", "workers %", "baseline", "base/s", "ratio",
        "target", "met", "load",
    )  # fmt: skip
    widths = (6, 46, 10, 9, 9, 9, 9, 26, 10, 7, 12, 4, 5)
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
            "-" if row.cpu is None else f"{row.cpu.per_operation_us:.0f}",
            "-" if row.cpu is None else row.cpu.shares_text(),
            row.baseline,
            _num(row.baseline_rate, ".1f"),
            _num(row.ratio, ".3f"),
            row.target,
            met,
            _num(row.load, ".1f"),
        )
        lines.append(_line(cells, widths))
        if row.note:
            lines.append(" " * (widths[0] + 2) + "  " + row.note)
    return "\n".join(lines)
