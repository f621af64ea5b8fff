"""The relying party's verifier for one institution: certificate checks, login, foreign-certificate registration.

Every method returns a :class:`~jointcert.rp.checks.Verdict`; a bad certificate, signature or challenge is a failed
check, never an exception. Exceptions mean misuse (:class:`VerifierMisconfigured`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509

from jointcert.clock import Clock
from jointcert.config import RpSettings
from jointcert.errors import InvalidInput, JointcertError
from jointcert.npki.vid import IdentifyData, InvalidIdentifyData, VidMismatch, identify_data_of, verify_vid
from jointcert.rp.certinfo import MalformedCertificate, ensure_well_formed, load_certificate, summarize
from jointcert.rp.challenge import ChallengeService
from jointcert.rp.checks import Check, CheckName, Reason, Status, Verdict
from jointcert.rp.path import IssuerSource, PathCache, key_usage_check, validate_path
from jointcert.rp.policy import InstitutionPolicy, policy_check
from jointcert.rp.registry import AlreadyRegistered, IdentityCheck, Registration, RegistrationStore
from jointcert.rp.revocation import RevocationChecker
from jointcert.rp.signature import (
    ContentMismatch,
    MalformedSignature,
    SignatureInvalid,
    certificates_of,
    verify_raw_signature,
    verify_signed_data,
)

__all__ = ["SignedLogin", "Verifier", "VerifierMisconfigured", "VidProof", "verifiers_for"]

_OWN_CHECKS_REMEMBERED = 1024  # certificates whose own checks a verifier remembers


class VerifierMisconfigured(JointcertError):
    """The verifier was built without something the call needs (a programming or configuration error)."""

    code = "verifier_misconfigured"
    message_ko = "인증서 검증기 설정이 올바르지 않습니다."
    message_en = "The verifier is misconfigured."


@dataclass(frozen=True)
class VidProof:
    """What binds a certificate to a person: the resident number the institution knows, and R from the client."""

    rrn: str
    random_num: bytes


@dataclass(frozen=True)
class SignedLogin:
    """What the client sends back: the challenge and either CMS SignedData or a certificate + raw signature."""

    challenge: str
    session_id: str
    signed_data: bytes | None = None  # CMS SignedData (DER) over the challenge, carrying the certificate
    certificate: bytes | None = None  # DER/PEM, with ``signature``
    signature: bytes | None = None  # RSASSA-PKCS1-v1_5 SHA-256 over the challenge's ASCII bytes
    random_num: bytes | None = None  # R from signPri.key, for the VID check
    signed_content: bytes | None = None  # what was signed, when not the challenge itself (a wallet binding)


@dataclass(frozen=True)
class _Signed:
    check: Check
    cert: x509.Certificate | None
    extra: tuple[x509.Certificate, ...] = ()


class Verifier:
    """Decides, check by check, whether a certificate, a login or a registration is acceptable to one institution."""

    def __init__(
        self,
        policy: InstitutionPolicy,
        *,
        clock: Clock,
        settings: RpSettings | None = None,
        revocation: RevocationChecker | None = None,
        challenges: ChallengeService | None = None,
        registry: RegistrationStore | None = None,
        issuers: IssuerSource | None = None,
    ) -> None:
        settings = settings or RpSettings()
        self._issuers = issuers
        self.policy = policy
        self._clock = clock
        self._fail_closed = settings.fail_closed if policy.fail_closed is None else policy.fail_closed
        self._revocation = revocation
        self._challenges = challenges
        self._registry = registry
        self._paths = PathCache()  # CA parts of validated paths, per issuing CA (the policy's anchors are fixed)
        self._own: dict[x509.Certificate, tuple[Check, Check, Check]] = {}  # see _own_checks
        self._own_lock = threading.Lock()

    @property
    def fail_closed(self) -> bool:
        """Whether an unknown revocation status refuses."""
        return self._fail_closed

    # --- public operations --------------------------------------------------------------------------------

    def verify_certificate(
        self,
        certificate: bytes | x509.Certificate,
        *,
        vid: VidProof | None = None,
        intermediates: Sequence[x509.Certificate] = (),
        check_revocation: bool | None = None,
    ) -> Verdict:
        """Every certificate check (chain, validity, key usage, policy, revocation, identifyData, VID)."""
        try:
            cert = load_certificate(certificate)
        except MalformedCertificate:
            return self._verdict([Check.failed(CheckName.CERTIFICATE, Reason.MALFORMED_CERTIFICATE)], None)
        checks = self._certificate_checks(cert, [], intermediates, vid, check_revocation)
        return self._verdict(checks, cert)

    def verify_login(self, login: SignedLogin, *, rrn: str | None = None, customer_id: str | None = None) -> Verdict:
        """A login: the challenge once, the signature over it, the certificate, VID (when ``rrn`` is known) and,
        when the institution requires it or ``customer_id`` is given, a registration of the certificate."""
        wants_registration = self.policy.require_registration or customer_id is not None
        if wants_registration and self._registry is None:
            raise VerifierMisconfigured(f"{self.policy.id}: registration checks need a registration store.")
        verdict = self._proof(login, rrn)
        if verdict.certificate is None or not wants_registration:
            return verdict
        return self._registration_check(verdict, customer_id)

    def register(
        self,
        login: SignedLogin,
        *,
        customer_id: str,
        identity_check: IdentityCheck,
        rrn: str | None = None,
    ) -> Verdict:
        """타기관 인증서 등록: a login-like proof of possession, the VID check against the customer's ``rrn`` (when
        the policy requires it), the institution's ``identity_check``, then the registration is stored."""
        if self._registry is None:
            raise VerifierMisconfigured("register() needs a registration store.")
        verdict = self._proof(login, rrn)
        if verdict.certificate is None:
            return verdict
        if self.policy.require_vid_at_registration and rrn is None:
            verdict = verdict.replacing(
                Check.failed(
                    CheckName.VID,
                    Reason.VID_MISSING,
                    "등록에는 본인확인(VID)이 필요합니다.",
                    "Registration needs the VID check (resident number and R).",
                )
            )
        if not verdict.accepted:
            return verdict.with_checks([Check.skipped(CheckName.IDENTITY), Check.skipped(CheckName.REGISTRATION)])
        assert verdict.certificate is not None
        if not identity_check(customer_id, verdict.certificate):
            return verdict.with_checks(
                [Check.failed(CheckName.IDENTITY, Reason.IDENTITY_CHECK_FAILED), Check.skipped(CheckName.REGISTRATION)]
            )
        return self._store_registration(verdict.with_checks([Check.passed(CheckName.IDENTITY)]), customer_id)

    # --- steps --------------------------------------------------------------------------------------------

    def _proof(self, login: SignedLogin, rrn: str | None) -> Verdict:
        """Challenge, signature and every certificate check (with VID when ``rrn`` is given)."""
        checks = [self._consume(login)]
        signed = self._signature(login)
        checks.append(signed.check)
        if signed.cert is None:
            return self._verdict([*checks, Check.failed(CheckName.CERTIFICATE, Reason.MALFORMED_CERTIFICATE)], None)
        vid = VidProof(rrn, login.random_num or b"") if rrn is not None else None
        return self._verdict(self._certificate_checks(signed.cert, checks, signed.extra, vid, None), signed.cert)

    def _consume(self, login: SignedLogin) -> Check:
        if self._challenges is None:
            raise VerifierMisconfigured("Logins need a challenge service.")
        return self._challenges.consume(login.challenge, self.policy.id, login.session_id)

    def _signature(self, login: SignedLogin) -> _Signed:
        data = login.signed_content if login.signed_content is not None else login.challenge.encode("utf-8")
        if login.signed_data is not None:
            return _signed_data(login.signed_data, data)
        if login.certificate is None or login.signature is None:
            return _Signed(Check.failed(CheckName.SIGNATURE, Reason.MALFORMED_SIGNATURE), None)
        try:
            cert = load_certificate(login.certificate)
        except MalformedCertificate:
            return _Signed(Check.skipped(CheckName.SIGNATURE), None)
        try:
            verify_raw_signature(cert, data, login.signature)
        except (SignatureInvalid, MalformedSignature) as exc:
            return _Signed(_signature_failure(exc), cert)
        return _Signed(
            Check.passed(CheckName.SIGNATURE, "전자서명이 확인되었습니다.", "RSA PKCS#1 v1.5 SHA-256."), cert
        )

    def _certificate_checks(
        self,
        cert: x509.Certificate,
        prior: list[Check],
        intermediates: Sequence[x509.Certificate],
        vid: VidProof | None,
        check_revocation: bool | None,
    ) -> list[Check]:
        now = self._clock.now()
        path = validate_path(
            cert,
            self.policy.trust_anchors,
            now,
            extra_intermediates=intermediates,
            issuers=self._issuers,
            cache=self._paths,
        )
        parsed, key_usage, policy = self._own_checks(cert)
        checks = [*prior, parsed, path.chain, path.validity, key_usage, policy]
        wanted = self.policy.check_revocation if check_revocation is None else check_revocation
        if not wanted:
            checks.append(Check.skipped(CheckName.REVOCATION, "폐지 여부를 확인하지 않았습니다.", "Not requested."))
        elif any(c.status is Status.FAILED for c in checks) or path.issuer is None:
            checks.append(
                Check.skipped(
                    CheckName.REVOCATION, "앞선 검사 실패로 생략했습니다.", "Skipped: an earlier check failed."
                )
            )
        elif self._revocation is None:
            checks.append(_no_revocation_source(self._fail_closed))
        else:
            checks.append(self._revocation.check(cert, path.issuer, fail_closed=self._fail_closed))
        checks.extend(_vid_checks(cert, vid))
        return checks

    def _own_checks(self, cert: x509.Certificate) -> tuple[Check, Check, Check]:
        """The checks that depend on the certificate and this policy alone (parsed, key usage, policy): made once
        per certificate, remembered (bounded) for its next logins."""
        with self._own_lock:
            found = self._own.get(cert)
        if found is None:
            found = (_parsed(cert), key_usage_check(cert), policy_check(cert, self.policy))
            with self._own_lock:
                if len(self._own) >= _OWN_CHECKS_REMEMBERED:
                    self._own.clear()
                self._own[cert] = found
        return found

    def _registration_check(self, verdict: Verdict, customer_id: str | None) -> Verdict:
        assert self._registry is not None and verdict.certificate is not None
        found = self._registry.find(self.policy.id, verdict.certificate.fingerprint_sha256)
        if found is None or (customer_id is not None and found.customer_id != customer_id):
            return verdict.with_checks([Check.failed(CheckName.REGISTRATION, Reason.NOT_REGISTERED)])
        passed = Check.passed(
            CheckName.REGISTRATION, f"등록된 인증서입니다 ({found.registered_at:%Y-%m-%d}).", "Registered certificate."
        )
        return verdict.with_checks([passed], customer_id=found.customer_id)

    def _store_registration(self, verdict: Verdict, customer_id: str) -> Verdict:
        assert self._registry is not None and verdict.certificate is not None
        summary = verdict.certificate
        registration = Registration(
            institution_id=self.policy.id,
            customer_id=customer_id,
            serial_hex=summary.serial_hex,
            issuer=summary.issuer,
            fingerprint=summary.fingerprint_sha256,
            registered_at=self._clock.now(),
        )
        try:
            stored = self._registry.add(registration)
        except AlreadyRegistered:
            return verdict.with_checks([Check.failed(CheckName.REGISTRATION, Reason.ALREADY_REGISTERED)])
        passed = Check.passed(
            CheckName.REGISTRATION,
            f"{self.policy.name}에 인증서가 등록되었습니다.",
            f"Certificate registered at {self.policy.name_en}.",
        )
        return verdict.with_checks([passed], customer_id=stored.customer_id)

    def _verdict(self, checks: Sequence[Check], cert: x509.Certificate | None) -> Verdict:
        summary = summarize(cert) if cert is not None else None
        return Verdict(tuple(checks), summary, self.policy.id)


