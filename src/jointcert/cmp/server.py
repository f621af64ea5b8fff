"""Server side: headers and bodies of responses (ip/cp/kup, rp, pkiconf, genp, pollRep, error).

Typical use (the endpoint's server logic decides *whether*; this builds *what*)::

    request = parse_message(der)                        # CmpError → error_response_for(exc, exc.header)
    verify_pbm(request, secret)                          # ir: senderKID = reference number
    proof = verify_pop(request.body.requests[0])         # or hand proof to the CA as SignatureProof
    r = extract_random_num(request.body.requests[0].template)
    header = response_header(request.header, sender=ca_name, message_time=clock.now())
    return encode_message(header, cert_rep_body(BodyType.IP, [cert_response(0, cert)], ca_pubs=chain),
                          protection=PbmProtection(secret))
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.cmp import _asn1 as a
from jointcert.cmp.codec import encode_message
from jointcert.cmp.errors import CmpError, FailInfo, PkiStatus
from jointcert.cmp.model import (
    EMPTY_NAME,
    BodyType,
    CertId,
    CertRepBody,
    CertResponse,
    ErrorBody,
    GenMsgBody,
    GenRepBody,
    PkiHeader,
    RevRepBody,
    StatusInfo,
    TypedValue,
)
from jointcert.cmp.oids import ID_IT_CA_CERTS
from jointcert.cmp.protection import Protection
from jointcert.errors import ErrorKind, JointcertError

__all__ = [
    "NONCE_LENGTH",
    "accepted",
    "ca_certs_value",
    "cert_rep_body",
    "cert_response",
    "error_body_for",
    "error_response_for",
    "genp_for",
    "rejection",
    "response_header",
    "rev_rep_body",
    "status_info_for",
]

NONCE_LENGTH = 16

_KIND_FAIL_INFO = {
    ErrorKind.INVALID: FailInfo.BAD_REQUEST,
    ErrorKind.NOT_FOUND: FailInfo.BAD_CERT_ID,
    ErrorKind.CONFLICT: FailInfo.BAD_REQUEST,
    ErrorKind.AUTHENTICATION: FailInfo.BAD_MESSAGE_CHECK,
    ErrorKind.DENIED: FailInfo.NOT_AUTHORIZED,
    ErrorKind.LOCKED: FailInfo.NOT_AUTHORIZED,
    ErrorKind.EXPIRED: FailInfo.NOT_AUTHORIZED,
    ErrorKind.UNAVAILABLE: FailInfo.SYSTEM_UNAVAIL,
    ErrorKind.INTERNAL: FailInfo.SYSTEM_FAILURE,
}


def response_header(
    request: PkiHeader | None,
    *,
    sender: x509.Name = EMPTY_NAME,
    message_time: datetime | None = None,
    sender_kid: bytes | None = None,
    implicit_confirm: bool = False,
    confirm_wait_time: datetime | None = None,
) -> PkiHeader:
    """The header answering ``request``: same pvno and transactionID, recipient = its sender, recipNonce = its
    senderNonce, a fresh senderNonce. ``implicit_confirm`` grants implicit confirmation (only when asked)."""
    request = request or PkiHeader()
    return PkiHeader(
        sender=sender,
        recipient=request.sender,
        pvno=request.pvno if request.pvno in (2, 3) else 2,
        transaction_id=request.transaction_id,
        sender_nonce=secrets.token_bytes(NONCE_LENGTH),
        recip_nonce=request.sender_nonce,
        sender_kid=sender_kid,
        recip_kid=request.sender_kid,
        message_time=message_time,
        implicit_confirm=implicit_confirm,
        confirm_wait_time=confirm_wait_time,
    )


def accepted(*text: str) -> StatusInfo:
    """status accepted."""
    return StatusInfo(PkiStatus.ACCEPTED, text=text)


def rejection(fail_info: FailInfo, *text: str) -> StatusInfo:
    """status rejection with one failInfo bit."""
    return StatusInfo(PkiStatus.REJECTION, frozenset({fail_info}), text)


def cert_response(cert_req_id: int, certificate: x509.Certificate) -> CertResponse:
    """An accepted CertResponse carrying ``certificate``."""
    return CertResponse(cert_req_id, accepted(), certificate)


def cert_rep_body(
    kind: BodyType, responses: Iterable[CertResponse], *, ca_pubs: Iterable[x509.Certificate] = ()
) -> CertRepBody:
    """ip, cp or kup. ``ca_pubs`` (ip only, by RFC 9483) are the CA certificates the requester should trust."""
    if kind not in (BodyType.IP, BodyType.CP, BodyType.KUP):
        raise CmpError(f"{kind} is not a certificate response.", fail_info=FailInfo.SYSTEM_FAILURE)
    return CertRepBody(kind, tuple(responses), tuple(ca_pubs))


def rev_rep_body(status: StatusInfo, cert_id: CertId | None = None) -> RevRepBody:
    """rp for one revocation request."""
    return RevRepBody((status,), (cert_id,) if cert_id is not None and status.accepted else ())


def ca_certs_value(certificates: Iterable[x509.Certificate]) -> bytes:
    """DER of CaCertsValue (SEQUENCE OF CMPCertificate), the genp answer to id-it-caCerts."""
    return a.tlv(0x30, b"".join(cert.public_bytes(Encoding.DER) for cert in certificates))


def genp_for(genm: GenMsgBody, *, ca_certs: Iterable[x509.Certificate]) -> GenRepBody:
    """The genp answering ``genm``: id-it-caCerts gets ``ca_certs``; any other infoType (caProtEncCert,
    signKeyPairTypes, …) is echoed without a value, i.e. "nothing to say" (RFC 4210 §5.3.19 lets the
    responder omit what it does not support)."""
    certs = tuple(ca_certs)
    items = tuple(
        TypedValue(item.oid, ca_certs_value(certs)) if item.oid == ID_IT_CA_CERTS else TypedValue(item.oid)
        for item in genm.items
    )
    return GenRepBody(items)


def status_info_for(exc: BaseException) -> StatusInfo:
    """The rejection to answer ``exc`` with: a CmpError's own failInfo, another JointcertError's by its kind,
    anything else systemFailure (whose text never reaches the peer)."""
    if isinstance(exc, CmpError):  # English first (what openssl shows), then Korean
        return rejection(exc.fail_info, *dict.fromkeys((exc.text_en, exc.text_ko)))
    if isinstance(exc, JointcertError):
        return rejection(_KIND_FAIL_INFO[exc.kind], exc.text_en)
    return rejection(FailInfo.SYSTEM_FAILURE, JointcertError.message_en)


def error_body_for(exc: BaseException) -> ErrorBody:
    """The error body for ``exc``: status, and the error's stable code as errorDetails."""
    code = exc.code if isinstance(exc, JointcertError) else JointcertError.code
    return ErrorBody(status_info_for(exc), details=(code,))


def error_response_for(
    exc: BaseException,
    request_header: PkiHeader | None = None,
    *,
    sender: x509.Name = EMPTY_NAME,
    message_time: datetime | None = None,
    protection: Protection | None = None,
) -> bytes:
    """DER ``error`` PKIMessage answering ``exc`` (for the request whose header is ``request_header``, else the
    header a :class:`CmpError` captured while parsing, else none).

    Unprotected unless ``protection`` is given: protect it (e.g. with the request's PBM secret) when the request's
    own protection verified; an unprotected error is what to send when it did not (openssl accepts those only with
    ``-unprotected_errors``).
    """
    if request_header is None and isinstance(exc, CmpError):
        request_header = exc.header
    header = response_header(request_header, sender=sender, message_time=message_time)
    return encode_message(header, error_body_for(exc), protection=protection)
