"""Client side: request headers and bodies (ir/cr/kur, rr, certConf, genm) and reading the answers.

Typical enrolment (``client/`` wraps HTTP around it)::

    header = request_header(sender=subject, recipient=ca_name, sender_kid=reference.encode(), message_time=now)
    request = new_cert_request(key, subject=subject, random_num=r)
    ir = encode_message(header, CertReqBody(BodyType.IR, (request,)), protection=PbmProtection(code))
    reply = parse_message(post(ir)); check_response(header, reply); verify_pbm(reply, code)
    cert = issued_certificate(reply, request.cert_req_id)
    conf_header = follow_up_header(header, reply.header, message_time=now)
    conf = encode_message(conf_header, cert_conf(cert, request.cert_req_id), protection=PbmProtection(code))
"""

from __future__ import annotations

import secrets
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jointcert.cmp import _asn1 as a
from jointcert.cmp.confirm import certificate_hash
from jointcert.cmp.errors import CmpError, CmpRejected, FailInfo, PkiStatus
from jointcert.cmp.model import (
    EMPTY_NAME,
    AlgorithmId,
    CertConfBody,
    CertId,
    CertRepBody,
    CertRequest,
    CertStatus,
    CertTemplate,
    CrlReason,
    ErrorBody,
    Extension,
    GenMsgBody,
    GenRepBody,
    PkiHeader,
    PkiMessage,
    RevDetails,
    RevRepBody,
    RevReqBody,
    StatusInfo,
    TypedValue,
)
from jointcert.cmp.oids import ID_IT_CA_CERTS
from jointcert.cmp.pop import sign_cert_request
from jointcert.cmp.random_num import random_num_extension

__all__ = [
    "NONCE_LENGTH",
    "ca_certs_from",
    "cert_conf",
    "check_response",
    "follow_up_header",
    "genm_ca_certs",
    "issued_certificate",
    "new_cert_request",
    "request_header",
    "revocation_request",
    "revocation_status",
]

NONCE_LENGTH = 16


def request_header(
    *,
    sender: x509.Name = EMPTY_NAME,
    recipient: x509.Name = EMPTY_NAME,
    sender_kid: bytes | None = None,
    message_time: datetime | None = None,
    implicit_confirm: bool = False,
    pvno: int = 2,
) -> PkiHeader:
    """The header of a transaction's first request: a fresh transactionID and senderNonce."""
    return PkiHeader(
        sender=sender,
        recipient=recipient,
        pvno=pvno,
        transaction_id=secrets.token_bytes(NONCE_LENGTH),
        sender_nonce=secrets.token_bytes(NONCE_LENGTH),
        sender_kid=sender_kid,
        message_time=message_time,
        implicit_confirm=implicit_confirm,
    )


def follow_up_header(request: PkiHeader, response: PkiHeader, *, message_time: datetime | None = None) -> PkiHeader:
    """The header of the next request in the same transaction (certConf, pollReq): same transactionID,
    recipNonce = the response's senderNonce, a fresh senderNonce."""
    return PkiHeader(
        sender=request.sender,
        recipient=request.recipient,
        pvno=request.pvno,
        transaction_id=request.transaction_id,
        sender_nonce=secrets.token_bytes(NONCE_LENGTH),
        recip_nonce=response.sender_nonce,
        sender_kid=request.sender_kid,
        message_time=message_time,
    )


def new_cert_request(
    private_key: PrivateKeyTypes,
    *,
    subject: x509.Name,
    cert_req_id: int = 0,
    random_num: bytes | None = None,
    extensions: tuple[Extension, ...] = (),
    old_certificate: x509.Certificate | None = None,
) -> CertRequest:
    """A CertRequest for ``private_key``'s public key with a signature POP; R (when given) rides as the
    randomNum template extension, ``old_certificate`` (kur) becomes the oldCertId control."""
    spki = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if random_num is not None:
        extensions = (*extensions, random_num_extension(random_num))
    request = CertRequest(
        cert_req_id=cert_req_id,
        template=CertTemplate(subject=subject, public_key=spki, extensions=extensions),
        old_cert_id=CertId.of(old_certificate) if old_certificate is not None else None,
    )
    return sign_cert_request(request, private_key)


def cert_conf(
    certificate: x509.Certificate,
    cert_req_id: int = 0,
    *,
    reject: FailInfo | None = None,
    hash_alg: AlgorithmId | None = None,
    more: tuple[tuple[x509.Certificate, int], ...] = (),
) -> CertConfBody:
    """certConf accepting ``certificate`` (or rejecting it with ``reject``), and with it every certificate of
    ``more`` (certificate, certReqId): the km certificate of a sign + km pair. ``hash_alg`` needs pvno 3."""
    status = StatusInfo(PkiStatus.REJECTION, frozenset({reject})) if reject is not None else None
    return CertConfBody(
        tuple(
            CertStatus(certificate_hash(cert, hash_alg), req_id, status, hash_alg)
            for cert, req_id in ((certificate, cert_req_id), *more)
        )
    )


