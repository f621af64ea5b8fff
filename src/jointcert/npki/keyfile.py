"""The signPri.key codec: an NPKI private key with its randomNum R, encrypted under the certificate password.

A signPri.key is a DER ``EncryptedPrivateKeyInfo`` whose plaintext is a PKCS #8 ``PrivateKeyInfo`` carrying, in
its attributes, ``1.2.410.200004.10.1.1.3`` (randomNum) = BIT STRING R — the 20 bytes the certificate's VID was
made from. Three encryptions are read (see :mod:`jointcert.npki._pbe`): ``seedCBCWithSHA1`` (the classic one),
PBES2 with PBKDF2 and SEED-CBC (newer software; AES/3DES-CBC and HMAC-SHA2 PRFs too), and the oldest ``seedCBC``
with a fixed IV. The first two are written (:class:`KeyScheme`).

Passwords: ``str`` is encoded as UTF-8, ``bytes`` are used as they are (NPKI software hashes the typed bytes).

Errors: every way a key file can fail to open — wrong password, damage, an unsupported scheme, a plaintext that
is not an RSA PKCS #8 key — raises :class:`KeyFileUnreadable` (kind AUTHENTICATION: with CBC and no MAC a wrong
password cannot be told from damage). Its subclass :class:`NotAKeyFile` says more precisely that the bytes are
not an ``EncryptedPrivateKeyInfo`` at all; its kind is INVALID since no password was tried, but one
``except KeyFileUnreadable`` still catches both.
"""

from __future__ import annotations

import enum
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyasn1.codec.der import encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pyasn1_modules import rfc5958

from jointcert.errors import AuthenticationFailed, ErrorKind, InvalidInput
from jointcert.npki import _pbe, oids
from jointcert.npki._asn1 import Malformed, decode
from jointcert.npki._pbe import EncryptionInfo

__all__ = [
    "RANDOM_NUM_LENGTH",
    "EncryptionInfo",
    "KeyFileUnreadable",
    "KeyScheme",
    "NotAKeyFile",
    "PrivateKeyBundle",
    "decode_pkcs8",
    "decrypt_sign_pri",
    "describe_sign_pri",
    "encode_encrypted",
    "encode_pkcs8",
    "encrypt_sign_pri",
    "generate_bundle",
    "new_random_num",
]

RANDOM_NUM_LENGTH = 20
DEFAULT_ITERATIONS = 2048
SALT_LENGTH = 8  # what NPKI software writes; PBKDF1 (RFC 8018 §5.1) defines an eight-octet salt


class KeyFileUnreadable(AuthenticationFailed):
    """A key file (signPri.key or PFX) cannot be opened: wrong password, damaged or unsupported."""

    code = "key_file_unreadable"
    message_ko = "인증서 비밀번호가 틀렸거나 키 파일이 손상되었거나 지원하지 않는 형식입니다."
    message_en = "The certificate password is wrong, or the key file is damaged or in an unsupported format."


class NotAKeyFile(KeyFileUnreadable):
    """The bytes are not an encrypted key file at all (no password was tried)."""

    kind = ErrorKind.INVALID
    code = "not_a_key_file"
    message_ko = "개인키 파일(signPri.key)이 아닙니다."
    message_en = "This is not a private key file (signPri.key)."


class KeyScheme(enum.Enum):
    """How :func:`encrypt_sign_pri` protects a key."""

    SEED_CBC_WITH_SHA1 = "seedCBCWithSHA1"  # 1.2.410.200004.1.15: PBKDF1-SHA1 + SEED-CBC
    PBES2_SEED = "PBES2-SEED"  # PBES2: PBKDF2-HMAC-SHA1 + SEED-CBC (1.2.410.200004.1.4)


@dataclass(frozen=True)
class PrivateKeyBundle:
    """A user's private key and R (randomNum, normally 20 bytes; ``None`` when the file carries none)."""

    key: rsa.RSAPrivateKey
    random_num: bytes | None

    def __post_init__(self) -> None:
        if not isinstance(self.key, rsa.RSAPrivateKey):
            raise InvalidInput("NPKI keys are RSA keys.", message_ko="공동인증서 키는 RSA 키여야 합니다.")
        if self.random_num is not None and not self.random_num:
            raise InvalidInput("R (randomNum) is empty.", message_ko="R(randomNum) 값이 비어 있습니다.")


