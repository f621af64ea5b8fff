"""Signature algorithms accepted for CMP protection and POP, and hashes for PBM and certConf."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from jointcert.cmp import oids
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.model import AlgorithmId

__all__ = ["HASHES", "SignatureInvalid", "hash_for_oid", "sign", "signature_algorithm", "verify"]

_NULL = b"\x05\x00"

# OID → (key type, hash). SHA-1 signatures are refused (badAlg): see docs/cmp.md.
_SIGNATURES: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    oids.ID_SHA256_WITH_RSA: ("rsa", hashes.SHA256),
    oids.ID_SHA384_WITH_RSA: ("rsa", hashes.SHA384),
    oids.ID_SHA512_WITH_RSA: ("rsa", hashes.SHA512),
    oids.ID_ECDSA_WITH_SHA256: ("ec", hashes.SHA256),
    oids.ID_ECDSA_WITH_SHA384: ("ec", hashes.SHA384),
    oids.ID_ECDSA_WITH_SHA512: ("ec", hashes.SHA512),
}

# Hash OIDs (PBM owf, certConf hashAlg) → hashlib constructor
HASHES: dict[str, Callable[..., Any]] = {
    oids.ID_SHA1: hashlib.sha1,
    oids.ID_SHA256: hashlib.sha256,
    oids.ID_SHA384: hashlib.sha384,
    oids.ID_SHA512: hashlib.sha512,
}


class SignatureInvalid(Exception):
    """Internal: a signature did not verify (callers turn it into their own CmpError)."""


def hash_for_oid(oid: str) -> Callable[..., Any]:
    """The hashlib constructor for a hash OID; :class:`CmpError` (badAlg) when unsupported."""
    try:
        return HASHES[oid]
    except KeyError:
        raise CmpError(f"Unsupported hash algorithm {oid}.", fail_info=FailInfo.BAD_ALG) from None


def signature_algorithm(key: PrivateKeyTypes | PublicKeyTypes) -> AlgorithmId:
    """The AlgorithmIdentifier we sign with: sha256WithRSAEncryption (NULL params) or ecdsa-with-SHA256."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return AlgorithmId(oids.ID_SHA256_WITH_RSA, _NULL)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return AlgorithmId(oids.ID_ECDSA_WITH_SHA256)
    raise CmpError("Only RSA and EC keys can sign CMP messages.", fail_info=FailInfo.BAD_ALG)


def sign(key: PrivateKeyTypes, data: bytes) -> tuple[AlgorithmId, bytes]:
    """Sign ``data`` with ``key``; returns the algorithm and the signature."""
    algorithm = signature_algorithm(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return algorithm, key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return algorithm, key.sign(data, ec.ECDSA(hashes.SHA256()))
    raise CmpError("Only RSA and EC keys can sign CMP messages.", fail_info=FailInfo.BAD_ALG)


def verify(key: PublicKeyTypes, algorithm: AlgorithmId, data: bytes, signature: bytes) -> None:
    """Verify; :class:`CmpError` (badAlg) for an unsupported algorithm or key type, :class:`SignatureInvalid`
    when the signature does not match."""
    entry = _SIGNATURES.get(algorithm.oid)
    if entry is None:
        raise CmpError(f"Unsupported signature algorithm {algorithm.oid}.", fail_info=FailInfo.BAD_ALG)
    kind, hash_type = entry
    if kind == "rsa" and algorithm.parameters not in (None, _NULL):
        raise CmpError("RSA signature parameters must be NULL or absent.", fail_info=FailInfo.BAD_ALG)
    try:
        if kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_type())
        elif kind == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_type()))
        else:
            raise CmpError("The key does not fit the signature algorithm.", fail_info=FailInfo.BAD_ALG)
    except InvalidSignature as exc:
        raise SignatureInvalid from exc
