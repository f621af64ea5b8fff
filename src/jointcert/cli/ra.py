"""The ``jointcert ra`` group of operators' RA commands: ``unlock`` lifts a customer's lock after a branch visit;
``register`` and ``cancel`` (registration at the CA for CMP) are added to the same group by cli/cmp.py."""

from __future__ import annotations

from typing import Annotated

import typer

from jointcert.cli.ca import open_services, say, settings_of
from jointcert.errors import InvalidInput
from jointcert.ra.ports import Credential

__all__ = ["ra_app", "register"]

ra_app = typer.Typer(
    help="Registration-authority operations (operators): register, cancel, unlock (등록·취소·잠금 해제).",
    no_args_is_help=True,
)
_UNLOCKABLE = [c.value for c in Credential if c is not Credential.ACCOUNT_PIN]


@ra_app.command("unlock")
def unlock(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="The customer's online-banking user ID.")],
    credential: Annotated[str, typer.Option("--credential", help=", ".join(_UNLOCKABLE))] = "ars",
    operator: Annotated[str, typer.Option("--operator", help="Who lifts it (recorded in the log).")] = "cli",
) -> None:
    """Lift a lock (ARS, app PIN/pattern, security card, OTP) after the customer proved who she is at a branch.

    The only way a lock is lifted: neither a right answer nor the overseas-departure check lifts it."""
    if credential not in _UNLOCKABLE:
        raise InvalidInput(
            f"--credential must be one of {', '.join(_UNLOCKABLE)}.",
            message_ko=f"--credential 은 {', '.join(_UNLOCKABLE)} 중 하나여야 합니다.",
        )
    with open_services(settings_of(ctx), actor=operator) as services:
        lifted = services.ra.unlock(user_id, Credential(credential), actor=operator)
    if lifted:
        say(f"[green]잠금 해제[/] {credential} of {user_id} unlocked by {operator}")
    else:
        say(f"잠금 없음: {credential} of {user_id} was not locked")


def register(app: typer.Typer) -> None:
    """Attach ``jointcert ra``."""
    app.add_typer(ra_app, name="ra")
