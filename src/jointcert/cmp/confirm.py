"""certConf's certHash (RFC 4210 §5.3.18, RFC 9480 §2.10): compute it (client) and check it (server)."""

from __future__ import annotations

import hashlib
import hmac

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.cmp import _algorithms
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.model import AlgorithmId, CertStatus

__all__ = ["certificate_hash", "check_cert_hash"]


def certificate_hash(certificate: x509.Certificate, hash_alg: AlgorithmId | None = None) -> bytes:
    """Hash of the certificate's DER: with ``hash_alg`` when given (certConf hashAlg, pvno 3), otherwise with the
    hash of the certificate's own signature algorithm (RFC 4210)."""
    der = certificate.public_bytes(Encoding.DER)
    if hash_alg is not None:
        return bytes(_algorithms.hash_for_oid(hash_alg.oid)(der).digest())
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if algorithm is None:
        raise CmpError("The certificate's signature has no hash: certConf needs hashAlg.", fail_info=FailInfo.BAD_ALG)
    return hashlib.new(algorithm.name, der).digest()


def check_cert_hash(status: CertStatus, certificate: x509.Certificate) -> None:
    """Raise :class:`CmpError` (badCertId) unless ``status.cert_hash`` is the hash of ``certificate``."""
    expected = certificate_hash(certificate, status.hash_alg)
    if not hmac.compare_digest(expected, status.cert_hash):
        raise CmpError("certHash does not match the issued certificate.", fail_info=FailInfo.BAD_CERT_ID)
