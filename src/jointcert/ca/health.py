"""Whether the CA can work right now: every signer makes a verifiable test signature, every CRL is fresh (the full
CRLs before their nextUpdate, no partition CRL missing a revocation for longer than ``[ca] crl_stale_seconds``).

Used by ``/readyz`` (a node that cannot sign or serves a stale CRL must leave the load balancer), by
``jointcert ca keys`` and the operator console's key status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.ca.keys import CaSigner
from jointcert.ca.ports import CrlRecord
from jointcert.ca.token import TokenKey
from jointcert.errors import JointcertError

__all__ = [
    "CrlStatus",
    "PartitionStatus",
    "SignerStatus",
    "crl_status",
    "partition_status",
    "signer_status",
    "signers_usable",
]

_PROBE = b"jointcert readiness probe"


@dataclass(frozen=True)
class SignerStatus:
    """One signer: where its key lives and whether a test signature just verified."""

    slug: str
    source: str  # "file" | "pkcs11"
    key_id: str  # subject key identifier (hex); for a token key also its CKA_ID
    usable: bool
    error: str | None = None


@dataclass(frozen=True)
class CrlStatus:
    """One CA's newest CRL: its number, age and whether it is still before nextUpdate."""

    slug: str
    number: int | None
    age_seconds: float | None
    fresh: bool


@dataclass(frozen=True)
class PartitionStatus:
    """One CA's partition CRLs: which are stale (missing an older revocation, or past nextUpdate), and why."""

    slug: str
    stale: tuple[int, ...]
    reason: str | None  # None when every partition is fresh

    @property
    def fresh(self) -> bool:
        """No stale partition."""
        return not self.stale


def partition_status(slug: str, stale: list[int], stale_seconds: float) -> PartitionStatus:
    """The readiness verdict on ``slug``'s partitions, with a reason an operator can act on."""
    if not stale:
        return PartitionStatus(slug, (), None)
    names = ", ".join(f"p{n}" for n in stale[:10]) + (f" (+{len(stale) - 10})" if len(stale) > 10 else "")
    reason = (
        f"partition CRLs {names} of {slug} miss a revocation older than {stale_seconds:g} s or are past their "
        "nextUpdate: the scheduler leader is not reissuing them (is a `serve` with the scheduler running?)"
    )
    return PartitionStatus(slug, tuple(stale), reason)


def signer_status(signer: CaSigner) -> SignerStatus:
    """Sign a probe with the key and verify it with the certificate's public key."""
    source = "pkcs11" if isinstance(signer.key, TokenKey) else "file"
    try:
        signature = signer.key.sign(_PROBE, padding.PKCS1v15(), hashes.SHA256())
        public = signer.certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise TypeError("CA keys are RSA")
        public.verify(signature, _PROBE, padding.PKCS1v15(), hashes.SHA256())
    except (JointcertError, InvalidSignature, TypeError, ValueError) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        return SignerStatus(signer.slug, source, signer.key_identifier.hex(), False, str(code))
    return SignerStatus(signer.slug, source, signer.key_identifier.hex(), True)


def crl_status(slug: str, record: CrlRecord | None, now: datetime) -> CrlStatus:
    """Fresh = a CRL exists and ``now`` is before its nextUpdate."""
    if record is None:
        return CrlStatus(slug, None, None, False)
    return CrlStatus(slug, record.number, (now - record.this_update).total_seconds(), now < record.next_update)


def signers_usable(signers: Mapping[str, CaSigner]) -> list[SignerStatus]:
    """The status of every signer, by slug order."""
    return [signer_status(signers[slug]) for slug in sorted(signers)]
