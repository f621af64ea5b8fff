"""Security cards (보안카드): 30 or 35 numbered cells of 4 digits; the bank asks two digits each of two cells.

As Korean banks ask it: the first two digits of cell A and the last two of cell B (``[07]번 앞 2자리,
[23]번 뒤 2자리``); the answer is those four digits in that order. The cells are a secret like a password:
the sandbox stores them only encrypted (AES-GCM under the instance key, bound to the customer).
"""

from __future__ import annotations

import hmac
import random
import re

from jointcert.bank.model import CellPart, SecurityCardChallenge
from jointcert.errors import InvalidInput

__all__ = [
    "CELL_COUNTS",
    "answer_matches",
    "decode_cells",
    "encode_cells",
    "make_challenge",
    "serial_tail",
    "valid_cells",
]

CELL_COUNTS = (30, 35)
_CELL = re.compile(r"\d{4}")
_ANSWER = re.compile(r"\d{4}")


def valid_cells(cells: tuple[str, ...]) -> bool:
    """True for a card of 30 or 35 cells of exactly 4 digits each."""
    return len(cells) in CELL_COUNTS and all(_CELL.fullmatch(c) for c in cells)


def encode_cells(cells: tuple[str, ...]) -> str:
    """Text form of the cells (to be encrypted before storing)."""
    if not valid_cells(cells):
        raise InvalidInput("A security card has 30 or 35 cells of 4 digits.")
    return ",".join(cells)


def decode_cells(text: str) -> tuple[str, ...]:
    """Inverse of :func:`encode_cells`."""
    return tuple(text.split(","))


def serial_tail(serial: str) -> str:
    """The last four digits of a card serial number, shown so the customer takes the right card."""
    return "".join(ch for ch in serial if ch.isdigit())[-4:]


def make_challenge(serial: str, cell_count: int, rng: random.Random) -> SecurityCardChallenge:
    """Two different random cells; first two digits of the first, last two of the second."""
    cell_a, cell_b = rng.sample(range(1, cell_count + 1), 2)
    return SecurityCardChallenge(card_serial_tail=serial_tail(serial), cell_a=cell_a, cell_b=cell_b)


def _part(cell: str, part: CellPart) -> str:
    return cell[:2] if part is CellPart.FIRST_TWO else cell[2:]


def answer_matches(serial: str, cells: tuple[str, ...], challenge: SecurityCardChallenge, answer: str) -> bool:
    """Whether ``answer`` answers ``challenge`` for this card (constant time in the cell contents)."""
    in_range = all(1 <= n <= len(cells) for n in (challenge.cell_a, challenge.cell_b))
    if not in_range or challenge.cell_a == challenge.cell_b:
        return False
    expected = _part(cells[challenge.cell_a - 1], challenge.part_a) + _part(
        cells[challenge.cell_b - 1], challenge.part_b
    )
    well_formed = _ANSWER.fullmatch(answer) is not None
    same_card = hmac.compare_digest(serial_tail(serial), challenge.card_serial_tail)
    return hmac.compare_digest(expected, answer if well_formed else "----") and well_formed and same_card
