"""ca: the caller's idempotency key of an issuance (ca_request_keys), for the RA's saga and reconciler.

Revision ID: ca0002_saga
Revises: ca0002_nodes
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0002_saga"
down_revision: str | Sequence[str] | None = "ca0002_nodes"  # chained after the revocation epoch at merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ca_request_keys",
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("request_key", sa.String(length=96), nullable=False),
        sa.Column("serial_hex", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "request_key", name=op.f("pk_ca_request_keys")),
    )


def downgrade() -> None:
    op.drop_table("ca_request_keys")
