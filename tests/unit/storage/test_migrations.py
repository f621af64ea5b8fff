"""The migrations build exactly the schema the table definitions describe, on both backends."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jointcert.storage.db import Database
from jointcert.storage.tables.all import metadata


def test_migrations_match_table_definitions(database: Database) -> None:
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrate_twice_is_a_no_op(database: Database) -> None:
    database.migrate()
    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_crl_partitions_migration_encodes_earlier_revocations(database: Database) -> None:
    """ca0003 writes the CRL entry of every record revoked or voided before it (partition None: full CRL only)."""
    from datetime import UTC, datetime, timedelta

    from alembic import command
    from cryptography import x509
    from sqlalchemy import insert, select

    from jointcert.ca.crl_der import encode_entry
    from jointcert.storage.tables.ca import CaCrlEntry

    config = database.alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "ca0002_saga")
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    rows = [
        {"serial": 0xABCDEF, "status": "revoked", "reason": "keyCompromise"},
        {"serial": 0x1234, "status": "void", "reason": None},
        {"serial": 0x5678, "status": "issued", "reason": None},
    ]
    legacy = _certificates_at_ca0002()
    with database.engine.begin() as connection:
        for row in rows:
            connection.execute(
                insert(legacy).values(
                    issuer="class1", serial_hex=format(row["serial"], "x"), status=row["status"], profile="limited",
                    subject="cn=x", channel="cli", not_before=at - timedelta(days=1), not_after=at + timedelta(days=9),
                    tbs_sha256=b"\0" * 32, created_at=at, revoked_at=None if row["status"] == "issued" else at,
                    revocation_reason=row["reason"],
                )
            )  # fmt: skip
    database.migrate()
    with database.engine.connect() as connection:
        found = dict(connection.execute(select(CaCrlEntry.serial_hex, CaCrlEntry.entry)).all())
    assert found == {
        "abcdef": encode_entry(0xABCDEF, at, x509.ReasonFlags.key_compromise),
        "1234": encode_entry(0x1234, at, None),
    }


def _certificates_at_ca0002() -> Any:
    """``ca_certificates`` as it was at ca0002 (no crl_partition column)."""
    import sqlalchemy as sa

    from jointcert.storage.tables import UtcDateTime

    names = ("issuer", "serial_hex", "status", "profile", "subject", "channel", "tbs_sha256", "revocation_reason")
    times = ("not_before", "not_after", "created_at", "revoked_at")
    return sa.table("ca_certificates", *(sa.column(n) for n in names), *(sa.column(t, UtcDateTime) for t in times))
