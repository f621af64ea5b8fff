"""The CMP server: :meth:`CmpService.handle` takes a DER PKIMessage and returns the DER answer, always.

| request | protection | answer |
|---|---|---|
| ``ir`` / ``cr`` | PBM, senderKID = reference number, secret = authorization code | ``ip`` / ``cp`` (PBM) |
| ``kur`` | signature by a valid certificate of ours (the one renewed) | ``kup`` (signed by the issuing CA) |
| ``certConf`` | like the request that opened the transaction | ``pkiConf`` |
| ``rr`` | signature by the certificate being revoked | ``rp`` |
| ``genm`` (caCerts) | none, signature, or PBM with an active registration | ``genp`` |

Everything refused is answered by an ``error`` message whose failInfo says why (see ``docs/cmp.md`` for the table);
it is protected like the request once the request's own protection verified, and unprotected before. Every refusal
writes one audit event (``cmp.refused``) with the body type, failInfo, error code and identifiers — never a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509

from jointcert.ca.authority import CertificateAuthority
from jointcert.ca.errors import AlreadyRevoked, BadProofOfPossession, KeyReused, WeakKey
from jointcert.ca.keys import CaSigner
from jointcert.ca.ports import AuditStore
from jointcert.ca.registration import RegistrationService
from jointcert.clock import Clock
from jointcert.cmp import confirmation, enrollment, revocation
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.exchange import Deps, Exchange
from jointcert.cmp.model import BodyType, ErrorBody, PkiHeader, PkiMessage, StatusInfo
from jointcert.cmp.ports import TransactionStore
from jointcert.cmp.protection import Protection, ProtectionKind, protection_kind
from jointcert.cmp.server import rejection, response_header, status_info_for
from jointcert.config import CmpSettings
from jointcert.errors import JointcertError
from jointcert.pii import PiiProtector

__all__ = ["MAX_CLOCK_SKEW", "MAX_TRANSACTION_ID", "CmpService", "SweepReport"]

log = logging.getLogger(__name__)
MAX_CLOCK_SKEW = timedelta(minutes=10)  # messageTime further from our clock → badTime
MAX_TRANSACTION_ID = 64  # bytes; RFC 9483 asks for 128 bits
MIN_NONCE = 8  # bytes; RFC 9483 asks for 128 bits, openssl sends 16

_HANDLERS: dict[BodyType, Callable[[Deps, Exchange], bytes]] = {
    BodyType.IR: enrollment.enroll,
    BodyType.CR: enrollment.enroll,
    BodyType.KUR: enrollment.renew,
    BodyType.CERT_CONF: confirmation.confirm,
    BodyType.RR: revocation.revoke,
    BodyType.GENM: revocation.general,
}
# domain errors whose failInfo is more specific than their kind's (server.status_info_for maps kinds)
_FAIL_INFO: tuple[tuple[type[JointcertError], FailInfo], ...] = (
    (WeakKey, FailInfo.BAD_CERT_TEMPLATE),
    (KeyReused, FailInfo.BAD_CERT_TEMPLATE),
    (BadProofOfPossession, FailInfo.BAD_POP),
    (AlreadyRevoked, FailInfo.CERT_REVOKED),
)


def failure_status(exc: BaseException) -> tuple[StatusInfo, str]:
    """The rejection status and stable error code answering ``exc`` (internals never reach the peer)."""
    if isinstance(exc, JointcertError) and not isinstance(exc, CmpError):
        for kind, fail_info in _FAIL_INFO:
            if isinstance(exc, kind):
                return rejection(fail_info, exc.text_en), exc.code
    code = exc.code if isinstance(exc, JointcertError) else JointcertError.code
    return status_info_for(exc), code


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: certificates revoked for want of a certConf, registrations expired."""

    revoked_serials: list[int]
    expired_references: list[str]


