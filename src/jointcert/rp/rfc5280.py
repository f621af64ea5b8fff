"""RFC 5280 §6.1 path validation of an already built path, as far as the NPKI needs it (our own, not a library's).

``cryptography.x509.verification`` implements the CA/Browser-Forum profile: it refuses the critical
policyConstraints extension that every NPKI issuing CA carries, and KISA roots without keyUsage. RFC 5280 allows
both, and ``openssl verify`` accepts them. This module checks a path (end entity first, trust anchor last) with:

- name chaining (§7.1 comparison: case-insensitive, whitespace-collapsed strings, so ``c=kr`` chains to ``C=KR``);
- signatures (each certificate by the next one's key; RSA PKCS#1 v1.5, RSA-PSS, ECDSA, Ed25519);
- basicConstraints ``cA`` on every CA certificate below the anchor, and ``pathLenConstraint`` (§6.1.4 (l), (m));
- keyUsage ``keyCertSign`` on CA certificates that carry keyUsage (an absent keyUsage allows every use, §4.2.1.3);
- critical extensions: refused unless processed here (§6.1.4 (o));
- certificate policies (§6.1.3 (d)–(f), §6.1.4 (i), (j)), simplified: the valid policy set is the intersection of
  the policies asserted along the path, ``anyPolicy`` standing for every policy (while not inhibited); a
  certificate without certificatePolicies empties it; requireExplicitPolicy / inhibitAnyPolicy counters are
  honoured; policy *mapping* is not applied (no NPKI CA maps policies), so a critical policyMappings is refused
  and ``inhibitPolicyMapping`` has nothing to do; qualifiers (CPS URI, BMPString notices) are not interpreted.

The trust anchor is information, not a certificate to validate (§6.1.1 (d)): only its key and name are used.
Validity periods are checked separately by the caller, so expiry is reported as its own reason.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID

__all__ = [
    "PathProblem",
    "PolicyState",
    "check_ca_part",
    "check_end_entity",
    "check_path",
    "issued_by",
    "names_match",
]

ANY_POLICY = "2.5.29.32.0"

# Extensions this module processes (or that carry no path-validation semantics for a relying party) and therefore
# may be critical.
_PROCESSED = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    }
)


@dataclass(frozen=True)
class PathProblem:
    """Why a path is not valid, in Korean and English."""

    ko: str
    en: str


def _normal(value: object) -> object:
    if not isinstance(value, str):
        return value
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def names_match(a: x509.Name, b: x509.Name) -> bool:
    """RFC 5280 §7.1 name comparison (simplified LDAP StringPrep: NFKC, case folding, insignificant spaces)."""
    if a == b:
        return True
    rdns_a, rdns_b = list(a.rdns), list(b.rdns)
    if len(rdns_a) != len(rdns_b):
        return False
    for rdn_a, rdn_b in zip(rdns_a, rdns_b, strict=True):
        left = sorted((attr.oid.dotted_string, str(_normal(attr.value))) for attr in rdn_a)
        right = sorted((attr.oid.dotted_string, str(_normal(attr.value))) for attr in rdn_b)
        if left != right:
            return False
    return True


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, TypeError, ValueError):
        # verify_directly_issued_by also compares names exactly; retry on the key alone for §7.1-equal names
        return names_match(cert.issuer, issuer.subject) and _signature_only(cert, issuer)
    return True


def _signature_only(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    algorithm = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """True if ``issuer`` signed ``cert``; False if the names chain but the signature fails; None if unrelated."""
    if not names_match(cert.issuer, issuer.subject):
        return None
    return _signed_by(cert, issuer)


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _self_issued(cert: x509.Certificate) -> bool:
    return names_match(cert.subject, cert.issuer)


def _who(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _unprocessed_critical(cert: x509.Certificate) -> PathProblem | None:
    for ext in cert.extensions:
        if ext.critical and ext.oid not in _PROCESSED:
            oid = ext.oid.dotted_string
            return PathProblem(
                f"처리할 수 없는 필수(critical) 확장 {oid}이(가) 있습니다: {_who(cert)}",
                f"{_who(cert)} carries the critical extension {oid}, which this verifier does not process.",
            )
    return None


def _ca_problem(cert: x509.Certificate, below: int) -> PathProblem | None:
    """§6.1.4 (k)–(n) for the CA certificate ``cert`` with ``below`` non-self-issued CA certificates under it."""
    constraints = _ext(cert, x509.BasicConstraints)
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        return PathProblem(
            f"인증기관 인증서가 아닙니다 (basicConstraints cA 없음): {_who(cert)}",
            f"{_who(cert)} is not a CA certificate (no basicConstraints cA=TRUE).",
        )
    if constraints.path_length is not None and below > constraints.path_length:
        return PathProblem(
            f"경로 길이 제한({constraints.path_length})을 넘었습니다: {_who(cert)}",
            f"The path exceeds the pathLenConstraint {constraints.path_length} of {_who(cert)}.",
        )
    usage = _ext(cert, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
        return PathProblem(
            f"인증서 서명(keyCertSign) 용도가 없는 인증기관입니다: {_who(cert)}",
            f"{_who(cert)} lacks keyUsage keyCertSign.",
        )
    return None


@dataclass
class PolicyState:
    """The simplified valid-policy set and the §6.1.2 counters."""

    explicit: int
    inhibit_any: int
    valid: set[str] | None = None  # None: every policy (the initial anyPolicy node); empty: NULL tree

    def process(self, cert: x509.Certificate, last: bool) -> None:
        policies = _ext(cert, x509.CertificatePolicies)
        if not isinstance(policies, x509.CertificatePolicies):
            self.valid = set()
        else:
            asserted = {p.policy_identifier.dotted_string for p in policies}
            any_ok = ANY_POLICY in asserted and (self.inhibit_any > 0 or (not last and _self_issued(cert)))
            specific = asserted - {ANY_POLICY}
            if self.valid is None:
                self.valid = None if any_ok else specific
            elif not any_ok:
                self.valid = self.valid & specific
        if not _self_issued(cert) or last:
            self.explicit = max(self.explicit - 1, 0)
            self.inhibit_any = max(self.inhibit_any - 1, 0)
        if last:
            return
        constraints = _ext(cert, x509.PolicyConstraints)
        if isinstance(constraints, x509.PolicyConstraints) and constraints.require_explicit_policy is not None:
            self.explicit = min(self.explicit, constraints.require_explicit_policy)
        inhibit = _ext(cert, x509.InhibitAnyPolicy)
        if isinstance(inhibit, x509.InhibitAnyPolicy):
            self.inhibit_any = min(self.inhibit_any, inhibit.skip_certs)

    def problem(self, ee: x509.Certificate) -> PathProblem | None:
        constraints = _ext(ee, x509.PolicyConstraints)
        if isinstance(constraints, x509.PolicyConstraints) and constraints.require_explicit_policy == 0:
            self.explicit = 0
        if self.explicit == 0 and self.valid is not None and not self.valid:
            return PathProblem(
                "인증서 정책이 경로에서 유효하지 않습니다 (requireExplicitPolicy).",
                "No certificate policy is valid for the path, and the path requires an explicit policy.",
            )
        return None


def check_path(path: Sequence[x509.Certificate]) -> PathProblem | None:
    """What is wrong with ``path`` (end entity first, anchor last) under RFC 5280 §6.1, or None when it is valid."""
    if len(path) < 2:  # an end entity and its anchor at least
        return None
    problem, state = check_ca_part(path[1:])
    return problem if problem is not None else check_end_entity(path[0], path[1], state)


def check_ca_part(ca_path: Sequence[x509.Certificate]) -> tuple[PathProblem | None, PolicyState]:
    """§6.1 processing of the CA certificates of a path (the end entity's issuer first, anchor last), as
    :func:`check_path` does for a path with one end entity below them; the policy state the end entity starts
    from. It does not depend on the end entity, so a relying party validates it once per issuing CA."""
    certs = list(reversed(ca_path[:-1]))  # from the one the anchor signed down to the end entity's issuer
    n = len(certs) + 1  # with the end entity
    issuer = ca_path[-1]
    state = PolicyState(explicit=n + 1, inhibit_any=n + 1)
    for index, cert in enumerate(certs):
        if issued_by(cert, issuer) is not True:
            return _bad_signature(cert, issuer), state
        problem = _unprocessed_critical(cert)
        if problem is None:
            problem = _ca_problem(cert, sum(1 for c in certs[index + 1 :] if not _self_issued(c)))
        if problem is not None:
            return problem, state
        state.process(cert, last=False)
        issuer = cert
    return None, state


def check_end_entity(ee: x509.Certificate, issuer: x509.Certificate, state: PolicyState) -> PathProblem | None:
    """The end entity's part of §6.1 below a CA part checked by :func:`check_ca_part` (``state`` is not changed)."""
    if issued_by(ee, issuer) is not True:
        return _bad_signature(ee, issuer)
    problem = _unprocessed_critical(ee)
    if problem is not None:
        return problem
    mine = replace(state, valid=None if state.valid is None else set(state.valid))
    mine.process(ee, last=True)
    return mine.problem(ee)


def _bad_signature(cert: x509.Certificate, issuer: x509.Certificate) -> PathProblem:
    return PathProblem(
        f"인증서 서명이 발급자 키로 검증되지 않습니다: {_who(cert)}",
        f"The signature on {_who(cert)} does not verify with the key of {_who(issuer)}.",
    )
