"""Certification path validation to configured trust anchors, with a named reason for every failure.

Two steps (see docs/relying-party.md, "Path validation"):

1. A small explicit path builder finds EE → intermediates → anchor by issuer name and signature. It names what is
   wrong (issuer not among the anchors, a tampered signature) and yields the issuer the revocation check needs.
2. ``cryptography.x509.verification`` (RFC 5280 path rules: CA basicConstraints and keyUsage, path length, name
   chaining, signature algorithms, unknown critical extensions) re-validates the found path with an extension
   policy that admits the KISA profile (critical certificatePolicies). It runs at a time inside every
   certificate's validity window so that expiry is reported on its own, by step 3.
3. Validity of every certificate in the path at the clock's now: ``expired`` / ``not_yet_valid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError

from jointcert.rp.checks import Check, CheckName, Reason

__all__ = ["PathValidation", "TrustAnchors", "key_usage_check", "validate_path"]

_MAX_DEPTH = 6


@dataclass(frozen=True)
class TrustAnchors:
    """What an institution trusts: anchor certificates (roots) and untrusted intermediates for path building."""

    roots: tuple[x509.Certificate, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()

    @classmethod
    def of(cls, certs: Iterable[x509.Certificate]) -> TrustAnchors:
        """Self-signed certificates become anchors, the others intermediates."""
        roots: list[x509.Certificate] = []
        others: list[x509.Certificate] = []
        for cert in certs:
            (roots if _self_signed(cert) else others).append(cert)
        return cls(tuple(roots), tuple(others))

    def __bool__(self) -> bool:
        return bool(self.roots)


@dataclass(frozen=True)
class PathValidation:
    """The chain and validity checks, and the path found (end entity first; empty when none was found)."""

    chain: Check
    validity: Check
    path: tuple[x509.Certificate, ...]

    @property
    def issuer(self) -> x509.Certificate | None:
        """The end entity's issuer, when a path was found."""
        return self.path[1] if len(self.path) > 1 else None

    @property
    def trusted(self) -> bool:
        """True when the chain check passed."""
        return self.chain.code is Reason.OK


def _self_signed(cert: x509.Certificate) -> bool:
    return _issued_by(cert, cert) is True


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """True if ``issuer`` signed ``cert``; False if the names chain but the signature fails; None if unrelated."""
    if cert.issuer != issuer.subject:
        return None
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