def _well_formed(cert: x509.Certificate | None) -> x509.Certificate | None:
    if cert is None:
        return None
    try:
        return ensure_well_formed(cert)
    except MalformedCertificate:
        return None


def _signed_data(der: bytes, challenge: bytes) -> _Signed:
    try:
        message = verify_signed_data(der, detached_content=challenge)
    except ContentMismatch:
        return _Signed(Check.failed(CheckName.SIGNATURE, Reason.CONTENT_MISMATCH), _signer_of(der))
    except (SignatureInvalid, MalformedSignature) as exc:
        return _Signed(_signature_failure(exc), _signer_of(der))
    kind = "signed attributes" if message.has_signed_attributes else "no signed attributes"
    check = Check.passed(
        CheckName.SIGNATURE, "CMS 전자서명이 확인되었습니다.", f"CMS SignedData, {message.digest_algorithm}, {kind}."
    )
    others = (_well_formed(c) for c in message.certificates if c != message.signer)
    return _Signed(check, _well_formed(message.signer), tuple(c for c in others if c is not None))


def _signer_of(der: bytes) -> x509.Certificate | None:
    """Best effort: the first certificate of a SignedData that did not verify (so its checks can still be shown)."""
    certs = certificates_of(der)
    return _well_formed(certs[0]) if certs else None


