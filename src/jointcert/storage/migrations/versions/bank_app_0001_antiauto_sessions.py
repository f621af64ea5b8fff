"""bank_app: the bank app's server-side login sessions.

Revision ID: bank_app_0001_antiauto
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bank_app_0001_antiauto"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("bank_app",)
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bank_app_sessions",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("cert_type", sa.String(length=16), nullable=True),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("idle_expires_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_bank_app_sessions")),
    )
    op.create_index(op.f("ix_bank_app_sessions_serial"), "bank_app_sessions", ["serial"], unique=False)
    op.create_index(op.f("ix_bank_app_sessions_expires_at"), "bank_app_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bank_app_sessions_expires_at"), table_name="bank_app_sessions")
    op.drop_index(op.f("ix_bank_app_sessions_serial"), table_name="bank_app_sessions")
    op.drop_table("bank_app_sessions")
