"""Registry of CLI command groups: each area's module exposes ``register(app)``."""

from __future__ import annotations

import typer

from jointcert.cli import ca, cmp, copy, demo, init, inspect, login, reconcile, serve, verify

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach every area's commands to the root app."""
    init.register(app)
    serve.register(app)
    ca.register(app)
    inspect.register(app)
    copy.register(app)
    verify.register(app)
    login.register(app)
    cmp.register(app)
    demo.register(app)
    reconcile.register(app)
