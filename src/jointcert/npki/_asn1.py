"""Decoding untrusted ASN.1 with pyasn1 behind one exception type (internal)."""

from __future__ import annotations

from pyasn1.codec.ber import decoder as ber_decoder
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.type.base import Asn1Item

__all__ = ["Malformed", "decode"]


class Malformed(Exception):
    """The bytes are not a complete value of the expected ASN.1 type."""


def decode(data: bytes, spec: Asn1Item, *, ber: bool = False) -> Asn1Item:
    """Decode exactly one value of ``spec`` (DER, or BER when ``ber``) filling all of ``data``."""
    try:
        value, rest = (ber_decoder if ber else der_decoder).decode(data, asn1Spec=spec)
    except Exception as exc:  # PyAsn1Error mostly, but hostile lengths also give OverflowError, MemoryError …
        raise Malformed(str(exc)) from exc
    if rest:
        raise Malformed("trailing bytes after the value")
    return value
