"""Registry of CLI command groups: each area's module exposes ``register(app)``."""

from __future__ import annotations

import typer

from jointcert.cli import (
    admin,
    ca,
    ceremony,
    cmp,
    copy,
    demo,
    init,
    inspect,
    login,
    pfx,
    ra,
    reconcile,
    serve,
    verify,
    wallet,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach every area's commands to the root app."""
    init.register(app)
    serve.register(app)
    ca.register(app)
    ceremony.register(app)
    admin.register(app)
    inspect.register(app)
    copy.register(app)
    verify.register(app)
    login.register(app)
    cmp.register(app)
    demo.register(app)
    pfx.register(app)
    wallet.register(app)
    ra.register(app)
    reconcile.register(app)
