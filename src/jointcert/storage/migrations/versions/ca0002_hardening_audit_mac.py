"""ca: keyed audit log (MAC columns) and the compromised-key blocklist

Revision ID: ca0002_hardening
Revises: ca0001
Create Date: 2026-12-04 17:40:00

Existing audit rows keep ``mac`` NULL: the key is the instance secret, which a migration does not have. They stay
verifiable by the hash chain, and the first keyed entry covers their last hash through its ``prev_hash`` column
(ca/audit.py); ``audit verify`` refuses a NULL MAC after a keyed entry.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca0002_hardening"
down_revision: str | Sequence[str] | None = "ca0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ca_audit_log") as batch:
        batch.add_column(sa.Column("mac", sa.LargeBinary(length=32), nullable=True))
    with op.batch_alter_table("ca_audit_head") as batch:
        batch.add_column(sa.Column("mac", sa.LargeBinary(length=32), nullable=True))
    op.create_table(
        "ca_compromised_keys",
        sa.Column("spki_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("serial_hex", sa.String(length=42), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("spki_sha256", name=op.f("pk_ca_compromised_keys")),
    )


def downgrade() -> None:
    op.drop_table("ca_compromised_keys")
    with op.batch_alter_table("ca_audit_head") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("ca_audit_log") as batch:
        batch.drop_column("mac")