def _signature_failure(exc: JointcertError) -> Check:
    code = Reason.MALFORMED_SIGNATURE if isinstance(exc, MalformedSignature) else Reason.SIGNATURE_INVALID
    return Check.failed(CheckName.SIGNATURE, code, exc.text_ko, exc.text_en)


def _parsed(cert: x509.Certificate) -> Check:
    key = cert.public_key()
    bits = getattr(key, "key_size", None)
    algorithm = type(key).__name__.removesuffix("PublicKey").removeprefix("_")
    digest = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else "?"
    text = f"X.509 v{cert.version.value + 1}, {algorithm}-{bits}, {digest}"
    return Check.passed(CheckName.CERTIFICATE, f"인증서를 읽었습니다: {text}", f"Parsed: {text}")


def _no_revocation_source(fail_closed: bool) -> Check:
    ko = "폐지 여부 확인 수단이 설정되지 않았습니다."
    en = "No revocation source is configured."
    if fail_closed:
        return Check.failed(CheckName.REVOCATION, Reason.REVOCATION_UNAVAILABLE, ko, en)
    return Check.warning(CheckName.REVOCATION, Reason.REVOCATION_UNAVAILABLE, ko, en)


def _identify(cert: x509.Certificate) -> tuple[IdentifyData | None, Check]:
    try:
        ident = identify_data_of(cert)
    except InvalidIdentifyData:
        return None, Check.failed(
            CheckName.IDENTIFY_DATA, Reason.VID_MISSING, InvalidIdentifyData.message_ko, InvalidIdentifyData.message_en
        )
    if ident is None or ident.vid is None:
        return ident, Check.skipped(
            CheckName.IDENTIFY_DATA, "본인확인 정보(VID)가 없는 인증서입니다.", "The certificate carries no VID."
        )
    return ident, Check.passed(
        CheckName.IDENTIFY_DATA,
        f"본인확인 정보(VID)가 있습니다 (실명 {ident.real_name}).",
        f"VID present ({ident.hash_oid}), real name {ident.real_name}.",
    )


