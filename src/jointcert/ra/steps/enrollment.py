"""Enrollment: the key pair is made on the client; the RA hands out a challenge bound to the session, the client
signs it with the new key (proof of possession) and sends its SPKI and R; or the RA registers the applicant at
the CA and hands out a CMP reference number + authorization code instead.

Fee order (general-purpose): the balance is checked, the certificate is issued, *then* the fee is debited
(idempotency key = the session), and only then is the certificate handed out. If the CA fails nothing is
charged (the session goes back to READY, so the customer can retry); if the debit fails the new certificate is
revoked at once and the session fails. The CMP path does the same with the registration: a ticket whose fee
could not be charged is never shown and expires unused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from jointcert.bank.model import LedgerEntry, NotificationEvent
from jointcert.ca.authority import IssuanceRequest, IssuedCertificate, SignatureProof
from jointcert.ca.errors import BadProofOfPossession
from jointcert.ca.validate import validate_public_key
from jointcert.errors import JointcertError
from jointcert.npki.vid import RANDOM_NUM_LENGTH
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import CmpUnavailable, MalformedInput
from jointcert.ra.policies import fee_krw, kst_date
from jointcert.ra.ports import RegisteredCertificate
from jointcert.ra.session import IssuanceSession
from jointcert.ra.steps.cert_type import require_funds
from jointcert.ra.workflow import State
from jointcert.types import CertType

__all__ = [
    "CHALLENGE_PREFIX",
    "CmpTicket",
    "EnrollmentChallenge",
    "FeeCharged",
    "Issued",
    "challenge",
    "enroll",
    "issued_view",
    "register_cmp",
    "verify_pop",
]

CHALLENGE_PREFIX = "jointcert-enroll"
FEE_MEMO = "공동인증서 범용 발급 수수료"


@dataclass(frozen=True)
class EnrollmentChallenge:
    """The exact text (UTF-8) the new key must sign, the type and the fee that will be charged."""

    challenge: str
    cert_type: str
    fee_krw: int
    expires_at: datetime


@dataclass(frozen=True)
class FeeCharged:
    """The fee's ledger entry."""

    amount_krw: int
    ledger_id: str
    balance_after_krw: int


@dataclass(frozen=True)
class Issued:
    """An issued certificate as the client receives it."""

    certificate_der: bytes
    chain_der: tuple[bytes, ...]  # issuing CA, root
    serial: int
    cert_type: CertType
    not_before: datetime
    not_after: datetime
    subject: str
    reissue: bool
    superseded_serial: int | None
    fee: FeeCharged | None


@dataclass(frozen=True)
class CmpTicket:
    """For CMP clients: enroll with ``ir`` under this reference number (senderKID) and authorization code."""

    reference_number: str
    authorization_code: str
    cert_type: str
    expires_at: datetime
    fee: FeeCharged | None


def issued_view(chain: tuple[bytes, ...], issued: IssuedCertificate, fee: FeeCharged | None) -> Issued:
    """The client's view of an issued certificate."""
    return Issued(
        issued.der,
        chain,
        issued.serial,
        issued.cert_type,
        issued.not_before,
        issued.not_after,
        issued.certificate.subject.rfc4514_string(),
        issued.superseded_serial is not None,
        issued.superseded_serial,
        fee,
    )


def verify_pop(public_key_der: bytes, message: bytes, signature: bytes) -> None:
    """The key must be acceptable and the signature (PKCS#1 v1.5, SHA-256) by it over ``message`` must verify."""
    key = validate_public_key(public_key_der)
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise BadProofOfPossession() from exc


def challenge(ctx: StepContext, session: IssuanceSession) -> Outcome[EnrollmentChallenge]:
    """The session's enrollment challenge (made once)."""
    text = session.data.enroll_challenge or f"{CHALLENGE_PREFIX}:{session.id}:{secrets.token_hex(16)}"
    cert_type = CertType(session.data.cert_type or "")
    moved = session.moved(State.READY, ctx.now(), enroll_challenge=text)
    value = EnrollmentChallenge(text, cert_type.value, fee_krw(cert_type, ctx.settings), session.expires_at)
    return Outcome(moved, value)


def _charge(ctx: StepContext, session: IssuanceSession, amount: int) -> FeeCharged | None:
    if not amount:
        return None
    entry: LedgerEntry = ctx.bank.accounts.debit_fee(
        session.data.account_number or "", amount, FEE_MEMO, f"ra-fee:{session.id}"
    )
    return FeeCharged(-entry.amount_krw, entry.id, entry.balance_after_krw)


