"""Enrollment: the key pair is made on the client; the RA hands out a challenge bound to the session, the client
signs it with the new key (proof of possession) and sends its SPKI and R; or the RA registers the applicant at
the CA and hands out a CMP reference number + authorization code instead.

The JSON path has the shape of CMP (``ir`` → ``certConf``) and runs as the saga of :mod:`jointcert.ra.saga`:
the certificate is issued (superseding nothing yet), the fee is charged once per certificate serial and the
certificate is delivered; a retry on the same session returns the same certificate and fee entry. Only the app's
confirmation (:func:`confirm`, signed by the new key) supersedes the older certificate and makes the fee final;
without it the reconciler revokes the new certificate and reverses the fee (docs/crash-safety.md). If the CA fails
nothing is charged (the session goes back to READY); if the debit fails the new certificate is revoked at once and
the session fails. The CMP path charges at registration (key = the session): a ticket whose fee could not be
charged is never shown and expires unused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jointcert import faults
from jointcert.bank.formats import mask_account
from jointcert.bank.model import LedgerEntry
from jointcert.ca.authority import IssuanceRequest, IssuedCertificate, SignatureProof
from jointcert.ca.errors import BadProofOfPossession
from jointcert.ca.validate import validate_public_key
from jointcert.errors import JointcertError
from jointcert.npki.vid import RANDOM_NUM_LENGTH
from jointcert.ra import saga
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import CmpUnavailable, ConfirmationLate, EnrollmentKeyMismatch, MalformedInput
from jointcert.ra.policies import fee_krw
from jointcert.ra.session import IssuanceSession
from jointcert.ra.steps.cert_type import require_funds
from jointcert.ra.workflow import State
from jointcert.types import CertType

__all__ = [
    "CHALLENGE_PREFIX",
    "CmpTicket",
    "Confirmed",
    "EnrollmentChallenge",
    "FeeCharged",
    "Issued",
    "KmKey",
    "challenge",
    "confirm",
    "enroll",
    "issued_view",
    "register_cmp",
    "validate_public_key_der",
    "verify_pop",
]

CHALLENGE_PREFIX = "jointcert-enroll"


@dataclass(frozen=True)
class EnrollmentChallenge:
    """The exact text (UTF-8) the new key must sign, the type and the fee that will be charged."""

    challenge: str
    cert_type: str
    fee_krw: int
    expires_at: datetime


@dataclass(frozen=True)
class FeeCharged:
    """The fee's ledger entry: what the receipt shows (the account masked)."""

    amount_krw: int
    ledger_id: str
    balance_after_krw: int
    account: str  # masked display number, e.g. 1002-***-**8901
    charged_at: datetime


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
    km_certificate_der: bytes | None = None  # the encryption certificate of a sign + km pair (kmCert.der)
    km_serial: int | None = None


@dataclass(frozen=True)
class KmKey:
    """The encryption key of a sign + km pair: its SPKI and its signature over the enrollment challenge."""

    public_key_der: bytes
    signature: bytes

    @staticmethod
    def of(public_key_der: bytes | None, signature: bytes | None) -> KmKey | None:
        """Both or neither: a km key without its signature (or the reverse) is malformed input."""
        if public_key_der is None and signature is None:
            return None
        if public_key_der is None or signature is None:
            raise MalformedInput(
                "km_public_key and km_signature go together.",
                field="km_signature" if signature is None else "km_public_key",
            )
        return KmKey(public_key_der, signature)


@dataclass(frozen=True)
class Confirmed:
    """The app confirmed the certificate: it is final; ``superseded`` lists the serials revoked for it."""

    serial: int
    superseded: tuple[int, ...]


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
        None if issued.km is None else issued.km.der,
        None if issued.km is None else issued.km.serial,
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
    state = State.DELIVERED if session.state is State.DELIVERED else State.READY
    moved = session.moved(state, ctx.now(), enroll_challenge=text)
    value = EnrollmentChallenge(text, cert_type.value, fee_krw(cert_type, ctx.settings), session.expires_at)
    return Outcome(moved, value)


def _claim(ctx: StepContext, session: IssuanceSession, cert_type: CertType) -> IssuanceSession:
    amount = fee_krw(cert_type, ctx.settings)
    if amount:
        require_funds(ctx, session, amount)
    return ctx.sessions.save(session.moved(State.ISSUING, ctx.now()), expected_version=session.version)


def _charge(ctx: StepContext, session: IssuanceSession, amount: int) -> FeeCharged | None:
    if not amount:
        return None
    entry: LedgerEntry = ctx.bank.accounts.debit_fee(
        session.data.account_number or "", amount, saga.FEE_MEMO, f"ra-fee:{session.id}"
    )
    return _receipt(ctx, entry)


