"""The migrations build exactly the schema the table definitions describe, on both backends."""

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
