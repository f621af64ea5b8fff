"""ca: revocation epoch and CRL freshness per issuer (shared by every node)

Revision ID: ca0002_nodes
Revises: ca0002_hardening
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0002_nodes"
down_revision: str | Sequence[str] | None = "ca0002_hardening"  # chained after the audit MAC at merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ca_revocation_epochs",
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("crl_epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", name=op.f("pk_ca_revocation_epochs")),
    )


def downgrade() -> None:
    op.drop_table("ca_revocation_epochs")
