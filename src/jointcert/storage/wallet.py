"""SQL adapter of the wallet's client registry: :class:`SqlWalletClientStore` over ``wallet_clients``."""

from __future__ import annotations

from sqlalchemy import delete, select

from jointcert.rp.wallet_clients import WalletClient
from jointcert.storage.db import Database
from jointcert.storage.tables.wallet import WalletClientRow

__all__ = ["SqlWalletClientStore"]


def _client(row: WalletClientRow) -> WalletClient:
    return WalletClient(
        row.client_id,
        row.name,
        row.name_en,
        tuple(row.origins.split()),
        tuple(row.return_urls.split()),
        row.registered_at,
    )


class SqlWalletClientStore:
    """Registered relying parties in the database, shared by every node."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def put(self, client: WalletClient) -> None:
        """Insert or replace the client of that id."""
        with self._db.session() as session:
            row = session.get(WalletClientRow, client.client_id)
            if row is None:
                row = WalletClientRow(client_id=client.client_id)
                session.add(row)
            row.name, row.name_en = client.name, client.name_en
            row.origins, row.return_urls = "\n".join(client.origins), "\n".join(client.return_urls)
            row.registered_at = client.registered_at

    def get(self, client_id: str) -> WalletClient | None:
        """The client of that id, or None."""
        with self._db.session() as session:
            row = session.get(WalletClientRow, client_id)
            return _client(row) if row is not None else None

    def all(self) -> list[WalletClient]:
        """Every client, by id."""
        with self._db.session() as session:
            rows = session.scalars(select(WalletClientRow).order_by(WalletClientRow.client_id)).all()
            return [_client(r) for r in rows]

    def remove(self, client_id: str) -> bool:
        """Delete; whether it existed."""
        with self._db.session() as session:
            done = session.execute(
                delete(WalletClientRow)
                .where(WalletClientRow.client_id == client_id)
                .execution_options(synchronize_session=False)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]
