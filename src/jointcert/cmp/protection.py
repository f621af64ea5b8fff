"""Message protection over DER(ProtectedPart{header, body}): PasswordBasedMac and signatures.

- PBM (RFC 4210 §5.1.3.1 / RFC 4211 §4.4): K = OWF^iterationCount(secret ‖ salt), MAC = HMAC(K, data). The
  peer chooses salt, OWF, iterationCount and MAC, so verification bounds them (:class:`PbmLimits`) *before*
  deriving anything: a huge iterationCount is refused with badMessageCheck, an unknown OWF/MAC with badAlg.
  The MAC is compared in constant time.
- Signature: sha256WithRSAEncryption (or ECDSA) by the sender's key; the verifier takes the protection
  certificate from extraCerts (first one, RFC 9483 §3.3) unless the caller pins one.

:func:`jointcert.cmp.codec.encode_message` takes a :class:`Protection` (:class:`PbmProtection` or
:class:`SignatureProtection`) to protect what it builds.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from dataclasses import dataclass, field, replace
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from jointcert.cmp import _algorithms, oids
from jointcert.cmp import _asn1 as a
from jointcert.cmp.errors import CmpError, CmpProtectionFailed, FailInfo
from jointcert.cmp.model import EMPTY_NAME, AlgorithmId, PkiHeader, PkiMessage

__all__ = [
    "PbmLimits",
    "PbmParameters",
    "PbmProtection",
    "Protection",
    "ProtectionKind",
    "SignatureProtection",
    "pbm_mac",
    "pbm_parameters",
    "protection_kind",
    "verify_pbm",
    "verify_signature",
]

_MACS = {  # MAC OID → hash OID
    oids.ID_HMAC_SHA1: oids.ID_SHA1,
    oids.ID_HMAC_WITH_SHA1: oids.ID_SHA1,
    oids.ID_HMAC_WITH_SHA256: oids.ID_SHA256,
    oids.ID_HMAC_WITH_SHA384: oids.ID_SHA384,
    oids.ID_HMAC_WITH_SHA512: oids.ID_SHA512,
}


class ProtectionKind(enum.StrEnum):
    """How a message is protected."""

    NONE = "none"
    PBM = "pbm"
    SIGNATURE = "signature"


@dataclass(frozen=True)
class PbmLimits:
    """Bounds on the PBM parameters a peer may choose (openssl uses 16-byte salts and 500 iterations)."""

    min_iterations: int = 100  # RFC 4211 §4.4's floor, also openssl's
    max_iterations: int = 10_000  # K costs one hash per iteration before the MAC can even be checked
    min_salt: int = 8
    max_salt: int = 128


@dataclass(frozen=True)
class PbmParameters:
    """PBMParameter: salt, OWF (hash OID), iterationCount, MAC (HMAC OID)."""

    salt: bytes
    owf: str
    iterations: int
    mac: str

    def algorithm(self) -> AlgorithmId:
        """The protectionAlg AlgorithmIdentifier carrying these parameters."""
        params = a.pbm_parameter(self.salt, self.owf, self.iterations, self.mac)
        return AlgorithmId(oids.ID_PASSWORD_BASED_MAC, params)


def pbm_parameters(alg: AlgorithmId, limits: PbmLimits | None = None) -> PbmParameters:
    """Parse and bound-check a PBM protectionAlg; :class:`CmpError` with badAlg or badMessageCheck."""
    result = _parse_pbm(alg)
    limits = limits or PbmLimits()
    if not limits.min_iterations <= result.iterations <= limits.max_iterations:
        raise CmpError("PBM iterationCount out of bounds.", fail_info=FailInfo.BAD_MESSAGE_CHECK)
    if not limits.min_salt <= len(result.salt) <= limits.max_salt:
        raise CmpError("PBM salt length out of bounds.", fail_info=FailInfo.BAD_MESSAGE_CHECK)
    return result


def _parse_pbm(alg: AlgorithmId) -> PbmParameters:
    if alg.oid != oids.ID_PASSWORD_BASED_MAC or alg.parameters is None:
        raise CmpError("The protection is not PasswordBasedMac.", fail_info=FailInfo.WRONG_INTEGRITY)
    params = a.decode(alg.parameters, a.rfc9810.PBMParameter(), "PBMParameter")
    result = PbmParameters(
        salt=bytes(params["salt"]),
        owf=str(params["owf"]["algorithm"]),
        iterations=int(params["iterationCount"]),
        mac=str(params["mac"]["algorithm"]),
    )
    if result.owf not in _algorithms.HASHES or result.mac not in _MACS:
        raise CmpError("Unsupported PBM one-way function or MAC.", fail_info=FailInfo.BAD_ALG)
    return result


def pbm_mac(secret: bytes, params: PbmParameters, data: bytes) -> bytes:
    """The PBM value over ``data``."""
    owf = _algorithms.hash_for_oid(params.owf)
    key = owf(secret + params.salt).digest()
    for _ in range(params.iterations - 1):
        key = owf(key).digest()
    return hmac.new(key, data, _algorithms.hash_for_oid(_MACS[params.mac])).digest()


def protection_kind(message: PkiMessage) -> ProtectionKind:
    """NONE, PBM or SIGNATURE; :class:`CmpError` (badAlg) for any other protectionAlg."""
    alg = message.header.protection_alg
    if message.protection is None and alg is None:
        return ProtectionKind.NONE
    if alg is None or message.protection is None:
        raise CmpError("protectionAlg and protection must come together.", fail_info=FailInfo.BAD_MESSAGE_CHECK)
    if alg.oid == oids.ID_PASSWORD_BASED_MAC:
        return ProtectionKind.PBM
    if alg.oid in (oids.ID_SHA1_WITH_RSA, *_SIGNATURE_OIDS):
        return ProtectionKind.SIGNATURE
    raise CmpError(f"Unsupported protection algorithm {alg.oid}.", fail_info=FailInfo.BAD_ALG)


_SIGNATURE_OIDS = (
    oids.ID_SHA256_WITH_RSA, oids.ID_SHA384_WITH_RSA, oids.ID_SHA512_WITH_RSA,
    oids.ID_ECDSA_WITH_SHA256, oids.ID_ECDSA_WITH_SHA384, oids.ID_ECDSA_WITH_SHA512,
)  # fmt: skip


def _require(message: PkiMessage, kind: ProtectionKind) -> tuple[AlgorithmId, bytes]:
    if protection_kind(message) is not kind:
        raise CmpError(f"The message is not {kind}-protected.", fail_info=FailInfo.WRONG_INTEGRITY)
    assert message.header.protection_alg is not None and message.protection is not None  # by protection_kind
    return message.header.protection_alg, message.protection


def verify_pbm(message: PkiMessage, secret: bytes, *, limits: PbmLimits | None = None) -> None:
    """Verify PBM protection with ``secret``; :class:`CmpProtectionFailed` (badMessageCheck) when it does not
    match, :class:`CmpError` (badAlg/badMessageCheck/wrongIntegrity) for unacceptable parameters."""
    alg, protection = _require(message, ProtectionKind.PBM)
    expected = pbm_mac(secret, pbm_parameters(alg, limits), message.protected_part)
    if not hmac.compare_digest(expected, protection):
        raise CmpProtectionFailed()


def verify_signature(message: PkiMessage, certificate: x509.Certificate | None = None) -> x509.Certificate:
    """Verify signature protection and return the certificate whose key verified it.

    Without ``certificate`` the first extraCerts entry is used (RFC 9483 §3.3) and must name the header's
    sender (unless that is the NULL-DN). Whether that certificate is *trusted* (chain, validity, revocation,
    being the certificate a kur renews) is the caller's decision: this only proves possession of its key.
    """
    alg, protection = _require(message, ProtectionKind.SIGNATURE)
    signer = certificate or (message.extra_certs[0] if message.extra_certs else None)
    if signer is None:
        raise CmpProtectionFailed("No certificate to verify the signature with.", fail_info=FailInfo.SIGNER_NOT_TRUSTED)
    if certificate is None and message.header.sender not in (EMPTY_NAME, signer.subject):
        raise CmpProtectionFailed("The protection certificate does not name the sender.")
    try:
        key = signer.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CmpError("The protection certificate's key is unsupported.", fail_info=FailInfo.BAD_ALG) from exc
    try:
        _algorithms.verify(key, alg, message.protected_part, protection)
    except _algorithms.SignatureInvalid as exc:
        raise CmpProtectionFailed() from exc
    return signer


class Protection(Protocol):
    """Something that protects outgoing messages (see :func:`jointcert.cmp.codec.encode_message`)."""

    def prepare(self, header: PkiHeader) -> PkiHeader:
        """The header to send: protectionAlg set (fresh parameters), sender fields filled where needed."""
        ...

    def protect(self, header: PkiHeader, protected_part: bytes) -> bytes:
        """The protection value over ``protected_part`` (``header`` is the prepared header)."""
        ...

    @property
    def extra_certs(self) -> tuple[x509.Certificate, ...]:
        """Certificates to put first in extraCerts."""
        ...


@dataclass(frozen=True)
class PbmProtection:
    """Protect with PBM under ``secret`` (a fresh random salt per message)."""

    secret: bytes = field(repr=False)
    iterations: int = 1000
    owf: str = oids.ID_SHA256
    mac: str = oids.ID_HMAC_WITH_SHA256
    salt_length: int = 16
    extra_certs: tuple[x509.Certificate, ...] = ()

    def prepare(self, header: PkiHeader) -> PkiHeader:
        """Set protectionAlg with a new salt."""
        params = PbmParameters(secrets.token_bytes(self.salt_length), self.owf, self.iterations, self.mac)
        return replace(header, protection_alg=params.algorithm())

    def protect(self, header: PkiHeader, protected_part: bytes) -> bytes:
        """HMAC under the key derived from the secret and the header's salt."""
        assert header.protection_alg is not None  # set by prepare()
        return pbm_mac(self.secret, _parse_pbm(header.protection_alg), protected_part)


@dataclass(frozen=True)
class SignatureProtection:
    """Protect with a signature by ``key``; ``certificate`` (and ``chain``) go first in extraCerts."""

    key: PrivateKeyTypes = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def prepare(self, header: PkiHeader) -> PkiHeader:
        """Set protectionAlg; sender ← certificate subject and senderKID ← its SKI when not given."""
        sender = header.sender if header.sender != EMPTY_NAME else self.certificate.subject
        kid = header.sender_kid if header.sender_kid is not None else _ski(self.certificate)
        alg = _algorithms.signature_algorithm(self.key)
        return replace(header, protection_alg=alg, sender=sender, sender_kid=kid)

    def protect(self, header: PkiHeader, protected_part: bytes) -> bytes:
        """Sign the protected part."""
        return _algorithms.sign(self.key, protected_part)[1]

    @property
    def extra_certs(self) -> tuple[x509.Certificate, ...]:
        """The protection certificate, then its chain."""
        return (self.certificate, *self.chain)


def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None
