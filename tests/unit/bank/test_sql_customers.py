"""CustomerDirectory on the database (SQLite and PostgreSQL)."""

import unicodedata
from datetime import date

import pytest

from jointcert.bank.errors import CustomerNotFound, IdentityMismatch, InvalidContact
from jointcert.bank.model import PhoneKind
from jointcert.clock import FakeClock
from jointcert.npki.resident_number import InvalidResidentNumber
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository import SandboxBank, SqlCustomerDirectory
from jointcert.storage.db import Database


def test_find_by_user_id_returns_the_cif_record(bank: SandboxBank) -> None:
    customer = bank.customers.find_by_user_id("minjun88")
    assert customer is not None
    assert (customer.id, customer.name, customer.birth_date) == ("C1001", "김민준", date(1988, 4, 15))
    assert customer.is_korean_national and customer.email == "minjun88@example.com"
    assert [(p.number, p.kind, p.masked) for p in customer.phones] == [
        ("010-2718-4406", PhoneKind.MOBILE, "010-****-4406"),
        ("02-3142-7785", PhoneKind.HOME, "02-****-7785"),
    ]
    assert customer.contact_phone == customer.phones[0]
    assert bank.customers.find_by_user_id("nobody") is None


def test_foreigner_is_not_a_korean_national(bank: SandboxBank) -> None:
    customer = bank.customers.find_by_user_id("lannguyen")
    assert customer is not None and not customer.is_korean_national
    assert customer.birth_date == date(1996, 3, 5)


def test_identify_with_matching_id_and_resident_number(bank: SandboxBank) -> None:
    assert bank.customers.identify("minjun88", "880415-1057831").id == "C1001"
    assert bank.customers.identify("minjun88", "8804151057831").id == "C1001"


def test_identify_gives_one_error_for_unknown_id_and_wrong_number(bank: SandboxBank) -> None:
    errors = []
    for user_id, rrn in [("nobody", "880415-1057831"), ("minjun88", "910722-2086271"), ("minjun88", "880415-1057832")]:
        with pytest.raises(IdentityMismatch) as info:
            bank.customers.identify(user_id, rrn)
        errors.append((type(info.value), info.value.to_dict(), str(info.value)))
    assert errors[0] == errors[1] == errors[2]


class _CountingPii(PiiProtector):
    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self.compared = 0

    def matches(self, value: str, stored_hash: bytes, purpose: str = "rrn") -> bool:
        self.compared += 1
        return super().matches(value, stored_hash, purpose)


def test_identify_does_the_same_work_for_unknown_ids(bank: SandboxBank, database: Database) -> None:
    counting = _CountingPii(bytes(range(32)))
    directory = SqlCustomerDirectory(database, counting)
    for user_id in ("nobody", "minjun88"):
        with pytest.raises(IdentityMismatch):
            directory.identify(user_id, "910722-2086271")
    assert counting.compared == 2


def test_identify_refuses_a_malformed_number(bank: SandboxBank) -> None:
    with pytest.raises(InvalidResidentNumber):
        bank.customers.identify("minjun88", "880415-10578")


def test_find_user_ids_masks_the_id(bank: SandboxBank) -> None:
    assert bank.customers.find_user_ids("김민준", "880415-1057831") == ["mi****88"]
    nfd = unicodedata.normalize("NFD", "응우옌 티 란")
    assert bank.customers.find_user_ids(nfd, "960305-6204810") == ["la*****en"]
    assert bank.customers.find_user_ids("김민수", "880415-1057831") == []
    assert bank.customers.find_user_ids("김민준", "910722-2086271") == []
    with pytest.raises(InvalidResidentNumber):
        bank.customers.find_user_ids("김민준", "880415")


def test_get(bank: SandboxBank) -> None:
    assert bank.customers.get("C1004").user_id == "yujin93"
    with pytest.raises(CustomerNotFound):
        bank.customers.get("C9999")


def test_update_contact_changes_and_persists(bank: SandboxBank, clock: FakeClock) -> None:
    updated = bank.customers.update_contact(
        "C1004", email=" yujin.choi@example.org ", address="대전광역시  유성구 과학로 65", phone_id="P4002"
    )
    assert (updated.email, updated.address, updated.contact_phone_id) == (
        "yujin.choi@example.org",
        "대전광역시 유성구 과학로 65",
        "P4002",
    )
    assert bank.customers.get("C1004") == updated


BAD_CONTACTS = [
    ("not-an-email", "서울", "P1001", "email"),
    ("a@b", "서울", "P1001", "email"),
    ("a@example.com", "   ", "P1001", "address"),
    ("a@example.com", "서울", "P1002", "phone_id"),  # a home phone gets no SMS
    ("a@example.com", "서울", "P2001", "phone_id"),  # someone else's phone
]


def test_update_contact_refuses_bad_values(bank: SandboxBank) -> None:
    before = bank.customers.get("C1001")
    for email, address, phone_id, field in BAD_CONTACTS:
        with pytest.raises(InvalidContact) as info:
            bank.customers.update_contact("C1001", email=email, address=address, phone_id=phone_id)
        assert info.value.details["field"] == field
    assert bank.customers.get("C1001") == before


def test_update_contact_of_unknown_customer(bank: SandboxBank) -> None:
    with pytest.raises(CustomerNotFound):
        bank.customers.update_contact("C9999", email="a@example.com", address="서울", phone_id="P1001")
