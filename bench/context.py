"""One benchmark run against one backend: the instance, its server, the prepared material and the scale."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.instance import Instance, prepared_instance, serving
from bench.material import Material, make_material
from bench.report import Row, render

__all__ = ["Context", "Scale", "add_common_arguments", "run_cli", "served"]


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

    @classmethod
    def of(cls, quick: bool, workers: int | None = None) -> Scale:
        """The default scale, or a tiny one."""
        workers = workers or os.cpu_count() or 1
        if quick:
            return cls(True, workers, 40, 4, 3, 1, 6, 20)
        return cls(False, workers, 3000, 16, 50, 2, 200, 1000)


@dataclass(frozen=True)
class Context:
    """A served instance and what was prepared for it."""

    instance: Instance
    scale: Scale
    material: Material

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
        with serving(instance, scale.workers, bare):
            yield Context(instance, scale, material)


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
