"""The sandbox bank's customer directory (CIF) on the database."""

from __future__ import annotations

import hmac
import re
import unicodedata

from sqlalchemy import bindparam, select

from jointcert.bank.errors import IdentityMismatch, InvalidContact
from jointcert.bank.formats import mask_user_id
from jointcert.bank.model import Customer, PhoneKind
from jointcert.npki import resident_number
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository._rows import CUSTOMERS, customer_record, customer_row, customer_value
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankCustomer

__all__ = ["SqlCustomerDirectory"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_EMAIL, _MAX_ADDRESS = 254, 300
_BY_USER_ID = select(CUSTOMERS).where(CUSTOMERS.c.user_id == bindparam("uid"))


def _same_name(stored: str, given: str) -> bool:
    """Names compare after NFC normalisation and without spaces (``응우옌 티 란`` = ``응우옌티란``)."""

    def canon(name: str) -> bytes:
        return "".join(unicodedata.normalize("NFC", name).split()).encode()

    return hmac.compare_digest(canon(stored), canon(given))


class SqlCustomerDirectory:
    """:class:`~jointcert.bank.ports.CustomerDirectory` backed by ``bank_customers`` and ``bank_phones``."""

    def __init__(self, database: Database, pii: PiiProtector) -> None:
        self._db = database
        self._pii = pii
        self._dummy_hash = pii.lookup_hash("0000000000000")

    def find_by_user_id(self, user_id: str) -> Customer | None:
        """The customer with this online-banking ID, or ``None``."""
        with self._db.connection() as connection:
            row = connection.execute(_BY_USER_ID, {"uid": user_id}).first()
            return None if row is None else customer_value(connection, row)

    def identify(self, user_id: str, rrn: str) -> Customer:
        """The customer whose ID and resident number both match, else :class:`IdentityMismatch`."""
        digits = resident_number.parse(rrn).digits
        with self._db.connection() as connection:
            row = connection.execute(_BY_USER_ID, {"uid": user_id}).first()
            matches = self._pii.matches(digits, row.rrn_hash if row is not None else self._dummy_hash)
            if row is None or not matches:
                raise IdentityMismatch()
            return customer_value(connection, row)

    def find_user_ids(self, name: str, rrn: str) -> list[str]:
        """Masked IDs of the customer with this name and resident number (아이디 찾기)."""
        digits = resident_number.parse(rrn).digits
        with self._db.session() as session:
            rows = session.scalars(select(BankCustomer).where(BankCustomer.rrn_hash == self._pii.lookup_hash(digits)))
            return sorted(mask_user_id(row.user_id) for row in rows if _same_name(row.name, name))

    def get(self, customer_id: str) -> Customer:
        """The customer with this id, or :class:`CustomerNotFound`."""
        with self._db.connection() as connection:
            return customer_value(connection, customer_record(connection, customer_id))

    def update_contact(self, customer_id: str, *, email: str, address: str, phone_id: str) -> Customer:
        """Set e-mail, address and notification mobile; :class:`InvalidContact` if any is unacceptable."""
        email, address = email.strip(), " ".join(address.split())
        if len(email) > _MAX_EMAIL or not _EMAIL.fullmatch(email):
            raise InvalidContact("The e-mail address is not valid.", field="email")
        if not address or len(address) > _MAX_ADDRESS:
            raise InvalidContact("The address must be 1 to 300 characters.", field="address")
        with self._db.session() as session:
            row = customer_row(session, customer_id)
            phone = customer_value(session, row).phone(phone_id)
            if phone is None or phone.kind is not PhoneKind.MOBILE:
                raise InvalidContact("Choose one of the customer's registered mobile numbers.", field="phone_id")
            row.email, row.address, row.contact_phone_id = email, address, phone_id
            session.flush()
            return customer_value(session, row)
