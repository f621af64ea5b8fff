"""Signature verification: raw RSASSA-PKCS1-v1_5 over a challenge, and CMS SignedData as Korean web signing makes.

``cryptography`` (≥ 46) can build SignedData but not verify it, so the SignerInfo is checked here (RFC 5652 §5.4,
§5.6): with signed attributes the contentType and messageDigest attributes must match and the signature covers the
DER of the attributes as a SET OF; without them (PyPinkSign's ``pkcs7_signed_msg``) the signature covers the
content itself. Certificates are taken from the SignedData with ``cryptography`` so their original bytes are kept.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ, useful
from pyasn1_modules import rfc5652

from jointcert.errors import AuthenticationFailed, InvalidInput, JointcertError

__all__ = [
    "ContentMismatch",
    "MalformedSignature",
    "SignatureInvalid",
    "SignedMessage",
    "certificates_of",
    "verify_raw_signature",
    "verify_signed_data",
]

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256(),
    "2.16.840.1.101.3.4.2.2": hashes.SHA384(),
    "2.16.840.1.101.3.4.2.3": hashes.SHA512(),
}
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_RSA_WITH = {  # sha{256,384,512}WithRSAEncryption → the digest they imply
    "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2",
    "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
}
_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"


class MalformedSignature(InvalidInput):
    """The signed data cannot be parsed or uses something unsupported."""

    code = "malformed_signature"
    message_ko = "서명 데이터 형식이 올바르지 않습니다."
    message_en = "The signed data is malformed."


class SignatureInvalid(AuthenticationFailed):
    """The signature does not verify with the signer's certificate."""

    code = "signature_invalid"
    message_ko = "전자서명 검증에 실패했습니다."
    message_en = "The signature does not verify."


class ContentMismatch(SignatureInvalid):
    """The signed content is not what the relying party asked to be signed (its challenge)."""

    code = "content_mismatch"
    message_ko = "서명된 내용이 요청한 값과 다릅니다."
    message_en = "The signed content is not the challenge."


@dataclass(frozen=True)
class SignedMessage:
    """A verified SignedData: the signed content, the signer and every certificate it carried."""

    content: bytes
    signer: x509.Certificate
    certificates: tuple[x509.Certificate, ...]
    digest_algorithm: str
    has_signed_attributes: bool
    signing_time: datetime | None


def _rsa_key(cert: x509.Certificate) -> rsa.RSAPublicKey:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise MalformedSignature("Only RSA signer keys are supported.", message_ko="RSA 키만 지원합니다.")
    return key


def certificates_of(der: bytes) -> list[x509.Certificate]:
    """Best effort: the certificates inside a SignedData, or none (for describing a signer whose signature failed)."""
    try:
        return _certificates(der)
    except MalformedSignature:
        return []


def verify_raw_signature(cert: x509.Certificate, data: bytes, signature: bytes) -> None:
    """Check an RSASSA-PKCS1-v1_5 SHA-256 signature over ``data``; :class:`SignatureInvalid` if it fails."""
    try:
        _rsa_key(cert).verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureInvalid() from exc


def _decode(der: bytes, spec: Any) -> Any:
    try:
        value, rest = decoder.decode(der, asn1Spec=spec)
    except Exception as exc:  # PyAsn1Error mostly; hostile lengths also give OverflowError, MemoryError …
        raise MalformedSignature() from exc
    if rest:
        raise MalformedSignature("Trailing bytes after the signed data.")
    return value


def _signed_data(der: bytes) -> Any:
    info = _decode(der, rfc5652.ContentInfo())
    if info["contentType"] != rfc5652.id_signedData:
        raise MalformedSignature("Not a CMS SignedData.", message_ko="CMS SignedData가 아닙니다.")
    return _decode(bytes(info["content"]), rfc5652.SignedData())


