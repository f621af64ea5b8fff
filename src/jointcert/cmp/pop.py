"""Proof of possession (RFC 4211 §4.1): POPOSigningKey over DER(CertRequest), by the requested key.

The server verifies with :func:`verify_pop` (or hands :func:`pop_signature`'s ``message``/``signature`` to the
CA pipeline as a ``SignatureProof``); the client signs with :func:`sign_cert_request`.

Accepted: RSA PKCS#1 v1.5 with SHA-256/384/512 and ECDSA with SHA-256/384/512. SHA-1 is refused (badAlg), and
so is ``poposkInput`` (only needed when the template lacks subject or public key, which we never accept).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from jointcert.cmp import _algorithms
from jointcert.cmp._encode import encode_cert_request
from jointcert.cmp.errors import CmpPopFailed, FailInfo
from jointcert.cmp.model import AlgorithmId, CertRequest, Pop, PopKind

__all__ = ["PopSignature", "pop_signature", "sign_cert_request", "verify_pop"]


@dataclass(frozen=True)
class PopSignature:
    """What a signature POP proves: ``signature`` over ``message`` (DER CertRequest) by ``public_key`` (DER
    SubjectPublicKeyInfo of the template) with ``algorithm``. Maps onto ``SignatureProof(message, signature)``."""

    message: bytes
    signature: bytes
    algorithm: AlgorithmId
    public_key: bytes


def pop_signature(request: CertRequest) -> PopSignature:
    """The signed bytes and signature of a signature POP, unverified; :class:`CmpPopFailed` (badPOP) if the
    request has no usable signature POP or no public key."""
    pop = request.pop
    if pop is None or pop.kind is not PopKind.SIGNATURE or pop.algorithm is None or pop.signature is None:
        raise CmpPopFailed("A signature proof of possession is required.")
    if pop.has_poposk_input:
        raise CmpPopFailed("poposkInput is not supported: put subject and public key in the template.")
    if request.template.public_key is None or request.template.subject is None:
        raise CmpPopFailed("The template must carry subject and public key.", fail_info=FailInfo.BAD_CERT_TEMPLATE)
    if not request.der:
        raise CmpPopFailed("The request was not parsed from DER.", fail_info=FailInfo.BAD_REQUEST)
    return PopSignature(request.der, pop.signature, pop.algorithm, request.template.public_key)


def verify_pop(request: CertRequest) -> PopSignature:
    """Verify the signature POP with the template's public key; :class:`CmpPopFailed` (badPOP) or
    :class:`~jointcert.cmp.errors.CmpError` (badAlg) otherwise."""
    proof = pop_signature(request)
    key = request.template.load_public_key()
    try:
        _algorithms.verify(key, proof.algorithm, proof.message, proof.signature)
    except _algorithms.SignatureInvalid as exc:
        raise CmpPopFailed() from exc
    return proof


def sign_cert_request(request: CertRequest, private_key: PrivateKeyTypes) -> CertRequest:
    """``request`` with a signature POP by ``private_key`` over its DER CertRequest (which ``der`` then holds)."""
    der = encode_cert_request(request)
    algorithm, signature = _algorithms.sign(private_key, der)
    return replace(request, pop=Pop(PopKind.SIGNATURE, algorithm, signature), der=der)
