"""certConf handling and the sweeper that revokes certificates nobody confirmed in time.

After ``ip``/``cp``/``kup`` the transaction is ``waiting`` until ``now + CmpSettings.confirm_wait_seconds`` (sent
as confirmWaitTime). An accepting certConf (certHash checked) confirms it — older certificates of the holder are
superseded only then — and is answered by ``pkiConf``; a rejecting one revokes it (and is answered by ``pkiConf``
too, RFC 9810 §5.3.18). No certConf in time: :func:`revoke_unconfirmed` revokes it (``serve`` runs it at start and
in its background loop). The state lives in the database, so a restart does not forget a waiting certificate.
Race with a late certConf: both sides change the state with a conditional update, so exactly one wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac

from cryptography import x509

from jointcert import faults
from jointcert.ca.errors import AlreadyRevoked
from jointcert.ca.ports import RecordStatus
from jointcert.cmp.confirm import check_cert_hash
from jointcert.cmp.errors import CmpError, CmpProtectionFailed, FailInfo
from jointcert.cmp.exchange import SECRET_PURPOSE, Deps, Exchange, fingerprint
from jointcert.cmp.model import CertConfBody, CertStatus, PkiConfBody
from jointcert.cmp.ports import TransactionRecord, TransactionState
from jointcert.cmp.protection import ProtectionKind, protection_kind, verify_pbm, verify_signature

__all__ = ["confirm", "request_key", "revoke_unconfirmed"]

_WAITING = (TransactionState.WAITING,)


def _bad(text: str, text_ko: str, fail_info: FailInfo = FailInfo.BAD_REQUEST) -> CmpError:
    return CmpError(text, fail_info=fail_info, message_ko=text_ko)


def _authenticate(deps: Deps, ex: Exchange, tx: TransactionRecord) -> None:
    """The certConf must be protected like the request that opened the transaction."""
    message = ex.message
    if tx.protection == "pbm":
        if tx.secret_ciphertext is None:
            raise _bad("The transaction is finished.", "이미 끝난 트랜잭션입니다.")
        if protection_kind(message) is not ProtectionKind.PBM:
            raise _bad(
                "certConf must be protected like its request (PBM).", "PBM 보호가 필요합니다.", FailInfo.WRONG_INTEGRITY
            )
        secret = deps.pii.decrypt(tx.secret_ciphertext, SECRET_PURPOSE).encode()
        verify_pbm(message, secret)
        ex.protection = deps.pbm(secret)
        return
    if protection_kind(message) is not ProtectionKind.SIGNATURE:
        raise _bad("certConf must be signed like its request.", "서명 보호가 필요합니다.", FailInfo.WRONG_INTEGRITY)
    signer = verify_signature(message)
    if tx.signer_sha256 is None or not hmac.compare_digest(fingerprint(signer), tx.signer_sha256):
        raise CmpProtectionFailed("certConf is not signed by the requester.", fail_info=FailInfo.SIGNER_NOT_TRUSTED)
    ex.protection = deps.signature()


def _statuses(ex: Exchange, tx: TransactionRecord, paired: bool) -> tuple[CertStatus | None, CertStatus | None]:
    """The status of the signing certificate and, for a sign + km pair, of the km certificate (any other
    certReqId). An empty certConf accepts nothing."""
    body = ex.message.body
    assert isinstance(body, CertConfBody)
    sign = [s for s in body.statuses if s.cert_req_id == tx.cert_req_id]
    other = [s for s in body.statuses if s.cert_req_id != tx.cert_req_id]
    if len(sign) > 1 or len(other) > (1 if paired else 0) or (other and not sign):
        raise _bad("certConf must answer exactly the certificates issued.", "발급한 인증서에 대해서만 확인해야 합니다.")
    return (sign[0] if sign else None), (other[0] if other else None)


def confirm(deps: Deps, ex: Exchange) -> bytes:
    """certConf → pkiConf (or an error: unknown/finished transaction, wrong nonce, wrong certHash, too late)."""
    header = ex.message.header
    tx = deps.transactions.get(header.transaction_id or b"")
    if tx is None or tx.serial is None:
        raise _bad("No certificate of this transaction waits for a confirmation.", "확인을 기다리는 인증서가 없습니다.")
    ex.facts["serial"] = format(tx.serial, "x")
    _authenticate(deps, ex, tx)
    if tx.state is not TransactionState.WAITING:
        raise _bad(f"The transaction is {tx.state.value}.", "확인을 기다리는 트랜잭션이 아닙니다.")
    if header.recip_nonce is None or not hmac.compare_digest(header.recip_nonce, tx.response_nonce or b""):
        raise _bad(
            "recipNonce is not the senderNonce of our response.", "recipNonce가 다릅니다.", FailInfo.BAD_RECIPIENT_NONCE
        )
    record = deps.authority.certificate(tx.serial)
    certificate = None if record is None else record.certificate
    if record is None or certificate is None:
        raise _bad(
            "The certificate of this transaction is unknown.", "인증서를 찾을 수 없습니다.", FailInfo.SYSTEM_FAILURE
        )
    pair = deps.authority.pair_of(tx.serial)
    status, km_status = _statuses(ex, tx, pair is not None)
    now = deps.clock.now()
    if status is None or not status.accepted or (km_status is not None and not km_status.accepted):
        if deps.transactions.transition(
            tx.transaction_id, from_states=_WAITING, to_state=TransactionState.REJECTED, at=now
        ):
            _revoke(deps, tx.serial, "cmp:rejected")
        ex.facts["outcome"] = "rejected"
        return ex.reply(deps, PkiConfBody())[0]
    check_cert_hash(status, certificate)
    km_certificate = None if pair is None else pair.certificate
    if km_status is not None and km_certificate is not None:
        check_cert_hash(km_status, km_certificate)
    moved = deps.transactions.transition(
        tx.transaction_id, from_states=_WAITING, to_state=TransactionState.SUPERSEDING, at=now, deadline_after=now
    )
    if not moved:
        if not _revoke_one(deps, tx):
            raise _bad("The transaction is no longer waiting.", "확인을 기다리는 트랜잭션이 아닙니다.")
        raise _bad(
            "The confirmation came after the wait time: the certificate was revoked.",
            "확인 대기 시간이 지나 인증서를 폐지했습니다.",
        )
    faults.point("cmp_after_conf")
    _supersede(deps, tx)
    ex.facts["outcome"] = "confirmed"
    return ex.reply(deps, PkiConfBody())[0]


def _revoke(deps: Deps, serial: int, actor: str) -> None:
    with contextlib.suppress(AlreadyRevoked):  # revoked meanwhile (rr, operator): the outcome is the same
        deps.authority.revoke(serial, x509.ReasonFlags.cessation_of_operation, actor=actor)


def _revoke_one(deps: Deps, tx: TransactionRecord) -> bool:
    """waiting (past its deadline) → revoking → unconfirmed, revoking the certificate in between."""
    now = deps.clock.now()
    if tx.state is TransactionState.WAITING and not deps.transactions.transition(
        tx.transaction_id, from_states=_WAITING, to_state=TransactionState.REVOKING, at=now
    ):
        return False  # confirmed or rejected meanwhile
    if tx.serial is not None:
        _revoke(deps, tx.serial, "cmp:unconfirmed")
    deps.transactions.transition(
        tx.transaction_id, from_states=(TransactionState.REVOKING,), to_state=TransactionState.UNCONFIRMED, at=now
    )
    return True


def _supersede(deps: Deps, tx: TransactionRecord) -> None:
    """superseding → confirmed, superseding the holder's older certificates in between (idempotent)."""
    if tx.serial is not None:
        deps.authority.confirm(tx.serial)
    deps.transactions.transition(
        tx.transaction_id,
        from_states=(TransactionState.SUPERSEDING,),
        to_state=TransactionState.CONFIRMED,
        at=deps.clock.now(),
    )


