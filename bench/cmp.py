"""CMP enrollment throughput, end to end: HTTP to the served instance, PBM, issuance, certConf.

One enrollment = ``ir`` (PBM with a registered reference number) → ``ip`` → ``certConf`` → ``pkiConf``, by our
client over httpx, with the applicant's key made beforehand (key generation is the applicant's cost, not the
server's) and the registrations made beforehand (as the RA does). The baseline is raw RSA-2048 signatures per
second in as many processes as the server has workers: every enrollment needs one such signature, so the ratio
says what the rest costs (two HTTP round trips, four PBM computations, the registration and transaction
bookkeeping, pkilint, the audit chain, the commits). Run: ``python -m bench.cmp [--quick] [--backend ...]``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench.baseline import raw_signatures
from bench.context import Context, run_cli
from bench.cpu import meter_for
from bench.material import client_key, tickets
from bench.report import Row
from jointcert.client.cmp import CmpClient
from jointcert.npki.keyfile import PrivateKeyBundle, new_random_num

__all__ = ["measure"]

_THREADS = 4


def measure(ctx: Context) -> list[Row]:
    """Raw signatures, then ``scale.enrollments`` CMP enrollments from 4 client threads."""
    scale = ctx.scale
    count = scale.enrollments
    sign = raw_signatures(scale.workers, scale.baseline_per_worker)
    with ctx.instance.services() as services:
        registered = tickets(services, count + _THREADS)
    bundles = [PrivateKeyBundle(client_key(1 + i % 8), new_random_num()) for i in range(len(registered))]
    clients = [CmpClient(f"{ctx.instance.url}/cmp") for _ in range(_THREADS)]
    latencies: list[float] = []

    def enroll(i: int) -> None:
        ticket, client = registered[i], clients[i % _THREADS]
        start = time.perf_counter()
        client.enroll(ticket.reference_number, ticket.authorization_code, bundle=bundles[i]).confirm()
        latencies.append(time.perf_counter() - start)

    try:
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            list(pool.map(enroll, range(count, count + _THREADS)))  # warm up
            latencies.clear()
            meter = meter_for(ctx.instance.port)
            before = meter.snapshot() if meter else {}
            start = time.perf_counter()
            list(pool.map(enroll, range(count)))
            rate = count / (time.perf_counter() - start)
            cpu = meter.since(before, count) if meter else None
    finally:
        for client in clients:
            client.close()
    return [
        Row.against(
            ctx.backend,
            "issuance: CMP ir+certConf (4 threads)",
            rate,
            latencies,
            baseline="raw RSA sign",
            baseline_rate=sign.rate,
            minimum_ratio=0.05,  # issue 19
            cpu=cpu,
        )
    ]


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"CMP ({scale.workers} workers)")


if __name__ == "__main__":
    main()
