"""The one place that touches pyasn1: specs, DER in/out, a strict TLV walker and value conversions.

pyasn1 is untyped, so ASN.1 objects are ``Any`` here and nowhere else; everything leaving this module is a plain
Python value or a :mod:`jointcert.cmp.model` dataclass. Any pyasn1 failure becomes :class:`CmpError`
(badDataFormat); pyasn1's own messages (huge schema dumps) never reach an error text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, namedtype, tag, univ, useful
from pyasn1_alt_modules import rfc4211, rfc5280, rfc9810

from jointcert.cmp.errors import CmpError, FailInfo, PkiStatus
from jointcert.cmp.model import AlgorithmId, CertId, Extension, StatusInfo, TypedValue

__all__ = [  # used by the rest of cmp, which reaches pyasn1 only through here
    "DECODE_ERRORS",
    "MAX_MESSAGE_SIZE",
    "PKI_MESSAGE",
    "Tlv",
    "alg_from",
    "alg_to",
    "bit_string",
    "bit_string_from",
    "bits_from",
    "cert_id_from",
    "cert_id_into",
    "children",
    "decode",
    "encode",
    "extensions_from",
    "extensions_to",
    "free_text_from",
    "free_text_to",
    "generalized_time",
    "load_certificate",
    "name_from",
    "name_into",
    "pbm_parameter",
    "read_tlv",
    "rfc4211",
    "rfc5280",
    "rfc9810",
    "status_from",
    "status_to",
    "time_from",
    "time_to",
    "tlv",
    "typed_values_from",
]

MAX_MESSAGE_SIZE = 32 * 1024  # a real ir is ~1 KiB, an ip or kur with a chain under 8 KiB; refuse anything bigger
_MAX_DEPTH = 64

# What pyasn1, cryptography's parsers and our conversions raise on hostile input (found by the fuzz tests).
DECODE_ERRORS: tuple[type[Exception], ...] = (
    PyAsn1Error, ValueError, TypeError, IndexError, KeyError, OverflowError, UnsupportedAlgorithm,
    x509.InvalidVersion, x509.DuplicateExtension, x509.UnsupportedGeneralNameType,
)  # fmt: skip


def _bad(what: str) -> CmpError:
    return CmpError(f"Malformed CMP message: {what}.", fail_info=FailInfo.BAD_DATA_FORMAT)


class _PKIMessage(univ.Sequence):
    """PKIMessage with extraCerts kept as raw DER (``Any``): cryptography parses them, pyasn1 need not."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("header", rfc9810.PKIHeader()),
        namedtype.NamedType("body", rfc9810.PKIBody()),
        namedtype.OptionalNamedType(
            "protection",
            rfc9810.PKIProtection().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0)),
        ),
        namedtype.OptionalNamedType(
            "extraCerts",
            univ.SequenceOf(componentType=univ.Any()).subtype(
                explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 1)
            ),
        ),
    )


PKI_MESSAGE = _PKIMessage


def decode(der: bytes, spec: Any, what: str) -> Any:
    """Decode ``der`` (all of it) against ``spec``; :class:`CmpError` (badDataFormat) on any failure."""
    try:
        value, rest = decoder.decode(der, asn1Spec=spec)
    except DECODE_ERRORS as exc:
        raise _bad(what) from exc
    if rest:
        raise _bad(f"{what} has trailing data")
    return value


def encode(value: Any) -> bytes:
    """DER of a pyasn1 value."""
    return bytes(encoder.encode(value))


# --- strict DER TLV walker: raw slices for protection and POP inputs --------------------------------------------
Tlv = tuple[int, int, int, int]  # (first identifier octet, start, content start, end)


