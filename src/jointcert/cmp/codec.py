"""DER ⇄ typed values for whole PKIMessages: :func:`parse_message` and :func:`encode_message`."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.cmp import _asn1 as a
from jointcert.cmp._decode import parse_message
from jointcert.cmp._encode import encode_body_der, encode_cert_request, encode_header
from jointcert.cmp.model import Body, PkiHeader
from jointcert.cmp.protection import Protection

__all__ = ["encode_cert_request", "encode_message", "parse_message", "protected_part"]


def protected_part(header: PkiHeader, body: Body) -> bytes:
    """DER(ProtectedPart{header, body}): what protection is computed over."""
    return a.tlv(0x30, a.encode(encode_header(header)) + encode_body_der(body))


def encode_message(
    header: PkiHeader,
    body: Body,
    *,
    protection: Protection | None = None,
    extra_certs: tuple[x509.Certificate, ...] = (),
) -> bytes:
    """DER PKIMessage of ``header`` and ``body``, protected by ``protection`` when given.

    ``protection.prepare`` sets the header's protectionAlg (and, for signatures, sender/senderKID when empty);
    its certificates go first in extraCerts, then ``extra_certs`` (duplicates dropped).
    """
    if protection is not None:
        header = protection.prepare(header)
    header_der = a.encode(encode_header(header))
    body_der = encode_body_der(body)
    content = header_der + body_der
    if protection is not None:
        value = protection.protect(header, a.tlv(0x30, content))
        content += a.tlv(0xA0, a.tlv(0x03, b"\x00" + value))
    certs: list[x509.Certificate] = []
    for cert in (*(protection.extra_certs if protection else ()), *extra_certs):
        if cert not in certs:
            certs.append(cert)
    if certs:
        content += a.tlv(0xA1, a.tlv(0x30, b"".join(c.public_bytes(Encoding.DER) for c in certs)))
    return a.tlv(0x30, content)
