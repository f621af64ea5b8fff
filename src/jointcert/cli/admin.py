"""``jointcert admin create-operator``: bootstrap console operators from the server's shell."""

from __future__ import annotations

from typing import Annotated

import typer

from jointcert.admin.model import Role
from jointcert.cli.ca import open_services, say, settings_of
from jointcert.errors import InvalidInput

__all__ = ["admin_app", "register"]

admin_app = typer.Typer(help="Operator console accounts (운영자).", no_args_is_help=True)


@admin_app.command("create-operator")
def create_operator(
    ctx: typer.Context,
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    role: Annotated[list[str], typer.Option("--role", help="ra_officer | ca_admin | auditor (repeatable).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="≥ 12 characters.")
    ] = "",
) -> None:
    """Create an operator; prints the TOTP secret and otpauth URI once (enrol it in an authenticator app)."""
    try:
        roles = frozenset(Role(r) for r in role)
    except ValueError:
        raise InvalidInput(
            f"Roles are {', '.join(r.value for r in Role)}.", message_ko="역할은 ra_officer, ca_admin, auditor 입니다."
        ) from None
    with open_services(settings_of(ctx), actor="cli") as services:
        first = services.operators.count() == 0
        operator, secret = services.operators.create(username, name or username, password, roles, actor="cli")
        uri = services.operators.provisioning_uri(username, secret)
    say(f"[green]운영자 생성[/] operator {operator.username} (#{operator.id}) roles {', '.join(sorted(roles))}")
    if first:
        say("  the first operator of this instance")
    say(f"  TOTP secret {secret}")
    say(f"  {uri}")


def register(app: typer.Typer) -> None:
    """Attach the ``admin`` command group."""
    app.add_typer(admin_app, name="admin")
