"""The ``jointcert`` command: one Typer app; each area adds its commands from its own module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from jointcert import __version__
from jointcert.cli.context import CliState, run_safely

__all__ = ["app", "hoist_data_dir", "main"]

app = typer.Typer(
    name="jointcert",
    help="Issuance system for Korean joint certificates (공동인증서): CA, RA, CMP, OCSP/CRL, copy relay, verifier.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jointcert {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", envvar="JOINTCERT_DATA_DIR", help="Instance directory (config, SQLite, keys)."),
    ] = Path("data"),
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Global options shared by every command."""
    ctx.obj = CliState(data_dir=data_dir)


def _register() -> None:
    """Attach the commands of every area (imported here so each module stays independent)."""
    from jointcert.cli import commands  # noqa: PLC0415

    commands.register(app)


def hoist_data_dir(args: list[str]) -> list[str]:
    """``--data-dir X`` is a root option, but users write it after the subcommand too (``jointcert serve
    --data-dir X``): move every occurrence before the subcommand (up to a ``--`` separator)."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg == "--data-dir" and index + 1 < len(args):
            front.extend(args[index : index + 2])
            index += 2
            continue
        (front if arg.startswith("--data-dir=") else rest).append(arg)
        index += 1
    return [*front, *rest]


def main() -> None:
    """Console-script entry point."""
    _register()
    sys.argv[1:] = hoist_data_dir(sys.argv[1:])
    sys.exit(run_safely(app))
