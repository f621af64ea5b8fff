"""relay: certificate copy transfers (relay_transfers).

Revision ID: relay_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "relay_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("relay",)
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "relay_transfers",
        sa.Column("id", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("uploaded_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("salt", sa.LargeBinary(length=16), nullable=False),
        sa.Column("receiver_token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("verifier", sa.LargeBinary(length=32), nullable=True),
        sa.Column("envelope", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_transfers")),
    )
    op.create_index(op.f("ix_relay_transfers_expires_at"), "relay_transfers", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_relay_transfers_expires_at"), table_name="relay_transfers")
    op.drop_table("relay_transfers")