class CmpService:
    """CMP over the CA pipeline and the registrations: bytes in, bytes out, never an exception."""

    def __init__(
        self,
        *,
        authority: CertificateAuthority,
        registrations: RegistrationService,
        transactions: TransactionStore,
        audit: AuditStore,
        pii: PiiProtector,
        clock: Clock,
        settings: CmpSettings,
        issuer: CaSigner,
        chain: tuple[x509.Certificate, ...],
        max_clock_skew: timedelta = MAX_CLOCK_SKEW,
        renewal_window: timedelta | None = None,
    ) -> None:
        if settings.confirm_wait_seconds < 1:
            raise ValueError("confirm_wait_seconds must be positive")
        self._deps = Deps(
            authority, registrations, transactions, audit, pii, clock, settings, issuer, chain, renewal_window
        )
        self._skew = max_clock_skew

    @property
    def ca_name(self) -> x509.Name:
        """The name the server answers as (the issuing CA)."""
        return self._deps.issuer.name

    def handle(self, request_der: bytes, *, peer: str | None = None) -> bytes:
        """Answer one DER PKIMessage with a DER PKIMessage (an ``error`` for anything refused)."""
        facts: dict[str, object] = {} if peer is None else {"peer": peer[:64]}
        try:
            message = parse_message(request_der)
        except Exception as exc:
            header = exc.header if isinstance(exc, CmpError) else None
            return self._refuse(exc, header, None, {"body": "undecodable", **facts})
        exchange = Exchange(message, peer, facts=facts)
        try:
            self._check_header(message.header)
            handler = _HANDLERS.get(message.type)
            if handler is None:
                raise CmpError(f"{message.type} is not a request this server answers.", fail_info=FailInfo.BAD_REQUEST)
            answer = handler(self._deps, exchange)
        except Exception as exc:
            data = {"body": message.type.value, **exchange.facts}
            return self._refuse(exc, message.header, exchange.protection or self._error_protection(message), data)
        self._audit("cmp.answered", message.header, {"body": message.type.value, **exchange.facts})
        return answer

    def sweep(self, *, actor: str = "scheduler") -> SweepReport:
        """Revoke certificates whose certConf did not come in time; expire registrations past their time."""
        revoked = confirmation.revoke_unconfirmed(self._deps)
        expired = self._deps.registrations.expire_due(actor=actor)
        return SweepReport(revoked, expired)

    # --- checks and answers ------------------------------------------------------------------------------------
    def _check_header(self, header: PkiHeader) -> None:
        tid = header.transaction_id
        if not tid or len(tid) > MAX_TRANSACTION_ID:
            raise CmpError("transactionID is missing or too long.", fail_info=FailInfo.BAD_REQUEST)
        if header.sender_nonce is None or len(header.sender_nonce) < MIN_NONCE:
            raise CmpError("senderNonce is missing or too short.", fail_info=FailInfo.BAD_SENDER_NONCE)
        if header.message_time is not None and abs(header.message_time - self._deps.clock.now()) > self._skew:
            raise CmpError("messageTime is too far from the server's time.", fail_info=FailInfo.BAD_TIME)

    def _error_protection(self, message: PkiMessage) -> Protection | None:
        """Before the request's own protection verified: a PBM request gets an unprotected error (we cannot use a
        secret we did not confirm), anything else an error signed by the issuing CA (openssl then needs no
        ``-unprotected_errors``)."""
        try:
            kind = protection_kind(message)
        except CmpError:
            kind = ProtectionKind.PBM
        return None if kind is ProtectionKind.PBM else self._deps.signature()

    def _refuse(
        self, exc: BaseException, header: PkiHeader | None, protection: Protection | None, data: dict[str, object]
    ) -> bytes:
        if not isinstance(exc, JointcertError):
            log.exception("unexpected error answering a CMP request", exc_info=exc)
        status, code = failure_status(exc)
        fail_info = sorted(bit.rfc_name for bit in status.fail_info)
        self._audit("cmp.refused", header, {**data, "fail_info": fail_info, "code": code})
        body = ErrorBody(status, details=(code,))
        try:
            reply = response_header(header, sender=self.ca_name, message_time=self._deps.clock.now())
            return encode_message(reply, body, protection=protection)
        except Exception:  # a header we cannot echo, or protection that fails: answer with a bare header
            log.exception("could not build the CMP error response; answering without the request's header")
            return encode_message(response_header(None, sender=self.ca_name), body)

    def _audit(self, kind: str, header: PkiHeader | None, data: dict[str, object]) -> None:
        if header is not None and header.transaction_id:
            data["transaction_id"] = header.transaction_id[:MAX_TRANSACTION_ID].hex()
        try:
            self._deps.audit.append(self._deps.event(kind, "cmp", data))
        except Exception:  # the answer must still go out; the operator sees the log
            log.exception("could not write the CMP audit event %s", kind)
