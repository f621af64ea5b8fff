"""admin: operators, console sessions, dual-control proposals (admin_*).

Revision ID: admin_ops0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "admin_ops0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("admin",)
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admin_operators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("roles", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("totp_secret", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_operators")),
        sa.UniqueConstraint("username", name=op.f("uq_admin_operators_username")),
    )
    op.create_table(
        "admin_sessions",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["admin_operators.id"],
            name=op.f("fk_admin_sessions_operator_id_admin_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_admin_sessions")),
    )
    op.create_index(op.f("ix_admin_sessions_operator_id"), "admin_sessions", ["operator_id"], unique=False)
    op.create_index(op.f("ix_admin_sessions_last_seen"), "admin_sessions", ["last_seen"], unique=False)
    op.create_table(
        "admin_proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_proposals")),
    )
    op.create_index(op.f("ix_admin_proposals_status"), "admin_proposals", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_proposals_status"), table_name="admin_proposals")
    op.drop_table("admin_proposals")
    op.drop_index(op.f("ix_admin_sessions_last_seen"), table_name="admin_sessions")
    op.drop_index(op.f("ix_admin_sessions_operator_id"), table_name="admin_sessions")
    op.drop_table("admin_sessions")
    op.drop_table("admin_operators")
