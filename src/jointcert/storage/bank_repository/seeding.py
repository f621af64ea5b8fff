"""Creates sandbox customers from their plaintext specs, hashing and encrypting every secret on the way in."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from jointcert.bank.formats import normalize_account_number
from jointcert.bank.sandbox import security_card
from jointcert.bank.sandbox.hashing import SecretHasher, encode_pattern
from jointcert.bank.sandbox.spec import AccountSpec, CustomerSpec, DepartureSpec
from jointcert.clock import Clock
from jointcert.errors import InvalidInput
from jointcert.npki import resident_number
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository.accounts import account_pin_context
from jointcert.storage.bank_repository.factors import (
    app_pattern_context,
    app_pin_context,
    card_purpose,
    otp_purpose,
)
from jointcert.storage.db import Database
from jointcert.storage.tables import Base
from jointcert.storage.tables.bank import (
    BankAccount,
    BankAppCredential,
    BankCustomer,
    BankDeparture,
    BankOtpToken,
    BankPhone,
    BankSecurityCard,
)

__all__ = ["SqlBankSeeder"]


class SqlBankSeeder:
    """:class:`~jointcert.bank.sandbox.spec.SeedTarget` on the database."""

    def __init__(self, database: Database, pii: PiiProtector, hasher: SecretHasher, clock: Clock) -> None:
        self._db = database
        self._pii = pii
        self._hasher = hasher
        self._clock = clock

    def add_customer(self, spec: CustomerSpec) -> bool:
        """Create the customer and all it owns in one transaction; ``False`` if the id or user ID exists."""
        if self._exists(spec):
            return False
        rows = self._rows(spec)
        try:
            with self._db.session() as session:
                session.add_all(rows[:1])
                session.flush()
                session.add_all(rows[1:])
        except IntegrityError:
            if self._exists(spec):  # seeded concurrently by another process
                return False
            raise
        return True

    def _exists(self, spec: CustomerSpec) -> bool:
        with self._db.session() as session:
            found = session.scalar(
                select(BankCustomer.id).where(or_(BankCustomer.id == spec.id, BankCustomer.user_id == spec.user_id))
            )
        return found is not None

    def _rows(self, spec: CustomerSpec) -> list[Base]:
        rows: list[Base] = [self._customer(spec)]
        rows += [
            BankPhone(id=p.id, customer_id=spec.id, position=i, number=p.number, kind=p.kind.value)
            for i, p in enumerate(spec.phones)
        ]
        rows += [self._account(spec.id, a) for a in spec.accounts]
        rows += self._factors(spec)
        midnight = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        rows += [self._departure(spec.id, d, midnight) for d in spec.departures]
        return rows

    def _customer(self, spec: CustomerSpec) -> BankCustomer:
        number = resident_number.parse(spec.rrn)
        return BankCustomer(
            id=spec.id,
            user_id=spec.user_id,
            name=spec.name,
            rrn_hash=self._pii.lookup_hash(number.digits),
            rrn_ciphertext=self._pii.encrypt(number.digits),
            is_korean_national=number.is_korean_national,
            birth_date=number.birth_date,
            email=spec.email,
            address=spec.address,
            contact_phone_id=spec.contact_phone_id,
        )

    def _account(self, customer_id: str, spec: AccountSpec) -> BankAccount:
        number = normalize_account_number(spec.number)
        locked = self._clock.now() if spec.lock_reason else None
        return BankAccount(
            number=number,
            display_number=spec.number,
            customer_id=customer_id,
            product_name=spec.product_name,
            status=spec.status.value,
            balance_krw=spec.balance_krw,
            pin_hash=self._hasher.hash(spec.pin, account_pin_context(number)),
            locked_at=locked,
            lock_reason=spec.lock_reason,
        )

    def _factors(self, spec: CustomerSpec) -> list[Base]:
        rows: list[Base] = []
        cid = spec.id
        if spec.app_cert is not None:
            pattern = encode_pattern(spec.app_cert.pattern)
            if pattern is None:
                raise InvalidInput(f"invalid app pattern for {cid}")
            pin_hash = self._hasher.hash(spec.app_cert.pin, app_pin_context(cid))
            pattern_hash = self._hasher.hash(pattern, app_pattern_context(cid))
            rows.append(BankAppCredential(customer_id=cid, pin_hash=pin_hash, pattern_hash=pattern_hash))
        if spec.security_card is not None:
            card = spec.security_card
            cells = self._pii.encrypt(security_card.encode_cells(card.cells), card_purpose(cid))
            rows.append(
                BankSecurityCard(
                    customer_id=cid, serial=card.serial, cell_count=len(card.cells), cells_ciphertext=cells
                )
            )
        if spec.otp is not None:
            device = spec.otp
            pyotp.HOTP(device.secret).byte_secret()  # refuses a malformed or short secret
            rows.append(
                BankOtpToken(
                    customer_id=cid,
                    kind=device.kind.value,
                    serial=device.serial,
                    secret_ciphertext=self._pii.encrypt(device.secret, otp_purpose(cid)),
                    next_counter=device.counter,
                    last_step=None,
                )
            )
        return rows

    @staticmethod
    def _departure(customer_id: str, spec: DepartureSpec, today: datetime) -> BankDeparture:
        back = None if spec.returned_days_ago is None else today - timedelta(days=spec.returned_days_ago)
        return BankDeparture(
            customer_id=customer_id,
            departed_at=today - timedelta(days=spec.departed_days_ago),
            destination=spec.destination,
            returned_at=back,
        )
