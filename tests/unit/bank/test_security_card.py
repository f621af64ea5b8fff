import random

import pytest

from jointcert.bank.model import CellPart, SecurityCardChallenge
from jointcert.bank.sandbox.security_card import (
    answer_matches,
    decode_cells,
    encode_cells,
    make_challenge,
    serial_tail,
    valid_cells,
)
from jointcert.errors import InvalidInput

CELLS = tuple(f"{1000 + 37 * i:04d}" for i in range(30))  # 1000, 1037, 1074, ...
SERIAL = "0042-7718-3056"


def test_challenge_picks_two_different_cells_in_range() -> None:
    rng = random.Random(1)
    seen: set[int] = set()
    for _ in range(300):
        c = make_challenge(SERIAL, 35, rng)
        assert c.cell_a != c.cell_b
        assert 1 <= c.cell_a <= 35 and 1 <= c.cell_b <= 35
        assert (c.part_a, c.part_b, c.card_serial_tail) == (CellPart.FIRST_TWO, CellPart.LAST_TWO, "3056")
        seen |= {c.cell_a, c.cell_b}
    assert seen == set(range(1, 36))


def test_answer_is_first_two_of_a_then_last_two_of_b() -> None:
    challenge = SecurityCardChallenge(card_serial_tail="3056", cell_a=2, cell_b=3)  # 1037, 1074
    assert answer_matches(SERIAL, CELLS, challenge, "1074")
    assert not answer_matches(SERIAL, CELLS, challenge, "1010")  # first two of both
    assert not answer_matches(SERIAL, CELLS, challenge, "3774")  # last two of A
    assert not answer_matches(SERIAL, CELLS, challenge, "107")
    assert not answer_matches(SERIAL, CELLS, challenge, "10 74")
    assert not answer_matches("0042-7718-9999", CELLS, challenge, "1074")  # another card
    assert challenge.prompt_ko == "[02]번 앞 2자리, [03]번 뒤 2자리"


@pytest.mark.parametrize(("a", "b"), [(0, 3), (2, 31), (3, 3)])
def test_out_of_range_or_same_cells_never_match(a: int, b: int) -> None:
    assert not answer_matches(SERIAL, CELLS, SecurityCardChallenge("3056", a, b), "1074")


def test_cells_encoding() -> None:
    assert decode_cells(encode_cells(CELLS)) == CELLS
    assert valid_cells(CELLS) and not valid_cells(CELLS[:29]) and not valid_cells((*CELLS[:29], "12a4"))
    with pytest.raises(InvalidInput):
        encode_cells(CELLS[:10])
    assert serial_tail("12-34-5678") == "5678"
