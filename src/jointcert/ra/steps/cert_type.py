"""Choosing the certificate type: limited-use (free) or general-purpose (the fee, from the verified account).

A general-purpose choice is refused at once when the verified account cannot pay the fee (the customer can
still choose limited-use); the fee itself is charged only after the certificate is issued (see enrollment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jointcert.bank.errors import InsufficientFunds
from jointcert.ca.errors import UnknownProfile
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import AccountNotUsable
from jointcert.ra.policies import fee_krw
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State
from jointcert.types import CertType

__all__ = [
    "CertificateTypeInfo",
    "FeeQuote",
    "TypeChosen",
    "choose",
    "parse_cert_type",
    "quote",
    "require_funds",
    "type_infos",
]


@dataclass(frozen=True)
class CertificateTypeInfo:
    """A type as the choice screen lists it."""

    cert_type: str
    label_ko: str
    label_en: str
    fee_krw: int
    validity_days: int


@dataclass(frozen=True)
class TypeChosen:
    """The choice, its fee, and whether it replaces a certificate the customer already has (재발급)."""

    info: CertificateTypeInfo
    reissue: bool
    current_valid_until: datetime | None


def parse_cert_type(value: str) -> CertType:
    """``limited`` or ``general``; :class:`UnknownProfile` otherwise."""
    try:
        return CertType(value)
    except ValueError as exc:
        raise UnknownProfile(cert_type=value) from exc


def _info(ctx: StepContext, cert_type: CertType) -> CertificateTypeInfo:
    days = ctx.validity_days[cert_type.value]
    return CertificateTypeInfo(
        cert_type.value, cert_type.label_ko, cert_type.label_en, fee_krw(cert_type, ctx.settings), days
    )


def type_infos(ctx: StepContext) -> list[CertificateTypeInfo]:
    """Every type with its fee and validity."""
    return [_info(ctx, cert_type) for cert_type in CertType]


def require_funds(ctx: StepContext, session: IssuanceSession, amount: int) -> None:
    """The verified account must be active and hold ``amount``."""
    number = session.data.account_number or ""
    account = ctx.bank.accounts.get(number)
    if account is None or not account.is_active:
        raise AccountNotUsable()
    if account.balance_krw < amount:
        raise InsufficientFunds(amount_krw=amount, balance_krw=account.balance_krw, account=account.display_number)


@dataclass(frozen=True)
class FeeQuote:
    """What the debit of a type's fee would be, for the customer to confirm before choosing it."""

    cert_type: str
    fee_krw: int
    account: str  # display form
    balance_krw: int
    balance_after_krw: int  # negative: the balance does not cover the fee


def quote(ctx: StepContext, session: IssuanceSession, value: str) -> FeeQuote:
    """The fee of ``value`` against the verified account (no change to anything)."""
    info = _info(ctx, parse_cert_type(value))
    account = ctx.bank.accounts.get(session.data.account_number or "")
    if account is None or not account.is_active:
        raise AccountNotUsable()
    after = account.balance_krw - info.fee_krw
    return FeeQuote(info.cert_type, info.fee_krw, account.display_number, account.balance_krw, after)


def choose(ctx: StepContext, session: IssuanceSession, value: str) -> Outcome[TypeChosen]:
    """Record the type; refuse general-purpose when the fee cannot be paid."""
    cert_type = parse_cert_type(value)
    info = _info(ctx, cert_type)
    if info.fee_krw:
        require_funds(ctx, session, info.fee_krw)
    current = ctx.authority.active_for_holder(ctx.rrn(session), cert_type)
    moved = session.moved(State.TYPE_CHOSEN, ctx.now(), cert_type=cert_type.value, reissue=current is not None)
    return Outcome(moved, TypeChosen(info, current is not None, current.not_after if current else None))
