"""ca: pre-signed OCSP responses (one per live certificate, refreshed by the scheduler leader)

Revision ID: ca0004_presigned_ocsp
Revises: ca0003_crl_partitions
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0004_presigned_ocsp"
down_revision: str | Sequence[str] | None = "ca0004_km_pairs"  # chained after the km pairs at merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ca_ocsp_responses",
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("serial_hex", sa.String(length=42), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "serial_hex", name=op.f("pk_ca_ocsp_responses")),
    )
    op.create_index("ix_ca_ocsp_responses_refresh", "ca_ocsp_responses", ["issuer", "refresh_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ca_ocsp_responses_refresh", table_name="ca_ocsp_responses")
    op.drop_table("ca_ocsp_responses")
