"""Certification path validation to configured trust anchors, with a named reason for every failure.

Three steps (see docs/relying-party.md, "Path validation", and docs/npki.md):

1. A small explicit path builder finds EE → intermediates → anchor by issuer name (RFC 5280 §7.1 comparison) and
   signature, from the anchors' intermediates, the certificates that came with the signature, and, when an
   :class:`IssuerSource` is given, the AIA caIssuers certificates it fetches. It names what is wrong (issuer not
   among the anchors, a tampered signature) and yields the issuer the revocation check needs.
2. :func:`jointcert.rp.rfc5280.check_path` re-validates the found path with RFC 5280 rules (basicConstraints,
   pathLen, keyUsage, critical extensions, policy processing with policyConstraints). It is our own code because
   ``cryptography``'s verifier implements the Web PKI profile and refuses what every real NPKI chain carries
   (a critical policyConstraints, roots without keyUsage).
3. Validity of every certificate in the path at the clock's now: ``expired`` / ``not_yet_valid``.

A :class:`PathCache` (one per verifier, so per set of trust anchors) keeps the CA part of paths that validated —
issuing CA … anchor, its signatures and constraints checked once and the policy state the end entity starts from —
keyed by the issuing CA certificate's subject. An end entity whose issuer is cached costs one signature check and
its own RFC 5280 checks the first time, and only its validity check after that (the part remembers it); anything
else (a new CA certificate under the same name, whose key does not verify the end entity, an unknown issuer, any
failure) takes the full path above, which then replaces the cached entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from jointcert.rp.checks import Check, CheckName, Reason
from jointcert.rp.rfc5280 import PolicyState, check_ca_part, check_end_entity, check_path, issued_by

__all__ = ["IssuerSource", "PathCache", "PathValidation", "TrustAnchors", "key_usage_check", "validate_path"]

_MAX_DEPTH = 6
_Path = list[x509.Certificate]
_SHA256 = hashes.SHA256()


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

    def __add__(self, other: TrustAnchors) -> TrustAnchors:
        return TrustAnchors(_unique([*self.roots, *other.roots]), _unique([*self.intermediates, *other.intermediates]))


def _unique(certs: Iterable[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    seen: dict[bytes, x509.Certificate] = {}
    for cert in certs:
        seen.setdefault(cert.fingerprint(_SHA256), cert)
    return tuple(seen.values())


class IssuerSource(Protocol):
    """Where the path builder finds more issuer candidates for a certificate (e.g. its AIA caIssuers URL)."""

    def issuers_of(self, cert: x509.Certificate) -> Sequence[x509.Certificate]:
        """Candidate issuer certificates of ``cert``; empty when none can be found (never raises)."""
        ...


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
    return issued_by(cert, cert) is True


class _Builder:
    """Depth-first search for a path to an anchor, remembering names whose signature did not verify."""

    def __init__(self, anchors: TrustAnchors, extra: Sequence[x509.Certificate], source: IssuerSource | None) -> None:
        self.anchors = anchors
        self.intermediates = [*anchors.intermediates, *extra]
        self.source = source
        self.bad_signature: tuple[x509.Certificate, x509.Certificate] | None = None
        self.deepest: list[x509.Certificate] = []  # the longest partial path tried: where the chain broke off

    def build(self, path: list[x509.Certificate]) -> list[x509.Certificate] | None:
        cert = path[-1]
        if len(path) > len(self.deepest):
            self.deepest = path
        for root in self.anchors.roots:
            if self._try(cert, root):
                return [*path, root]
        if len(path) >= _MAX_DEPTH:
            return None
        found = self._through(path, self.intermediates)
        if found is None and self.source is not None:
            fetched = [c for c in self.source.issuers_of(cert) if c not in self.intermediates]
            self.intermediates.extend(fetched)
            found = self._through(path, fetched)
        return found

    def _through(
        self, path: list[x509.Certificate], candidates: Sequence[x509.Certificate]
    ) -> list[x509.Certificate] | None:
        for inter in candidates:
            if inter in path or not self._try(path[-1], inter):
                continue
            if _self_signed(inter):  # a root we were given but do not trust: the chain ends untrusted
                continue
            found = self.build([*path, inter])
            if found:
                return found
        return None

    def _try(self, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        outcome = issued_by(cert, issuer)
        if outcome is False and self.bad_signature is None:
            self.bad_signature = (cert, issuer)
        return outcome is True


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
        return _untrusted(builder.deepest or [ee])
    problem = check_path(found)
    if problem is not None:
        return Check.failed(
            CheckName.CHAIN, Reason.CHAIN_INVALID, f"인증서 경로가 올바르지 않습니다: {problem.ko}", problem.en
        )
    anchor = found[-1].subject.rfc4514_string()
    return Check.passed(CheckName.CHAIN, f"신뢰하는 인증기관({anchor})까지 확인했습니다.", f"Chains to {anchor}.")


def _untrusted(deepest: Sequence[x509.Certificate]) -> Check:
    """No path: say where the chain broke off — the end entity's issuer, or an intermediate's missing issuer."""
    issuer_name = deepest[-1].issuer.rfc4514_string()
    if len(deepest) == 1:
        ko = f"발급기관({issuer_name})이 신뢰하는 인증기관 목록에 없고, 그 인증서도 찾을 수 없습니다."
        en = (
            f"The issuer {issuer_name} is not among the trust anchors, and its certificate was neither given nor "
            "found (intermediates, AIA caIssuers)."
        )
    else:
        reached = deepest[-1].subject.rfc4514_string()
        ko = f"상위 인증서({reached})의 발급기관({issuer_name})이 신뢰하는 인증기관 목록에 없습니다."
        en = f"The chain reaches {reached}, whose issuer {issuer_name} is not among the trust anchors."
    return Check.failed(CheckName.CHAIN, Reason.CHAIN_UNTRUSTED, ko, en)


def _validity_check(path: Sequence[x509.Certificate], now: datetime) -> Check:
    for index, cert in enumerate(path):
        if cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            continue
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
    issuers: IssuerSource | None = None,
    cache: PathCache | None = None,
) -> PathValidation:
    """Chain and validity checks of ``cert`` against ``anchors`` at ``now`` (never raises for a bad certificate);
    ``cache`` must only ever be used with the same ``anchors``."""
    hit = cache.validate(cert, now) if cache is not None else None
    if hit is not None:
        return hit
    builder = _Builder(anchors, extra_intermediates, issuers)
    found = builder.build([cert])
    chain = _chain_check(builder, found, cert, now)
    validity = _validity_check(found or [cert], now)
    path = tuple(found) if found and chain.code is Reason.OK else ()
    if cache is not None and path:  # its CA part (the issuer … the anchor) serves the issuer's next certificates
        cache.add(path[1:], chain)
    return PathValidation(chain, validity, path)


@dataclass(frozen=True)
class _CaPart:
    path: tuple[x509.Certificate, ...]  # the issuing CA … the anchor
    state: PolicyState
    chain: Check  # the passed chain check (it names only the anchor)
    passed: set[x509.Certificate] = field(default_factory=set)  # end entities whose own part passed below it


_PASSED_PER_CA = 4096


class PathCache:
    """Validated CA parts of paths by the issuing CA's subject (DER); at most ``limit``, least recently used out.
    Each part also remembers the end entities whose own part (signature, critical extensions, policies) passed
    below it; their validity is checked at every call."""

    def __init__(self, limit: int = 64) -> None:
        self._limit = limit
        self._parts: OrderedDict[bytes, _CaPart] = OrderedDict()
        self._lock = threading.Lock()

    def validate(self, cert: x509.Certificate, now: datetime) -> PathValidation | None:
        """The validation of ``cert`` through a cached CA part; ``None`` unless its issuer is cached and every
        check of the end entity's own part passes (the caller then validates in full)."""
        key = cert.issuer.public_bytes()
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
        if part is None:
            return None
        if cert not in part.passed:  # the end entity's part depends on it, the CA part and nothing else (not time)
            if check_end_entity(cert, part.path[0], part.state) is not None:
                return None
            with self._lock:
                if len(part.passed) >= _PASSED_PER_CA:
                    part.passed.clear()
                part.passed.add(cert)
        path = (cert, *part.path)
        return PathValidation(part.chain, _validity_check(path, now), path)

    def add(self, ca_path: tuple[x509.Certificate, ...], chain: Check) -> None:
        """Remember ``ca_path`` (issuing CA first) after a full validation passed; it replaces an entry of the
        same subject (a new CA certificate)."""
        problem, state = check_ca_part(ca_path)
        if problem is not None or chain.code is not Reason.OK:
            return
        with self._lock:
            self._parts[ca_path[0].subject.public_bytes()] = _CaPart(ca_path, state, chain)
            self._parts.move_to_end(ca_path[0].subject.public_bytes())
            while len(self._parts) > self._limit:
                self._parts.popitem(last=False)

    def clear(self) -> None:
        """Forget every CA (the trust anchors or CA certificates changed)."""
        with self._lock:
            self._parts.clear()

    def __len__(self) -> int:
        return len(self._parts)


def key_usage_check(cert: x509.Certificate) -> Check:
    """The end entity must allow digitalSignature; NPKI certificates also assert nonRepudiation."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return Check.failed(
            CheckName.KEY_USAGE, Reason.KEY_USAGE, "키 용도(keyUsage)가 없습니다.", "The certificate has no keyUsage."
        )
    if not usage.digital_signature and usage.key_encipherment:
        return Check.failed(
            CheckName.KEY_USAGE,
            Reason.KEY_USAGE,
            "암호화용(km) 인증서(kmCert.der)입니다. 서명·로그인에는 서명용 인증서(signCert.der)를 쓰세요.",
            "This is the encryption (km) certificate (kmCert.der, keyEncipherment only): it cannot sign; "
            "signatures and logins use the signing certificate (signCert.der).",
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