class _Builder:
    """Depth-first search for a path to an anchor, remembering names whose signature did not verify."""

    def __init__(self, anchors: TrustAnchors, extra: Sequence[x509.Certificate]) -> None:
        self.anchors = anchors
        self.intermediates = [*anchors.intermediates, *extra]
        self.bad_signature: tuple[x509.Certificate, x509.Certificate] | None = None

    def build(self, path: list[x509.Certificate]) -> list[x509.Certificate] | None:
        cert = path[-1]
        for root in self.anchors.roots:
            if self._try(cert, root):
                return [*path, root]
        if len(path) >= _MAX_DEPTH:
            return None
        for inter in self.intermediates:
            if inter in path or _self_signed(inter) or not self._try(cert, inter):
                continue
            found = self.build([*path, inter])
            if found:
                return found
        return None

    def _try(self, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        outcome = _issued_by(cert, issuer)
        if outcome is False and self.bad_signature is None:
            self.bad_signature = (cert, issuer)
        return outcome is True


def _extension_policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    """CA: Web PKI defaults + certificatePolicies; EE: anything, incl. critical certificatePolicies (KISA)."""
    ca = ExtensionPolicy.webpki_defaults_ca().may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
    ee = ExtensionPolicy.permit_all().may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
    return ca, ee


def _inside_windows(path: Sequence[x509.Certificate], now: datetime) -> datetime:
    """``now`` moved into the intersection of the validity windows (so expiry is reported separately)."""
    low = max(c.not_valid_before_utc for c in path)
    high = min(c.not_valid_after_utc for c in path)
    return now if low > high else min(max(now, low), high)


def _rfc5280(path: Sequence[x509.Certificate], roots: Sequence[x509.Certificate], now: datetime) -> str | None:
    """Re-validate the found path with cryptography's verifier; the error text, or None when it is valid."""
    ca_policy, ee_policy = _extension_policies()
    builder = (
        PolicyBuilder()
        .store(Store(list(roots)))
        .time(_inside_windows(path, now))
        .max_chain_depth(_MAX_DEPTH)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
    )
    try:
        builder.build_client_verifier().verify(path[0], list(path[1:-1]))
    except VerificationError as exc:
        return str(exc)
    return None


def _chain_check(builder: _Builder, found: list[x509.Certificate] | None, ee: x509.Certificate, now: datetime) -> Check:
    if found is None:
        if builder.bad_signature is not None:
            cert, issuer = builder.bad_signature
            return Check.failed(
                CheckName.CHAIN,
                Reason.CHAIN_INVALID,
                f"인증서 서명이 발급자 키로 검증되지 않습니다: {cert.subject.rfc4514_string()}",
                f"The signature on {cert.subject.rfc4514_string()} does not verify with the key of "
                f"{issuer.subject.rfc4514_string()}.",
            )
        issuer_name = ee.issuer.rfc4514_string()
        return Check.failed(
            CheckName.CHAIN,
            Reason.CHAIN_UNTRUSTED,
            f"발급기관({issuer_name})이 신뢰하는 인증기관 목록에 없습니다.",
            f"The issuer {issuer_name} is not among the trust anchors.",
        )
    problem = _rfc5280(found, builder.anchors.roots, now)
    if problem is not None:
        return Check.failed(
            CheckName.CHAIN, Reason.CHAIN_INVALID, f"인증서 경로가 올바르지 않습니다: {problem}", problem
        )
    anchor = found[-1].subject.rfc4514_string()
    return Check.passed(CheckName.CHAIN, f"신뢰하는 인증기관({anchor})까지 확인했습니다.", f"Chains to {anchor}.")


def _validity_check(path: Sequence[x509.Certificate], now: datetime) -> Check:
    for index, cert in enumerate(path):
        whose_ko = "인증서" if index == 0 else f"상위 인증서({cert.subject.rfc4514_string()})"
        whose_en = "the certificate" if index == 0 else f"the CA certificate {cert.subject.rfc4514_string()}"
        if now > cert.not_valid_after_utc:
            until = cert.not_valid_after_utc.isoformat()
            return Check.failed(
                CheckName.VALIDITY,
                Reason.EXPIRED,
                f"{whose_ko}의 유효기간이 {until}에 만료되었습니다.",
                f"{whose_en.capitalize()} expired on {until}.",
            )
        if now < cert.not_valid_before_utc:
            since = cert.not_valid_before_utc.isoformat()
            return Check.failed(
                CheckName.VALIDITY,
                Reason.NOT_YET_VALID,
                f"{whose_ko}의 유효기간이 {since}에 시작됩니다.",
                f"{whose_en.capitalize()} is valid only from {since}.",
            )
    until = path[0].not_valid_after_utc.date().isoformat()
    return Check.passed(
        CheckName.VALIDITY, f"유효기간 내입니다 ({until}까지).", f"Within its validity (until {until})."
    )


def validate_path(
    cert: x509.Certificate,
    anchors: TrustAnchors,
    now: datetime,
    *,
    extra_intermediates: Sequence[x509.Certificate] = (),
) -> PathValidation:
    """Chain and validity checks of ``cert`` against ``anchors`` at ``now`` (never raises for a bad certificate)."""
    builder = _Builder(anchors, extra_intermediates)
    found = builder.build([cert])
    chain = _chain_check(builder, found, cert, now)
    validity = _validity_check(found or [cert], now)
    return PathValidation(chain, validity, tuple(found) if found and chain.code is Reason.OK else ())


def key_usage_check(cert: x509.Certificate) -> Check:
    """The end entity must allow digitalSignature; NPKI certificates also assert nonRepudiation."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return Check.failed(
            CheckName.KEY_USAGE, Reason.KEY_USAGE, "키 용도(keyUsage)가 없습니다.", "The certificate has no keyUsage."
        )
    if not usage.digital_signature:
        return Check.failed(CheckName.KEY_USAGE, Reason.KEY_USAGE)
    if usage.key_cert_sign or usage.crl_sign:
        return Check.failed(
            CheckName.KEY_USAGE,
            Reason.KEY_USAGE,
            "인증기관용 키 용도를 가진 인증서입니다.",
            "A CA key usage (keyCertSign/cRLSign) is set on an end-entity certificate.",
        )
    if not usage.content_commitment:
        return Check.warning(
            CheckName.KEY_USAGE,
            Reason.KEY_USAGE,
            "전자서명 용도이나 부인방지(nonRepudiation)가 없습니다 (NPKI 프로파일과 다름).",
            "digitalSignature is set but nonRepudiation is not (not the NPKI profile).",
        )
    return Check.passed(CheckName.KEY_USAGE, "전자서명·부인방지 용도입니다.", "digitalSignature and nonRepudiation.")
