"""Relying-party verification of joint certificates: signatures, path, revocation, policy, challenges, VID.

Build a :class:`Verifier` per institution (``verifiers_for``), issue challenges with :class:`ChallengeService`,
then ``verify_login`` / ``register`` / ``verify_certificate`` return a :class:`Verdict` of named checks.
"""

from __future__ import annotations

from jointcert.rp.challenge import (
    Challenge,
    ChallengeService,
    ChallengeStore,
    ConsumeResult,
    InMemoryChallengeStore,
    challenge_key,
)
from jointcert.rp.checks import CertificateSummary, Check, CheckName, Reason, Status, Verdict
from jointcert.rp.path import TrustAnchors
from jointcert.rp.policy import InstitutionPolicy, demo_institutions
from jointcert.rp.registry import IdentityCheck, InMemoryRegistrationStore, Registration, RegistrationStore
from jointcert.rp.revocation import CrlFetcher, OcspTransport, RevocationCache, RevocationChecker, RevocationFetchError
from jointcert.rp.verifier import SignedLogin, Verifier, VerifierMisconfigured, VidProof, verifiers_for

__all__ = [
    "CertificateSummary",
    "Challenge",
    "ChallengeService",
    "ChallengeStore",
    "Check",
    "CheckName",
    "ConsumeResult",
    "CrlFetcher",
    "IdentityCheck",
    "InMemoryChallengeStore",
    "InMemoryRegistrationStore",
    "InstitutionPolicy",
    "OcspTransport",
    "Reason",
    "Registration",
    "RegistrationStore",
    "RevocationCache",
    "RevocationChecker",
    "RevocationFetchError",
    "SignedLogin",
    "Status",
    "TrustAnchors",
    "Verdict",
    "Verifier",
    "VerifierMisconfigured",
    "VidProof",
    "challenge_key",
    "demo_institutions",
    "verifiers_for",
]
