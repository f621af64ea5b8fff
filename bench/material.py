"""What the HTTP workloads need before the server starts: keys, a certificate to log in and ask OCSP about,
CMP tickets. Made in-process through the instance's own services, never while measuring."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.app import Services
from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.ca.registration import RegistrationTicket
from jointcert.npki.resident_number import check_digit
from jointcert.rp.ocsp import build_request
from jointcert.types import CertType

__all__ = ["Material", "client_key", "make_material", "spki", "tickets"]


@cache
def client_key(index: int) -> rsa.RSAPrivateKey:
    """Applicant keys, made once per run (key generation is the client's cost, not the server's)."""
    return rsa.generate_private_key(65537, 2048)


def spki(key: rsa.RSAPrivateKey) -> bytes:
    """SubjectPublicKeyInfo DER."""
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Material:
    """A certificate with its key (for logins) and a nonce-less OCSP request about it with the current answer."""

    key: rsa.RSAPrivateKey
    certificate_der: bytes
    ocsp_request: bytes
    ocsp_response: bytes


def make_material(services: Services) -> Material:
    """Issue one limited-use certificate and ask the responder about it once (the answer the bare endpoint sends)."""
    key = client_key(0)
    message = b"bench proof of possession"
    proof = SignatureProof(message, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    rrn = _rrn("850505100000")  # nobody else's: bench customers are born 1990-01-01, CMP applicants 1970
    request = IssuanceRequest(CertType.LIMITED, "홍길동", rrn, os.urandom(20), spki(key), proof, "cli")
    issued = services.authority.issue(request)
    issuer: x509.Certificate = services.authority.issuing.certificate
    ocsp_request, _ = build_request(issued.certificate, issuer, nonce=False)
    return Material(key, issued.der, ocsp_request, services.ocsp.respond(ocsp_request))


def _rrn(first_twelve: str) -> str:
    return first_twelve + check_digit(first_twelve)


def tickets(services: Services, count: int) -> list[RegistrationTicket]:
    """CMP registrations (reference number + authorization code), as the RA would make them."""
    return [
        services.registrations.register(
            real_name="홍길동", rrn=_rrn(f"7001011{i:05d}"), cert_type=CertType.LIMITED, requested_by="bench"
        )
        for i in range(count)
    ]