def _receipt(ctx: StepContext, entry: LedgerEntry) -> FeeCharged:
    """The receipt of a fee's ledger entry (the account as printed in the passbook, masked)."""
    account = ctx.bank.accounts.get(entry.account_number)
    shown = account.display_number if account is not None else entry.account_number
    return FeeCharged(-entry.amount_krw, entry.id, entry.balance_after_krw, mask_account(shown), entry.created_at)


def _revert(ctx: StepContext, claimed: IssuanceSession) -> None:
    ctx.sessions.save(claimed.moved(State.READY, ctx.now()), expected_version=claimed.version)


def _fee(ctx: StepContext, session: IssuanceSession, issued: IssuedCertificate) -> FeeCharged | None:
    """The fee of a delivered certificate, for the client (re-running the charge only replays it)."""
    amount = fee_krw(issued.cert_type, ctx.settings)
    if not amount:
        return None
    account = session.data.account_number or ""
    entry: LedgerEntry = ctx.bank.accounts.debit_fee(account, amount, saga.FEE_MEMO, f"ra-fee:{issued.serial:x}")
    return _receipt(ctx, entry)


def _delivered(ctx: StepContext, session: IssuanceSession, issued: IssuedCertificate) -> Outcome[Issued | None]:
    older = None if session.data.supersedes is None else int(session.data.supersedes, 16)
    fee = _fee(ctx, session, issued)
    view = issued_view(ctx.chain, replace(issued, superseded_serial=older), fee)
    return Outcome(session.moved(session.state, ctx.now(), fee_ledger_id=fee.ledger_id if fee else None), view)


def enroll(
    ctx: StepContext,
    session: IssuanceSession,
    *,
    public_key_der: bytes,
    random_num: bytes,
    signature: bytes,
    km: KmKey | None = None,
) -> Outcome[Issued | None]:
    """Issue through the CA (channel ``api``, supersede only at confirmation), charge the fee, deliver. With
    ``km`` the CA issues the sign + km pair in one unit (one fee: the pair is one certificate product).

    A retry on a DELIVERED session returns the same certificate and the same fee entry."""
    if session.state is State.DELIVERED:
        issued = saga.delivered_certificate(ctx, session)
        if saga.spki_of(issued.certificate) != validate_public_key_der(public_key_der):
            raise EnrollmentKeyMismatch()
        return _delivered(ctx, session, issued)
    cert_type = CertType(session.data.cert_type or "")
    if len(random_num) != RANDOM_NUM_LENGTH:
        raise MalformedInput(f"R (random_num) must be {RANDOM_NUM_LENGTH} bytes.", field="random_num")
    message = (session.data.enroll_challenge or "").encode()
    verify_pop(public_key_der, message, signature)  # before anything is recorded or charged
    if km is not None:
        verify_pop(km.public_key_der, message, km.signature)
    customer, rrn = ctx.customer(session), ctx.rrn(session)
    if amount := fee_krw(cert_type, ctx.settings):
        require_funds(ctx, session, amount)
    older = ctx.authority.active_for_holder(rrn, cert_type)
    marked = session.moved(session.state, ctx.now(), supersedes=None if older is None else format(older.serial, "x"))
    claimed = saga.claim(ctx, marked, None if older is None else older.serial)
    request = IssuanceRequest(
        cert_type, customer.name, rrn, random_num, public_key_der, SignatureProof(message, signature), "api",
        confirm_later=True, request_key=saga.request_key(claimed),
        km_public_key_der=None if km is None else km.public_key_der,
        km_pop=None if km is None else SignatureProof(message, km.signature),
    )  # fmt: skip
    try:
        issued = ctx.authority.issue(request)
    except BaseException:
        saga.release(ctx, claimed)  # nothing issued, nothing charged: the customer may try again
        raise
    outcome = saga.deliver(ctx, claimed, issued)
    if outcome.value is None:
        return Outcome(outcome.session, None, outcome.error)
    return _delivered(ctx, outcome.session, outcome.value)


def confirm(ctx: StepContext, session: IssuanceSession, *, signature: bytes) -> Outcome[Confirmed]:
    """certConf for the JSON path: the new key's signature over :func:`saga.confirm_message`; only now are the
    older certificates superseded and the fee final."""
    issued = saga.delivered_certificate(ctx, session)
    deadline = saga.confirm_deadline(session)
    if deadline is not None and ctx.now() >= deadline:
        raise ConfirmationLate()
    verify_pop(saga.spki_of(issued.certificate), saga.confirm_message(session), signature)
    claimed = ctx.sessions.save(session.moved(State.CONFIRMING, ctx.now()), expected_version=session.version)
    faults.point("after_confirm_claim")
    done, superseded = saga.finish_confirmation(ctx, claimed)
    return Outcome(done, Confirmed(issued.serial, tuple(superseded)))


def validate_public_key_der(public_key_der: bytes) -> bytes:
    """The SPKI DER of an acceptable key, re-encoded (so two encodings of one key compare equal)."""
    key = validate_public_key(public_key_der)
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


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
