"""Step 7b — 보안카드: the screen asks two digits each of two cells; the same challenge stays until answered,
a wrong answer gets a fresh one (so asking again and again cannot fish for cells the customer knows)."""

from __future__ import annotations

from dataclasses import dataclass

from jointcert.bank.model import CellPart, SecondFactorKind, SecurityCardChallenge
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import StepOutOfOrder, WrongCredential
from jointcert.ra.ports import Credential
from jointcert.ra.session import CardChallenge, IssuanceSession
from jointcert.ra.steps.app_cert import SecondFactorPassed, require_method
from jointcert.ra.workflow import State, Step

__all__ = ["CardPrompt", "answer", "challenge"]


@dataclass(frozen=True)
class CardPrompt:
    """What the screen shows, e.g. ``[07]번 앞 2자리, [23]번 뒤 2자리`` for card …3056."""

    card_serial_tail: str
    cell_a: int
    part_a: str
    cell_b: int
    part_b: str
    prompt_ko: str


def _stored(c: SecurityCardChallenge) -> CardChallenge:
    return CardChallenge(c.card_serial_tail, c.cell_a, c.part_a.value, c.cell_b, c.part_b.value)


def _bank(c: CardChallenge) -> SecurityCardChallenge:
    return SecurityCardChallenge(c.serial_tail, c.cell_a, c.cell_b, CellPart(c.part_a), CellPart(c.part_b))


def _prompt(c: CardChallenge) -> CardPrompt:
    return CardPrompt(c.serial_tail, c.cell_a, c.part_a, c.cell_b, c.part_b, _bank(c).prompt_ko)


def challenge(ctx: StepContext, session: IssuanceSession) -> Outcome[CardPrompt]:
    """The session's open challenge, or a new one."""
    customer_id = session.customer_id or ""
    require_method(ctx, customer_id, SecondFactorKind.SECURITY_CARD)
    stored = session.data.card_challenge
    if stored is None:
        stored = _stored(ctx.bank.second_factors.security_card_challenge(customer_id))
    return Outcome(session.moved(session.state, ctx.now(), card_challenge=stored), _prompt(stored))


def answer(ctx: StepContext, session: IssuanceSession, value: str) -> Outcome[SecondFactorPassed | None]:
    """Check the 4 digits against the open challenge."""
    customer_id, stored = session.customer_id or "", session.data.card_challenge
    if stored is None:
        raise StepOutOfOrder(
            "Ask for the security-card challenge first.", step=Step.SECURITY_CARD.value, needs=Step.CARD_CHALLENGE.value
        )
    factors, asked = ctx.bank.second_factors, _bank(stored)
    try:
        ctx.lockouts.check(
            Credential.SECURITY_CARD,
            customer_id,
            customer_id,
            lambda: factors.verify_security_card(customer_id, asked, value),
        )
    except WrongCredential as wrong:  # the next try gets a new challenge
        return Outcome(session.moved(session.state, ctx.now(), card_challenge=None), None, wrong)
    moved = session.moved(
        State.SECOND_FACTOR_DONE, ctx.now(), card_challenge=None, second_factor=SecondFactorKind.SECURITY_CARD.value
    )
    return Outcome(moved, SecondFactorPassed(SecondFactorKind.SECURITY_CARD.value, "confirm_contact"))