def _certificates(der: bytes) -> list[x509.Certificate]:
    """The certificates of a SignedData, with their original bytes (cryptography's reader; no BER warnings)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not be parsed as DER, falling back to BER"
            return pkcs7.load_der_pkcs7_certificates(der)
    except Exception as exc:  # ValueError, UnsupportedAlgorithm (not SignedData) … on hostile bytes
        raise MalformedSignature("The certificates in the signed data cannot be read.") from exc


def _signer_certificate(signer_info: Any, certs: list[x509.Certificate]) -> x509.Certificate:
    sid = signer_info["sid"]
    if sid.getName() == "issuerAndSerialNumber":
        serial = int(sid["issuerAndSerialNumber"]["serialNumber"])
        issuer_der = encoder.encode(sid["issuerAndSerialNumber"]["issuer"])
        for cert in certs:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer_der:
                return cert
    else:
        ski = bytes(sid["subjectKeyIdentifier"])
        for cert in certs:
            if x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest == ski:
                return cert
    raise MalformedSignature(
        "The signer's certificate is not in the signed data.",
        message_ko="서명자의 인증서가 서명 데이터에 없습니다.",
    )


def _digest_oid(signer_info: Any) -> str:
    digest = str(signer_info["digestAlgorithm"]["algorithm"])
    if digest not in _HASHES:
        raise MalformedSignature(f"Unsupported digest algorithm {digest}.")
    sig_alg = str(signer_info["signatureAlgorithm"]["algorithm"])
    if sig_alg != _RSA_ENCRYPTION and _RSA_WITH.get(sig_alg) != digest:
        raise MalformedSignature(f"Unsupported signature algorithm {sig_alg}.")
    return digest


def _attribute(attrs: Any, oid: str) -> Any | None:
    found = [a for a in attrs if str(a["attrType"]) == oid]
    if len(found) > 1 or (found and len(found[0]["attrValues"]) != 1):
        raise MalformedSignature(f"Signed attribute {oid} must occur once with one value.")
    return found[0]["attrValues"][0] if found else None


def _signed_attributes(signer_info: Any, content: bytes, content_type: str, digest_oid: str) -> bytes:
    """Check contentType/messageDigest; return the bytes the signature covers (the attributes as SET OF)."""
    attrs = signer_info["signedAttrs"]
    kind = _attribute(attrs, _ATTR_CONTENT_TYPE)
    digest = _attribute(attrs, _ATTR_MESSAGE_DIGEST)
    if kind is None or digest is None:
        raise MalformedSignature("Signed attributes need contentType and messageDigest.")
    if str(_decode(bytes(kind), univ.ObjectIdentifier())) != content_type:
        raise SignatureInvalid("The contentType attribute does not match the content.")
    hasher = hashes.Hash(_HASHES[digest_oid])
    hasher.update(content)
    expected = hasher.finalize()
    if bytes(_decode(bytes(digest), univ.OctetString())) != expected:
        raise SignatureInvalid(
            "The messageDigest attribute does not match the content.",
            message_ko="서명된 내용의 해시값이 일치하지 않습니다.",
        )
    encoded = bytearray(encoder.encode(attrs))
    encoded[0] = 0x31  # [0] IMPLICIT → SET OF (RFC 5652 §5.4)
    return bytes(encoded)


def _signing_time(signer_info: Any) -> datetime | None:
    if not signer_info["signedAttrs"].isValue:
        return None
    raw = _attribute(signer_info["signedAttrs"], _ATTR_SIGNING_TIME)
    if raw is None:
        return None
    try:
        choice = _decode(bytes(raw), rfc5652.Time())
        value = choice.getComponent()
        if isinstance(value, useful.UTCTime | useful.GeneralizedTime):
            when: datetime = value.asDateTime
            return when.astimezone(UTC)
    except (MalformedSignature, PyAsn1Error, ValueError):
        return None
    return None


def _content(signed: Any, detached_content: bytes | None) -> tuple[bytes, str]:
    encap = signed["encapContentInfo"]
    content_type = str(encap["eContentType"])
    if encap["eContent"].isValue:
        content = bytes(encap["eContent"])
        if detached_content is not None and content != detached_content:
            raise ContentMismatch()
        return content, content_type
    if detached_content is None:
        raise MalformedSignature("The signed data carries no content.", message_ko="서명된 내용이 없습니다.")
    return detached_content, content_type


def verify_signed_data(der: bytes, *, detached_content: bytes | None = None) -> SignedMessage:
    """Verify a CMS SignedData with one signer whose certificate it carries; return the signed content.

    ``detached_content`` supplies the content of a detached signature (and, for an attached one, must equal it).
    Raises :class:`MalformedSignature` or :class:`SignatureInvalid`, nothing else, whatever the bytes. The
    certificate itself is not validated here.
    """
    try:
        return _verify_signed_data(der, detached_content)
    except JointcertError:
        raise
    except Exception as exc:  # hostile ASN.1 reaches pyasn1 and cryptography in many shapes; all are "malformed"
        raise MalformedSignature() from exc


def _verify_signed_data(der: bytes, detached_content: bytes | None) -> SignedMessage:
    signed = _signed_data(der)
    certs = _certificates(der) if signed["certificates"].isValue else []
    if len(signed["signerInfos"]) != 1:
        raise MalformedSignature("Exactly one signer is supported.", message_ko="서명자는 하나여야 합니다.")
    signer_info = signed["signerInfos"][0]
    signer = _signer_certificate(signer_info, certs)
    digest_oid = _digest_oid(signer_info)
    content, content_type = _content(signed, detached_content)
    has_attrs = bool(signer_info["signedAttrs"].isValue)
    covered = _signed_attributes(signer_info, content, content_type, digest_oid) if has_attrs else content
    try:
        _rsa_key(signer).verify(bytes(signer_info["signature"]), covered, padding.PKCS1v15(), _HASHES[digest_oid])
    except InvalidSignature as exc:
        raise SignatureInvalid() from exc
    return SignedMessage(
        content=content,
        signer=signer,
        certificates=tuple(certs),
        digest_algorithm=_HASHES[digest_oid].name,
        has_signed_attributes=has_attrs,
        signing_time=_signing_time(signer_info),
    )
