"""The jointcert app's own cost per request against the floor (the minimal Starlette app under the same server):
``POST /bench/bare`` through the hot dispatcher (security headers, body limit, metrics — the path OCSP, CMP and
CRL take) and ``POST /bench/bare-routed`` through the FastAPI router and middleware (the path of every other API
call); both read the body and answer the OCSP bytes. Target: the hot path ≥ 70 % of the floor.

Run: ``python -m bench.bare [--quick] [--workers N]``.
"""

from __future__ import annotations

from bench.baseline import FLOOR, bare_load
from bench.baseline import measure as measure_floors
from bench.context import Context, run_cli
from bench.report import Row
from bench.server import BARE_PATH, ROUTED_BARE_PATH

__all__ = ["HOT", "ROUTED", "measure"]

HOT = "jointcert bare, hot dispatch (/bench/bare)"
ROUTED = "jointcert bare, FastAPI router"


def measure(ctx: Context) -> list[Row]:
    """Both bare endpoints against this round's floor (measured first when the round has none)."""
    rows = [] if ctx.floors.starlette else measure_floors(ctx)
    floor = ctx.floors.starlette
    assert floor is not None
    hot = bare_load(ctx, ctx.instance.port, BARE_PATH)
    routed = bare_load(ctx, ctx.instance.port, ROUTED_BARE_PATH)
    return [
        *rows,
        Row.against(
            ctx.backend, HOT, hot.rate, hot.latencies, baseline=FLOOR, baseline_rate=floor, minimum_ratio=0.70,
            cpu=hot.cpu,
        ),
        Row(ctx.backend, ROUTED, routed.rate, routed.latencies, FLOOR, floor, cpu=routed.cpu),
    ]  # fmt: skip


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"bare endpoints ({scale.workers} workers, {scale.concurrency} conns)")


if __name__ == "__main__":
    main()
