"""Relying parties registered at the wallet: exact origins and return URLs, clear refusals."""

from __future__ import annotations

import pytest

from jointcert.clock import FakeClock
from jointcert.rp.wallet_clients import (
    InMemoryWalletClientStore,
    InvalidWalletClient,
    UnknownWalletClient,
    WalletClients,
    WalletOriginNotAllowed,
    WalletReturnUrlNotAllowed,
    normalize_origin,
)


@pytest.fixture
def clients(clock: FakeClock) -> WalletClients:
    registry = WalletClients(InMemoryWalletClientStore(), clock)
    registry.register(
        "gov-portal",
        name="나라민원포털",
        name_en="Nara portal",
        origins=["https://Portal.example:443/"],
        return_urls=["https://portal.example/back"],
    )
    return registry


def test_authorize_exact_origin_and_return_url(clients: WalletClients) -> None:
    assert clients.authorize("gov-portal", "https://portal.example").name == "나라민원포털"
    assert clients.authorize("gov-portal", "https://portal.example", "https://portal.example/back")
    for origin in (
        "http://portal.example",
        "https://portal.example:8443",
        "https://portal.example.evil.com",
        "https://evil.example",
        "null",
        "",
    ):
        with pytest.raises(WalletOriginNotAllowed):
            clients.authorize("gov-portal", origin)
    for url in ("https://portal.example/back/", "https://portal.example/back?x=1", "https://portal.example/other"):
        with pytest.raises(WalletReturnUrlNotAllowed):
            clients.authorize("gov-portal", "https://portal.example", url)
    with pytest.raises(UnknownWalletClient):
        clients.authorize("purun-card", "https://portal.example")
    assert UnknownWalletClient.message_ko.startswith("이 지갑에 등록되지 않은")


def test_registration_rules(clients: WalletClients) -> None:
    assert normalize_origin("HTTPS://A.example:443") == "https://a.example"
    assert normalize_origin("http://127.0.0.1:8001") == "http://127.0.0.1:8001"
    bad = [
        {"client_id": "Bad Id", "origins": ["https://a.example"]},
        {"client_id": "ok", "origins": []},
        {"client_id": "ok", "origins": ["ftp://a.example"]},
        {"client_id": "ok", "origins": ["https://a.example/path"]},
        {"client_id": "ok", "origins": ["https://a.example"], "return_urls": ["https://b.example/back"]},
    ]
    for case in bad:
        with pytest.raises(InvalidWalletClient):
            clients.register(
                str(case["client_id"]),
                name="가",
                name_en="A",
                origins=list(case["origins"]),
                return_urls=list(case.get("return_urls", [])),
            )
    clients.register("gov-portal", name="나라", name_en="Nara", origins=["https://new.example"])  # replaces
    with pytest.raises(WalletOriginNotAllowed):
        clients.authorize("gov-portal", "https://portal.example")
    assert clients.remove("gov-portal") and not clients.remove("gov-portal")
    assert clients.all() == []
