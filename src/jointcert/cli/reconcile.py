"""``jointcert reconcile``: one reconciler pass (what a crash left in the issuance saga), and what it fixed."""

from __future__ import annotations

import typer
from rich.table import Table

from jointcert.cli.ca import open_services, settings_of
from jointcert.cli.context import console

__all__ = ["reconcile", "register"]

_SHOWN = 5  # items listed per row; the rest are counted


def reconcile(ctx: typer.Context) -> None:
    """Settle interrupted issuances once: void pending records, release or deliver stuck sessions, revoke
    unconfirmed certificates and reverse their fees (정합성 복구). Safe while servers run."""
    with open_services(settings_of(ctx), actor="reconcile") as services:
        report = services.reconciler.run()
    table = Table("fixed", "count", "items", title="jointcert reconcile")
    for what, items in report.rows():
        shown = ", ".join(item[:16] for item in items[:_SHOWN]) + (" …" if len(items) > _SHOWN else "")
        table.add_row(what, str(len(items)), shown)
    console.print(table)
    console.print(f"{report.total} fixed" if report.total else "nothing to fix")


def register(app: typer.Typer) -> None:
    """Attach ``reconcile``."""
    app.command("reconcile")(reconcile)
