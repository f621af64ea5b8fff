"""The ``jointcert ra`` group of operators' RA commands: ``unlock`` lifts a customer's lock after a branch visit;
``register`` and ``cancel`` (registration at the CA for CMP) are added to the same group by cli/cmp.py."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from jointcert.admin.operators import actor_of
from jointcert.admin.ra_desk import Verification
from jointcert.ca.ports import AuditEvent
from jointcert.cli.ca import open_services, say, settings_of
from jointcert.errors import InvalidInput
from jointcert.ra.ports import Credential

__all__ = ["ra_app", "register"]

ra_app = typer.Typer(
    help="Registration-authority operations (operators): register, cancel, unlock (등록·취소·잠금 해제).",
    no_args_is_help=True,
)
_UNLOCKABLE = [c.value for c in Credential if c is not Credential.ACCOUNT_PIN]
_CHECKS = ", ".join(v.value for v in Verification)


@ra_app.command("unlock")
def unlock(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="The customer's online-banking user ID.")],
    *,
    credential: Annotated[str, typer.Option("--credential", help=", ".join(_UNLOCKABLE))] = "ars",
    operator: Annotated[
        str, typer.Option("--operator", help="Who lifts it: an RA officer's console username once operators exist.")
    ] = "cli",
    verification: Annotated[str, typer.Option("--verification", help=_CHECKS)] = Verification.BRANCH_ID.value,
    note: Annotated[str, typer.Option("--note", help="The verification done (5–500 characters).")] = "",
) -> None:
    """Lift a lock (ARS, app PIN/pattern, security card, OTP) after the customer proved who she is at a branch.

    The only way a lock is lifted: neither a right answer nor the overseas-departure check lifts it. Audited as
    ``ra.credential_unlocked``: once the instance has operators, ``--operator`` must be an RA officer's username
    and ``--note`` is required (the same rules and entry as the console); the shell user is recorded too."""
    if credential not in _UNLOCKABLE or verification not in {v.value for v in Verification}:
        raise InvalidInput(
            f"--credential must be one of {', '.join(_UNLOCKABLE)}; --verification one of {_CHECKS}.",
            message_ko=f"--credential 은 {', '.join(_UNLOCKABLE)}, --verification 은 {_CHECKS} 중 하나여야 합니다.",
        )
    via = f"cli:{getpass.getuser()}"
    with open_services(settings_of(ctx), actor=operator) as services:
        if services.operators.count():
            registered = services.operators.by_username(operator)
            if registered is None:
                raise InvalidInput(
                    f"--operator {operator!r} is not an operator of this instance.",
                    message_ko="--operator 는 이 인스턴스의 운영자 아이디여야 합니다.",
                )
            lifted = services.ra_desk.unlock_user(registered, user_id, credential, verification, note, via=via)
            actor = actor_of(registered)
        else:  # no operator accounts yet: the name given is recorded as is
            actor = f"shell:{operator}"
            lifted = services.ra.unlock(user_id, Credential(credential), actor=actor)
            data = {"user_id": user_id, "credential": credential, "verification": verification, "note": note}
            event = AuditEvent(
                "ra.credential_unlocked", actor, services.clock.now(), data | {"lifted": lifted, "via": via}
            )
            services.audit.append(event)
    if lifted:
        say(f"[green]잠금 해제[/] {credential} of {user_id} unlocked by {actor}")
    else:
        say(f"잠금 없음: {credential} of {user_id} was not locked")


def register(app: typer.Typer) -> None:
    """Attach ``jointcert ra``."""
    app.add_typer(ra_app, name="ra")
