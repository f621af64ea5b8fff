"""The JSON enrollment as a saga with the shape of CMP (``ir`` → ``certConf``): steps, each recorded before the
next, each idempotent, keyed by the session, the CA request key (session + attempt) or the certificate serial.

============================  ========================================  ==========================================
step                          recorded as                               idempotent because
============================  ========================================  ==========================================
1. claim                      session READY → ISSUING (attempt + 1)     compare-and-set on the session version
2. issue (CA)                 CA record keyed by ``ra:<session>:<n>``   the CA returns the certificate of a key
3. charge                     bank debit ``ra-fee:<serial>``, then      bank idempotency key; ledger unique on
                              fee ledger ``charge`` of the serial       (serial, kind)
4. deliver                    session ISSUING → DELIVERED (+ deadline)  compare-and-set
5. confirm (app, signed)      session DELIVERED → CONFIRMING            compare-and-set (wins against the reaper)
6. supersede (CA)             older certificates revoked (superseded)   only issued ones older than the serial
7. fee final                  fee ledger ``final`` of the serial        unique (serial, kind)
8. done                       session CONFIRMING → ISSUED               compare-and-set
-- no confirmation in time --
5'. reap                      session DELIVERED → UNCONFIRMING          compare-and-set (wins against confirm)
6'. revoke (CA)               cessationOfOperation                      an already revoked one is left as is
7'. reverse                   bank credit ``ra-fee-reversal:<serial>``  bank idempotency key; ledger unique
                              + fee ledger ``reversal``
8'. done                      session UNCONFIRMING → UNCONFIRMED        compare-and-set
============================  ========================================  ==========================================

:mod:`jointcert.ra.reconciler` finishes whatever a crash interrupted with the same functions.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jointcert import faults
from jointcert.bank.model import NotificationEvent
from jointcert.ca.authority import IssuedCertificate
from jointcert.ca.errors import AlreadyRevoked, CertificateNotFound
from jointcert.errors import JointcertError
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import SessionClosed
from jointcert.ra.policies import fee_krw, kst_date
from jointcert.ra.ports import FeeEntry, FeeKind, RegisteredCertificate
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State
from jointcert.types import CertType

__all__ = [
    "CONFIRM_PREFIX",
    "FEE_MEMO",
    "REVERSAL_MEMO",
    "charge",
    "claim",
    "confirm_deadline",
    "confirm_message",
    "deliver",
    "delivered_certificate",
    "finish_confirmation",
    "finish_unconfirmed",
    "make_final",
    "release",
    "request_key",
    "reverse_fee",
    "spki_of",
]

CONFIRM_PREFIX = "jointcert-confirm"
FEE_MEMO = "공동인증서 범용 발급 수수료"
REVERSAL_MEMO = "공동인증서 발급 취소 수수료 환불"


def request_key(session: IssuanceSession) -> str:
    """The CA idempotency key of the session's current issuance attempt."""
    return f"ra:{session.id}:{session.data.issue_attempt}"


def confirm_message(session: IssuanceSession) -> bytes:
    """What the new key signs to confirm delivery: ``jointcert-confirm:<challenge>:<serial hex>`` (UTF-8).

    It differs from the enrollment challenge, so the enrollment's proof of possession cannot be replayed as a
    confirmation."""
    return f"{CONFIRM_PREFIX}:{session.data.enroll_challenge or ''}:{session.data.serial or ''}".encode()


