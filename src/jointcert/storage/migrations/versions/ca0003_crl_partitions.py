"""ca: partitioned CRLs (a partition per certificate, the stored CRL entries, the partitions with their CRLs)

The entries of records revoked before this revision are encoded here (partition None: on the full CRL only). On
PostgreSQL the CRL columns are stored uncompressed (STORAGE EXTERNAL): a 44 MB CRL of random serials does not
compress, and pglz would spend about a second per write trying.

Revision ID: ca0003_crl_partitions
Revises: ca0002_saga
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "ca0003_crl_partitions"
down_revision: str | Sequence[str] | None = "ca0002_saga"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ca_certificates") as batch:
        batch.add_column(sa.Column("crl_partition", sa.Integer(), nullable=True))
        batch.create_index("ix_ca_certificates_partition", ["issuer", "crl_partition", "status"], unique=False)
    op.create_table(
        "ca_crl_partitions",
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("crl_epoch", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("der", sa.LargeBinary(), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("issuer", "partition", name=op.f("pk_ca_crl_partitions")),
    )
    op.create_table(
        "ca_crl_entries",
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("serial_hex", sa.String(length=42), nullable=False),
        sa.Column("crl_partition", sa.Integer(), nullable=True),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "serial_hex", name=op.f("pk_ca_crl_entries")),
    )
    op.create_index("ix_ca_crl_entries_partition", "ca_crl_entries", ["issuer", "crl_partition"], unique=False)
    _backfill_entries()
    if op.get_bind().dialect.name == "postgresql":
        for table in ("ca_crl_partitions", "ca_crls"):
            op.execute(f"ALTER TABLE {table} ALTER COLUMN der SET STORAGE EXTERNAL")


def _backfill_entries() -> None:
    """Encode the CRL entries of the records revoked or voided before this revision."""
    from cryptography import x509  # noqa: PLC0415 (only this migration needs them)

    from jointcert.ca.crl_der import encode_entry  # noqa: PLC0415

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT issuer, serial_hex, revoked_at, revocation_reason FROM ca_certificates"
            " WHERE status IN ('revoked', 'void')"
        )
    ).all()
    entries = []
    for issuer, serial_hex, revoked_at, reason in rows:
        when = datetime.fromisoformat(revoked_at) if isinstance(revoked_at, str) else revoked_at
        when = when or datetime.min.replace(tzinfo=UTC)
        when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        flag = None if reason is None else x509.ReasonFlags(reason)
        entry = encode_entry(int(serial_hex, 16), when, flag)
        entries.append({"issuer": issuer, "serial_hex": serial_hex, "crl_partition": None, "entry": entry})
    if entries:
        table = sa.table(
            "ca_crl_entries",
            sa.column("issuer"),
            sa.column("serial_hex"),
            sa.column("crl_partition"),
            sa.column("entry"),
        )
        op.bulk_insert(table, entries)


def downgrade() -> None:
    op.drop_index("ix_ca_crl_entries_partition", table_name="ca_crl_entries")
    op.drop_table("ca_crl_entries")
    op.drop_table("ca_crl_partitions")
    with op.batch_alter_table("ca_certificates") as batch:
        batch.drop_index("ix_ca_certificates_partition")
        batch.drop_column("crl_partition")
