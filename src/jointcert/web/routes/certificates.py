"""The holder's renewal (갱신) and revocation (폐지) of a certificate of ours: ``/api/v1/certificates``."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from jointcert.app import Services
from jointcert.ca.errors import AlreadyRevoked, BadProofOfPossession, WeakKey
from jointcert.errors import InvalidInput
from jointcert.ra import errors as ra
from jointcert.web.routes import issuance_models as m

__all__ = ["ChallengeIn", "ChallengeOut", "RenewIn", "RevokeIn", "RevokedOut", "router"]

router = APIRouter(prefix="/api/v1/certificates", tags=["certificates"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=16384)


class ChallengeIn(_In):
    """``renew`` or ``revoke``."""

    purpose: str = Field(min_length=1, max_length=16)


class ChallengeOut(BaseModel):
    """Sign the UTF-8 bytes of ``challenge`` with the current certificate's key; single use."""

    challenge_id: str
    challenge: str
    purpose: str
    expires_at: datetime


class RenewIn(_In):
    """Current certificate + its key's signature over the challenge; new SPKI + the new key's signature."""

    challenge_id: str = Field(min_length=1, max_length=64)
    certificate: str = Field(min_length=1, max_length=16384)
    signature: str = Field(min_length=1, max_length=2048)
    public_key: str = Field(min_length=1, max_length=8192)
    pop_signature: str = Field(min_length=1, max_length=2048)
    km_public_key: str | None = Field(default=None, min_length=1, max_length=8192)  # renew the sign + km pair
    km_pop_signature: str | None = Field(default=None, min_length=1, max_length=2048)


class RevokeIn(_In):
    """Current certificate + its key's signature over the challenge, and the reason."""

    challenge_id: str = Field(min_length=1, max_length=64)
    certificate: str = Field(min_length=1, max_length=16384)
    signature: str = Field(min_length=1, max_length=2048)
    reason: str = Field(default="unspecified", max_length=32)


class RevokedOut(BaseModel):
    """The revocation."""

    serial: str
    reason: str
    revoked_at: datetime
    cert_type: str | None


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


_HOLDER = (
    ra.ChallengeInvalid,
    ra.MalformedInput,
    ra.CertificateNotOurs,
    ra.CertificateNotActive,
    ra.CertificateExpired,
    ra.HolderSignatureInvalid,
)


@router.post(
    "/challenges", summary="A single-use challenge for renewal or revocation", responses=m.problems(InvalidInput)
)
def new_challenge(body: ChallengeIn, request: Request) -> ChallengeOut:
    """The holder signs its UTF-8 bytes with the current certificate's key."""
    challenge = _services(request).holders.new_challenge(body.purpose)
    return ChallengeOut(
        challenge_id=challenge.id, challenge=challenge.value, purpose=challenge.purpose, expires_at=challenge.expires_at
    )


@router.post(
    "/renew",
    summary="Renew (갱신) within 30 days before expiry, with a new key",
    responses=m.problems(*_HOLDER, ra.RenewalNotDue, ra.SameKey, WeakKey, BadProofOfPossession),
)
def renew(body: RenewIn, request: Request) -> m.CertificateOut:
    """The new certificate keeps the identifyData (VID) of the old one, which is superseded."""
    issued = _services(request).holders.renew(
        challenge_id=body.challenge_id,
        certificate_der=m.from_b64(body.certificate, "certificate"),
        signature=m.from_b64(body.signature, "signature"),
        public_key_der=m.from_b64(body.public_key, "public_key"),
        pop=m.from_b64(body.pop_signature, "pop_signature"),
        km_public_key_der=None if body.km_public_key is None else m.from_b64(body.km_public_key, "km_public_key"),
        km_pop=None if body.km_pop_signature is None else m.from_b64(body.km_pop_signature, "km_pop_signature"),
    )
    return m.certificate_out(issued)


@router.post(
    "/revoke", summary="Revoke (폐지) by the holder", responses=m.problems(*_HOLDER, InvalidInput, AlreadyRevoked)
)
def revoke(body: RevokeIn, request: Request) -> RevokedOut:
    """Reasons: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation."""
    revoked = _services(request).holders.revoke(
        challenge_id=body.challenge_id,
        certificate_der=m.from_b64(body.certificate, "certificate"),
        signature=m.from_b64(body.signature, "signature"),
        reason=body.reason,
    )
    return RevokedOut(
        serial=format(revoked.serial, "x"),
        reason=revoked.reason,
        revoked_at=revoked.revoked_at,
        cert_type=revoked.cert_type.value if revoked.cert_type else None,
    )
