"""The copy code and the outer encryption, as both devices compute them (``relay.js`` mirrors this module).

* **Code**: ``code_digits`` decimal digits from a CSPRNG, made by the receiving device. The first
  :data:`~jointcert.relay.model.ID_DIGITS` are the transfer id, sent to the relay; the rest never leave the devices.
  Shown grouped by four: ``1234-5678-9012``.
* **Keys**: ``master = PBKDF2-HMAC-SHA256(password = the whole code's ASCII digits, salt = 16 random bytes from
  the receiver, iterations ≥ 600,000, 32 bytes)``; ``payload_key = HKDF-SHA256(master, salt = "", info =
  "jointcert-relay/v1 payload key", 32)``; ``proof = HKDF-SHA256(master, "", "jointcert-relay/v1 upload proof",
  32)``. The relay stores ``verifier = SHA-256(proof)``; the sender presents ``proof``.
* **Envelope**: ``IV (12 random bytes) ‖ AES-256-GCM(payload_key, IV, plaintext, aad)`` with ``aad = UTF-8 of
  "jointcert-relay/v1\\0<transfer id>\\0<base64 salt>"``: the ciphertext is bound to its transfer.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from jointcert.relay.errors import InvalidCode, InvalidRelayRequest, PayloadTampered
from jointcert.relay.model import (
    ID_DIGITS,
    MAX_ITERATIONS,
    MIN_CODE_DIGITS,
    MIN_ITERATIONS,
    SALT_BYTES,
)

__all__ = [
    "CodeKeys",
    "aad",
    "derive_keys",
    "format_code",
    "new_code",
    "new_salt",
    "open_envelope",
    "parse_code",
    "seal_envelope",
    "transfer_id_of",
    "verifier_of",
]

PROTOCOL = "jointcert-relay/v1"
PAYLOAD_KEY_INFO = f"{PROTOCOL} payload key".encode()
PROOF_INFO = f"{PROTOCOL} upload proof".encode()
IV_BYTES = 12


def new_code(digits: int) -> str:
    """A fresh code of ``digits`` uniformly random decimal digits (at least 12)."""
    if digits < MIN_CODE_DIGITS:
        raise InvalidCode(f"A copy code has at least {MIN_CODE_DIGITS} digits.")
    return "".join(str(secrets.randbelow(10)) for _ in range(digits))


def format_code(code: str) -> str:
    """The code grouped by four for reading aloud and typing: ``1234-5678-9012``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def parse_code(text: str, digits: int | None = None) -> str:
    """The digits of a typed code (spaces and dashes ignored); :class:`InvalidCode` for anything else."""
    code = re.sub(r"[\s\-]", "", text)
    if not code.isascii() or not code.isdigit() or len(code) < MIN_CODE_DIGITS:
        raise InvalidCode()
    if digits is not None and len(code) != digits:
        raise InvalidCode(f"The copy code has {digits} digits.", message_ko=f"인증번호는 {digits}자리입니다.")
    return code


def transfer_id_of(code: str) -> str:
    """The part of the code the relay sees: its first digits."""
    return code[:ID_DIGITS]


def new_salt() -> bytes:
    """16 random bytes for the code's KDF."""
    return os.urandom(SALT_BYTES)


@dataclass(frozen=True)
class CodeKeys:
    """What a code yields for one transfer: the AES-256-GCM key and the upload proof."""

    payload_key: bytes
    proof: bytes

    @property
    def verifier(self) -> bytes:
        """What the relay stores to check the proof."""
        return verifier_of(self.proof)


def check_kdf_params(salt: bytes, iterations: int) -> None:
    """Refuse KDF parameters weaker (or costlier) than the protocol allows — a hostile relay may offer them."""
    if len(salt) != SALT_BYTES or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise InvalidRelayRequest(
            "The relay offered key-derivation parameters outside the protocol's limits.",
            message_ko="중계 서버가 허용되지 않는 키 유도 값을 보냈습니다.",
        )


def derive_keys(code: str, salt: bytes, iterations: int) -> CodeKeys:
    """PBKDF2-HMAC-SHA256 of the whole code, then HKDF-SHA256 into the payload key and the upload proof."""
    check_kdf_params(salt, iterations)
    master = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(code.encode())

    def expand(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return CodeKeys(expand(PAYLOAD_KEY_INFO), expand(PROOF_INFO))


def verifier_of(proof: bytes) -> bytes:
    """SHA-256 of the upload proof."""
    return hashlib.sha256(proof).digest()


def aad(transfer_id: str, salt: bytes) -> bytes:
    """The associated data binding an envelope to its transfer."""
    return f"{PROTOCOL}\0{transfer_id}\0{base64.b64encode(salt).decode()}".encode()


def seal_envelope(keys: CodeKeys, transfer_id: str, salt: bytes, plaintext: bytes) -> bytes:
    """``IV ‖ AES-256-GCM ciphertext ‖ tag`` of the payload."""
    iv = os.urandom(IV_BYTES)
    return iv + AESGCM(keys.payload_key).encrypt(iv, plaintext, aad(transfer_id, salt))


def open_envelope(keys: CodeKeys, transfer_id: str, salt: bytes, envelope: bytes) -> bytes:
    """The payload; :class:`PayloadTampered` when the AES-GCM tag does not verify."""
    if len(envelope) < IV_BYTES + 16:
        raise PayloadTampered()
    try:
        return AESGCM(keys.payload_key).decrypt(envelope[:IV_BYTES], envelope[IV_BYTES:], aad(transfer_id, salt))
    except InvalidTag as exc:
        raise PayloadTampered() from exc
