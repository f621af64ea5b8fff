"""The issuance pipeline, one service for every channel (CLI, CMP, the bank's JSON API).

Numbered steps, as in Boulder's issuance cycle:

1. validate  — key (RSA ≥ 2048, e = 65537), proof of possession, profile, name, resident number
2. build     — the TBSCertificate (128-bit random serial, unique cn digits, VID from RRN + R)
3. lint      — the lint gate (``[ca] lint``, ca/lint_gate.py) on the TBS signed by a throwaway key: pkilint and
               our KISA-profile checks on it, or its comparison with its profile's linted template
4. record    — the intended certificate (TBS hash, serial, subject, holder) committed in its own transaction;
               a serial/unique-id collision (DB unique constraints) goes back to step 2
5. sign      — the CA key signs exactly the recorded TBS bytes
6. store     — the DER is stored (pending → issued) and an older active certificate of the same holder and type
               is revoked as superseded, in the same transaction (or later, by :meth:`CertificateAuthority.confirm`,
               when the request says ``confirm_later``: CMP supersedes only once the requester confirmed)

:meth:`CertificateAuthority.renew` runs the same steps for a renewal (CMP ``kur``): the CA never stores resident
numbers, so the new certificate carries the old one's identifyData (VID) unchanged and the same holder hash.

A request that carries a second (encryption) key is issued as a sign + km pair in one unit (``ca/unit.py``): both
intended certificates are recorded with their audit entries in one transaction, both signed, both stored in one
transaction; revoking either revokes the pair, renewing the signing one with a new km key renews both.

Concurrent callers share steps 4 and 6 (one record and one store transaction for a batch, ``ca/batcher.py``).
The module is split by job: requests and identifyData helpers in ``ca/requests.py``, steps 4–6 in
``ca/records.py``, confirmation, lookups, revocation and recovery in ``ca/revocation.py`` (mixins of
:class:`CertificateAuthority`; every name stays importable from here).

Nothing is signed without a committed record. A record left ``pending`` by a crash between steps 4 and 6 is
made ``void`` by :meth:`CertificateAuthority.recover_stale` (run by ``serve`` and before every CRL): void serials
are listed on the CRL and answered ``revoked`` by OCSP — never ``good`` for something the CA cannot show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.batcher import BatchStore, IssuanceBatcher
from jointcert.ca.errors import (
    AlreadyRevoked,
    CertificateExpired,
    CertificateNotFound,
    KeyReused,
    LintFailed,
    RecordCollision,
)
from jointcert.ca.hierarchy import new_serial
from jointcert.ca.key_hygiene import KeyHygiene
from jointcert.ca.keys import CaSigner
from jointcert.ca.lint import PkixLinter
from jointcert.ca.lint_gate import build_lint_gate
from jointcert.ca.names import bank_code_of, new_unique_id, subscriber_subject
from jointcert.ca.ports import (
    AuditStore,
    CertificateRecord,
    CertificateStore,
    CrlPartitions,
    RecordStatus,
)
from jointcert.ca.presets import preset_for
from jointcert.ca.profile_settings import EffectiveProfiles
from jointcert.ca.profiles import ALL_PROFILES, Profile, UrlSet, km_profile_of
from jointcert.ca.records import IssuedCertificate, sha256
from jointcert.ca.requests import (
    IssuanceRequest,
    RenewalRequest,
    SignatureProof,
    bank_unit_of,
    identify_data,
    identify_data_of,
)
from jointcert.ca.revocation import HOLDER_PURPOSE, BulkRevocation, Revocation
from jointcert.ca.stats import Counters
from jointcert.ca.tbs import SubscriberFields, profile_builder, subscriber_builder
from jointcert.ca.unit import IntendedCertificate, UnitJob, pair_up
from jointcert.ca.validate import CHANNELS, ValidRequest, validate_km_key, validate_parts, validate_request
from jointcert.clock import Clock
from jointcert.config import CaSettings
from jointcert.errors import InvalidInput
from jointcert.npki.vid import parse_identify_data
from jointcert.pii import PiiProtector
from jointcert.types import CertType

__all__ = [
    "HOLDER_PURPOSE",
    "BulkRevocation",
    "CertificateAuthority",
    "IssuanceRequest",
    "IssuedCertificate",
    "RenewalRequest",
    "SignatureProof",
    "sha256",
]

log = logging.getLogger(__name__)
_KST = timezone(timedelta(hours=9))
_MAX_ATTEMPTS = 5
_PARTITION_BLOCK = 64  # CRL partition places reserved per transaction


_Planned = tuple[Profile, rsa.RSAPublicKey, bytes | None, int | None]  # profile, key, identifyData, partition


class CertificateAuthority(Revocation):
    """Issues, looks up and revokes subscriber certificates of the issuing CA."""

    def __init__(
        self,
        *,
        store: CertificateStore,
        audit: AuditStore,
        pii: PiiProtector,
        clock: Clock,
        settings: CaSettings,
        public_url: str,
        issuing: CaSigner,
        linter: PkixLinter | None = None,
        counters: Counters | None = None,
        hygiene: KeyHygiene | None = None,
        partitions: CrlPartitions | None = None,
        batch_store: BatchStore | None = None,
    ) -> None:
        if settings.validity_days < 1:
            raise ValueError("validity_days must be positive")
        self._store, self._audit, self._pii, self._clock = store, audit, pii, clock
        self._settings = settings
        self.issuing = issuing
        self.urls = UrlSet(public_url, issuing.slug)
        self._linter = linter or PkixLinter()
        self.counters = counters or Counters()
        # throwaway key: it only signs the TBS so it can be linted; its signature is discarded
        self._lint_key = rsa.generate_private_key(65537, 1024)  # noqa: S505
        self.preset = preset_for(settings.preset)
        self._bases: dict[tuple[Profile, int | None], x509.CertificateBuilder] = {}
        self.lint_gate = build_lint_gate(
            settings,
            linter=self._linter,
            issuer=issuing,
            urls=self.urls,
            preset=self.preset,
            clock=clock,
            counters=self.counters,
            audit=audit,
            lint_key=self._lint_key,
            profiles=[self.preset.profile(p) for p in ALL_PROFILES],
        )
        self._profiles_source: Callable[[], EffectiveProfiles] | None = None  # live profile changes
        self._profiles_now: EffectiveProfiles | None = None
        # CRL partitions: each certificate's distribution point names its partition's CRL (ca/crl.py)
        self._partitions = partitions if settings.crl_partition_size > 0 else None
        self._listeners: list[Callable[[Sequence[int]], None]] = []
        self._issued_listeners: list[Callable[[int], None]] = []
        self._issued_batch_listeners: list[Callable[[Sequence[int]], None]] = []
        self._batcher: IssuanceBatcher[IssuedCertificate] | None = None
        if batch_store is not None and settings.batch:  # concurrent issuances share their transactions
            window = settings.batch_window_ms / 1000
            self._batcher = IssuanceBatcher(
                self, batch_store, self.counters, max_size=settings.batch_max, window_seconds=window
            )
        self._places: list[int] = []  # CRL partition places reserved for this process's next certificates
        self._places_lock = threading.Lock()
        self._hygiene = hygiene  # Debian weak keys and compromised keys (ca/key_hygiene.py)

    def use_profiles(self, source: Callable[[], EffectiveProfiles]) -> None:
        """Read the effective settings and profiles from ``source`` before each issuance (profile changes made
        by operators, ``ca/profile_settings.py``): a new version replaces the settings, preset and profiles."""
        self._profiles_source = source

    def _current_profiles(self) -> int:
        """Pick up a changed profile version; the version in use (0: the config file's settings)."""
        if self._profiles_source is None:
            return 0
        now = self._profiles_source()
        if self._profiles_now is None or now.version != self._profiles_now.version:
            self._settings, self.preset, self._profiles_now = now.settings, preset_for(now.settings.preset), now
            self.lint_gate.retarget(self.preset, self._settings)  # templates of the changed profiles and settings
        return now.version

    def _profile(self, valid: ValidRequest) -> ValidRequest:
        """``valid`` with its type's profile as changed by the operators (unchanged without a source)."""
        if self._profiles_now is None:
            return valid
        return replace(valid, profile=self._profiles_now.profiles[valid.profile.cert_type])

    def _base(self, profile: Profile, partition: int | None) -> x509.CertificateBuilder:
        """The profile's builder for one CRL partition (made once per profile value and partition: a changed
        profile gets a new builder)."""
        base = self._bases.get((profile, partition))
        if base is None:
            notice_first = self.preset.notice_first
            base = profile_builder(self.issuing, profile, self.urls, notice_first=notice_first, partition=partition)
            self._bases[(profile, partition)] = base
        return base

    def _partition(self) -> int | None:
        """The CRL partition of the next certificate (None: partitions are off, the full CRL is its DP)."""
        if self._partitions is None:
            return None
        size = self._settings.crl_partition_size
        with self._places_lock:  # places are reserved in blocks: one transaction per block, not per certificate
            if not self._places:
                self._places = self._partitions.reserve(self.slug, size, min(_PARTITION_BLOCK, size))[::-1]
            return self._places.pop()

    def add_revocation_listener(self, listener: Callable[[Sequence[int]], None]) -> None:
        """Call ``listener(serials)`` after every committed revocation transaction with the serials it revoked (one
        for a single revocation, up to a chunk for a bulk one): OCSP caches, sessions, CRL regeneration."""
        self._listeners.append(listener)

    def add_issuance_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(serial)`` after a signed certificate is stored (its pre-signed OCSP response)."""
        self._issued_listeners.append(listener)

    def add_issued_batch_listener(self, listener: Callable[[Sequence[int]], None]) -> None:
        """Call ``listener(serials)`` once per store transaction with the serials it stored (a whole batch)."""
        self._issued_batch_listeners.append(listener)

    @property
    def batcher(self) -> IssuanceBatcher[IssuedCertificate] | None:
        """The batcher of concurrent issuances (``None``: every issuance takes the single-unit path)."""
        return self._batcher

    def _preparing(self) -> AbstractContextManager[None]:
        """While a caller validates, builds and lints, a batch leader may wait for it (ca/batcher.py)."""
        return nullcontext() if self._batcher is None else self._batcher.preparing()

    # --- the pipeline ----------------------------------------------------------------------------------------
    def issue(self, request: IssuanceRequest) -> IssuedCertificate:
        """Run the pipeline; typed errors for bad input, and then nothing is recorded or signed.

        With a ``request_key`` already used, the certificate issued for it is returned (nothing new is signed);
        ``RecordCollision`` if its record never got signed (the caller must use a new key)."""
        if request.request_key is not None and (done := self.issued_for(request.request_key)) is not None:
            return done
        with self._preparing():
            try:
                valid = validate_request(request, self._settings)  # 1. validate
            except Exception:
                self.counters.inc("issuance_rejected")
                raise
            holder = self._pii.lookup_hash(request.rrn, HOLDER_PURPOSE)
            identify = identify_data(valid.real_name, request.rrn, request.random_num)
            supersede = not request.confirm_later
            return self._run(valid, holder, identify, request.channel, supersede=supersede, key=request.request_key)

    def issued_for(self, request_key: str) -> IssuedCertificate | None:
        """The certificate issued for ``request_key``; ``None`` if nothing was recorded for it;
        ``RecordCollision`` if its record is not (or no longer) an issued certificate."""
        record = self._store.find_by_request_key(self.slug, request_key)
        if record is None:
            return None
        if record.status is not RecordStatus.ISSUED or record.der is None or record.cert_type is None:
            raise RecordCollision(f"The record of this request is {record.status.value}.")
        return self._issued_of(record, record.cert_type)

    def _issued_of(self, record: CertificateRecord, cert_type: CertType) -> IssuedCertificate:
        """A stored record as an :class:`IssuedCertificate`, with its km certificate when it has one."""
        der = record.der or b""
        km = None
        if not record.is_km and record.pair_serial is not None:
            pair = self._store.get(self.slug, record.pair_serial)
            km = None if pair is None or pair.der is None else self._issued_of(pair, cert_type)
        certificate = x509.load_der_x509_certificate(der)
        return IssuedCertificate(
            record.serial, certificate, der, cert_type, record.not_before, record.not_after, None, km
        )

    def record_for(self, request_key: str) -> CertificateRecord | None:
        """The CA's record made for ``request_key`` (any status), or ``None``."""
        return self._store.find_by_request_key(self.slug, request_key)

    def renew(self, request: RenewalRequest) -> IssuedCertificate:
        """Issue a successor of an issued, unexpired certificate for a new key, copying its identifyData (VID)
        and holder: the client keeps the same R. ``CertificateNotFound`` / ``AlreadyRevoked`` /
        ``CertificateExpired`` / ``KeyReused`` or a validation error otherwise."""
        with self._preparing():
            try:
                old, valid, identify = self._validate_renewal(request)
            except Exception:
                self.counters.inc("issuance_rejected")
                raise
            return self._run(valid, old.holder_hash, identify, request.channel, supersede=not request.confirm_later)

    def pair_of(self, serial: int) -> CertificateRecord | None:
        """The other certificate of a sign + km pair (``None`` for a single certificate)."""
        record = self._store.get(self.slug, serial)
        if record is None or record.pair_serial is None:
            return None
        return self._store.get(self.slug, record.pair_serial)

    def _validate_renewal(self, request: RenewalRequest) -> tuple[CertificateRecord, ValidRequest, bytes]:
        if request.channel not in CHANNELS:
            raise InvalidInput(f"Unknown channel {request.channel!r}.", message_ko="알 수 없는 발급 경로입니다.")
        old = self._store.get(self.slug, request.old_serial)
        if old is None or old.cert_type is None or old.der is None or old.unique_id is None:
            raise CertificateNotFound(serial=format(request.old_serial, "x"))
        if old.status is not RecordStatus.ISSUED:
            raise AlreadyRevoked(serial=format(request.old_serial, "x"))
        if self._clock.now() >= old.not_after:
            raise CertificateExpired(serial=format(request.old_serial, "x"))
        cert = x509.load_der_x509_certificate(old.der)
        identify = identify_data_of(cert)
        valid = validate_parts(
            cert_type=old.cert_type,
            real_name=parse_identify_data(identify).real_name,
            bank_unit=bank_unit_of(cert),
            bank_code=bank_code_of(old.unique_id),
            public_key_der=request.public_key_der,
            message=request.pop.message,
            signature=request.pop.signature,
        )
        if valid.public_key == cert.public_key():
            raise KeyReused()
        km_pop = request.km_pop
        km_message, km_signature = (None, None) if km_pop is None else (km_pop.message, km_pop.signature)
        valid = validate_km_key(valid, request.km_public_key_der, km_message, km_signature)
        pair = self.pair_of(old.serial) if valid.km_key is not None else None
        old_km = None if pair is None else pair.certificate
        if old_km is not None and valid.km_key == old_km.public_key():
            raise KeyReused()
        return old, valid, identify

    def _run(
        self,
        valid: ValidRequest,
        holder: bytes | None,
        identify: bytes,
        channel: str,
        *,
        supersede: bool,
        key: str | None = None,
    ) -> IssuedCertificate:
        self._check_hygiene(valid)  # 1. validate (the checks that need data)
        self._current_profiles()  # operators' profile changes, on every node (ca/profile_settings.py)
        sign_profile = self.preset.profile(self._profile(valid).profile)
        valid = replace(valid, profile=sign_profile)
        plan: list[_Planned] = [
            (sign_profile, valid.public_key, identify, self._partition())
        ]  # the DP written into each
        if valid.km_key is not None:
            plan.append((km_profile_of(sign_profile), valid.km_key, None, self._partition()))
        for attempt in range(_MAX_ATTEMPTS):
            unit = pair_up([self._lint(p) for p in self._build(valid, plan)])  # 2. build, 3. lint
            job = UnitJob(unit, holder, channel, key, supersede)
            try:  # 4. record, 5. sign, 6. store: alone, or in a batch with concurrent callers (ca/batcher.py)
                return self.issue_unit(job) if self._batcher is None else self._batcher.submit(job)
            except RecordCollision:
                log.warning("serial or unique id collision (attempt %d); rebuilding", attempt + 1)
        raise RecordCollision("Could not allocate a unique serial number.")

    def _check_hygiene(self, valid: ValidRequest) -> None:
        if self._hygiene is None:
            return
        try:
            for public_key in (valid.public_key, valid.km_key):
                if public_key is not None:
                    self._hygiene.check(public_key)
        except Exception:
            self.counters.inc("issuance_rejected")
            raise

    def _build(self, valid: ValidRequest, plan: list[_Planned]) -> list[IntendedCertificate]:
        """The unit's certificates: one subject (same cn and unique digits) and validity for every one of them."""
        now = self._clock.now().replace(microsecond=0)
        days = valid.profile.validity_days or self._settings.validity_days
        last_day = (now + timedelta(days=days)).astimezone(_KST).date()
        not_after = datetime.combine(last_day, time(23, 59, 59), _KST).astimezone(now.tzinfo)
        unique_id = new_unique_id(valid.bank_code, now, self.preset.unique_digits)
        subject = subscriber_subject(
            self._settings, valid.profile.subject_ou, valid.bank_unit, valid.real_name, unique_id
        )
        start = self.preset.not_before(now)
        return [
            IntendedCertificate(
                profile,
                SubscriberFields(new_serial(), subject, public_key, start, not_after, identify),
                unique_id,
                partition=partition,
            )
            for profile, public_key, identify, partition in plan
        ]

    def _lint(self, intended: IntendedCertificate) -> IntendedCertificate:
        builder = subscriber_builder(self._base(intended.profile, intended.partition), intended.fields)
        lint_cert = builder.sign(self._lint_key, hashes.SHA256())
        problems = self.lint_gate.check(lint_cert, intended.profile, intended.partition)
        if problems:
            self.counters.inc("lint_failures")
            raise LintFailed(findings=problems)
        return replace(intended, tbs=lint_cert.tbs_certificate_bytes)
