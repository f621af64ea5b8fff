"""ca: versions of the operators' profile changes (ca_profile_settings)

Revision ID: ca0004_profile_settings
Revises: ca0003_crl_partitions
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0004_profile_settings"
down_revision: str | Sequence[str] | None = "ca0004_presigned_ocsp"  # chained after the pre-signed OCSP at merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ca_profile_settings",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("overrides", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_ca_profile_settings")),
    )


def downgrade() -> None:
    op.drop_table("ca_profile_settings")