def new_random_num() -> bytes:
    """A fresh R: 20 random bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(RANDOM_NUM_LENGTH)


def generate_bundle(key_size: int = 2048) -> PrivateKeyBundle:
    """A new RSA key (e = 65537) with a fresh R, as a client makes before enrolling."""
    return PrivateKeyBundle(rsa.generate_private_key(public_exponent=65537, key_size=key_size), new_random_num())


# --- PKCS #8 with the randomNum attribute -------------------------------------------------------------------


def encode_pkcs8(bundle: PrivateKeyBundle) -> bytes:
    """DER PrivateKeyInfo (v1, rsaEncryption) with attribute randomNum = BIT STRING R when R is present."""
    info = rfc5958.PrivateKeyInfo()
    info["version"] = 0
    info["privateKeyAlgorithm"]["algorithm"] = univ.ObjectIdentifier(oids.ID_RSA_ENCRYPTION)
    info["privateKeyAlgorithm"]["parameters"] = encoder.encode(univ.Null(""))
    info["privateKey"] = bundle.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    if bundle.random_num is not None:
        attribute = info["attributes"].getComponentType().clone()
        attribute["attrType"] = univ.ObjectIdentifier(oids.ID_KISA_RANDOM_NUM)
        attribute["attrValues"].append(encoder.encode(univ.BitString.fromOctetString(bundle.random_num)))
        info["attributes"].append(attribute)
    return bytes(encoder.encode(info))


def _random_num_of(info: univ.Sequence) -> bytes | None:
    if not info["attributes"].isValue:
        return None
    found = [a for a in info["attributes"] if str(a["attrType"]) == oids.ID_KISA_RANDOM_NUM]
    if not found:
        return None
    values = found[0]["attrValues"]
    if len(found) != 1 or len(values) != 1:
        raise KeyFileUnreadable("The key's randomNum attribute is malformed.")
    bits = decode(bytes(values[0]), univ.BitString())
    if len(bits) == 0 or len(bits) % 8:
        raise KeyFileUnreadable("The key's randomNum attribute is malformed.")
    return bytes(bits.asOctets())


def decode_pkcs8(der: bytes) -> PrivateKeyBundle:
    """Parse a PrivateKeyInfo with an RSA key and the optional randomNum; :class:`KeyFileUnreadable` otherwise."""
    try:
        info = decode(der, rfc5958.PrivateKeyInfo())
        if str(info["privateKeyAlgorithm"]["algorithm"]) != oids.ID_RSA_ENCRYPTION:
            raise KeyFileUnreadable("The key is not an RSA PKCS #8 key.")
        random_num = _random_num_of(info)
        key = serialization.load_der_private_key(bytes(info["privateKey"]), password=None)
    except (Malformed, PyAsn1Error, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileUnreadable() from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileUnreadable("The key is not an RSA key.")
    return PrivateKeyBundle(key, random_num)


# --- signPri.key ------------------------------------------------------------------------------------------


def _parse_encrypted(data: bytes) -> tuple[str, bytes | None, bytes]:
    try:
        value = decode(data, rfc5958.EncryptedPrivateKeyInfo())
    except Malformed as exc:
        raise NotAKeyFile() from exc
    algorithm = value["encryptionAlgorithm"]
    params = bytes(algorithm["parameters"]) if algorithm["parameters"].isValue else None
    return str(algorithm["algorithm"]), params, bytes(value["encryptedData"])


def describe_sign_pri(data: bytes) -> EncryptionInfo:
    """How a signPri.key is encrypted (scheme, KDF, cipher, salt, iterations), read without the password."""
    oid, params, _ = _parse_encrypted(data)
    try:
        return _pbe.describe(oid, params)
    except _pbe.PbeError as exc:
        raise KeyFileUnreadable(f"Unsupported or malformed key file encryption: {exc}.") from exc


def decrypt_sign_pri(data: bytes, password: str | bytes) -> PrivateKeyBundle:
    """Open a signPri.key (any of the three schemes) with the certificate password."""
    oid, params, ciphertext = _parse_encrypted(data)
    try:
        plaintext = _pbe.decrypt(oid, params, ciphertext, password)
    except _pbe.PbeError as exc:
        raise KeyFileUnreadable() from exc
    return decode_pkcs8(plaintext)


def _check_write_args(password: str | bytes, iterations: int, salt: bytes, scheme: KeyScheme) -> None:
    if not password:
        raise InvalidInput("The certificate password is empty.", message_ko="인증서 비밀번호가 비어 있습니다.")
    if not 1 <= iterations <= _pbe.MAX_ITERATIONS:
        raise InvalidInput("The iteration count is out of range.", message_ko="반복 횟수가 범위를 벗어났습니다.")
    valid_salt = len(salt) == SALT_LENGTH if scheme is KeyScheme.SEED_CBC_WITH_SHA1 else 8 <= len(salt) <= 64
    if not valid_salt:
        raise InvalidInput("The salt length does not fit the scheme.", message_ko="솔트 길이가 올바르지 않습니다.")


def encrypt_sign_pri(
    bundle: PrivateKeyBundle,
    password: str | bytes,
    *,
    scheme: KeyScheme = KeyScheme.SEED_CBC_WITH_SHA1,
    iterations: int = DEFAULT_ITERATIONS,
    salt: bytes | None = None,
) -> bytes:
    """DER signPri.key of ``bundle`` under ``password`` (salt: 8 random bytes unless given)."""
    salt = os.urandom(SALT_LENGTH) if salt is None else bytes(salt)
    _check_write_args(password, iterations, salt, scheme)
    if scheme is KeyScheme.SEED_CBC_WITH_SHA1:
        oid, params = oids.ID_SEED_CBC_WITH_SHA1, _pbe.salt_iterations_params(salt, iterations)
    else:
        oid = oids.ID_PBES2
        params = _pbe.pbes2_params(
            salt=salt, iterations=iterations, prf_oid=oids.ID_HMAC_SHA1, cipher_oid=oids.ID_SEED_CBC, iv=os.urandom(16)
        )
    return encode_encrypted(oid, params, _pbe.encrypt(oid, params, encode_pkcs8(bundle), password))


def encode_encrypted(oid: str, params: bytes, ciphertext: bytes) -> bytes:
    """DER ``EncryptedPrivateKeyInfo`` from an algorithm OID, its DER parameters and the ciphertext."""
    value = rfc5958.EncryptedPrivateKeyInfo()
    value["encryptionAlgorithm"]["algorithm"] = univ.ObjectIdentifier(oid)
    value["encryptionAlgorithm"]["parameters"] = params
    value["encryptedData"] = ciphertext
    return bytes(encoder.encode(value))