def request_key(transaction_id: bytes) -> str:
    """The CA idempotency key of the certificate a transaction issues."""
    return f"cmp:{hashlib.sha256(transaction_id).hexdigest()[:40]}"


def _abandon(deps: Deps, tx: TransactionRecord) -> int | None:
    """An open transaction a crash cut short: revoke what the CA issued for it (the client never got it)."""
    issued = deps.authority.record_for(request_key(tx.transaction_id))
    serial = None
    if issued is not None and issued.status is RecordStatus.ISSUED:
        _revoke(deps, issued.serial, "cmp:abandoned")
        serial = issued.serial
    deps.transactions.discard(tx.transaction_id)
    return serial


def revoke_unconfirmed(deps: Deps) -> list[int]:
    """Revoke every certificate whose confirmation wait time has passed (and what crashed requests issued),
    finish confirmations a crash cut short; return the revoked serials."""
    revoked: list[int] = []
    now = deps.clock.now()
    for tx in deps.transactions.overdue(now, open_before=now - deps.confirm_wait):
        if tx.state is TransactionState.SUPERSEDING:
            _supersede(deps, tx)
        elif tx.state is TransactionState.OPEN:
            if (serial := _abandon(deps, tx)) is not None:
                revoked.append(serial)
        elif _revoke_one(deps, tx) and tx.serial is not None:
            revoked.append(tx.serial)
    return revoked
