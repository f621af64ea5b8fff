"""DER PKIMessage → :class:`~jointcert.cmp.model.PkiMessage` (every body type this codec handles)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509

from jointcert.cmp import _asn1 as a
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.model import (
    Body,
    BodyType,
    CertConfBody,
    CertRepBody,
    CertReqBody,
    CertRequest,
    CertResponse,
    CertStatus,
    CertTemplate,
    CrlReason,
    ErrorBody,
    GenMsgBody,
    GenRepBody,
    PkiConfBody,
    PkiHeader,
    PkiMessage,
    PollRepBody,
    PollRepEntry,
    PollReqBody,
    Pop,
    PopKind,
    RevDetails,
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

__all__ = ["parse_message"]

SUPPORTED_PVNO = (2, 3)  # cmp2000, cmp2021 (RFC 9480/9810)


def parse_message(der: bytes) -> PkiMessage:
    """Parse a DER PKIMessage; any malformed, truncated or unsupported input raises :class:`CmpError`.

    The error's ``fail_info`` is the failInfo to answer with (badDataFormat, unsupportedVersion, badRequest for
    body types this codec does not handle, …) and, when the header could be read, ``exc.header`` holds it so the
    error response can echo the transactionID and nonces.
    """
    if not isinstance(der, bytes | bytearray | memoryview):
        raise CmpError("A CMP message must be bytes.", fail_info=FailInfo.BAD_DATA_FORMAT)
    data = bytes(der)
    if len(data) > a.MAX_MESSAGE_SIZE:
        raise CmpError("The CMP message is too large.", fail_info=FailInfo.BAD_DATA_FORMAT)
    parts: list[a.Tlv] = []
    try:
        outer = a.read_tlv(data, 0, len(data))
        if outer[0] != 0x30 or outer[3] != len(data):
            raise CmpError("Not a PKIMessage.", fail_info=FailInfo.BAD_DATA_FORMAT)
        parts = a.children(data, outer)
        msg = a.decode(data, a.PKI_MESSAGE(), "PKIMessage")
        header = _header(msg["header"])
        body = _body(msg["body"], data, parts[1])
        protection = a.bits_from(msg["protection"]) if msg["protection"].isValue else None
        extra = tuple(a.load_certificate(bytes(c)) for c in msg["extraCerts"])
    except CmpError as exc:
        exc.header = exc.header or _header_only(data, parts)
        raise
    except a.DECODE_ERRORS as exc:
        error = CmpError("Malformed CMP message.", fail_info=FailInfo.BAD_DATA_FORMAT)
        error.header = _header_only(data, parts)
        raise error from exc
    protected = data[parts[0][1] : parts[1][3]]  # header and body are adjacent
    return PkiMessage(header, body, protection, extra, a.tlv(0x30, protected))


def _header_only(der: bytes, parts: list[a.Tlv]) -> PkiHeader | None:
    """The header of a message whose body (or anything after the header) is broken, if it parses alone."""
    if not parts:
        return None
    try:
        return _header(a.decode(der[parts[0][1] : parts[0][3]], a.rfc9810.PKIHeader(), "PKIHeader"))
    except CmpError as exc:
        return exc.header
    except a.DECODE_ERRORS:
        return None


def _opt_bytes(value: Any) -> bytes | None:
    return bytes(value) if value.isValue else None


def _general_name(value: Any) -> x509.Name:
    if value.getName() != "directoryName":
        raise CmpError("Only directoryName senders/recipients are supported.", fail_info=FailInfo.BAD_DATA_FORMAT)
    return a.name_from(value["directoryName"])


def _header(h: Any) -> PkiHeader:
    pvno = int(h["pvno"])
    general = a.typed_values_from(h["generalInfo"], "infoValue", "infoType")
    wait = next((item for item in general if item.oid == ID_IT_CONFIRM_WAIT_TIME), None)
    header = PkiHeader(
        sender=_general_name(h["sender"]),
        recipient=_general_name(h["recipient"]),
        pvno=pvno,
        transaction_id=_opt_bytes(h["transactionID"]),
        sender_nonce=_opt_bytes(h["senderNonce"]),
        recip_nonce=_opt_bytes(h["recipNonce"]),
        sender_kid=_opt_bytes(h["senderKID"]),
        recip_kid=_opt_bytes(h["recipKID"]),
        message_time=a.time_from(h["messageTime"]) if h["messageTime"].isValue else None,
        protection_alg=a.alg_from(h["protectionAlg"]) if h["protectionAlg"].isValue else None,
        free_text=a.free_text_from(h["freeText"]),
        implicit_confirm=any(item.oid == ID_IT_IMPLICIT_CONFIRM for item in general),
        confirm_wait_time=_confirm_wait(wait),
        general_info=tuple(i for i in general if i.oid not in (ID_IT_IMPLICIT_CONFIRM, ID_IT_CONFIRM_WAIT_TIME)),
    )
    if pvno not in SUPPORTED_PVNO:
        error = CmpError(f"Unsupported CMP version {pvno}.", fail_info=FailInfo.UNSUPPORTED_VERSION)
        error.header = header
        raise error
    return header


def _confirm_wait(item: TypedValue | None) -> Any:
    if item is None or item.value is None:
        return None
    return a.time_from(a.decode(item.value, a.generalized_time(), "confirmWaitTime"))


def _body(body: Any, der: bytes, body_tlv: a.Tlv) -> Body:
    name = body.getName()
    parser = _PARSERS.get(name)
    if parser is None:
        raise CmpError(f"Unsupported CMP message type {name}.", fail_info=FailInfo.BAD_REQUEST)
    return parser(body.getComponent(), BodyType(name), der, body_tlv)


# --- requests -------------------------------------------------------------------------------------------------
def _template(t: Any) -> CertTemplate:
    validity = t["validity"]
    before = validity["notBefore"] if validity.isValue else None
    after = validity["notAfter"] if validity.isValue else None
    public_key = None
    if t["publicKey"].isValue:
        raw = a.encode(t["publicKey"])
        public_key = b"\x30" + raw[1:]  # implicit [6] → SEQUENCE: DER differs only in the identifier octet
    return CertTemplate(
        subject=a.name_from(t["subject"]) if t["subject"].isValue else None,
        public_key=public_key,
        extensions=a.extensions_from(t["extensions"]),
        serial=int(t["serialNumber"]) if t["serialNumber"].isValue else None,
        issuer=a.name_from(t["issuer"]) if t["issuer"].isValue else None,
        not_before=a.time_from(before) if before is not None and before.isValue else None,
        not_after=a.time_from(after) if after is not None and after.isValue else None,
        version=int(t["version"]) if t["version"].isValue else None,
    )


def _pop(popo: Any) -> Pop | None:
    if not popo.isValue:
        return None
    kind = PopKind(popo.getName())
    if kind is not PopKind.SIGNATURE:
        return Pop(kind)
    sig = popo["signature"]
    return Pop(
        kind,
        algorithm=a.alg_from(sig["algorithmIdentifier"]),
        signature=a.bits_from(sig["signature"]),
        has_poposk_input=sig["poposkInput"].isValue,
    )


def _cert_requests(content: Any, kind: BodyType, der: bytes, body_tlv: a.Tlv) -> CertReqBody:
    (seq,) = a.children(der, body_tlv)
    raw_msgs = a.children(der, seq)
    if len(raw_msgs) != len(content) or not raw_msgs:
        raise CmpError("Empty or inconsistent CertReqMessages.", fail_info=FailInfo.BAD_DATA_FORMAT)
    requests = []
    for msg, raw in zip(content, raw_msgs, strict=True):
        req = msg["certReq"]
        first = a.children(der, raw)[0]
        controls = a.typed_values_from(req["controls"], "value", "type")
        old = next((c.value for c in controls if c.oid == ID_REG_CTRL_OLD_CERT_ID and c.value is not None), None)
        requests.append(
            CertRequest(
                cert_req_id=int(req["certReqId"]),
                template=_template(req["certTemplate"]),
                pop=_pop(msg["popo"]),
                controls=controls,
                reg_info=a.typed_values_from(msg["regInfo"], "value", "type"),
                old_cert_id=a.cert_id_from(a.decode(old, a.rfc4211.CertId(), "oldCertId")) if old else None,
                der=der[first[1] : first[3]],
            )
        )
    return CertReqBody(kind, tuple(requests))


def _reason(extensions: tuple[Any, ...]) -> CrlReason | None:
    ext = next((e for e in extensions if e.oid == ID_CE_CRL_REASONS), None)
    if ext is None:
        return None
    try:
        return CrlReason(int(a.decode(ext.value, a.rfc5280.CRLReason(), "CRLReason")))
    except ValueError as exc:
        raise CmpError("Unknown CRL reason.", fail_info=FailInfo.BAD_REQUEST) from exc


def _rev_requests(content: Any, *_: Any) -> RevReqBody:
    out = []
    for item in content:
        extensions = a.extensions_from(item["crlEntryDetails"])
        out.append(RevDetails(_template(item["certDetails"]), _reason(extensions), extensions))
    if not out:
        raise CmpError("Empty revocation request.", fail_info=FailInfo.BAD_DATA_FORMAT)
    return RevReqBody(tuple(out))


def _cert_conf(content: Any, *_: Any) -> CertConfBody:
    return CertConfBody(
        tuple(
            CertStatus(
                cert_hash=bytes(item["certHash"]),
                cert_req_id=int(item["certReqId"]),
                status=a.status_from(item["statusInfo"]) if item["statusInfo"].isValue else None,
                hash_alg=a.alg_from(item["hashAlg"]) if item["hashAlg"].isValue else None,
            )
            for item in content
        )
    )


def _genm(content: Any, *_: Any) -> GenMsgBody:
    return GenMsgBody(a.typed_values_from(content, "infoValue", "infoType"))


def _poll_req(content: Any, *_: Any) -> PollReqBody:
    return PollReqBody(tuple(int(item["certReqId"]) for item in content))


# --- responses ------------------------------------------------------------------------------------------------
def _certificate(value: Any) -> x509.Certificate:
    raw = a.encode(value)
    if len(value.tagSet) > 1:  # explicitly tagged: the certificate is the content of the outer TLV
        _, _, start, end = a.read_tlv(raw, 0, len(raw))
        raw = raw[start:end]
    return a.load_certificate(raw)


def _cert_response(item: Any) -> CertResponse:
    certificate = None
    pair = item["certifiedKeyPair"]
    if pair.isValue:
        chosen = pair["certOrEncCert"]
        if chosen.getName() != "certificate":
            raise CmpError("Encrypted certificates are not supported.", fail_info=FailInfo.BAD_DATA_FORMAT)
        certificate = _certificate(chosen["certificate"])
    return CertResponse(int(item["certReqId"]), a.status_from(item["status"]), certificate, _opt_bytes(item["rspInfo"]))


def _cert_rep(content: Any, kind: BodyType, *_: Any) -> CertRepBody:
    ca_pubs = tuple(_certificate(c) for c in content["caPubs"]) if content["caPubs"].isValue else ()
    return CertRepBody(kind, tuple(_cert_response(item) for item in content["response"]), ca_pubs)


def _rev_rep(content: Any, *_: Any) -> RevRepBody:
    rev_certs = content["revCerts"]
    return RevRepBody(
        tuple(a.status_from(s) for s in content["status"]),
        tuple(a.cert_id_from(c) for c in rev_certs) if rev_certs.isValue else (),
    )


def _pkiconf(*_: Any) -> PkiConfBody:
    return PkiConfBody()


def _genp(content: Any, *_: Any) -> GenRepBody:
    return GenRepBody(a.typed_values_from(content, "infoValue", "infoType"))


def _error(content: Any, *_: Any) -> ErrorBody:
    code = content["errorCode"]
    return ErrorBody(
        a.status_from(content["pKIStatusInfo"]),
        int(code) if code.isValue else None,
        a.free_text_from(content["errorDetails"]),
    )


def _poll_rep(content: Any, *_: Any) -> PollRepBody:
    return PollRepBody(
        tuple(
            PollRepEntry(int(item["certReqId"]), int(item["checkAfter"]), a.free_text_from(item["reason"]))
            for item in content
        )
    )


_PARSERS: dict[str, Callable[[Any, BodyType, bytes, a.Tlv], Body]] = {
    "ir": _cert_requests,
    "cr": _cert_requests,
    "kur": _cert_requests,
    "rr": _rev_requests,
    "certConf": _cert_conf,
    "genm": _genm,
    "pollReq": _poll_req,
    "ip": _cert_rep,
    "cp": _cert_rep,
    "kup": _cert_rep,
    "rp": _rev_rep,
    "pkiconf": _pkiconf,
    "genp": _genp,
    "error": _error,
    "pollRep": _poll_rep,
}