def revocation_request(certificate: x509.Certificate, reason: CrlReason | None = None) -> RevReqBody:
    """rr for ``certificate`` (serial and issuer, as RFC 9483 §4.2 asks)."""
    template = CertTemplate(serial=certificate.serial_number, issuer=certificate.issuer)
    return RevReqBody((RevDetails(template, reason),))


def genm_ca_certs() -> GenMsgBody:
    """genm asking for the CA certificates (id-it-caCerts, RFC 9480)."""
    return GenMsgBody((TypedValue(ID_IT_CA_CERTS),))


def check_response(request: PkiHeader, response: PkiMessage) -> None:
    """Check that ``response`` answers ``request`` (transactionID, recipNonce) and is not an ``error``:
    :class:`CmpError` (badRecipientNonce/badRequest) or :class:`CmpRejected` with the peer's failInfo."""
    if isinstance(response.body, ErrorBody):
        raise _rejected(response.body.status)
    if response.header.transaction_id != request.transaction_id:
        raise CmpError("The response belongs to another transaction.", fail_info=FailInfo.BAD_REQUEST)
    if response.header.recip_nonce != request.sender_nonce:
        raise CmpError("The response's recipNonce is wrong.", fail_info=FailInfo.BAD_RECIPIENT_NONCE)


def _is_korean(text: str) -> bool:
    return any("\uac00" <= char <= "\ud7a3" for char in text)


def _rejected(status: StatusInfo) -> CmpRejected:
    """The peer's rejection; its statusString texts (our server sends English, then Korean) split by language, so
    the English message does not repeat the Korean one."""
    fail = min(status.fail_info) if status.fail_info else FailInfo.BAD_REQUEST
    korean = [text for text in status.text if _is_korean(text)]
    english = "; ".join(text for text in status.text if not _is_korean(text))
    bits = sorted(bit.rfc_name for bit in status.fail_info)
    return CmpRejected(
        english or "The CMP server rejected the request.",
        fail_info=fail,
        message_ko="; ".join(korean) or None,
        status=status.status.name.lower(),
        fail_infos=bits,
    )


def issued_certificate(response: PkiMessage, cert_req_id: int = 0) -> x509.Certificate:
    """The certificate an ip/cp/kup grants for ``cert_req_id``; :class:`CmpRejected` for an error or a
    rejection, :class:`CmpError` when the response is not a certificate response for it."""
    body = response.body
    if isinstance(body, ErrorBody):
        raise _rejected(body.status)
    if not isinstance(body, CertRepBody):
        raise CmpError(f"Expected a certificate response, got {body.type}.", fail_info=FailInfo.BAD_REQUEST)
    for item in body.responses:
        if item.cert_req_id != cert_req_id:
            continue
        if not item.status.accepted:
            raise _rejected(item.status)
        if item.certificate is None:
            raise CmpError("The response carries no certificate.", fail_info=FailInfo.BAD_DATA_FORMAT)
        return item.certificate
    raise CmpError(f"No response for certReqId {cert_req_id}.", fail_info=FailInfo.BAD_REQUEST)


def revocation_status(response: PkiMessage) -> StatusInfo:
    """The status an rp gives the (single) revocation request; :class:`CmpRejected` if rejected."""
    body = response.body
    if isinstance(body, ErrorBody):
        raise _rejected(body.status)
    if not isinstance(body, RevRepBody) or not body.statuses:
        raise CmpError("Expected a revocation response.", fail_info=FailInfo.BAD_REQUEST)
    if not body.statuses[0].accepted:
        raise _rejected(body.statuses[0])
    return body.statuses[0]


def ca_certs_from(response: PkiMessage) -> tuple[x509.Certificate, ...]:
    """The certificates of a genp's id-it-caCerts (empty when the server sent none)."""
    body = response.body
    if isinstance(body, ErrorBody):
        raise _rejected(body.status)
    if not isinstance(body, GenRepBody):
        raise CmpError("Expected a genp.", fail_info=FailInfo.BAD_REQUEST)
    item = next((i for i in body.items if i.oid == ID_IT_CA_CERTS and i.value is not None), None)
    if item is None or item.value is None:
        return ()
    try:
        seq = a.read_tlv(item.value, 0, len(item.value))
        if seq[0] != 0x30 or seq[3] != len(item.value):
            raise CmpError("caCerts is not a SEQUENCE.", fail_info=FailInfo.BAD_DATA_FORMAT)
        return tuple(a.load_certificate(item.value[s:e]) for _, s, _, e in a.children(item.value, seq))
    except a.DECODE_ERRORS as exc:
        raise CmpError("caCerts holds a malformed certificate.", fail_info=FailInfo.BAD_DATA_FORMAT) from exc