def _vid_checks(cert: x509.Certificate, vid: VidProof | None) -> list[Check]:
    ident, present = _identify(cert)
    if vid is None:
        return [
            present,
            Check.skipped(CheckName.VID, "주민등록번호로 확인하지 않았습니다.", "No resident number given."),
        ]
    if ident is None or ident.vid is None:
        return [present, Check.failed(CheckName.VID, Reason.VID_MISSING)]
    if not vid.random_num:
        return [
            present,
            Check.failed(CheckName.VID, Reason.VID_MISSING, "R 값이 없습니다.", "R (randomNum) is missing."),
        ]
    try:
        verify_vid(ident, vid.rrn, vid.random_num)
    except VidMismatch:
        return [present, Check.failed(CheckName.VID, Reason.VID_MISMATCH)]
    except InvalidInput as exc:
        return [present, Check.failed(CheckName.VID, Reason.VID_MISMATCH, exc.text_ko, exc.text_en)]
    return [present, Check.passed(CheckName.VID, "주민등록번호와 일치합니다.", "The VID matches the resident number.")]


def verifiers_for(
    institutions: Mapping[str, InstitutionPolicy],
    *,
    clock: Clock,
    settings: RpSettings | None = None,
    revocation: RevocationChecker | None = None,
    challenges: ChallengeService | None = None,
    registry: RegistrationStore | None = None,
) -> dict[str, Verifier]:
    """One verifier per institution, sharing the same ports (the composition root calls this)."""
    return {
        key: Verifier(
            policy, clock=clock, settings=settings, revocation=revocation, challenges=challenges, registry=registry
        )
        for key, policy in institutions.items()
    }
