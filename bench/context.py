"""One benchmark run against one backend: the instance, its server, the prepared material and the scale."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.instance import Instance, free_port, prepared_instance, serving
from bench.material import Material, make_material
from bench.report import Row, render
from bench.server import launched

__all__ = ["Context", "Floors", "Scale", "add_common_arguments", "run_cli", "served"]


@dataclass(frozen=True)
class Scale:
    """How much work each workload does (``--quick`` shrinks everything)."""

    quick: bool
    workers: int
    operations: int  # per HTTP throughput workload
    concurrency: int  # connections of the HTTP throughput workloads
    customers: int  # concurrent customers of the flow workload
    rounds: int  # flows per customer
    enrollments: int  # prepared sessions / CMP tickets
    baseline_per_worker: int
    median_of: int = 3  # rounds of every served workload; the table shows each row's median (``--quick``: 1)

    @classmethod
    def of(cls, quick: bool, workers: int | None = None) -> Scale:
        """The default scale, or a tiny one."""
        workers = workers or os.cpu_count() or 1
        if quick:
            return cls(True, workers, 40, 4, 3, 1, 6, 20, median_of=1)
        return cls(False, workers, 3000, 16, 50, 2, 200, 1000)


@dataclass
class Floors:
    """The floors of the current round (bench/baseline.py measures them first): the minimal Starlette app under
    the same server, raw RSA-2048 signatures and verifications in as many processes as workers (per second)."""

    starlette: float | None = None
    sign: float | None = None
    verify: float | None = None


@dataclass(frozen=True)
class Context:
    """A served instance, the floor server beside it (the minimal Starlette app, same stack and workers) and
    what was prepared for them."""

    instance: Instance
    scale: Scale
    material: Material
    floor_port: int = 0
    floors: Floors = field(default_factory=Floors)

    @property
    def backend(self) -> str:
        """``SQLite`` or ``PgSQL`` for the table."""
        return "SQLite" if self.instance.backend == "sqlite" else "PgSQL"


@contextmanager
def served(backend: str, scale: Scale, *, production_hash: bool = False) -> Iterator[Context]:
    """A prepared instance of ``backend`` served by ``scale.workers`` uvicorn workers."""
    customers = max(scale.customers, scale.enrollments)
    with (
        tempfile.TemporaryDirectory(prefix="jointcert-bench-") as tmp,
        prepared_instance(Path(tmp), backend, customers, production_hash=production_hash) as instance,
    ):
        with instance.services() as services:
            material = make_material(services)
        bare = Path(tmp) / "bare-ocsp.der"
        bare.write_bytes(material.ocsp_response)
        floor_port, floor_log = free_port(), Path(tmp) / "floor.log"
        with (
            serving(instance, scale.workers, bare),
            launched(floor_port, scale.workers, bare, instance.environment(), floor_log, app="minimal"),
        ):
            yield Context(instance, scale, material, floor_port)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """``--quick``, ``--workers``, ``--backend``."""
    parser.add_argument("--quick", action="store_true", help="a tiny run (seconds)")
    parser.add_argument("--workers", type=int, default=None, help="uvicorn workers (default: nproc)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append", help="repeatable")


def run_cli(description: str | None, measure: Callable[[Context], list[Row]], title: Callable[[Scale], str]) -> None:
    """The command line of one served workload: parse the common arguments, measure each backend, print the table."""
    parser = argparse.ArgumentParser(description=description)
    add_common_arguments(parser)
    args = parser.parse_args()
    scale = Scale.of(args.quick, args.workers)
    rows: list[Row] = []
    for backend in args.backend or ["sqlite"]:
        with served(backend, scale) as ctx:
            rows += measure(ctx)
    print(render(rows, title(scale)))
