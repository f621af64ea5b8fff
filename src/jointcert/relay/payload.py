"""What travels inside the envelope: the certificate and the private key still encrypted under its password.

Plaintext of the envelope (UTF-8 JSON)::

    {"format": "jointcert-relay-payload/v1", "certificate": <base64 DER>, "private_key": <base64 DER>,
     "km_certificate": <base64 DER>, "km_private_key": <base64 DER>}   # the last two: a sign + km pair only

``private_key`` is a PKCS #8 ``EncryptedPrivateKeyInfo``: PBES2 with PBKDF2-HMAC-SHA256 (16-byte salt, 600,000
iterations) and AES-256-CBC, whose plaintext is the PKCS #8 ``PrivateKeyInfo`` carrying R as the KISA randomNum
attribute — the signPri.key plaintext. WebCrypto can make and read it (PBKDF2 + AES-CBC), and
:func:`jointcert.npki.keyfile.decrypt_sign_pri` reads it. The relay's code thus never protects the key alone:
opening it still takes the certificate password. A sign + km pair adds the encryption certificate and its key
(wrapped the same way, no R inside); a reader that does not know these two optional fields still gets the signing
certificate.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pyasn1.codec.der import encoder
from pyasn1.type import univ
from pyasn1_modules import rfc8018

from jointcert.npki import oids
from jointcert.npki.keyfile import (
    PrivateKeyBundle,
    decrypt_sign_pri,
    describe_sign_pri,
    encode_encrypted,
    encode_pkcs8,
)
from jointcert.relay.errors import InvalidRelayRequest

__all__ = [
    "INNER_ITERATIONS",
    "PAYLOAD_FORMAT",
    "CopyPayload",
    "decode_payload",
    "encode_payload",
    "unwrap_key",
    "wrap_key",
]

PAYLOAD_FORMAT = "jointcert-relay-payload/v1"
INNER_ITERATIONS = 600_000  # as the browser vault: OWASP 2023 for PBKDF2-HMAC-SHA256
INNER_SALT_BYTES = 16


@dataclass(frozen=True)
class CopyPayload:
    """A certificate and its password-encrypted private key (PBES2 EncryptedPrivateKeyInfo)."""

    certificate_der: bytes
    encrypted_key: bytes
    km_certificate_der: bytes | None = None  # the encryption certificate of a sign + km pair (kmCert.der)
    km_encrypted_key: bytes | None = None  # its key, wrapped like ``encrypted_key``

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate (checked when the payload was decoded)."""
        return x509.load_der_x509_certificate(self.certificate_der)

    @property
    def km_certificate(self) -> x509.Certificate | None:
        """The parsed encryption certificate, if the payload carries a sign + km pair."""
        der = self.km_certificate_der
        return None if der is None else x509.load_der_x509_certificate(der)


def _pbes2_aes256_params(salt: bytes, iterations: int, iv: bytes) -> bytes:
    kdf_params = rfc8018.PBKDF2_params()
    kdf_params["salt"]["specified"] = salt
    kdf_params["iterationCount"] = iterations
    kdf_params["prf"]["algorithm"] = univ.ObjectIdentifier(oids.ID_HMAC_SHA256)
    kdf_params["prf"]["parameters"] = encoder.encode(univ.Null(""))
    value = rfc8018.PBES2_params()
    value["keyDerivationFunc"]["algorithm"] = univ.ObjectIdentifier(oids.ID_PBKDF2)
    value["keyDerivationFunc"]["parameters"] = encoder.encode(kdf_params)
    value["encryptionScheme"]["algorithm"] = univ.ObjectIdentifier(oids.ID_AES256_CBC)
    value["encryptionScheme"]["parameters"] = encoder.encode(univ.OctetString(iv))
    return bytes(encoder.encode(value))


def wrap_key(bundle: PrivateKeyBundle, password: str, *, iterations: int = INNER_ITERATIONS) -> bytes:
    """The inner layer: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) of the PKCS #8 key with R, under ``password``."""
    if not password:
        raise InvalidRelayRequest("The certificate password is empty.", message_ko="인증서 비밀번호가 비어 있습니다.")
    salt, iv = os.urandom(INNER_SALT_BYTES), os.urandom(16)
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(password.encode())
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(encode_pkcs8(bundle)) + padder.finalize()) + encryptor.finalize()
    return encode_encrypted(oids.ID_PBES2, _pbes2_aes256_params(salt, iterations, iv), ciphertext)


def unwrap_key(encrypted_key: bytes, password: str) -> PrivateKeyBundle:
    """Open the inner layer (:class:`~jointcert.npki.keyfile.KeyFileUnreadable` for a wrong password)."""
    return decrypt_sign_pri(encrypted_key, password)


def encode_payload(payload: CopyPayload) -> bytes:
    """The envelope plaintext."""
    document = {
        "format": PAYLOAD_FORMAT,
        "certificate": base64.b64encode(payload.certificate_der).decode(),
        "private_key": base64.b64encode(payload.encrypted_key).decode(),
    }
    if payload.km_certificate_der is not None and payload.km_encrypted_key is not None:
        document["km_certificate"] = base64.b64encode(payload.km_certificate_der).decode()
        document["km_private_key"] = base64.b64encode(payload.km_encrypted_key).decode()
    return json.dumps(document, separators=(",", ":")).encode()


def _field(document: dict[str, object], name: str) -> bytes:
    value = document.get(name)
    if not isinstance(value, str):
        raise InvalidRelayRequest(f"The copied data has no {name}.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRelayRequest(f"The copied {name} is not base64.") from exc


def decode_payload(plaintext: bytes) -> CopyPayload:
    """Parse and check an envelope plaintext: a certificate and an encrypted key file."""
    try:
        document = json.loads(plaintext.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRelayRequest("The copied data is not a certificate payload.") from exc
    if not isinstance(document, dict) or document.get("format") != PAYLOAD_FORMAT:
        raise InvalidRelayRequest("The copied data is not a certificate payload of a known version.")
    km_fields = [name for name in ("km_certificate", "km_private_key") if name in document]
    if len(km_fields) == 1:
        raise InvalidRelayRequest("The copied km certificate and km key go together.")
    km = (_field(document, "km_certificate"), _field(document, "km_private_key")) if km_fields else (None, None)
    payload = CopyPayload(_field(document, "certificate"), _field(document, "private_key"), *km)
    try:
        certificates = [payload.certificate, payload.km_certificate]
    except ValueError as exc:
        raise InvalidRelayRequest("The copied certificate is not a DER certificate.") from exc
    for certificate in certificates:  # parsed lazily by cryptography: an unknown key type raises only here
        try:
            if certificate is not None:
                certificate.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidRelayRequest(
                "The copied certificate's public key cannot be read.",
                message_ko="복사된 인증서의 공개키를 읽을 수 없습니다.",
            ) from exc
    describe_sign_pri(payload.encrypted_key)  # NotAKeyFile if it is not an EncryptedPrivateKeyInfo
    if payload.km_encrypted_key is not None:
        describe_sign_pri(payload.km_encrypted_key)
    return payload
