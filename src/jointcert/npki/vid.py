"""Virtual ID (VID) and the KISA identifyData subjectAltName (KCAC.TS.SIVID).

``VID = H(H(DER(HashContent)))`` with ``HashContent ::= SEQUENCE { idn PrintableString, randomNum BIT STRING }``,
idn the 13-digit resident registration number and randomNum R, the 20 random bytes kept in signPri.key.
The certificate carries, as otherName ``1.2.410.200004.10.1.1``::

    IdentifyData ::= SEQUENCE { realName UTF8String, userInfos SEQUENCE OF UserInfo }
    UserInfo     ::= SEQUENCE { idValue OBJECT IDENTIFIER (id-VID), vid VID }
    VID          ::= SEQUENCE { hashAlg AlgorithmIdentifier, virtualID [0] EXPLICIT OCTET STRING }
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography import x509
from pyasn1.codec.der import encoder
from pyasn1.type import char, namedtype, tag, univ

from jointcert.errors import InvalidInput
from jointcert.npki._asn1 import Malformed, decode
from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA, ID_KISA_VID, ID_SHA1, ID_SHA256, x509_oid

__all__ = [
    "IdentifyData",
    "InvalidIdentifyData",
    "VidMismatch",
    "build_identify_data",
    "compute_vid",
    "identify_data_of",
    "parse_identify_data",
    "verify_vid",
]

RANDOM_NUM_LENGTH = 20
_RRN = re.compile(r"\A[0-9]{13}\Z")
_HASHES = {ID_SHA256: hashlib.sha256, ID_SHA1: hashlib.sha1}


class InvalidIdentifyData(InvalidInput):
    """identifyData is missing or malformed."""

    code = "invalid_identify_data"
    message_ko = "인증서의 본인확인 정보(identifyData)가 올바르지 않습니다."
    message_en = "The certificate's identifyData is missing or malformed."


class VidMismatch(InvalidInput):
    """The VID does not match the resident number and R."""

    code = "vid_mismatch"
    message_ko = "주민등록번호와 인증서의 본인확인 값(VID)이 일치하지 않습니다."
    message_en = "The resident registration number does not match the certificate's VID."


class _AlgorithmIdentifier(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("parameters", univ.Any()),
    )


class _Vid(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("hashAlg", _AlgorithmIdentifier()),
        namedtype.NamedType(
            "virtualID",
            univ.OctetString().subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0)),
        ),
    )


class _UserInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("idValue", univ.ObjectIdentifier()),
        namedtype.NamedType("vid", _Vid()),
    )


class _UserInfos(univ.SequenceOf):
    componentType = _UserInfo()


class _IdentifyData(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("realName", char.UTF8String()),
        namedtype.OptionalNamedType("userInfos", _UserInfos()),
    )


@dataclass(frozen=True)
class IdentifyData:
    """The parsed identifyData: real name, the VID hash algorithm OID and the VID value (if present)."""

    real_name: str
    hash_oid: str | None
    vid: bytes | None


def _check_rrn(rrn: str) -> None:
    if not _RRN.match(rrn):
        raise InvalidInput(
            "A resident registration number has 13 digits.",
            message_ko="주민등록번호는 숫자 13자리입니다.",
        )


def compute_vid(rrn: str, random_num: bytes, hash_oid: str = ID_SHA256) -> bytes:
    """VID = H(H(DER(SEQUENCE {idn PrintableString, randomNum BIT STRING})))."""
    _check_rrn(rrn)
    if len(random_num) == 0:
        raise InvalidInput("R (randomNum) is empty.", message_ko="R(randomNum) 값이 비어 있습니다.")
    hash_fn = _HASHES.get(hash_oid)
    if hash_fn is None:
        raise InvalidIdentifyData(f"Unsupported VID hash algorithm {hash_oid}.")
    der = _tlv(0x30, _tlv(0x13, rrn.encode("ascii")) + _tlv(0x03, b"\x00" + random_num))  # DER(HashContent)
    return hash_fn(hash_fn(der).digest()).digest()


def verify_vid(identify: IdentifyData, rrn: str, random_num: bytes) -> None:
    """Raise :class:`VidMismatch` unless the VID in ``identify`` was made from ``rrn`` and ``random_num``."""
    if identify.vid is None or identify.hash_oid is None:
        raise InvalidIdentifyData("The certificate carries no VID.", message_ko="인증서에 VID가 없습니다.")
    expected = compute_vid(rrn, random_num, identify.hash_oid)
    if not hmac.compare_digest(expected, identify.vid):
        raise VidMismatch()


def build_identify_data(real_name: str, vid: bytes, hash_oid: str = ID_SHA256) -> bytes:
    """DER of the identifyData value (the otherName's inner value), written directly (no pyasn1 per call)."""
    vid_value = _tlv(0x30, _algorithm(hash_oid) + _tlv(0xA0, _tlv(0x04, vid)))  # VID
    infos = _tlv(0x30, _tlv(0x30, _oid(ID_KISA_VID) + vid_value))  # SEQUENCE OF one UserInfo
    return _tlv(0x30, _tlv(0x0C, real_name.encode("utf-8")) + infos)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV with a single-byte tag."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


@functools.lru_cache(maxsize=16)
def _oid(dotted: str) -> bytes:
    """The DER of an OBJECT IDENTIFIER (encoded by pyasn1 once per OID)."""
    return bytes(encoder.encode(univ.ObjectIdentifier(dotted)))


@functools.lru_cache(maxsize=16)
def _algorithm(dotted: str) -> bytes:
    """The DER AlgorithmIdentifier of a hash without parameters, as the VID carries it."""
    return _tlv(0x30, _oid(dotted))


def parse_identify_data(der: bytes) -> IdentifyData:
    """Parse the otherName value; raise :class:`InvalidIdentifyData` on anything malformed.

    Results are cached by the bytes (pyasn1 takes milliseconds; a relying party reads the same certificate's
    identifyData at every login, twice)."""
    return _parse_identify_data(bytes(der))


@functools.lru_cache(maxsize=4096)
def _parse_identify_data(der: bytes) -> IdentifyData:
    try:
        value = decode(der, _IdentifyData())
    except Malformed as exc:
        raise InvalidIdentifyData() from exc
    real_name = str(value["realName"])
    infos = value["userInfos"] if value["userInfos"].isValue else []
    for info in infos:
        if str(info["idValue"]) == ID_KISA_VID:
            vid = info["vid"]
            return IdentifyData(real_name, str(vid["hashAlg"]["algorithm"]), bytes(vid["virtualID"]))
    return IdentifyData(real_name, None, None)


def identify_data_of(cert: x509.Certificate) -> IdentifyData | None:
    """The identifyData of a certificate, or ``None`` when it has no such subjectAltName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == x509_oid(ID_KISA_IDENTIFY_DATA):
            return parse_identify_data(other.value)
    return None
