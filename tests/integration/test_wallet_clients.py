"""Registered wallet clients in the database (SQLite and PostgreSQL), and the ``jointcert wallet-client`` commands."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner, Result

from jointcert.cli import wallet as wallet_cli
from jointcert.clock import FakeClock
from jointcert.errors import NotFound
from jointcert.rp.wallet_clients import (
    InMemoryWalletClientStore,
    InvalidWalletClient,
    WalletClients,
    WalletOriginNotAllowed,
)
from jointcert.storage.db import Database
from jointcert.storage.wallet import SqlWalletClientStore


def test_clients_round_trip(database: Database, clock: FakeClock) -> None:
    clients = WalletClients(SqlWalletClientStore(database), clock)
    first = clients.register(
        "gov-portal",
        name="나라민원포털",
        name_en="Nara portal",
        origins=["https://a.example", "http://127.0.0.1:8001"],
        return_urls=["https://a.example/back"],
    )
    again = WalletClients(SqlWalletClientStore(database), clock)  # another node, same database
    assert again.get("gov-portal") == first
    assert again.authorize("gov-portal", "http://127.0.0.1:8001", None).client_id == "gov-portal"
    clients.register("gov-portal", name="나라", name_en="Nara", origins=["https://b.example"])
    with pytest.raises(WalletOriginNotAllowed):
        again.authorize("gov-portal", "https://a.example")
    assert [c.client_id for c in again.all()] == ["gov-portal"]
    assert again.remove("gov-portal") and again.all() == []


def test_wallet_client_cli(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """The commands' parsing, output and exit codes (building a whole instance per command would take a minute on
    a busy machine; the store itself is tested above)."""
    clients = WalletClients(InMemoryWalletClientStore(), clock)

    @contextlib.contextmanager
    def services(*_: object, **__: object) -> Iterator[object]:
        yield SimpleNamespace(relying_parties=SimpleNamespace(wallet_clients=clients))

    monkeypatch.setattr(wallet_cli, "open_services", services)
    monkeypatch.setattr(wallet_cli, "settings_of", lambda ctx: None)
    monkeypatch.setattr(wallet_cli.console, "_width", 250)  # rows must not fold
    app = typer.Typer()
    wallet_cli.register(app)
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return runner.invoke(app, ["wallet-client", *args], obj=None)

    added = cli(
        "add",
        "purun-card",
        "--name",
        "푸른카드",
        "--name-en",
        "Purun Card",
        "--origin",
        "https://card.example",
        "--return-url",
        "https://card.example/wallet/back",
    )
    assert added.exit_code == 0, added.output
    assert "registered purun-card" in added.output
    assert clients.authorize("purun-card", "https://card.example", "https://card.example/wallet/back")
    listed = cli("list")
    assert "https://card.example/wallet/back" in listed.output and "푸른카드" in listed.output
    bad = cli(
        "add",
        "x",
        "--name",
        "가",
        "--name-en",
        "A",
        "--origin",
        "https://x.example",
        "--return-url",
        "https://elsewhere.example/back",
    )
    assert isinstance(bad.exception, InvalidWalletClient)
    assert cli("remove", "purun-card").exit_code == 0
    assert isinstance(cli("remove", "purun-card").exception, NotFound)
    assert clients.all() == []
