"""Password encodings and the two small key-derivation functions ``cryptography`` does not offer (internal).

* PBKDF1 (PKCS #5 v2.1, RFC 8018 §5.1), used by KISA's seedCBCWithSHA1 signPri.key scheme.
* The PKCS #12 v1.1 KDF (RFC 7292 Appendix B.2), used by PKCS #12 PBE algorithms and the PFX integrity MAC.

Password encoding: a ``str`` password is encoded as UTF-8 — NPKI software hashes the bytes of the password as typed,
and for the ASCII passwords the policy allows UTF-8 is exactly those bytes. ``bytes`` are used as given. The PKCS #12
KDF wants a BMPString instead (UTF-16BE plus two zero bytes, RFC 7292 B.1); bytes that are not UTF-8 are read as
Latin-1 there, as OpenSSL does for such passwords.
"""

from __future__ import annotations

import hashlib

__all__ = ["bmp_password", "password_bytes", "pbkdf1_sha1", "pkcs12_kdf"]

PKCS12_KEY = 1  # RFC 7292 B.3: the ID byte says what the derived bytes are for
PKCS12_IV = 2
PKCS12_MAC = 3


def password_bytes(password: str | bytes) -> bytes:
    """The octets a password is hashed as: UTF-8 for text, unchanged for bytes."""
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


def bmp_password(password: str | bytes) -> bytes:
    """The PKCS #12 BMPString form: UTF-16BE with a two-byte zero terminator (empty password: no bytes)."""
    if isinstance(password, bytes):
        try:
            text = password.decode("utf-8")
        except UnicodeDecodeError:
            text = password.decode("latin-1")
    else:
        text = password
    if not text:
        return b""
    return text.encode("utf-16-be") + b"\x00\x00"


def pbkdf1_sha1(password: bytes, salt: bytes, iterations: int, length: int = 20) -> bytes:
    """PBKDF1 with SHA-1: ``T_1 = SHA1(P || S)``, ``T_i = SHA1(T_{i-1})`` for i up to c; ``DK = T_c[0:dkLen]``."""
    if not 1 <= length <= 20:
        raise ValueError("PBKDF1-SHA1 derives at most 20 bytes")
    if iterations < 1:
        raise ValueError("PBKDF1 needs at least one iteration")
    sha1 = hashlib.sha1
    block = sha1(password + salt).digest()
    for _ in range(iterations - 1):
        block = sha1(block).digest()
    return block[:length]


def _stretch(data: bytes, block: int) -> bytes:
    """``data`` repeated to the next multiple of ``block`` bytes (nothing for empty data), as B.2 step 2 and 3 say."""
    if not data:
        return b""
    size = block * -(-len(data) // block)
    return (data * (size // len(data) + 1))[:size]


def pkcs12_kdf(hash_name: str, password: bytes, salt: bytes, *, purpose: int, iterations: int, length: int) -> bytes:
    """RFC 7292 Appendix B.2 with ``hash_name`` (``sha1``, ``sha256`` …); ``password`` in BMPString form."""
    if iterations < 1:
        raise ValueError("the PKCS #12 KDF needs at least one iteration")
    v = hashlib.new(hash_name).block_size
    diversifier = bytes([purpose]) * v
    state = bytearray(_stretch(salt, v) + _stretch(password, v))
    out = b""
    while len(out) < length:
        a = hashlib.new(hash_name, diversifier + bytes(state)).digest()
        for _ in range(iterations - 1):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes(_stretch(a, v), "big") + 1
        for j in range(0, len(state), v):
            n = (int.from_bytes(state[j : j + v], "big") + b) % (1 << (8 * v))
            state[j : j + v] = n.to_bytes(v, "big")
    return out[:length]
