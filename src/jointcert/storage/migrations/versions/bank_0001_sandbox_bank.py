"""bank: sandbox bank tables (customers, phones, accounts, ledger, second factors, ARS calls, immigration, outbox).

Revision ID: bank_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bank_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("bank",)
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bank_ars_calls",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("phone_id", sa.String(length=32), nullable=False),
        sa.Column("phone_digits", sa.String(length=20), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("placed_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_ars_calls")),
    )
    op.create_index(op.f("ix_bank_ars_calls_phone_digits"), "bank_ars_calls", ["phone_digits"], unique=False)

    op.create_table(
        "bank_customers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_korean_national", sa.Boolean(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("contact_phone_id", sa.String(length=32), nullable=True),
        sa.Column("rrn_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("rrn_ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_customers")),
        sa.UniqueConstraint("rrn_hash", name=op.f("uq_bank_customers_rrn_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_bank_customers_user_id")),
    )
    op.create_table(
        "bank_accounts",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("display_number", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("product_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("balance_krw", sa.BigInteger(), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("locked_at", _TS, nullable=True),
        sa.Column("lock_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint("balance_krw >= 0", name=op.f("ck_bank_accounts_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_accounts_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_bank_accounts")),
    )
    op.create_index(op.f("ix_bank_accounts_customer_id"), "bank_accounts", ["customer_id"], unique=False)

    op.create_table(
        "bank_app_credentials",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("pattern_hash", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_app_credentials_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_bank_app_credentials")),
    )
    op.create_table(
        "bank_departures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("departed_at", _TS, nullable=False),
        sa.Column("destination", sa.String(length=60), nullable=False),
        sa.Column("returned_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_departures_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_departures")),
    )
    op.create_index(op.f("ix_bank_departures_customer_id"), "bank_departures", ["customer_id"], unique=False)

    op.create_table(
        "bank_otp_tokens",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("next_counter", sa.BigInteger(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_otp_tokens_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_bank_otp_tokens")),
    )
    op.create_table(
        "bank_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_outbox_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_outbox")),
    )
    op.create_index(op.f("ix_bank_outbox_customer_id"), "bank_outbox", ["customer_id"], unique=False)

    op.create_table(
        "bank_phones",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_phones_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_phones")),
    )
    op.create_index(op.f("ix_bank_phones_customer_id"), "bank_phones", ["customer_id"], unique=False)

    op.create_table(
        "bank_security_cards",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("cells_ciphertext", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bank_customers.id"], name=op.f("fk_bank_security_cards_customer_id_bank_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_bank_security_cards")),
    )
    op.create_table(
        "bank_ledger",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_number", sa.String(length=16), nullable=False),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_krw", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_number"], ["bank_accounts.number"], name=op.f("fk_bank_ledger_account_number_bank_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_ledger")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_bank_ledger_idempotency_key")),
    )
    op.create_index(op.f("ix_bank_ledger_account_number"), "bank_ledger", ["account_number"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bank_ledger_account_number"), table_name="bank_ledger")
    op.drop_table("bank_ledger")
    op.drop_table("bank_security_cards")
    op.drop_index(op.f("ix_bank_phones_customer_id"), table_name="bank_phones")
    op.drop_table("bank_phones")
    op.drop_index(op.f("ix_bank_outbox_customer_id"), table_name="bank_outbox")
    op.drop_table("bank_outbox")
    op.drop_table("bank_otp_tokens")
    op.drop_index(op.f("ix_bank_departures_customer_id"), table_name="bank_departures")
    op.drop_table("bank_departures")
    op.drop_table("bank_app_credentials")
    op.drop_index(op.f("ix_bank_accounts_customer_id"), table_name="bank_accounts")
    op.drop_table("bank_accounts")
    op.drop_table("bank_customers")
    op.drop_index(op.f("ix_bank_ars_calls_phone_digits"), table_name="bank_ars_calls")
    op.drop_table("bank_ars_calls")
