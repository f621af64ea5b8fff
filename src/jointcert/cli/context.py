"""State shared by CLI commands and the one place errors become messages and exit codes."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console

from jointcert.errors import ErrorKind, JointcertError

__all__ = ["EXIT_CODES", "CliState", "console", "err_console", "run_safely"]

# Output that is not a terminal (a pipe, a file, a test) is never wrapped: Rich would otherwise fold it at 80
# columns and split URLs and secrets (passwords, codes) across lines. COLUMNS still wins when set.
_PIPE_WIDTH = 1000


def _console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if os.environ.get("COLUMNS") or stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=_PIPE_WIDTH, soft_wrap=True)


console = _console()
err_console = _console(stderr=True)

# Exit codes by error kind; 0 = success, 1 = unexpected failure, 2 = usage error (Click's own).
EXIT_CODES: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 3,
    ErrorKind.NOT_FOUND: 4,
    ErrorKind.CONFLICT: 5,
    ErrorKind.AUTHENTICATION: 6,
    ErrorKind.DENIED: 7,
    ErrorKind.LOCKED: 8,
    ErrorKind.EXPIRED: 9,
    ErrorKind.UNAVAILABLE: 10,
    ErrorKind.INTERNAL: 1,
}


@dataclass
class CliState:
    """Options of the root command, available to every subcommand as ``ctx.obj``."""

    data_dir: Path


def report(error: JointcertError) -> int:
    """Print a domain error in Korean and English; return its exit code."""
    err_console.print(f"[bold red]오류[/] {error.text_ko}")
    err_console.print(f"[red]error[/] {error.text_en} [dim]({error.code})[/]")
    for item in _listed_details(error):
        err_console.print(f"  - {item.get('message_ko', '')} / {item.get('message_en', '')}")
    return EXIT_CODES[error.kind]


def _listed_details(error: JointcertError) -> list[dict[str, str]]:
    """Items of a list-valued detail such as ``violations`` (each with Korean and English messages)."""
    for value in error.details.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) and "message_en" in v for v in value):
            return value
    return []


def run_safely(app: typer.Typer) -> int:
    """Run the Typer app, turning domain errors into messages and exit codes (never a traceback)."""
    try:
        result = app(standalone_mode=False)
    except JointcertError as error:
        return report(error)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        err_console.print("중단됨 / aborted")
        return 130
    except Exception as exc:  # click usage errors come through here in non-standalone mode
        import click  # noqa: PLC0415

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    # In non-standalone mode Click returns the code of a ``typer.Exit`` instead of raising it.
    return result if isinstance(result, int) else 0
