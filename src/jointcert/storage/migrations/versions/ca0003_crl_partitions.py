"""ca: partitioned CRLs (a partition per certificate, its stored CRL entry, the partitions with their CRLs)

Revision ID: ca0003_crl_partitions
Revises: ca0002_saga
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0003_crl_partitions"
down_revision: str | Sequence[str] | None = "ca0002_saga"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ca_certificates") as batch:
        batch.add_column(sa.Column("crl_partition", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("crl_entry", sa.LargeBinary(), nullable=True))
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


def downgrade() -> None:
    op.drop_table("ca_crl_partitions")
    with op.batch_alter_table("ca_certificates") as batch:
        batch.drop_index("ix_ca_certificates_partition")
        batch.drop_column("crl_entry")
        batch.drop_column("crl_partition")
