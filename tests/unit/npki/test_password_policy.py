import json
from datetime import date

import pytest

from jointcert.errors import InvalidInput
from jointcert.npki.password_policy import (
    ALLOWED_SYMBOLS,
    DISALLOWED_SYMBOLS,
    RULES,
    WeakPassword,
    check_password,
    policy_rules,
    require_valid_password,
)

BIRTH = date(1980, 1, 23)


def codes(password: str, **kwargs: object) -> list[str]:
    return [v.code for v in check_password(password, **kwargs)]  # type: ignore[arg-type]


# One row a rule: a password that breaks exactly that rule (and nothing else).
@pytest.mark.parametrize(
    ("password", "kwargs", "expected"),
    [
        ("Abcdef1!x", {}, ["too_short"]),
        ("Abcdef1!" + "x" * 49, {}, ["too_long"]),
        ("12345678!@", {}, ["no_letter"]),
        ("Abcdefgh!@", {}, ["no_digit"]),
        ("Abcdefgh12", {}, ["no_symbol"]),
        ("Abcdef12!'", {}, ["disallowed_symbol"]),
        ('Abcdef12!"', {}, ["disallowed_symbol"]),
        ("Abcdef12!\\", {}, ["disallowed_symbol"]),
        ("Abcdef12!|", {}, ["disallowed_symbol"]),
        ("Abcdef 12!x", {}, ["whitespace"]),
        ("Abcdef\t12!x", {}, ["whitespace"]),
        ("Abcdef12!x\u3000", {}, ["whitespace"]),
        ("Abcdef12!x한", {}, ["invalid_character"]),
        ("Abcdef12!xé", {}, ["invalid_character"]),
        ("Abcdef12!x\x00", {}, ["invalid_character"]),
        ("xHongGD77!9", {"user_id": "honggd77"}, ["contains_user_id"]),
        ("Pw!800123ab", {"birth_date": BIRTH}, ["contains_birth_date"]),
        ("Pw!19800123a", {"birth_date": BIRTH}, ["contains_birth_date"]),
    ],
)
def test_each_rule_alone(password: str, kwargs: dict[str, object], expected: list[str]) -> None:
    assert codes(password, **kwargs) == expected


@pytest.mark.parametrize(
    ("password", "kwargs"),
    [
        ("Abcdef12!x", {}),
        ("Abcdef1!" + "x" * 48, {}),  # exactly 56
        ("a1" + ALLOWED_SYMBOLS, {}),
        ("Hg!77honggd", {"user_id": "honggd77"}),
        ("Pw!8001ab23", {"birth_date": BIRTH}),
        ("ab1!cd2@ef", {"user_id": "ab"}),  # IDs under 3 characters are not checked
        ("ab1!cd2@ef", {"user_id": "   "}),
    ],
)
def test_acceptable_passwords(password: str, kwargs: dict[str, object]) -> None:
    assert codes(password, **kwargs) == []
    require_valid_password(password, **kwargs)  # type: ignore[arg-type]


def test_all_violations_are_reported_together_in_rule_order() -> None:
    found = codes("홍 '800123", user_id="홍", birth_date=BIRTH)
    assert found == [
        "too_short",
        "no_letter",
        "no_symbol",
        "disallowed_symbol",
        "whitespace",
        "invalid_character",
        "contains_birth_date",
    ]
    assert codes("", user_id="someone") == ["too_short", "no_letter", "no_digit", "no_symbol"]


def test_user_id_match_ignores_case() -> None:
    assert "contains_user_id" in codes("X!1HONGgd77a", user_id="HongGD77")


def test_require_valid_password_raises_with_every_violation() -> None:
    with pytest.raises(WeakPassword) as caught:
        require_valid_password("short")
    error = caught.value
    assert isinstance(error, InvalidInput) and error.code == "weak_password"
    assert [v["code"] for v in error.details["violations"]] == ["too_short", "no_digit", "no_symbol"]
    assert all(v["message_ko"] and v["message_en"] for v in error.details["violations"])
    json.dumps(error.to_dict(), ensure_ascii=False)


def test_policy_rules_describe_the_same_rules_as_data() -> None:
    rules = policy_rules()
    assert json.loads(json.dumps(rules)) == rules
    assert (rules["min_length"], rules["max_length"]) == (10, 56)
    assert set(rules["disallowed_symbols"]) == set(DISALLOWED_SYMBOLS) == {"'", '"', "\\", "|"}
    assert not set(rules["allowed_symbols"]) & set(rules["disallowed_symbols"])
    assert [r["code"] for r in rules["rules"]] == [r.code for r in RULES]
    assert all(r["message_ko"] and r["message_en"] for r in rules["rules"])


def test_every_rule_code_can_be_triggered() -> None:
    triggered = set(codes("Abcdef1!x")) | set(codes("A" * 60 + "1!"))
    triggered |= set(codes("홍 '\\|", user_id="abc", birth_date=BIRTH))
    triggered |= set(codes("abc800123", user_id="abc", birth_date=BIRTH))
    assert triggered == {r.code for r in RULES}
