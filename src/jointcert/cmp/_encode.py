"""Typed values → pyasn1 → DER: PKIHeader, every PKIBody this codec handles, CertRequest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from pyasn1.type import univ

from jointcert.cmp import _asn1 as a
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.model import (
    Body,
    CertConfBody,
    CertRepBody,
    CertReqBody,
    CertRequest,
    CertResponse,
    CertTemplate,
    ErrorBody,
    Extension,
    GenMsgBody,
    GenRepBody,
    PkiConfBody,
    PkiHeader,
    PollRepBody,
    PollReqBody,
    Pop,
    PopKind,
    RevRepBody,
    RevReqBody,
    TypedValue,
)
from jointcert.cmp.oids import (
    ID_CE_CRL_REASONS,
    ID_IT_CONFIRM_WAIT_TIME,
    ID_IT_IMPLICIT_CONFIRM,
    ID_REG_CTRL_OLD_CERT_ID,
)

__all__ = ["encode_body_der", "encode_cert_request", "encode_header"]


def encode_header(header: PkiHeader) -> Any:
    """A pyasn1 PKIHeader."""
    h = a.rfc9810.PKIHeader()
    h["pvno"] = header.pvno
    a.name_into(h["sender"]["directoryName"], header.sender)
    a.name_into(h["recipient"]["directoryName"], header.recipient)
    if header.message_time is not None:
        h["messageTime"] = a.time_to(h["messageTime"], header.message_time)
    if header.protection_alg is not None:
        a.alg_to(h["protectionAlg"], header.protection_alg)
    for name, value in (
        ("senderKID", header.sender_kid), ("recipKID", header.recip_kid),
        ("transactionID", header.transaction_id), ("senderNonce", header.sender_nonce),
        ("recipNonce", header.recip_nonce),
    ):  # fmt: skip
        if value is not None:
            h[name] = value
    if header.free_text:
        a.free_text_to(h["freeText"], header.free_text)
    items = list(header.general_info)
    if header.implicit_confirm:
        items.append(TypedValue(ID_IT_IMPLICIT_CONFIRM, a.encode(univ.Null(""))))
    if header.confirm_wait_time is not None:
        wait = a.encode(a.time_to(a.generalized_time(), header.confirm_wait_time))
        items.append(TypedValue(ID_IT_CONFIRM_WAIT_TIME, wait))
    for item in items:
        _typed_into(h["generalInfo"], a.rfc9810.InfoTypeAndValue(), item, "infoType", "infoValue")
    return h


def _typed_into(slot: Any, entry: Any, item: TypedValue, type_field: str, value_field: str) -> None:
    entry[type_field] = univ.ObjectIdentifier(item.oid)
    if item.value is not None:
        entry[value_field] = univ.Any(item.value)
    slot.append(entry)


def _template_into(t: Any, template: CertTemplate) -> None:
    if template.version is not None:
        t["version"] = template.version
    if template.serial is not None:
        t["serialNumber"] = template.serial
    if template.issuer is not None:
        a.name_into(t["issuer"], template.issuer)
    if template.not_before is not None:
        t["validity"]["notBefore"]["generalTime"] = a.time_to(a.generalized_time(), template.not_before)
    if template.not_after is not None:
        t["validity"]["notAfter"]["generalTime"] = a.time_to(a.generalized_time(), template.not_after)
    if template.subject is not None:
        a.name_into(t["subject"], template.subject)
    if template.public_key is not None:
        spki = a.decode(template.public_key, a.rfc5280.SubjectPublicKeyInfo(), "public key")
        t["publicKey"]["algorithm"] = spki["algorithm"]
        t["publicKey"]["subjectPublicKey"] = spki["subjectPublicKey"]
    if template.extensions:
        a.extensions_to(t["extensions"], template.extensions)


def _cert_request(request: CertRequest) -> Any:
    req = a.rfc4211.CertRequest()
    req["certReqId"] = request.cert_req_id
    _template_into(req["certTemplate"], request.template)
    controls = list(request.controls)
    if request.old_cert_id is not None and not any(c.oid == ID_REG_CTRL_OLD_CERT_ID for c in controls):
        old = a.cert_id_into(a.rfc4211.CertId(), request.old_cert_id)
        controls.append(TypedValue(ID_REG_CTRL_OLD_CERT_ID, a.encode(old)))
    for control in controls:
        _typed_into(req["controls"], a.rfc4211.AttributeTypeAndValue(), control, "type", "value")
    return req


def encode_cert_request(request: CertRequest) -> bytes:
    """DER of the CertRequest part of ``request`` (the input of a signature POP)."""
    return a.encode(_cert_request(request))


def _pop_into(slot: Any, pop: Pop) -> None:
    if pop.kind is PopKind.RA_VERIFIED:
        slot["raVerified"] = ""
        return
    if pop.kind is not PopKind.SIGNATURE or pop.algorithm is None or pop.signature is None:
        raise CmpError(f"Cannot encode a {pop.kind} proof of possession.", fail_info=FailInfo.BAD_POP)
    sig = slot["signature"]
    a.alg_to(sig["algorithmIdentifier"], pop.algorithm)
    sig["signature"] = univ.BitString.fromOctetString(pop.signature)


def _cert_requests(content: Any, body: CertReqBody) -> None:
    for request in body.requests:
        msg = a.rfc4211.CertReqMsg()
        msg["certReq"] = _cert_request(request)
        if request.pop is not None:
            _pop_into(msg["popo"], request.pop)
        for info in request.reg_info:
            _typed_into(msg["regInfo"], a.rfc4211.AttributeTypeAndValue(), info, "type", "value")
        content.append(msg)


def _crl_extensions(reason: int | None, extensions: tuple[Extension, ...]) -> tuple[Extension, ...]:
    if reason is None or any(e.oid == ID_CE_CRL_REASONS for e in extensions):
        return extensions
    return (Extension(ID_CE_CRL_REASONS, False, a.encode(a.rfc5280.CRLReason(int(reason)))), *extensions)


def _rev_requests(content: Any, body: RevReqBody) -> None:
    for request in body.requests:
        item = a.rfc9810.RevDetails()
        _template_into(item["certDetails"], request.cert_details)
        extensions = _crl_extensions(request.reason, request.crl_entry_extensions)
        if extensions:
            a.extensions_to(item["crlEntryDetails"], extensions)
        content.append(item)


def _cert_conf(content: Any, body: CertConfBody) -> None:
    for status in body.statuses:
        item = a.rfc9810.CertStatus()
        item["certHash"] = status.cert_hash
        item["certReqId"] = status.cert_req_id
        if status.status is not None:
            a.status_to(item["statusInfo"], status.status)
        if status.hash_alg is not None:
            a.alg_to(item["hashAlg"], status.hash_alg)
        content.append(item)


def _info_items(content: Any, body: GenMsgBody | GenRepBody) -> None:
    for item in body.items:
        _typed_into(content, a.rfc9810.InfoTypeAndValue(), item, "infoType", "infoValue")


def _rev_rep(content: Any, body: RevRepBody) -> None:
    for status in body.statuses:
        content["status"].append(a.status_to(a.rfc9810.PKIStatusInfo(), status))
    for cert_id in body.rev_certs:
        content["revCerts"].append(a.cert_id_into(a.rfc4211.CertId(), cert_id))


def _error(content: Any, body: ErrorBody) -> None:
    a.status_to(content["pKIStatusInfo"], body.status)
    if body.error_code is not None:
        content["errorCode"] = body.error_code
    if body.details:
        a.free_text_to(content["errorDetails"], body.details)


def _poll_req(content: Any, body: PollReqBody) -> None:
    for cert_req_id in body.cert_req_ids:
        entry = content.componentType.clone()
        entry["certReqId"] = cert_req_id
        content.append(entry)


def _poll_rep(content: Any, body: PollRepBody) -> None:
    for poll in body.entries:
        entry = content.componentType.clone()
        entry["certReqId"] = poll.cert_req_id
        entry["checkAfter"] = poll.check_after
        if poll.reason:
            a.free_text_to(entry["reason"], poll.reason)
        content.append(entry)


_ENCODERS: dict[type[Any], Callable[[Any, Any], None]] = {
    CertReqBody: _cert_requests,
    RevReqBody: _rev_requests,
    RevRepBody: _rev_rep,
    CertConfBody: _cert_conf,
    GenMsgBody: _info_items,
    GenRepBody: _info_items,
    ErrorBody: _error,
    PollReqBody: _poll_req,
    PollRepBody: _poll_rep,
}


def _cert_response_der(response: CertResponse) -> bytes:
    """DER CertResponse with the certificate's own DER spliced in (CertifiedKeyPair { certificate [0] })."""
    content = a.encode(univ.Integer(response.cert_req_id)) + a.encode(
        a.status_to(a.rfc9810.PKIStatusInfo(), response.status)
    )
    if response.certificate is not None:
        content += a.tlv(0x30, a.tlv(0xA0, response.certificate.public_bytes(Encoding.DER)))
    if response.rsp_info is not None:
        content += a.tlv(0x04, response.rsp_info)
    return a.tlv(0x30, content)


