import pytest

from jointcert.bank.errors import InvalidAccountNumber
from jointcert.bank.formats import mask_account, mask_phone, mask_user_id, normalize_account_number, phone_digits
from jointcert.bank.model import Phone, PhoneKind


@pytest.mark.parametrize(
    ("number", "masked"),
    [("010-1234-5678", "010-****-5678"), ("02-314-7785", "02-***-7785"), ("01012345678", "*******5678")],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked
    assert Phone("p", number, PhoneKind.MOBILE).masked == masked


@pytest.mark.parametrize(
    ("user_id", "masked"), [("hongildong", "ho******ng"), ("minjun88", "mi****88"), ("abc", "a*c"), ("ab", "**")]
)
def test_mask_user_id_keeps_only_the_ends(user_id: str, masked: str) -> None:
    assert mask_user_id(user_id) == masked


def test_phone_digits() -> None:
    assert phone_digits("010-2718-4406") == "01027184406"


def test_account_number_normalisation() -> None:
    assert normalize_account_number("110-482-915307") == "110482915307"
    assert normalize_account_number(" 110 482 915307") == "110482915307"
    for bad in ["110-482", "110-482-91530a", "", "1" * 17]:
        with pytest.raises(InvalidAccountNumber):
            normalize_account_number(bad)


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("1002-345-678901", "1002-***-**8901"),
        ("110-482-915307", "110-***-**5307"),
        ("100234567890", "1002****7890"),
    ],
)
def test_mask_account_keeps_the_first_group_and_last_four(number: str, shown: str) -> None:
    assert mask_account(number) == shown