def spki_of(certificate: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo (DER)."""
    return certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _serial(session: IssuanceSession) -> int:
    if session.data.serial is None:
        raise SessionClosed("The session has no certificate.")
    return int(session.data.serial, 16)


def claim(ctx: StepContext, session: IssuanceSession, supersedes: int | None) -> IssuanceSession:
    """Step 1: READY → ISSUING with a new attempt number (so a new CA request key)."""
    moved = session.moved(
        State.ISSUING,
        ctx.now(),
        issue_attempt=session.data.issue_attempt + 1,
        reissue=supersedes is not None,
    )
    claimed = ctx.sessions.save(moved, expected_version=session.version)
    faults.point("after_claim")
    return claimed


def release(ctx: StepContext, claimed: IssuanceSession) -> IssuanceSession:
    """Nothing was issued for the attempt: ISSUING → READY (the customer may enroll again)."""
    return ctx.sessions.save(claimed.moved(State.READY, ctx.now()), expected_version=claimed.version)


def charge(ctx: StepContext, session: IssuanceSession, serial: int, cert_type: CertType) -> FeeEntry | None:
    """Step 3: debit the fee once per certificate (bank key ``ra-fee:<serial>``) and write the ledger's charge.

    Returns the charge (``None`` for a free type); re-running it returns the same entry without charging again."""
    amount = fee_krw(cert_type, ctx.settings)
    if not amount:
        return None
    account = session.data.account_number or ""
    debit = ctx.bank.accounts.debit_fee(account, amount, FEE_MEMO, f"ra-fee:{serial:x}")
    entry = FeeEntry(
        uuid.uuid4().hex, serial, FeeKind.CHARGE, session.id, session.customer_id or "", account, -amount, debit.id,
        ctx.now(),
    )  # fmt: skip
    charged = ctx.fees.add(entry)
    faults.point("after_charge")
    return charged


def deliver(ctx: StepContext, claimed: IssuanceSession, issued: IssuedCertificate) -> Outcome[IssuedCertificate | None]:
    """Steps 3–4: charge, then ISSUING → DELIVERED with the confirmation deadline (not stored here: the caller
    stores it by compare-and-set). If the fee cannot be charged the certificate is revoked and the session fails."""
    try:
        charge(ctx, claimed, issued.serial, issued.cert_type)
    except JointcertError as exc:  # not paid: the certificate must not stay valid
        _revoke(ctx, issued.serial, "ra")
        return Outcome(claimed.moved(State.FAILED, ctx.now()), None, exc)
    deadline = ctx.now() + timedelta(seconds=ctx.settings.confirm_wait_seconds)
    moved = claimed.moved(
        State.DELIVERED, ctx.now(), serial=format(issued.serial, "x"), confirm_by=deadline.isoformat()
    )
    return Outcome(moved, issued)


def delivered_certificate(ctx: StepContext, session: IssuanceSession) -> IssuedCertificate:
    """The certificate the session delivered (from the CA, by the request key)."""
    issued = ctx.authority.issued_for(request_key(session))
    if issued is None:
        raise SessionClosed("The session's certificate is not known to the CA.")
    return issued


def confirm_deadline(session: IssuanceSession) -> datetime | None:
    """When the confirmation wait of a delivered session ends."""
    return None if session.data.confirm_by is None else datetime.fromisoformat(session.data.confirm_by)


def finish_confirmation(ctx: StepContext, session: IssuanceSession) -> tuple[IssuanceSession, list[int]]:
    """Steps 6–7 for a CONFIRMING session: supersede the older certificates, make the fee final, register and
    notify; returns the session moved to ISSUED (unsaved) and the superseded serials."""
    serial = _serial(session)
    superseded = ctx.authority.confirm(serial)
    faults.point("after_supersede")
    make_final(ctx, serial)
    faults.point("after_fee_final")
    _register(ctx, session, serial)
    return session.moved(State.ISSUED, ctx.now()), superseded


def finish_unconfirmed(ctx: StepContext, session: IssuanceSession, *, actor: str) -> IssuanceSession:
    """Steps 6'–7' for an UNCONFIRMING session: revoke the new certificate (cessationOfOperation), reverse the
    fee, notify the customer; returns the session moved to UNCONFIRMED (unsaved). The older certificate stays."""
    serial = _serial(session)
    _revoke(ctx, serial, actor)
    reverse_fee(ctx, serial)
    if session.customer_id:
        cert_type = CertType(session.data.cert_type or CertType.LIMITED.value)
        ctx.notifications.send(session.customer_id, NotificationEvent.UNCONFIRMED, {"cert_type": cert_type.label_ko})
    return session.moved(State.UNCONFIRMED, ctx.now())


def reverse_fee(ctx: StepContext, serial: int) -> FeeEntry | None:
    """Credit the charge of ``serial`` back (bank key ``ra-fee-reversal:<serial>``) unless it was made final."""
    entries = {entry.kind: entry for entry in ctx.fees.entries(serial)}
    charged = entries.get(FeeKind.CHARGE)
    if charged is None or FeeKind.FINAL in entries:
        return None
    amount = -charged.amount_krw
    credit = ctx.bank.accounts.refund_fee(charged.account_number, amount, REVERSAL_MEMO, f"ra-fee-reversal:{serial:x}")
    return ctx.fees.add(_settle(ctx, charged, FeeKind.REVERSAL, amount, credit.id))


def make_final(ctx: StepContext, serial: int) -> FeeEntry | None:
    """Mark the charge of ``serial`` final (the customer confirmed); nothing if reversed or never charged."""
    entries = {entry.kind: entry for entry in ctx.fees.entries(serial)}
    charged = entries.get(FeeKind.CHARGE)
    if charged is None or FeeKind.REVERSAL in entries:
        return None
    return ctx.fees.add(_settle(ctx, charged, FeeKind.FINAL, 0, None))


def _settle(ctx: StepContext, charged: FeeEntry, kind: FeeKind, amount: int, bank_entry: str | None) -> FeeEntry:
    return FeeEntry(
        uuid.uuid4().hex, charged.serial, kind, charged.session_id, charged.customer_id, charged.account_number,
        amount, bank_entry, ctx.now(),
    )  # fmt: skip


def _revoke(ctx: StepContext, serial: int, actor: str) -> None:
    with contextlib.suppress(AlreadyRevoked, CertificateNotFound):  # revoked meanwhile: the outcome is the same
        ctx.authority.revoke(serial, x509.ReasonFlags.cessation_of_operation, actor=actor)


def _register(ctx: StepContext, session: IssuanceSession, serial: int) -> None:
    """Add the certificate to the bank's list (once) and tell the customer it was issued."""
    if ctx.registry.get(serial) is not None:
        return
    customer_id, reissue = session.customer_id or "", session.data.reissue
    cert_type = CertType(session.data.cert_type or CertType.LIMITED.value)
    event = "reissued" if reissue else "issued"
    ctx.registry.add(RegisteredCertificate(serial, customer_id, cert_type, event, session.id, ctx.now()))
    issued = ctx.authority.issued_for(request_key(session))
    params = {"cert_type": cert_type.label_ko}
    if issued is not None:
        params["valid_until"] = kst_date(issued.not_after)
    kind = NotificationEvent.REISSUED if reissue else NotificationEvent.ISSUED
    ctx.notifications.send(customer_id, kind, params)
