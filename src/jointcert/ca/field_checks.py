"""Fast checks of the fields that vary from one certificate to the next (template linting, ``ca/template_lint.py``).

Everything else in a certificate is compared byte for byte with its profile's linted template; these checks say
what pkilint and the KISA checks would say about the varying fields, in microseconds: the serial number, the
validity (encoding and policy), the subject's variable values (string type and length, the name and digits of the
cn, the bank's ou), the key (RSA 2048–4096, e = 65537), the subjectKeyIdentifier (SHA-1 of the key, RFC 5280
§4.2.1.2 method 1) and the identifyData (its exact structure, the realName equal to the cn's name).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.der import DerError, Tlv, children, encode, oid, read
from jointcert.ca.names import validate_bank, validate_real_name
from jointcert.errors import JointcertError
from jointcert.npki.oids import ID_KISA_VID, ID_SHA256

__all__ = [
    "UB_NAME",
    "bank_problems",
    "identify_problems",
    "key_problems",
    "name_problems",
    "serial_problems",
    "ski_problems",
    "string_of",
    "validity_problems",
]

UB_NAME = 64  # ub-common-name, ub-organization-name, ub-organizational-unit-name (RFC 5280 Appendix A)
_MIN_SERIAL_BITS, _MAX_SERIAL_OCTETS = 64, 20
_START_SLACK = timedelta(days=1)  # yessign-like starts at 00:00 KST of the issue day
_END_OF_DAY = timedelta(days=1)  # validity ends at 23:59:59 KST of its last day
_UTC_TIME_END = 2050  # RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050
_VID_OID = oid(ID_KISA_VID)
_SHA256_ALG = encode(0x30, oid(ID_SHA256))  # as npki.vid.build_identify_data writes it (no parameters)
_STRING_CODECS = {0x0C: "utf-8", 0x13: "ascii", 0x1E: "utf-16-be"}  # UTF8String, PrintableString, BMPString
_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


def serial_problems(serial: Tlv) -> list[str]:
    """A positive INTEGER of at most 20 octets with at least 64 bits (RFC 5280 §4.1.2.2, CA/B-style entropy)."""
    content = serial.content
    if serial.tag != 0x02 or not content or len(content) > _MAX_SERIAL_OCTETS:
        return ["serial number is not an INTEGER of 1-20 octets"]
    if content[0] & 0x80 or (len(content) > 1 and content[0] == 0 and not content[1] & 0x80):
        return ["serial number is negative or not minimally encoded"]
    if int.from_bytes(content, "big").bit_length() < _MIN_SERIAL_BITS:
        return ["serial number has fewer than 64 bits"]
    return []


def _time_problems(value: Tlv, when: datetime) -> list[str]:
    tag, size = (0x17, 13) if when.year < _UTC_TIME_END else (0x18, 15)
    if value.tag != tag or len(value.content) != size or not value.content.endswith(b"Z"):
        return [f"validity time {when:%Y-%m-%d} is not encoded as RFC 5280 §4.1.2.5 requires"]
    return []


def validity_problems(
    validity: Tlv, not_before: datetime, not_after: datetime, *, now: datetime, max_days: int
) -> list[str]:
    """Encoded as RFC 5280 requires, not empty, starting today (at most a day before ``now``, never after it),
    and no longer than ``max_days`` plus the rest of the last day."""
    try:
        times = children(validity)
    except DerError as exc:
        return [f"validity is malformed: {exc}"]
    if len(times) != 2:
        return ["validity is not two times"]
    problems = _time_problems(times[0], not_before) + _time_problems(times[1], not_after)
    if not_after <= not_before:
        problems.append("validity is empty")
    if not_after - not_before > timedelta(days=max_days) + _END_OF_DAY:
        problems.append(f"validity is longer than the policy's {max_days} days")
    if not now - _START_SLACK <= not_before <= now:
        problems.append("validity does not start at issuance")
    return problems


def key_problems(key: object) -> list[str]:
    """RSA 2048–4096 bits with e = 65537 (the validation step's rule)."""
    if not isinstance(key, rsa.RSAPublicKey) or not 2048 <= key.key_size <= 4096:
        return ["subject key is not RSA of 2048-4096 bits"]
    if key.public_numbers().e != 65537:
        return ["subject key's public exponent is not 65537"]
    return []


def ski_problems(extn_value: bytes, spki: Tlv) -> list[str]:
    """The subjectKeyIdentifier is the SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1)."""
    parts = children(spki)
    bits = parts[1] if len(parts) == 2 else None
    if bits is None or bits.tag != 0x03 or not bits.content or bits.content[0] != 0:
        return ["subjectPublicKeyInfo is malformed"]
    expected = encode(0x04, hashlib.sha1(bits.content[1:]).digest())  # noqa: S324 (RFC 5280 method 1)
    return [] if extn_value == expected else ["subjectKeyIdentifier is not the SHA-1 of the subject key"]


def string_of(value: Tlv) -> str | None:
    """The text of a directory string (UTF8String, PrintableString or BMPString); None if undecodable."""
    codec = _STRING_CODECS.get(value.tag)
    if codec is None:
        return None
    try:
        text = value.content.decode(codec)
    except UnicodeDecodeError:
        return None
    if value.tag == 0x13 and not set(text) <= _PRINTABLE:
        return None
    return text


def name_problems(name: str) -> list[str]:
    """The real name follows the validation step's rules (trimmed NFC, no digits, brackets or controls)."""
    try:
        ok = validate_real_name(name) == name
    except JointcertError:
        ok = False
    return [] if ok else ["the cn's name breaks the real-name rules"]


def bank_problems(unit: str) -> list[str]:
    """The bank's ou follows the validation step's rule."""
    try:
        validate_bank(unit, "000")
    except JointcertError:
        return ["the bank's ou breaks the bank-name rule"]
    return []


def _vid_problems(infos: Tlv) -> list[str]:
    entries = children(infos)
    if infos.tag != 0x30 or len(entries) != 1 or entries[0].tag != 0x30:
        return ["identifyData does not carry exactly one userInfo"]
    parts = children(entries[0])
    if len(parts) != 2 or parts[0].der != _VID_OID or parts[1].tag != 0x30:
        return ["identifyData userInfo is not an id-VID entry"]
    vid = children(parts[1])
    if len(vid) != 2 or vid[0].der != _SHA256_ALG or vid[1].tag != 0xA0:
        return ["identifyData VID is not a SHA-256 VID"]
    inner = read(vid[1].content)
    if inner.tag != 0x04 or len(inner.content) != hashlib.sha256().digest_size:
        return ["identifyData virtualID is not a 32-byte OCTET STRING"]
    return []


def identify_problems(identify: bytes, real_name: str) -> list[str]:
    """identifyData is ``SEQUENCE { realName UTF8String, [SEQUENCE OF one id-VID userInfo] }`` in strict DER,
    with ``realName`` equal to the cn's name."""
    try:
        top = read(identify)
        parts = children(top) if top.tag == 0x30 else []
        if not 1 <= len(parts) <= 2 or parts[0].tag != 0x0C:
            return ["identifyData is not SEQUENCE { realName UTF8String, userInfos }"]
        if string_of(parts[0]) != real_name:
            return ["identifyData realName differs from the cn"]
        return _vid_problems(parts[1]) if len(parts) == 2 else []
    except DerError as exc:
        return [f"identifyData is malformed: {exc}"]
