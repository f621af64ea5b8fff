"""Alembic environment: runs migrations on the connection handed over by :meth:`Database.migrate`.

Each component (ca, bank, ra, relay, rp, …) owns an independent branch of revisions (its own base, labelled with
the component's name); ``upgrade heads`` brings every branch up to date.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from jointcert.storage.tables.all import metadata

config = context.config


def run_migrations() -> None:
    """Run online against the given connection, or open one from the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
