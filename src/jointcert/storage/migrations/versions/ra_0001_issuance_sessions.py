"""ra: issuance sessions, step log, attempt counters, holder challenges, issued-certificate registry.

Revision ID: ra_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ra_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("ra",)
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ra_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("issuing_customer_id", sa.String(length=32), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("rrn_ciphertext", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ra_sessions")),
        sa.UniqueConstraint("issuing_customer_id", name=op.f("uq_ra_sessions_issuing_customer_id")),
    )
    op.create_index(op.f("ix_ra_sessions_customer_id"), "ra_sessions", ["customer_id"], unique=False)
    op.create_index("ix_ra_sessions_state_expires", "ra_sessions", ["state", "expires_at"], unique=False)

    op.create_table(
        "ra_step_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("state_before", sa.String(length=24), nullable=False),
        sa.Column("state_after", sa.String(length=24), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ra_step_log")),
    )
    op.create_index(op.f("ix_ra_step_log_session_id"), "ra_step_log", ["session_id"], unique=False)

    op.create_table(
        "ra_attempts",
        sa.Column("credential", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("credential", "subject", name=op.f("pk_ra_attempts")),
    )

    op.create_table(
        "ra_challenges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ra_challenges")),
    )
    op.create_index(op.f("ix_ra_challenges_expires_at"), "ra_challenges", ["expires_at"], unique=False)

    op.create_table(
        "ra_certificates",
        sa.Column("serial_hex", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("cert_type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("serial_hex", name=op.f("pk_ra_certificates")),
    )
    op.create_index(op.f("ix_ra_certificates_customer_id"), "ra_certificates", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ra_certificates_customer_id"), table_name="ra_certificates")
    op.drop_table("ra_certificates")
    op.drop_index(op.f("ix_ra_challenges_expires_at"), table_name="ra_challenges")
    op.drop_table("ra_challenges")
    op.drop_table("ra_attempts")
    op.drop_index(op.f("ix_ra_step_log_session_id"), table_name="ra_step_log")
    op.drop_table("ra_step_log")
    op.drop_index("ix_ra_sessions_state_expires", table_name="ra_sessions")
    op.drop_index(op.f("ix_ra_sessions_customer_id"), table_name="ra_sessions")
    op.drop_table("ra_sessions")
