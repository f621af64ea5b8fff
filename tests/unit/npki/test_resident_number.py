from datetime import date

import pytest

from jointcert.npki.resident_number import InvalidResidentNumber, check_digit, has_valid_check_digit, parse


@pytest.mark.parametrize(
    ("value", "born", "korean"),
    [
        ("880415-1057831", date(1988, 4, 15), True),
        ("9107222086271", date(1991, 7, 22), True),
        ("960305-6204810", date(1996, 3, 5), False),
        ("050101-3000000", date(2005, 1, 1), True),
        ("990101-9000000", date(1899, 1, 1), True),
    ],
)
def test_parse_derives_birth_date_and_nationality(value: str, born: date, korean: bool) -> None:
    number = parse(value)
    assert (number.birth_date, number.is_korean_national) == (born, korean)
    assert number.digits == value.replace("-", "")


@pytest.mark.parametrize(
    "value", ["", "880415-105783", "880415--1057831", "8804151057831x", "881315-1057831", "880230-1057831"]
)
def test_parse_refuses_malformed_numbers(value: str) -> None:
    with pytest.raises(InvalidResidentNumber):
        parse(value)


def test_repr_does_not_reveal_the_number() -> None:
    assert "1057831" not in repr(parse("880415-1057831"))


def test_check_digit_korean_and_foreign_rules() -> None:
    assert has_valid_check_digit("880415-1057831")
    assert not has_valid_check_digit("880415-1057832")
    # weighted sum 169 → 169 % 11 = 4 → Korean (11 - 4) % 10 = 7
    assert check_digit("960305220481") == "7"
    # 7th digit 6 (foreign): sum 201 → 201 % 11 = 3 → foreign (13 - 3) % 10 = 0
    assert check_digit("960305620481") == "0"
    with pytest.raises(InvalidResidentNumber):
        check_digit("12345")


@pytest.mark.parametrize("value", ["880415-105783١", "８８0415-1057831"])
def test_only_ascii_digits_are_accepted(value: str) -> None:
    with pytest.raises(InvalidResidentNumber):
        parse(value)


def test_the_ca_takes_only_the_canonical_form() -> None:
    from jointcert.npki.resident_number import validate_canonical

    assert validate_canonical("8804151057831").birth_date == date(1988, 4, 15)
    with pytest.raises(InvalidResidentNumber):
        validate_canonical("880415-1057831")
