"""ca: sign + km certificate pairs (each certificate of a pair names the other)

Revision ID: ca0004_km_pairs
Revises: ca0003_crl_partitions
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0004_km_pairs"
down_revision: str | Sequence[str] | None = "ca0003_crl_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ca_certificates") as batch:
        batch.add_column(sa.Column("pair_serial_hex", sa.String(length=42), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ca_certificates") as batch:
        batch.drop_column("pair_serial_hex")
