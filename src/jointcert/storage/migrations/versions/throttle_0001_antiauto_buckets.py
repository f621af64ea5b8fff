"""throttle: anti-automation buckets shared by every node.

Revision ID: throttle_0001_antiauto
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "throttle_0001_antiauto"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("throttle",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle_buckets",
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_buckets")),
    )
    op.create_index(op.f("ix_throttle_buckets_window_start"), "throttle_buckets", ["window_start"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_throttle_buckets_window_start"), table_name="throttle_buckets")
    op.drop_table("throttle_buckets")
