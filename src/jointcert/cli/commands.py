"""Registry of CLI command groups: each area's module exposes ``register(app)``."""

from __future__ import annotations

import typer

from jointcert.cli import inspect, verify

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach every area's commands to the root app."""
    # Areas add themselves here, e.g. ``inspect.register(app)``.
    inspect.register(app)
    verify.register(app)
