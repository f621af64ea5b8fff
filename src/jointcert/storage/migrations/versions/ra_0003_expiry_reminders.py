"""ra: expiry reminders sent (ra_expiry_reminders): one row per certificate and reminder (30 or 7 days before).

Revision ID: ra_0003_expiry_reminders
Revises: ra_0002_saga
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ra_0003_expiry_reminders"
down_revision: str | Sequence[str] | None = "ra_0002_saga"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ra_expiry_reminders",
        sa.Column("serial_hex", sa.String(length=42), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("serial_hex", "days_before", name=op.f("pk_ra_expiry_reminders")),
    )


def downgrade() -> None:
    op.drop_table("ra_expiry_reminders")
