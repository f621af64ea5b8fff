"""Relying parties registered at the bank's wallet: who may open the wallet, from which origins, returning where.

The wallet page (on the bank's origin, where the keys live) serves a request only when its ``client_id`` is
registered, the origin it came from is one of that client's origins and, for the redirect variant, the return URL
is one of the client's return URLs (exact match). Everything else is refused with a visible message.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from jointcert.clock import Clock
from jointcert.errors import Denied, InvalidInput, NotFound

__all__ = [
    "InMemoryWalletClientStore",
    "InvalidWalletClient",
    "UnknownWalletClient",
    "WalletClient",
    "WalletClientStore",
    "WalletClients",
    "WalletOriginNotAllowed",
    "WalletReturnUrlNotAllowed",
    "normalize_origin",
    "origin_of_url",
]

_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_URL = 512


class InvalidWalletClient(InvalidInput):
    """A client registration is malformed (id, origin, return URL)."""

    code = "invalid_wallet_client"
    message_ko = "등록하려는 기관 정보가 올바르지 않습니다."
    message_en = "The relying party registration is not valid."


class UnknownWalletClient(NotFound):
    """No relying party of that client id is registered at this wallet."""

    code = "wallet_client_unknown"
    message_ko = "이 지갑에 등록되지 않은 기관의 요청입니다. 인증서를 사용할 수 없습니다."
    message_en = "The request comes from a relying party that is not registered with this wallet."


class WalletOriginNotAllowed(Denied):
    """The request came from an origin the client did not register."""

    code = "wallet_origin_not_allowed"
    message_ko = "등록되지 않은 사이트에서 온 요청입니다. 인증서를 사용할 수 없습니다."
    message_en = "The request comes from a site that is not registered for this relying party."


class WalletReturnUrlNotAllowed(Denied):
    """The redirect variant named a return URL the client did not register."""

    code = "wallet_return_url_not_allowed"
    message_ko = "등록되지 않은 주소로 결과를 보내려는 요청입니다."
    message_en = "The request asks for the response to go to an address that is not registered."


@dataclass(frozen=True)
class WalletClient:
    """A registered relying party: its id, names, allowed origins and return URLs."""

    client_id: str
    name: str
    name_en: str
    origins: tuple[str, ...]
    return_urls: tuple[str, ...]
    registered_at: datetime


class WalletClientStore(Protocol):
    """Where registered clients live."""

    def put(self, client: WalletClient) -> None:
        """Insert or replace the client of that id."""
        ...

    def get(self, client_id: str) -> WalletClient | None:
        """The client of that id, or None."""
        ...

    def all(self) -> list[WalletClient]:
        """Every client, by id."""
        ...

    def remove(self, client_id: str) -> bool:
        """Delete the client; whether it existed."""
        ...


class InMemoryWalletClientStore:
    """A thread-safe store for one process (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, WalletClient] = {}
        self._lock = threading.Lock()

    def put(self, client: WalletClient) -> None:
        """Insert or replace."""
        with self._lock:
            self._items[client.client_id] = client

    def get(self, client_id: str) -> WalletClient | None:
        """By id."""
        with self._lock:
            return self._items.get(client_id)

    def all(self) -> list[WalletClient]:
        """Every client, by id."""
        with self._lock:
            return [self._items[k] for k in sorted(self._items)]

    def remove(self, client_id: str) -> bool:
        """Delete."""
        with self._lock:
            return self._items.pop(client_id, None) is not None


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case without a default port; :class:`InvalidWalletClient` otherwise."""
    parts = _split(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidWalletClient(f"An origin has no path, query or credentials: {value!r}.")
    return _origin_of(parts)


def _split(value: str) -> urllib.parse.SplitResult:
    if not value or len(value) > MAX_URL or not value.isascii() or any(c.isspace() for c in value):
        raise InvalidWalletClient(f"Not a URL: {value!r}.")
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise InvalidWalletClient(f"Not a URL: {value!r}.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWalletClient(f"Only http(s) URLs with a host are allowed: {value!r}.")
    return parts


def _origin_of(parts: urllib.parse.SplitResult) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def origin_of_url(url: str) -> str:
    """The origin of an absolute http(s) URL."""
    return _origin_of(_split(url))


class WalletClients:
    """Registers relying parties and decides whether a wallet request may be served."""

    def __init__(self, store: WalletClientStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def register(
        self, client_id: str, *, name: str, name_en: str, origins: Sequence[str], return_urls: Sequence[str] = ()
    ) -> WalletClient:
        """Add or replace a client; every return URL must lie on one of its origins."""
        if not _CLIENT_ID.match(client_id):
            raise InvalidWalletClient(f"A client id is 1-64 of a-z, 0-9 and '-': {client_id!r}.")
        if not name.strip() or not name_en.strip() or len(name) > 128 or len(name_en) > 128:
            raise InvalidWalletClient("A client needs a Korean and an English name (at most 128 characters).")
        normalized = tuple(dict.fromkeys(normalize_origin(o) for o in origins))
        if not normalized:
            raise InvalidWalletClient("A client needs at least one origin.")
        for url in return_urls:
            if origin_of_url(url) not in normalized or urllib.parse.urlsplit(url).fragment:
                raise InvalidWalletClient(f"A return URL must be on one of the client's origins: {url!r}.")
        client = WalletClient(
            client_id, name.strip(), name_en.strip(), normalized, tuple(dict.fromkeys(return_urls)), self._clock.now()
        )
        found = self._store.get(client_id)
        self._store.put(replace(client, registered_at=found.registered_at) if found else client)
        return client

    def get(self, client_id: str) -> WalletClient:
        """The client; :class:`UnknownWalletClient` when there is none."""
        client = self._store.get(client_id) if _CLIENT_ID.match(client_id) else None
        if client is None:
            raise UnknownWalletClient(client_id=client_id[:64])
        return client

    def all(self) -> list[WalletClient]:
        """Every registered client."""
        return self._store.all()

    def remove(self, client_id: str) -> bool:
        """Unregister; whether it was registered."""
        return self._store.remove(client_id)

    def authorize(self, client_id: str, origin: str, return_url: str | None = None) -> WalletClient:
        """The client when ``origin`` (and ``return_url``, exactly) are registered for it; refuses otherwise."""
        client = self.get(client_id)
        try:
            normalized = normalize_origin(origin)
        except InvalidWalletClient as exc:
            raise WalletOriginNotAllowed(origin=origin[:MAX_URL]) from exc
        if normalized not in client.origins:
            raise WalletOriginNotAllowed(origin=normalized)
        if return_url is not None and return_url not in client.return_urls:
            raise WalletReturnUrlNotAllowed(return_url=return_url[:MAX_URL])
        return client
