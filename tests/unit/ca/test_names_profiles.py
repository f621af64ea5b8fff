"""Profiles as data and the name rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jointcert.ca.errors import InvalidName, InvalidResidentNumber, UnknownProfile
from jointcert.ca.names import new_unique_id, validate_bank, validate_real_name, validate_rrn
from jointcert.ca.profiles import PROFILES, UrlSet, profile_for
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL
from jointcert.types import CertType


def test_profiles_by_type_and_name() -> None:
    assert profile_for("limited").policy_oid == POLICY_LIMITED_PERSONAL
    assert profile_for(CertType.GENERAL).policy_oid == POLICY_GENERAL_PERSONAL
    assert set(PROFILES) == set(CertType)
    assert all(p.key_usage == ("digital_signature", "content_commitment") for p in PROFILES.values())
    with pytest.raises(UnknownProfile):
        profile_for("platinum")


def test_urls_come_from_the_public_url() -> None:
    urls = UrlSet("https://ca.example/", "class1")
    assert (urls.crl, urls.ocsp, urls.ca_issuers, urls.cps) == (
        "https://ca.example/crl/class1.crl",
        "https://ca.example/ocsp",
        "https://ca.example/ca/class1.crt",
        "https://ca.example/cps",
    )


@pytest.mark.parametrize("name", ["", "   ", "홍(길동", "a,b", "x" * 41, "김\x00철수", "홍길동1"])
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidName):
        validate_real_name(name)


def test_good_names_are_trimmed() -> None:
    assert validate_real_name("  홍길동 ") == "홍길동"
    assert validate_real_name("John Smith") == "John Smith"


@pytest.mark.parametrize("rrn", ["", "123", "900101123456a", "9013011234567", "9002301234567", "90010112345678"])
def test_bad_resident_numbers(rrn: str) -> None:
    with pytest.raises(InvalidResidentNumber):
        validate_rrn(rrn)


def test_resident_number_century_digit() -> None:
    assert validate_rrn("0001013123456").year == 2000
    assert validate_rrn("9912311123456").year == 1999


def test_unique_id_layout() -> None:
    uid = new_unique_id("081", datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # 01:00 KST on the 26th
    assert len(uid) == 21 and uid.startswith("0008120261126") and uid.isdigit()
    with pytest.raises(InvalidName):
        validate_bank("HANBIT", "81")
    with pytest.raises(InvalidName):
        validate_bank("한빛", "081")