def _cert_rep_der(body: CertRepBody) -> bytes:
    """DER PKIBody of an ip/cp/kup, its certificates spliced in as they are: decoding each certificate into pyasn1
    and encoding it again was a third of a CMP enrollment's server CPU. Byte for byte the pyasn1 encoding of the same
    body (tests/unit/cmp/test_encode_splice.py)."""
    content = b""
    if body.ca_pubs:
        content += a.tlv(0xA1, a.tlv(0x30, b"".join(c.public_bytes(Encoding.DER) for c in body.ca_pubs)))
    content += a.tlv(0x30, b"".join(_cert_response_der(r) for r in body.responses))
    return a.tlv(0xA0 | body.type.tag, a.tlv(0x30, content))


def encode_body_der(body: Body) -> bytes:
    """DER PKIBody of ``body`` (certificate responses spliced, every other body through pyasn1)."""
    if isinstance(body, CertRepBody):
        return _cert_rep_der(body)
    return a.encode(_pyasn1_body(body))


def _pyasn1_body(body: Body) -> Any:
    """A pyasn1 PKIBody with ``body`` (any but a certificate response) in its choice."""
    pki_body = a.rfc9810.PKIBody()
    if isinstance(body, PkiConfBody):
        pki_body["pkiconf"] = ""
        return pki_body
    slot = pki_body[str(body.type)]  # selects the choice and instantiates its (context-tagged) content
    _ENCODERS[type(body)](slot, body)
    return pki_body
