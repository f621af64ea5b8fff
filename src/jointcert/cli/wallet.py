"""``jointcert wallet-client add|list|remove``: the relying parties allowed to open the bank's cross-origin wallet
(client id, names, origins, return URLs; docs/wallet-protocol.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from jointcert.app import Services
from jointcert.cli.ca import open_services, settings_of
from jointcert.cli.context import console
from jointcert.errors import NotFound
from jointcert.rp.wallet_clients import WalletClient

__all__ = ["register", "register_demo_partners"]

wallet_app = typer.Typer(
    help="Relying parties registered at the cross-origin wallet (인증서 지갑 이용 기관).", no_args_is_help=True
)


def _show(clients: list[WalletClient]) -> None:
    table = Table(title="wallet clients", show_lines=True)
    for column in ("client id", "이름 / name", "origins", "return URLs"):
        table.add_column(column, overflow="fold")
    for c in clients:
        table.add_row(c.client_id, f"{c.name}\n{c.name_en}", "\n".join(c.origins), "\n".join(c.return_urls) or "-")
    console.print(table)


@wallet_app.command("add")
def add(  # noqa: PLR0917  (Typer options are parameters)
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(help="Client id, e.g. gov-portal (a-z, 0-9, '-').")],
    name: Annotated[str, typer.Option("--name", help="Korean name the wallet shows.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name the wallet shows.")],
    origin: Annotated[
        list[str], typer.Option("--origin", help="Allowed origin (repeatable), e.g. https://rp.example.")
    ],
    return_url: Annotated[
        list[str] | None, typer.Option("--return-url", help="Allowed return URL for the redirect variant (repeatable).")
    ] = None,
) -> None:
    """Register (or replace) a relying party."""
    with open_services(settings_of(ctx), actor="cli") as services:
        client = services.relying_parties.wallet_clients.register(
            client_id, name=name, name_en=name_en, origins=origin, return_urls=return_url or ()
        )
        console.print(f"registered [bold]{client.client_id}[/]: {', '.join(client.origins)}", soft_wrap=True)


@wallet_app.command("list")
def list_clients(ctx: typer.Context) -> None:
    """Every registered relying party."""
    with open_services(settings_of(ctx), actor="cli") as services:
        _show(services.relying_parties.wallet_clients.all())


@wallet_app.command("remove")
def remove(ctx: typer.Context, client_id: Annotated[str, typer.Argument(help="Client id.")]) -> None:
    """Unregister a relying party (its requests are refused from then on)."""
    with open_services(settings_of(ctx), actor="cli") as services:
        if not services.relying_parties.wallet_clients.remove(client_id):
            raise NotFound(f"No wallet client {client_id!r}.", message_ko=f"등록되지 않은 기관입니다: {client_id}")
        console.print(f"removed {client_id}")


def register_demo_partners(services: Services, partner_url: str) -> list[WalletClient]:
    """Register every demo institution as a wallet client on ``partner_url`` (its /partner/{site} page returns)."""
    parties = services.relying_parties
    base = partner_url.rstrip("/")
    return [
        parties.wallet_clients.register(
            key, name=p.name, name_en=p.name_en, origins=[base], return_urls=[f"{base}/partner/{key}"]
        )
        for key, p in parties.policies.items()
    ]


def register(app: typer.Typer) -> None:
    """Attach ``wallet-client``."""
    app.add_typer(wallet_app, name="wallet-client")
