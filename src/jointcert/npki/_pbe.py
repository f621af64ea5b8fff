"""Password-based encryption schemes of NPKI key files and PKCS #12 (internal).

One table of what a password-encrypted blob can be protected with, given its AlgorithmIdentifier:

* ``seedCBCWithSHA1`` (1.2.410.200004.1.15), params {salt, iterations}: DK = PBKDF1-SHA1(P, S, c) (20 bytes),
  key = DK[0:16], IV = SHA1(DK[16:20])[0:16], SEED-CBC with PKCS #7 padding — the classic signPri.key.
* ``seedCBC`` (1.2.410.200004.1.4) at the top level, the same params: key = PBKDF1-SHA1(P, S, c)[0:16] and the
  fixed IV ``b"0123456789012345"`` — the oldest signPri.key form; read only.
* PBES2 (RFC 8018): PBKDF2 with HMAC-SHA1/224/256/384/512 and SEED-CBC (IV as parameter), AES-CBC or 3DES-CBC.
* PKCS #12 ``pbeWithSHAAnd3-KeyTripleDES-CBC`` / ``…2-KeyTripleDES-CBC`` (RFC 7292 Appendix C).

Ciphers are ``cryptography``'s (SEED and 3DES from its ``decrepit`` module); only the KDFs cryptography lacks are
in :mod:`jointcert.npki._kdf`. Failures raise :class:`PbeError`; the public modules turn it into their error type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import SEED, TripleDES
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pyasn1.codec.der import encoder
from pyasn1.type import univ
from pyasn1.type.base import Asn1Item
from pyasn1_modules import rfc7292, rfc8018

from jointcert.npki import oids
from jointcert.npki._asn1 import Malformed, decode
from jointcert.npki._kdf import PKCS12_IV, PKCS12_KEY, bmp_password, password_bytes, pbkdf1_sha1, pkcs12_kdf

__all__ = [
    "MAX_ITERATIONS",
    "OLD_SEED_IV",
    "EncryptionInfo",
    "PbeError",
    "decrypt",
    "derive_key_iv",
    "describe",
    "encrypt",
    "pbes2_params",
    "salt_iterations_params",
]

MAX_ITERATIONS = 10_000_000  # far above any real file; refuses absurd counts that would hang the reader
OLD_SEED_IV = b"0123456789012345"
Password = str | bytes
Derive = Callable[[Password], tuple[bytes, bytes]]


class PbeError(Exception):
    """The blob could not be decrypted (wrong password, damage) or its scheme is not supported."""


@dataclass(frozen=True)
class _Cipher:
    name: str
    key_size: int
    block_size: int
    make: Callable[[bytes], BlockCipherAlgorithm]


_CIPHERS: dict[str, _Cipher] = {
    oids.ID_SEED_CBC: _Cipher("SEED-CBC", 16, 16, SEED),
    oids.ID_AES128_CBC: _Cipher("AES-128-CBC", 16, 16, algorithms.AES),
    oids.ID_AES192_CBC: _Cipher("AES-192-CBC", 24, 16, algorithms.AES),
    oids.ID_AES256_CBC: _Cipher("AES-256-CBC", 32, 16, algorithms.AES),
    oids.ID_DES_EDE3_CBC: _Cipher("DES-EDE3-CBC", 24, 8, TripleDES),
}
_PRFS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    oids.ID_HMAC_SHA1: hashes.SHA1,
    oids.ID_HMAC_SHA224: hashes.SHA224,
    oids.ID_HMAC_SHA256: hashes.SHA256,
    oids.ID_HMAC_SHA384: hashes.SHA384,
    oids.ID_HMAC_SHA512: hashes.SHA512,
}
_PKCS12_PBES: dict[str, _Cipher] = {
    oids.ID_PBE_SHA1_3DES: _Cipher("DES-EDE3-CBC", 24, 8, TripleDES),
    oids.ID_PBE_SHA1_2DES: _Cipher("DES-EDE2-CBC", 16, 8, TripleDES),
}


@dataclass(frozen=True)
class EncryptionInfo:
    """What protects a blob, readable without the password: names, salt and iteration count."""

    oid: str
    name: str
    kdf: str
    cipher: str
    salt: bytes
    iterations: int


def _decode(params: bytes | None, spec: Asn1Item) -> Asn1Item:
    if params is None:
        raise PbeError("missing algorithm parameters")
    try:
        return decode(params, spec)
    except Malformed as exc:
        raise PbeError("malformed algorithm parameters") from exc


def _check_iterations(count: int) -> int:
    if not 1 <= count <= MAX_ITERATIONS:
        raise PbeError(f"iteration count {count} out of range")
    return count


def _salt_iterations(params: bytes | None) -> tuple[bytes, int]:
    value = _decode(params, rfc7292.Pkcs_12PbeParams())
    return bytes(value["salt"]), _check_iterations(int(value["iterations"]))


def _kisa_plan(oid: str, params: bytes | None) -> tuple[EncryptionInfo, _Cipher, Derive]:
    salt, count = _salt_iterations(params)
    old = oid == oids.ID_SEED_CBC

    def derive(password: Password) -> tuple[bytes, bytes]:
        dk = pbkdf1_sha1(password_bytes(password), salt, count, 20)
        return dk[:16], OLD_SEED_IV if old else hashlib.sha1(dk[16:20], usedforsecurity=False).digest()[:16]

    name = "seedCBC (old NPKI)" if old else "seedCBCWithSHA1"
    return EncryptionInfo(oid, name, "PBKDF1-SHA1", "SEED-CBC", salt, count), _CIPHERS[oids.ID_SEED_CBC], derive


def _pbes2_plan(params: bytes | None) -> tuple[EncryptionInfo, _Cipher, Derive]:
    value = _decode(params, rfc8018.PBES2_params())
    kdf, scheme = value["keyDerivationFunc"], value["encryptionScheme"]
    if str(kdf["algorithm"]) != oids.ID_PBKDF2:
        raise PbeError(f"unsupported PBES2 key derivation {kdf['algorithm']}")
    kdf_params = _decode(bytes(kdf["parameters"]) if kdf["parameters"].isValue else None, rfc8018.PBKDF2_params())
    if kdf_params["salt"].getName() != "specified":
        raise PbeError("PBKDF2 salt from another source is not supported")
    salt = bytes(kdf_params["salt"]["specified"])
    count = _check_iterations(int(kdf_params["iterationCount"]))
    prf_oid = str(kdf_params["prf"]["algorithm"])
    cipher = _CIPHERS.get(str(scheme["algorithm"]))
    prf = _PRFS.get(prf_oid)
    if cipher is None or prf is None:
        raise PbeError(f"unsupported PBES2 cipher {scheme['algorithm']} or PRF {prf_oid}")
    if kdf_params["keyLength"].isValue and int(kdf_params["keyLength"]) != cipher.key_size:
        raise PbeError("PBKDF2 key length does not fit the cipher")
    iv = bytes(_decode(bytes(scheme["parameters"]) if scheme["parameters"].isValue else None, univ.OctetString()))
    if len(iv) != cipher.block_size:
        raise PbeError("IV length does not fit the cipher")

    def derive(password: Password) -> tuple[bytes, bytes]:
        kdf_fn = PBKDF2HMAC(algorithm=prf(), length=cipher.key_size, salt=salt, iterations=count)
        return kdf_fn.derive(password_bytes(password)), iv

    info = EncryptionInfo(oids.ID_PBES2, "PBES2", f"PBKDF2-HMAC-{prf().name.upper()}", cipher.name, salt, count)
    return info, cipher, derive


def _pkcs12_plan(oid: str, params: bytes | None) -> tuple[EncryptionInfo, _Cipher, Derive]:
    salt, count = _salt_iterations(params)
    cipher = _PKCS12_PBES[oid]

    def derive(password: Password) -> tuple[bytes, bytes]:
        bmp = bmp_password(password)
        key = pkcs12_kdf("sha1", bmp, salt, purpose=PKCS12_KEY, iterations=count, length=cipher.key_size)
        return key, pkcs12_kdf("sha1", bmp, salt, purpose=PKCS12_IV, iterations=count, length=cipher.block_size)

    name = "pbeWithSHAAnd3-KeyTripleDES-CBC" if oid == oids.ID_PBE_SHA1_3DES else "pbeWithSHAAnd2-KeyTripleDES-CBC"
    return EncryptionInfo(oid, name, "PKCS12-KDF-SHA1", cipher.name, salt, count), cipher, derive


def _plan(oid: str, params: bytes | None) -> tuple[EncryptionInfo, _Cipher, Derive]:
    if oid in (oids.ID_SEED_CBC_WITH_SHA1, oids.ID_SEED_CBC):
        return _kisa_plan(oid, params)
    if oid == oids.ID_PBES2:
        return _pbes2_plan(params)
    if oid in _PKCS12_PBES:
        return _pkcs12_plan(oid, params)
    raise PbeError(f"unsupported encryption scheme {oid}")


def describe(oid: str, params: bytes | None) -> EncryptionInfo:
    """Name the scheme and read its salt and iteration count (no password needed)."""
    return _plan(oid, params)[0]


def derive_key_iv(oid: str, params: bytes | None, password: Password) -> tuple[bytes, bytes]:
    """The cipher key and IV the scheme derives from ``password`` (for checks against other implementations)."""
    return _plan(oid, params)[2](password)


def decrypt(oid: str, params: bytes | None, ciphertext: bytes, password: Password) -> bytes:
    """Decrypt and unpad; :class:`PbeError` for a wrong password, damage or an unsupported scheme."""
    _, cipher, derive = _plan(oid, params)
    if not ciphertext or len(ciphertext) % cipher.block_size:
        raise PbeError("ciphertext length is not a whole number of blocks")
    key, iv = derive(password)
    decryptor = Cipher(cipher.make(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(cipher.block_size * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise PbeError("bad padding: wrong password or damaged data") from exc


def encrypt(oid: str, params: bytes, plaintext: bytes, password: Password) -> bytes:
    """Pad and encrypt ``plaintext`` under the scheme ``oid`` with DER ``params``."""
    _, cipher, derive = _plan(oid, params)
    key, iv = derive(password)
    padder = padding.PKCS7(cipher.block_size * 8).padder()
    encryptor = Cipher(cipher.make(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()


def salt_iterations_params(salt: bytes, iterations: int) -> bytes:
    """DER of ``SEQUENCE { salt OCTET STRING, iterations INTEGER }`` (seedCBCWithSHA1 and PKCS #12 PBE)."""
    value = rfc7292.Pkcs_12PbeParams()
    value["salt"] = salt
    value["iterations"] = iterations
    return bytes(encoder.encode(value))


def pbes2_params(*, salt: bytes, iterations: int, prf_oid: str, cipher_oid: str, iv: bytes) -> bytes:
    """DER of PBES2-params with PBKDF2 (prf omitted when it is the default HMAC-SHA1) and a CBC cipher."""
    kdf_params = rfc8018.PBKDF2_params()
    kdf_params["salt"]["specified"] = salt
    kdf_params["iterationCount"] = iterations
    if prf_oid != oids.ID_HMAC_SHA1:
        kdf_params["prf"]["algorithm"] = univ.ObjectIdentifier(prf_oid)
        kdf_params["prf"]["parameters"] = encoder.encode(univ.Null(""))
    value = rfc8018.PBES2_params()
    value["keyDerivationFunc"]["algorithm"] = univ.ObjectIdentifier(oids.ID_PBKDF2)
    value["keyDerivationFunc"]["parameters"] = encoder.encode(kdf_params)
    value["encryptionScheme"]["algorithm"] = univ.ObjectIdentifier(cipher_oid)
    value["encryptionScheme"]["parameters"] = encoder.encode(univ.OctetString(iv))
    return bytes(encoder.encode(value))
