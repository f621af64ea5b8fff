"""cmp: registrations (reference number + authorization code) and CMP transactions

Revision ID: cmp0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cmp0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("cmp",)
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cmp_registrations",
        sa.Column("reference_number", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cert_type", sa.String(length=16), nullable=False),
        sa.Column("real_name", sa.String(length=64), nullable=False),
        sa.Column("holder_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("rrn_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("code_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("bank_unit", sa.String(length=32), nullable=True),
        sa.Column("bank_code", sa.String(length=3), nullable=True),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("mac_failures", sa.Integer(), nullable=False),
        sa.Column("mac_pending", sa.Integer(), nullable=False),
        sa.Column("mac_reserved_at", _TS, nullable=True),
        sa.Column("claimed_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("serial_hex", sa.String(length=42), nullable=True),
        sa.PrimaryKeyConstraint("reference_number", name=op.f("pk_cmp_registrations")),
    )
    op.create_index("ix_cmp_registrations_holder", "cmp_registrations", ["holder_hash", "cert_type", "status"])
    op.create_index("ix_cmp_registrations_status", "cmp_registrations", ["status", "expires_at"])
    op.create_table(
        "cmp_transactions",
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("protection", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("reference_number", sa.String(length=16), nullable=True),
        sa.Column("signer_sha256", sa.LargeBinary(length=32), nullable=True),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("serial_hex", sa.String(length=42), nullable=True),
        sa.Column("cert_req_id", sa.Integer(), nullable=True),
        sa.Column("response_nonce", sa.LargeBinary(), nullable=True),
        sa.Column("deadline", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_cmp_transactions")),
    )
    op.create_index("ix_cmp_transactions_state", "cmp_transactions", ["state", "deadline"])


def downgrade() -> None:
    op.drop_index("ix_cmp_transactions_state", table_name="cmp_transactions")
    op.drop_table("cmp_transactions")
    op.drop_index("ix_cmp_registrations_status", table_name="cmp_registrations")
    op.drop_index("ix_cmp_registrations_holder", table_name="cmp_registrations")
    op.drop_table("cmp_registrations")