def read_tlv(der: bytes, pos: int, end: int) -> Tlv:
    """One TLV at ``pos``: DER lengths only (definite, minimal); high tag numbers are skipped over."""
    if pos >= end:
        raise _bad("truncated")
    ident = der[pos]
    cur = pos + 1
    if ident & 0x1F == 0x1F:  # high tag number: base-128 octets until one without the top bit
        while cur < end and der[cur] & 0x80:
            cur += 1
        cur += 1
    if cur >= end:
        raise _bad("truncated")
    first = der[cur]
    cur += 1
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or cur + count > end:
            raise _bad("bad length")
        length = int.from_bytes(der[cur : cur + count], "big")
        if length < 0x80 or der[cur] == 0:
            raise _bad("non-minimal length")
        cur += count
    if cur + length > end:
        raise _bad("truncated")
    return ident, pos, cur, cur + length


def tlv(ident: int, content: bytes) -> bytes:
    """DER TLV with a one-octet identifier around already-encoded ``content``."""
    n = len(content)
    if n < 0x80:
        return bytes([ident, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([ident, 0x80 | len(size)]) + size + content


def children(der: bytes, parent: Tlv) -> list[Tlv]:
    """The TLVs inside the constructed ``parent``."""
    _, _, pos, end = parent
    out: list[Tlv] = []
    while pos < end:
        child = read_tlv(der, pos, end)
        out.append(child)
        pos = child[3]
    return out


def load_certificate(der: bytes) -> x509.Certificate:
    """A certificate, with the fields cryptography parses lazily read now, so a bad one fails here (ValueError)
    and not later in the caller's hands."""
    cert = x509.load_der_x509_certificate(der)
    _ = (cert.subject, cert.issuer, cert.serial_number, cert.not_valid_after_utc, cert.extensions)
    _ = (cert.signature_algorithm_oid, cert.not_valid_before_utc)
    return cert


# --- conversions ----------------------------------------------------------------------------------------------
def name_from(value: Any) -> x509.Name:
    """A pyasn1 Name (any tagging) as a cryptography Name."""
    return x509.Name.from_bytes(encode(value["rdnSequence"]))


def name_into(slot: Any, name: x509.Name) -> None:
    """Fill the pyasn1 Name ``slot`` (already placed, any tagging) with ``name``."""
    rdns = decode(name.public_bytes(), rfc5280.RDNSequence(), "name")
    slot.setComponentByName("rdnSequence", rdns)


def time_from(value: Any) -> datetime:
    """A GeneralizedTime/UTCTime (or a Time CHOICE) as an aware UTC datetime."""
    if isinstance(value, univ.Choice):
        value = value.getComponent()
    parsed: datetime = value.asDateTime
    if parsed.tzinfo is None:
        raise _bad("time without zone")
    return parsed.astimezone(UTC)


def time_to(spec: Any, when: datetime) -> Any:
    """``when`` as a DER GeneralizedTime (whole seconds, Z) cloned from ``spec`` (which carries the tagging)."""
    return spec.clone(when.astimezone(UTC).strftime("%Y%m%d%H%M%SZ"))


def alg_from(value: Any) -> AlgorithmId:
    """An AlgorithmIdentifier."""
    params = value["parameters"]
    return AlgorithmId(str(value["algorithm"]), bytes(params) if params.isValue else None)


def alg_to(slot: Any, alg: AlgorithmId) -> Any:
    """Fill an AlgorithmIdentifier ``slot`` with ``alg``; returns the slot."""
    slot["algorithm"] = univ.ObjectIdentifier(alg.oid)
    if alg.parameters is not None:
        slot["parameters"] = univ.Any(alg.parameters)
    return slot


def bits_from(value: Any) -> bytes:
    """The octets of a BIT STRING that must be whole octets (signatures, MACs, R)."""
    if len(value) % 8:
        raise _bad("BIT STRING is not whole octets")
    return bytes(value.asOctets())


def extensions_from(value: Any) -> tuple[Extension, ...]:
    """Extensions as (oid, critical, extnValue contents)."""
    if not value.isValue:
        return ()
    return tuple(
        Extension(str(ext["extnID"]), bool(ext["critical"]), bytes(ext["extnValue"]))
        for ext in value
    )  # fmt: skip


def extensions_to(slot: Any, extensions: tuple[Extension, ...]) -> None:
    """Append ``extensions`` to the (already placed) Extensions ``slot``."""
    for ext in extensions:
        item = rfc5280.Extension()
        item["extnID"] = univ.ObjectIdentifier(ext.oid)
        if ext.critical:
            item["critical"] = True
        item["extnValue"] = ext.value
        slot.append(item)


def free_text_from(value: Any) -> tuple[str, ...]:
    """PKIFreeText as strings."""
    return tuple(str(text) for text in value) if value.isValue else ()


def free_text_to(slot: Any, texts: tuple[str, ...]) -> None:
    """Append ``texts`` to a PKIFreeText ``slot``."""
    for text in texts:
        slot.append(char.UTF8String(text))


def fail_info_to(spec: Any, bits: frozenset[FailInfo]) -> Any:
    """PKIFailureInfo with exactly the named bits (DER: no trailing zero bits)."""
    top = max(bits)
    return spec.clone(tuple(1 if FailInfo(i) in bits else 0 for i in range(top + 1)))


def status_from(value: Any) -> StatusInfo:
    """PKIStatusInfo; unknown failInfo bits are ignored, unknown status is an error."""
    try:
        status = PkiStatus(int(value["status"]))
    except ValueError as exc:
        raise _bad("unknown PKIStatus") from exc
    fail = value["failInfo"]
    bits = frozenset(FailInfo(i) for i, bit in enumerate(fail) if bit and i <= max(FailInfo)) if fail.isValue else ()
    return StatusInfo(status, frozenset(bits), free_text_from(value["statusString"]))


def status_to(slot: Any, info: StatusInfo) -> Any:
    """Fill a PKIStatusInfo ``slot``; returns it."""
    slot["status"] = int(info.status)
    if info.text:
        free_text_to(slot["statusString"], info.text)
    if info.fail_info:
        slot["failInfo"] = fail_info_to(slot["failInfo"], info.fail_info)
    return slot


def cert_id_from(value: Any) -> CertId:
    """CertId with a directoryName issuer."""
    issuer = value["issuer"]
    if issuer.getName() != "directoryName":
        raise _bad("CertId issuer is not a directoryName")
    return CertId(name_from(issuer["directoryName"]), int(value["serialNumber"]))


def cert_id_into(slot: Any, cert_id: CertId) -> Any:
    """Fill a CertId ``slot``; returns it."""
    name_into(slot["issuer"]["directoryName"], cert_id.issuer)
    slot["serialNumber"] = cert_id.serial
    return slot


def typed_values_from(value: Any, value_field: str, type_field: str) -> tuple[TypedValue, ...]:
    """A SEQUENCE OF {OID, ANY} as TypedValues."""
    if not value.isValue:
        return ()
    out = []
    for item in value:
        raw = item[value_field]
        out.append(TypedValue(str(item[type_field]), bytes(raw) if raw.isValue else None))
    return tuple(out)


def bit_string(data: bytes) -> bytes:
    """DER BIT STRING of whole octets."""
    return encode(univ.BitString.fromOctetString(data))


def bit_string_from(der: bytes, what: str) -> bytes:
    """The octets of a DER BIT STRING of whole octets."""
    return bits_from(decode(der, univ.BitString(), what))


def pbm_parameter(salt: bytes, owf: str, iterations: int, mac: str) -> bytes:
    """DER PBMParameter."""
    params = rfc9810.PBMParameter()
    params["salt"] = salt
    params["owf"]["algorithm"] = univ.ObjectIdentifier(owf)
    params["iterationCount"] = iterations
    params["mac"]["algorithm"] = univ.ObjectIdentifier(mac)
    return encode(params)


def utf8(text: str) -> Any:
    """A UTF8String."""
    return char.UTF8String(text)


def generalized_time() -> Any:
    """An untagged GeneralizedTime spec."""
    return useful.GeneralizedTime()
