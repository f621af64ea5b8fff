"""ra: the fee ledger (ra_fee_ledger): at most one charge, one final mark and one reversal per certificate.

Revision ID: ra_0002_saga
Revises: ra_0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ra_0002_saga"
down_revision: str | Sequence[str] | None = "ra_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ra_fee_ledger",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("serial_hex", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("account_number", sa.String(length=16), nullable=False),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("bank_entry_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ra_fee_ledger")),
        sa.UniqueConstraint("serial_hex", "kind", name=op.f("uq_ra_fee_ledger_serial_hex_kind")),
    )
    op.create_index(op.f("ix_ra_fee_ledger_session_id"), "ra_fee_ledger", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ra_fee_ledger_session_id"), table_name="ra_fee_ledger")
    op.drop_table("ra_fee_ledger")
