"""Registry of CLI command groups: each area's module exposes ``register(app)``."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach every area's commands to the root app."""
    # Areas add themselves here, e.g. ``inspect.register(app)``.
    from jointcert.cli import verify  # noqa: PLC0415

    verify.register(app)