def _claim(ctx: StepContext, session: IssuanceSession, cert_type: CertType) -> IssuanceSession:
    amount = fee_krw(cert_type, ctx.settings)
    if amount:
        require_funds(ctx, session, amount)
    return ctx.sessions.save(session.moved(State.ISSUING, ctx.now()), expected_version=session.version)


def _revert(ctx: StepContext, claimed: IssuanceSession) -> None:
    ctx.sessions.save(claimed.moved(State.READY, ctx.now()), expected_version=claimed.version)


def enroll(
    ctx: StepContext, session: IssuanceSession, *, public_key_der: bytes, random_num: bytes, signature: bytes
) -> Outcome[Issued | None]:
    """Issue through the CA (channel ``api``), charge the fee, record and notify."""
    cert_type = CertType(session.data.cert_type or "")
    if len(random_num) != RANDOM_NUM_LENGTH:
        raise MalformedInput(f"R (random_num) must be {RANDOM_NUM_LENGTH} bytes.", field="random_num")
    message = (session.data.enroll_challenge or "").encode()
    verify_pop(public_key_der, message, signature)  # before anything is recorded or charged
    customer, rrn = ctx.customer(session), ctx.rrn(session)
    claimed = _claim(ctx, session, cert_type)
    request = IssuanceRequest(
        cert_type, customer.name, rrn, random_num, public_key_der, SignatureProof(message, signature), "api"
    )
    try:
        issued = ctx.authority.issue(request)
    except BaseException:
        _revert(ctx, claimed)  # nothing issued, nothing charged: the customer may try again
        raise
    try:
        fee = _charge(ctx, claimed, fee_krw(cert_type, ctx.settings))
    except JointcertError as exc:  # not paid: the certificate must not stay valid
        ctx.authority.revoke(issued.serial, x509.ReasonFlags.cessation_of_operation, actor="ra")
        return Outcome(claimed.moved(State.FAILED, ctx.now()), None, exc)
    _record(ctx, claimed, issued)
    moved = claimed.moved(
        State.ISSUED,
        ctx.now(),
        serial=format(issued.serial, "x"),
        reissue=issued.superseded_serial is not None,
        fee_ledger_id=fee.ledger_id if fee else None,
    )
    return Outcome(moved, issued_view(ctx.chain, issued, fee))


def _record(ctx: StepContext, session: IssuanceSession, issued: IssuedCertificate) -> None:
    customer_id = session.customer_id or ""
    reissue = issued.superseded_serial is not None
    ctx.registry.add(
        RegisteredCertificate(
            issued.serial,
            customer_id,
            issued.cert_type,
            "reissued" if reissue else "issued",
            session.id,
            ctx.now(),
        )
    )
    event = NotificationEvent.REISSUED if reissue else NotificationEvent.ISSUED
    params = {"cert_type": issued.cert_type.label_ko, "valid_until": kst_date(issued.not_after)}
    ctx.notifications.send(customer_id, event, params)


def register_cmp(ctx: StepContext, session: IssuanceSession) -> Outcome[CmpTicket | None]:
    """Register the applicant at the CA for CMP enrollment; charge the fee; hand out the ticket."""
    if ctx.registrar is None:
        raise CmpUnavailable()
    cert_type = CertType(session.data.cert_type or "")
    customer, rrn = ctx.customer(session), ctx.rrn(session)
    claimed = _claim(ctx, session, cert_type)
    try:
        ticket = ctx.registrar.register(
            real_name=customer.name, rrn=rrn, cert_type=cert_type, requested_by=f"ra:{session.id}"
        )
    except BaseException:
        _revert(ctx, claimed)
        raise
    try:
        fee = _charge(ctx, claimed, fee_krw(cert_type, ctx.settings))
    except JointcertError as exc:  # the ticket is withheld and expires unused
        return Outcome(claimed.moved(State.FAILED, ctx.now()), None, exc)
    moved = claimed.moved(State.REGISTERED, ctx.now(), fee_ledger_id=fee.ledger_id if fee else None)
    value = CmpTicket(ticket.reference_number, ticket.authorization_code, cert_type.value, ticket.expires_at, fee)
    return Outcome(moved, value)
