"""rp: single-use challenges and registered foreign certificates

Revision ID: rp_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "rp_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("rp",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rp_challenges",
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_rp_challenges")),
    )
    op.create_index(op.f("ix_rp_challenges_expires_at"), "rp_challenges", ["expires_at"], unique=False)
    op.create_table(
        "rp_registrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("serial_hex", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rp_registrations")),
        sa.UniqueConstraint(
            "institution_id", "fingerprint", name=op.f("uq_rp_registrations_institution_id_fingerprint")
        ),
    )
    op.create_index("ix_rp_registrations_customer", "rp_registrations", ["institution_id", "customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rp_registrations_customer", table_name="rp_registrations")
    op.drop_table("rp_registrations")
    op.drop_index(op.f("ix_rp_challenges_expires_at"), table_name="rp_challenges")
    op.drop_table("rp_challenges")
