"""Protection of personal data at rest: resident registration numbers are never stored in plaintext.

From the instance's secret key two independent keys are derived (HKDF-SHA256):

* a lookup key for a keyed hash (HMAC-SHA256) that finds a record by resident number without storing it, and
* an encryption key (AES-256-GCM, random 96-bit nonce, the purpose bound as associated data) for the rare places
  that must recover the number (the bank's customer record).
"""

from __future__ import annotations

import hmac
import os
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jointcert.errors import JointcertError

__all__ = ["PiiProtector", "PiiUnreadable"]

_NONCE = 12
_VERSION = b"\x01"


class PiiUnreadable(JointcertError):
    """Stored personal data could not be decrypted (wrong instance key or tampered data)."""

    code = "pii_unreadable"
    message_ko = "저장된 개인정보를 복호화할 수 없습니다."
    message_en = "Stored personal data could not be decrypted."


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jointcert/" + purpose).derive(secret)


class PiiProtector:
    """Keyed hashing and authenticated encryption of personal identifiers under the instance secret."""

    def __init__(self, secret_key: bytes) -> None:
        if len(secret_key) < 32:
            raise ValueError("the instance secret key must be at least 32 bytes")
        self._lookup_key = _derive(secret_key, b"lookup")
        self._aead = AESGCM(_derive(secret_key, b"encrypt"))

    def lookup_hash(self, value: str, purpose: str = "rrn") -> bytes:
        """Deterministic keyed hash of ``value`` for lookups; different ``purpose`` gives unrelated hashes."""
        return hmac.new(self._lookup_key, f"{purpose}\x00{value}".encode(), sha256).digest()

    def matches(self, value: str, stored_hash: bytes, purpose: str = "rrn") -> bool:
        """Constant-time comparison of ``value`` against a stored keyed hash."""
        return hmac.compare_digest(self.lookup_hash(value, purpose), stored_hash)

    def encrypt(self, value: str, purpose: str = "rrn") -> bytes:
        """Encrypt ``value``; the result is version || nonce || ciphertext+tag."""
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode(), purpose.encode())

    def decrypt(self, blob: bytes, purpose: str = "rrn") -> str:
        """Decrypt what :meth:`encrypt` produced for the same ``purpose``."""
        if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
            raise PiiUnreadable()
        try:
            plain = self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], purpose.encode())
        except InvalidTag as exc:
            raise PiiUnreadable() from exc
        return plain.decode()
