"""``rr`` (self-revocation, signed by the certificate being revoked) and ``genm`` (id-it-caCerts)."""

from __future__ import annotations

from cryptography import x509

from jointcert.cmp.enrollment import authenticate_pbm
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.exchange import Deps, Exchange
from jointcert.cmp.model import CertId, CrlReason, GenMsgBody, RevReqBody
from jointcert.cmp.ports import TransactionRecord, TransactionState
from jointcert.cmp.protection import ProtectionKind, protection_kind, verify_signature
from jointcert.cmp.server import accepted, genp_for, rev_rep_body
from jointcert.cmp.signers import trusted_signer

__all__ = ["general", "reason_flag", "revoke"]


def reason_flag(reason: CrlReason | None) -> x509.ReasonFlags:
    """The x509 reason for a CRLReason (absent = unspecified)."""
    return x509.ReasonFlags.unspecified if reason is None else x509.ReasonFlags[reason.name.lower()]


def revoke(deps: Deps, ex: Exchange) -> bytes:
    """rr signed by a valid certificate of ours that names itself → revoked with the given reason → rp."""
    message = ex.message
    if protection_kind(message) is not ProtectionKind.SIGNATURE:
        raise CmpError(
            "A revocation request must be signed with the certificate being revoked.",
            fail_info=FailInfo.WRONG_INTEGRITY,
            message_ko="폐지 요청은 폐지할 인증서로 서명되어야 합니다.",
        )
    signer = verify_signature(message)
    ex.facts["serial"] = format(signer.serial_number, "x")
    record = trusted_signer(deps, signer)
    ex.protection = deps.signature()
    body = message.body
    assert isinstance(body, RevReqBody)
    if len(body.requests) != 1:
        raise CmpError("Exactly one revocation request per message is supported.", fail_info=FailInfo.BAD_REQUEST)
    details = body.requests[0]
    if details.serial != signer.serial_number or details.issuer not in (None, signer.issuer):
        raise CmpError(
            "Only self-revocation is offered: the request must name the certificate that signs it.",
            fail_info=FailInfo.NOT_AUTHORIZED,
            message_ko="본인 인증서만 폐지할 수 있습니다. 요청에 서명한 인증서를 지정하세요.",
        )
    reason = reason_flag(details.reason)
    ex.facts["reason"] = reason.value
    transaction_id = message.header.transaction_id or b""
    deps.transactions.open(
        TransactionRecord(transaction_id, "rr", "signature", TransactionState.OPEN, deps.clock.now())
    )
    try:
        deps.authority.revoke(record.serial, reason, actor="cmp:self")
    except BaseException:
        deps.transactions.discard(transaction_id)
        raise
    deps.transactions.transition(
        transaction_id, from_states=(TransactionState.OPEN,), to_state=TransactionState.CLOSED, at=deps.clock.now()
    )
    return ex.reply(deps, rev_rep_body(accepted(), CertId.of(signer)))[0]


def general(deps: Deps, ex: Exchange) -> bytes:
    """genm → genp (id-it-caCerts: the issuing CA and the root). Unprotected or signed requests get a signed
    answer; a PBM-protected one must come with an active registration and gets a PBM answer."""
    message = ex.message
    kind = protection_kind(message)
    if kind is ProtectionKind.PBM:
        authenticate_pbm(deps, ex)
    elif kind is ProtectionKind.SIGNATURE:
        verify_signature(message)
        ex.protection = deps.signature()
    body = message.body
    assert isinstance(body, GenMsgBody)
    return ex.reply(deps, genp_for(body, ca_certs=deps.ca_certificates))[0]
