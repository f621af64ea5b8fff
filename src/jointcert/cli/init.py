"""``jointcert init``: create an instance (config, secrets, database, CA hierarchy)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jointcert.app import init_instance
from jointcert.cli.context import CliState, console
from jointcert.errors import JointcertError, Unavailable

__all__ = ["init", "register"]


def say(*parts: object) -> None:
    """Print to stdout without wrapping long values (serials, fingerprints, paths)."""
    console.print(*parts, soft_wrap=True)


def init(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Instance directory (default: the global --data-dir).")
    ] = None,
) -> None:
    """Create a new instance: jointcert.toml, secrets.toml (0600), database, root CA, issuing CA, OCSP signer."""
    state: CliState = ctx.obj
    target = data_dir or state.data_dir
    try:
        result = init_instance(target)
    except JointcertError:
        raise
    except Exception as exc:
        raise Unavailable(f"Initialisation failed: {type(exc).__name__}: {exc}", message_ko="초기화 실패") from exc
    say(f"[green]초기화 완료[/] instance initialised in {target}")
    say(f"  config    {result.config_path}")
    say(f"  secrets   {result.secrets_path} (0600)")
    say(f"  CA keys   {result.key_dir} (encrypted)")
    say(f"  database  {result.database_url.split('@')[-1]}")
    for slug, fingerprint in result.fingerprints.items():
        say(f"  {slug:<9} SHA-256 {fingerprint}")


def register(app: typer.Typer) -> None:
    """Attach ``init``."""
    app.command("init")(init)
