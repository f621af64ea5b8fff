"""A strict DER reader for comparing certificates field by field (template linting, ``ca/template_lint.py``).

Only what a TBSCertificate needs: single-byte tags, definite minimal lengths, and a value that fills its bytes
exactly. Anything else raises :class:`DerError`.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DerError", "Tlv", "children", "dotted", "encode", "next_value", "oid", "read"]


class DerError(ValueError):
    """The bytes are not strict DER of the expected shape."""


class Tlv(NamedTuple):
    """One encoded value: its tag, its whole encoding and its contents (slices of the same bytes); a tuple, the
    cheapest immutable record to make (the comparison reads thousands per second)."""

    tag: int
    der: bytes
    content: bytes

    @property
    def constructed(self) -> bool:
        """Whether the contents are themselves TLVs (bit 6 of the tag)."""
        return bool(self.tag & 0x20)


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """The length at ``pos`` and where the contents start."""
    if pos >= len(data):
        raise DerError("truncated length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise DerError("indefinite or oversized length")
    raw = data[pos + 1 : pos + 1 + count]
    if len(raw) != count or raw[0] == 0:
        raise DerError("truncated or non-minimal length")
    length = int.from_bytes(raw, "big")
    if length < 0x80:
        raise DerError("non-minimal length")
    return length, pos + 1 + count


def _next(data: bytes, pos: int) -> tuple[Tlv, int]:
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tag")
    if pos + 1 < len(data) and data[pos + 1] < 0x80:  # the short form, most values
        start = pos + 2
        end = start + data[pos + 1]
    else:
        length, start = _length(data, pos + 1)
        end = start + length
    if end > len(data):
        raise DerError("value runs past its container")
    return Tlv(tag, data[pos:end], data[start:end]), end


def next_value(data: bytes, pos: int) -> tuple[Tlv, int]:
    """The value starting at ``pos`` of ``data`` and where the next one starts."""
    if pos >= len(data):
        raise DerError("truncated value")
    return _next(data, pos)


def read(data: bytes) -> Tlv:
    """The single value that ``data`` holds, with no trailing bytes."""
    if not data:
        raise DerError("empty")
    tlv, end = _next(data, 0)
    if end != len(data):
        raise DerError("trailing bytes")
    return tlv


def children(tlv: Tlv) -> list[Tlv]:
    """The values inside a constructed value, in order."""
    if not tlv.constructed:
        raise DerError(f"tag {tlv.tag:#x} is not constructed")
    out: list[Tlv] = []
    pos, data = 0, tlv.content
    while pos < len(data):
        item, pos = _next(data, pos)
        out.append(item)
    return out


def encode(tag: int, content: bytes) -> bytes:
    """DER of one value."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def oid(dotted: str) -> bytes:
    """DER of an OBJECT IDENTIFIER given as ``1.2.840…``."""
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk, rest = [arc & 0x7F], arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(reversed(chunk))
    return encode(0x06, bytes(body))


def dotted(value: Tlv) -> str:
    """``1.2.840…`` of an OBJECT IDENTIFIER value."""
    if value.tag != 0x06 or not value.content or value.content[-1] & 0x80:
        raise DerError("not an OBJECT IDENTIFIER")
    arcs: list[int] = []
    current = 0
    for byte in value.content:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])
