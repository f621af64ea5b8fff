"""Composition root: builds the services from settings; used by ``web/`` and ``cli/``.

Also creates an instance (``jointcert init``): config and secrets files, the database schema, the CA hierarchy.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import tomli_w
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.admin.audit_desk import AuditDesk
from jointcert.admin.ca_desk import CaDesk
from jointcert.admin.ceremony_control import CeremonyAuthorisations, key_ceremony
from jointcert.admin.dual import DualControl, role_change
from jointcert.admin.operators import OperatorService
from jointcert.admin.profile_change import profile_change
from jointcert.admin.ra_desk import RaDesk
from jointcert.admin.revocation import bulk_revocation
from jointcert.admin.revocation_query import bulk_revocation_by_query
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.ca.audit import derive_audit_keys
from jointcert.ca.authority import CertificateAuthority
from jointcert.ca.bootstrap import install_hierarchy, unlock_signers
from jointcert.ca.checkpoint import AuditAnchor
from jointcert.ca.crl import CrlPublisher
from jointcert.ca.epoch import EpochWatch
from jointcert.ca.errors import AlreadyInitialised, CaNotInitialised
from jointcert.ca.hierarchy import ISSUING, OCSP, ROOT, Hierarchy, generate_hierarchy
from jointcert.ca.key_hygiene import DEBIAN_BLOCKLIST, KeyHygiene, WeakKeyBlocklist
from jointcert.ca.keys import CaSigner, FileKeyStore, KeyLocked
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ocsp import OcspResponder
from jointcert.ca.ocsp_presign import PresignedOcsp
from jointcert.ca.ports import AuditEvent
from jointcert.ca.profile_settings import LiveProfiles, LiveValidity
from jointcert.ca.registration import RegistrationService
from jointcert.ca.stats import Counters
from jointcert.ca.token import TokenKey, TokenKeySource
from jointcert.clock import Clock, SystemClock
from jointcert.cmp.service import CmpService
from jointcert.config import Settings, load_settings
from jointcert.pii import PiiProtector
from jointcert.ra.holder import HolderService
from jointcert.ra.policies import Notifications
from jointcert.ra.ports import Registrar
from jointcert.ra.reconciler import Reconciler
from jointcert.ra.reminders import ExpiryReminders
from jointcert.ra.revocation_notices import RevocationNotices
from jointcert.ra.service import RegistrationAuthority
from jointcert.ra.throttle import AntiAutomation, Throttle
from jointcert.relay.ratelimit import RateLimiter
from jointcert.relay.service import RelayService
from jointcert.rp import (
    ChallengeService,
    CrlFetcher,
    InstitutionPolicy,
    OcspTransport,
    RegistrationStore,
    RevocationCache,
    RevocationChecker,
    TrustAnchors,
    Verifier,
    challenge_key,
    demo_institutions,
    verifiers_for,
)
from jointcert.rp.http import HttpCrlFetcher, HttpOcspTransport
from jointcert.rp.loopback import LoopbackCrlFetcher, LoopbackOcspTransport
from jointcert.rp.policy import issuing_bank_policy
from jointcert.rp.revocation import EpochSource
from jointcert.rp.wallet_clients import WalletClients
from jointcert.storage.bank_app_sessions import SqlBankAppSessions
from jointcert.storage.bank_repository import SandboxBank, build_sandbox_bank
from jointcert.storage.db import Database
from jointcert.storage.repositories import ra as ra_storage
from jointcert.storage.repositories.admin import SqlOperatorStore, SqlProposalStore
from jointcert.storage.repositories.admin import SqlSessionStore as SqlOperatorSessionStore
from jointcert.storage.repositories.admin_directory import SqlDirectory
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.repositories.ca_batch import SqlBatchStore
from jointcert.storage.repositories.ca_epoch import SqlRevocationEpochs
from jointcert.storage.repositories.ca_epoch_notify import epoch_reader
from jointcert.storage.repositories.ca_ocsp import SqlOcspResponses
from jointcert.storage.repositories.ca_partitions import SqlCrlPartitions
from jointcert.storage.repositories.ca_profiles import SqlProfileSettings
from jointcert.storage.repositories.cmp import SqlRegistrationStore as SqlCmpRegistrationStore
from jointcert.storage.repositories.cmp import SqlTransactionStore
from jointcert.storage.repositories.ra_saga import SqlFeeLedger
from jointcert.storage.repositories.ra_sandbox import SqlVirtualOtpDevice
from jointcert.storage.repositories.relay import SqlTransferStore
from jointcert.storage.repositories.reminders import SqlReminderStore
from jointcert.storage.rp import SqlChallengeStore, SqlRegistrationStore
from jointcert.storage.throttle import RedisThrottle, SqlThrottle
from jointcert.storage.wallet import SqlWalletClientStore

__all__ = [
    "InitResult",
    "RelyingParties",
    "Services",
    "build_relying_parties",
    "build_services",
    "build_throttle",
    "ensure_initialised",
    "init_instance",
    "is_initialised",
    "refuse_token_keys",
    "token_source",
]

CA_DIR = "ca"


@dataclass(frozen=True)
class RelyingParties:
    """The demo relying-party sites served under ``/rp/{site}``: their policies, verifiers and shared ports."""

    policies: Mapping[str, InstitutionPolicy]
    verifiers: Mapping[str, Verifier]
    challenges: ChallengeService
    registry: RegistrationStore
    cache: RevocationCache
    issuing_bank: Verifier  # the bank app's own certificate login (/bank/login), not listed under /rp/
    wallet_clients: WalletClients  # relying parties registered at the bank's cross-origin wallet (/wallet/connect)


@dataclass(frozen=True)
class Services:
    """Every service of one instance, wired together."""

    settings: Settings
    clock: Clock
    database: Database
    pii: PiiProtector
    certificates: SqlCertificateStore
    audit: SqlAuditStore
    signers: Mapping[str, CaSigner]
    authority: CertificateAuthority
    crl: CrlPublisher
    ocsp: OcspResponder
    counters: Counters
    relay: RelayService
    relying_parties: RelyingParties
    registrations: RegistrationService
    cmp: CmpService
    bank: SandboxBank  # the sandbox bank: ports for the RA, virtual phone, outbox, seed
    ra: RegistrationAuthority
    holders: HolderService  # renewal and revocation by the holder
    otp_device: SqlVirtualOtpDevice  # sandbox: the demo customers' OTP codes
    operators: OperatorService  # operator accounts, console sessions (admin/)
    dual_control: DualControl  # proposals a second operator approves (admin/)
    ra_desk: RaDesk  # the console's RA officer: search, a customer's page, unlock, revoke (admin/)
    audit_desk: AuditDesk  # the console's auditor: filtered log, chain verification, signed export (admin/)
    ca_desk: CaDesk  # the console's CA administrator: OCSP signer renewal (admin/)
    anti: AntiAutomation  # throttle buckets shared by every node (docs/security.md)
    bank_app_sessions: SqlBankAppSessions  # the bank app's login sessions (web/bank_session.py)
    reconciler: Reconciler  # settles what a crash left in the issuance saga (docs/crash-safety.md)
    audit_anchor: AuditAnchor | None = None  # checkpoints of the audit head outside the database
    reminders: ExpiryReminders | None = None  # expiry reminders 30 and 7 days before (ra/reminders.py)
    profiles: LiveProfiles | None = None  # profile settings changed by operators, read before each issuance
    ceremonies: CeremonyAuthorisations | None = None  # approved key ceremonies claimed by ``ca ceremony``

    def close(self) -> None:
        """Release the database connections (and the PKCS#11 sessions)."""
        if self.ocsp.presigned is not None:
            self.ocsp.presigned.close()
        self.database.dispose()
        for signer in self.signers.values():
            if isinstance(signer.key, TokenKey):
                signer.key.source.close()


def token_source(settings: Settings, counters: Counters | None = None) -> TokenKeySource | None:
    """The PKCS#11 token holding the CA keys when ``[ca] key_source = "pkcs11"``; ``None`` for file keys."""
    if settings.ca.key_source != "pkcs11":
        return None
    config = settings.ca.pkcs11
    return TokenKeySource(config.module, config.token_label, _pin(settings), counters)


def refuse_token_keys(token: TokenKeySource) -> None:
    """:class:`AlreadyInitialised` when the token already holds keys for the CA roles (a ceremony runs once)."""
    found = [slug for slug in (ROOT, ISSUING, OCSP) if token.exists(slug)]
    if found:
        raise AlreadyInitialised(existing=[f"pkcs11:{token.token_label}/{slug}" for slug in found])


def _pin(settings: Settings) -> str:
    pin = settings.ca.pkcs11.pin
    return pin.get_secret_value() if pin is not None else ""


def _passphrase(settings: Settings) -> bytes:
    if settings.ca.passphrase is None:
        raise KeyLocked("No CA passphrase is configured (secrets.toml [ca] passphrase or JOINTCERT_CA__PASSPHRASE).")
    return settings.ca.passphrase.get_secret_value().encode()


def build_throttle(settings: Settings, database: Database) -> Throttle:
    """The configured throttle backend: the database (default) or Redis (``[throttle] backend = "redis"``)."""
    if settings.throttle.backend == "redis":
        return RedisThrottle(settings.throttle.redis_url)
    return SqlThrottle(database)


def build_services(
    settings: Settings,
    clock: Clock | None = None,
    *,
    database: Database | None = None,
    linter: PkixLinter | None = None,
    actor: str = "system",
    bank_hasher: SecretHasher | None = None,
) -> Services:
    """Wire the services of the initialised instance described by ``settings`` (CA keys are unlocked once).

    ``bank_hasher`` replaces the sandbox bank's Argon2 parameters (tests). The RA hands out CMP reference numbers
    through the CA's registration service.
    """
    clock = clock or SystemClock()
    database = database or Database(settings.effective_database_url)
    pii = PiiProtector(settings.secret_key_bytes())
    audit_keys = derive_audit_keys(settings.secret_key_bytes())
    database.audit_key = audit_keys.entry  # every audit entry is MACed (ca/audit.py)
    certificates, audit, counters = SqlCertificateStore(database), SqlAuditStore(database), Counters()
    token = token_source(settings, counters)
    signers = dict(  # a dict: the console's OCSP signer renewal swaps the ``ocsp`` entry
        unlock_signers(
            store=certificates,
            audit=audit,
            keys=FileKeyStore(settings.ca_key_dir),
            passphrase=_passphrase(settings) if settings.ca.passphrase is not None or token is None else None,
            clock=clock,
            actor=actor,
            token=token,
        )
    )
    partitions = SqlCrlPartitions(database)  # CRL partitions: assigned at issuance, dirty marks, their CRLs
    authority = CertificateAuthority(
        store=certificates,
        audit=audit,
        pii=pii,
        clock=clock,
        settings=settings.ca,
        public_url=settings.server.public_url,
        issuing=signers[ISSUING],
        linter=linter,
        counters=counters,
        hygiene=KeyHygiene(
            WeakKeyBlocklist.from_file(settings.ca.weak_key_blocklist or DEBIAN_BLOCKLIST), certificates
        ),
        partitions=partitions,
        batch_store=SqlBatchStore(database),  # concurrent issuances share their transactions (ca/batcher.py)
    )
    profiles = LiveProfiles(settings.ca, SqlProfileSettings(database))  # operators' profile changes, every node
    authority.use_profiles(profiles.current)
    epochs = SqlRevocationEpochs(database)  # bumped by every revocation; marks the CRL dirty, expires rp caches
    crl = CrlPublisher(
        store=certificates,
        signers={ROOT: signers[ROOT], ISSUING: signers[ISSUING]},
        clock=clock,
        settings=settings.ca,
        counters=counters,
        epochs=epochs,
        partitions=partitions,
        public_url=settings.server.public_url,
    )
    presigned = PresignedOcsp(  # RFC 5019 responses signed ahead, shared through the database (ca/ocsp_presign.py)
        store=SqlOcspResponses(database),
        certificates=certificates,
        epochs=epoch_reader(database),  # LISTEN/NOTIFY on PostgreSQL
        issuers={ISSUING: signers[ISSUING]},
        signer=signers[OCSP],
        clock=clock,
        settings=settings.ca,
        counters=counters,
    )
    ocsp = OcspResponder(
        store=certificates,
        issuers={ISSUING: signers[ISSUING]},
        signer=signers[OCSP],
        clock=clock,
        settings=settings.ca,
        counters=counters,
        presigned=presigned,
    )
    authority.add_revocation_listener(ocsp.invalidate)  # and re-signs a few serials' pre-signed responses at once
    authority.add_issued_batch_listener(
        presigned.resign_many
    )  # one save per store transaction; the CRL: the leader's regenerate_dirty (ca/crl.py)
    relying_parties = build_relying_parties(
        settings,
        clock,
        database,
        anchors=TrustAnchors.of([signers[ROOT].certificate, signers[ISSUING].certificate]),
        ocsp=LoopbackOcspTransport(settings.server.public_url, ocsp.respond, HttpOcspTransport()),
        crl=LoopbackCrlFetcher(
            settings.server.public_url, lambda name: crl.published(name).der, crl.slugs, HttpCrlFetcher()
        ),
        epoch=EpochWatch(epochs, clock),
    )
    authority.add_revocation_listener(relying_parties.cache.forget_all)
    relay = RelayService(
        store=SqlTransferStore(database), clock=clock, settings=settings.relay, limiter=RateLimiter(clock)
    )
    registrations = RegistrationService(
        store=SqlCmpRegistrationStore(database), pii=pii, clock=clock, settings=settings.cmp, ca_settings=settings.ca
    )
    cmp = CmpService(
        authority=authority,
        registrations=registrations,
        transactions=SqlTransactionStore(database),
        audit=audit,
        pii=pii,
        clock=clock,
        settings=settings.cmp,
        issuer=signers[ISSUING],
        chain=(signers[ROOT].certificate,),
        renewal_window=timedelta(days=settings.ra.renewal_window_days),  # kur obeys the bank's renewal window
    )
    anti = AntiAutomation(build_throttle(settings, database), settings.throttle, clock, pii)
    bank_app_sessions = SqlBankAppSessions(database)
    authority.add_revocation_listener(lambda serials: _end_sessions(bank_app_sessions, serials))
    bank, ra, holders, otp_device = _registration_authority(
        settings=settings,
        clock=clock,
        database=database,
        pii=pii,
        authority=authority,
        signers=signers,
        bank_hasher=bank_hasher,
        registrar=registrations,
        anti=anti,
        validity_days=LiveValidity(profiles),
    )
    anchor = AuditAnchor(
        audit,
        audit_keys,
        settings.audit_checkpoint_path,
        clock,
        every_entries=settings.ca.audit_checkpoint_entries,
        every_minutes=settings.ca.audit_checkpoint_minutes,
    )
    return Services(
        settings=settings,
        clock=clock,
        database=database,
        pii=pii,
        certificates=certificates,
        audit=audit,
        signers=signers,
        authority=authority,
        crl=crl,
        ocsp=ocsp,
        counters=counters,
        relay=relay,
        registrations=registrations,
        cmp=cmp,
        relying_parties=relying_parties,
        bank=bank,
        ra=ra,
        holders=holders,
        otp_device=otp_device,
        **_admin(
            settings=settings,
            clock=clock,
            database=database,
            pii=pii,
            audit=audit,
            authority=authority,
            profiles=profiles,
            notices=RevocationNotices(ra.ctx.registry, ra.ctx.notifications),
        ),
        **_desks(database=database, pii=pii, clock=clock, audit=audit, ra=ra, authority=authority, anchor=anchor),
        ca_desk=CaDesk(
            settings=settings.ca,
            signers=signers,
            responder=ocsp,
            store=certificates,
            keys=FileKeyStore(settings.ca_key_dir),
            passphrase=_passphrase(settings) if settings.ca.passphrase is not None else None,
            audit=audit,
            clock=clock,
        ),
        audit_anchor=anchor,
        anti=anti,
        bank_app_sessions=bank_app_sessions,
        reconciler=Reconciler(ctx=ra.ctx, step_log=ra_storage.SqlStepLog(database), cmp=cmp),
        reminders=ExpiryReminders(
            SqlReminderStore(database), bank.notifier, clock, base_url=settings.server.public_url
        ),
        profiles=profiles,
        ceremonies=CeremonyAuthorisations(
            proposals=SqlProposalStore(database),
            audit=audit,
            clock=clock,
            approval_seconds=settings.admin.approval_seconds,
        ),
    )


def _admin(
    *,
    settings: Settings,
    clock: Clock,
    database: Database,
    pii: PiiProtector,
    audit: SqlAuditStore,
    authority: CertificateAuthority,
    profiles: LiveProfiles,
    notices: RevocationNotices,
) -> dict[str, Any]:
    """The operators' services: accounts and sessions, and dual control with its actions."""
    operators = OperatorService(
        operators=SqlOperatorStore(database),
        sessions=SqlOperatorSessionStore(database),
        audit=audit,
        pii=pii,
        clock=clock,
        idle_seconds=settings.admin.idle_seconds,
    )
    actions = {
        "bulk_revocation": bulk_revocation(authority, notices),
        "bulk_revocation_query": bulk_revocation_by_query(authority, SqlDirectory(database), {authority.slug}, notices),
        "operator_roles": role_change(operators),
        "profile_change": profile_change(profiles, SqlProfileSettings(database), audit, clock),
        "key_ceremony": key_ceremony(),
    }
    dual = DualControl(
        proposals=SqlProposalStore(database),
        audit=audit,
        clock=clock,
        actions=actions,
        ttl_seconds=settings.admin.approval_seconds,
    )
    return {"operators": operators, "dual_control": dual}


def _desks(
    *,
    database: Database,
    pii: PiiProtector,
    clock: Clock,
    audit: SqlAuditStore,
    ra: RegistrationAuthority,
    authority: CertificateAuthority,
    anchor: AuditAnchor,
) -> dict[str, Any]:
    """The console's RA officer and auditor desks over the read-only directory."""
    directory = SqlDirectory(database)
    ra_desk = RaDesk(directory=directory, ra=ra, revoker=authority, audit=audit, pii=pii, clock=clock)
    audit_desk = AuditDesk(directory=directory, audit=audit, anchor=anchor, signer=authority.issuing, clock=clock)
    return {"ra_desk": ra_desk, "audit_desk": audit_desk}


def _end_sessions(sessions: SqlBankAppSessions, serials: Sequence[int]) -> None:
    """Revoked certificates' bank-app logins end at once (in the database: on every node)."""
    sessions.delete_for_serials([format(serial, "x") for serial in serials])


def _registration_authority(
    *,
    settings: Settings,
    clock: Clock,
    database: Database,
    pii: PiiProtector,
    authority: CertificateAuthority,
    signers: Mapping[str, CaSigner],
    bank_hasher: SecretHasher | None,
    registrar: Registrar | None,
    anti: AntiAutomation | None = None,
    validity_days: Mapping[str, int] | None = None,
) -> tuple[SandboxBank, RegistrationAuthority, HolderService, SqlVirtualOtpDevice]:
    """The sandbox bank, the RA on it, renewal/revocation by holders, and the demo OTP device."""
    bank = build_sandbox_bank(database, pii, clock, hasher=bank_hasher)
    chain = tuple(signers[slug].certificate.public_bytes(Encoding.DER) for slug in (ISSUING, ROOT))
    registry = ra_storage.SqlCertificateRegistry(database)
    ra = RegistrationAuthority(
        bank=bank.ports(),
        sessions=ra_storage.SqlSessionStore(database),
        attempts=ra_storage.SqlAttempts(database),
        step_log=ra_storage.SqlStepLog(database),
        authority=authority,
        registry=registry,
        pii=pii,
        clock=clock,
        settings=settings.ra,
        ca_validity_days=settings.ca.validity_days,
        chain=chain,
        fees=SqlFeeLedger(database),
        registrar=registrar,
        anti=anti,
        validity_days=validity_days,
    )
    holders = HolderService(
        authority=authority,
        registry=registry,
        challenges=ra_storage.SqlChallengeStore(database),
        notifications=Notifications(bank.notifier),
        clock=clock,
        settings=settings.ra,
        issuing_certificate=signers[ISSUING].certificate,
        chain=chain,
    )
    return bank, ra, holders, SqlVirtualOtpDevice(database, pii, clock)


def build_relying_parties(
    settings: Settings,
    clock: Clock,
    database: Database,
    *,
    anchors: TrustAnchors,
    ocsp: OcspTransport | None,
    crl: CrlFetcher | None,
    epoch: EpochSource | None = None,
) -> RelyingParties:
    """The demo institutions (``rp.demo_institutions``) and the issuing bank's app login, trusting ``anchors``, with
    challenges and registrations in the database and revocation through ``ocsp``/``crl`` (``build_services`` routes
    our own URLs in-process). The institutions reuse a good OCSP answer for ``rp.ocsp_cache_seconds`` and drop it
    when ``epoch`` moves; the bank's own login asks its CA every time (no cache)."""
    cache = RevocationCache(max_age=timedelta(seconds=settings.rp.ocsp_cache_seconds), epoch=epoch)
    challenges = ChallengeService(  # signed, stateless until used; one key for every process of the deployment
        SqlChallengeStore(database),
        clock,
        ttl_seconds=settings.rp.challenge_ttl_seconds,
        key=challenge_key(settings.secret_key_bytes()),
    )
    registry = SqlRegistrationStore(database)
    policies = demo_institutions(anchors)
    in_process = ocsp.in_process if isinstance(ocsp, LoopbackOcspTransport) else None  # no nonce: rp/revocation.py
    revocation = RevocationChecker(clock, ocsp, crl, cache=cache, in_process=in_process)
    verifiers = verifiers_for(
        policies, clock=clock, settings=settings.rp, revocation=revocation, challenges=challenges, registry=registry
    )
    direct = RevocationChecker(
        clock, ocsp, crl, cache=RevocationCache(max_age=timedelta(0), epoch=epoch), in_process=in_process
    )
    bank = Verifier(
        issuing_bank_policy(anchors), clock=clock, settings=settings.rp, revocation=direct, challenges=challenges
    )
    wallet_clients = WalletClients(SqlWalletClientStore(database), clock)
    return RelyingParties(policies, verifiers, challenges, registry, cache, bank, wallet_clients)


@dataclass(frozen=True)
class InitResult:
    """What ``init`` created."""

    settings: Settings
    config_path: Path
    secrets_path: Path
    key_dir: Path
    database_url: str
    fingerprints: Mapping[str, str]


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _config_document(settings: Settings) -> dict[str, object]:
    ca = settings.ca.model_dump(mode="json", exclude={"passphrase": True, "pkcs11": {"pin"}}, exclude_none=True)
    derived = set() if settings.server.public_url_explicit else {"public_url"}  # it follows the port
    return {"server": settings.server.model_dump(exclude=derived), "ca": ca}


def _secrets_document(settings: Settings) -> dict[str, object]:
    document: dict[str, object] = {}
    if settings.secret_key is None:  # not from the environment: make one
        document["secret_key"] = base64.b64encode(secrets.token_bytes(32)).decode()
    if settings.ca.passphrase is None:
        document["ca"] = {"passphrase": secrets.token_urlsafe(32)}
    return document


def _new_hierarchy(draft: Settings, clock: Clock) -> Hierarchy:
    """Keys in memory, or generated in the token (refused when it already holds CA keys)."""
    token = token_source(draft)
    if token is None:
        return generate_hierarchy(draft.ca, draft.server.public_url, clock.now())
    try:
        refuse_token_keys(token)
        return generate_hierarchy(draft.ca, draft.server.public_url, clock.now(), token.generate)
    finally:
        token.close()


def _refuse_existing(data_dir: Path, settings: Settings) -> None:
    existing = [settings.config_path, settings.secrets_path, data_dir / CA_DIR, data_dir / "jointcert.db"]
    found = [str(p) for p in existing if p.exists()]
    if found:
        raise AlreadyInitialised(existing=found)


def init_instance(
    data_dir: Path,
    clock: Clock | None = None,
    *,
    server: Mapping[str, object] | None = None,
    ca: Mapping[str, object] | None = None,
) -> InitResult:
    """Create a new instance in ``data_dir``; :class:`AlreadyInitialised` (nothing changed) if one exists.

    ``server`` overrides server settings (``demo --port``) and ``ca`` CA settings (the key ceremony passes
    ``key_source = "pkcs11"`` and the token: the keys are then generated inside the token); both are written to
    the instance's config."""
    clock = clock or SystemClock()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)  # keys, secrets and the database live here (docs/security.md)
    overrides: dict[str, object] = {}
    if server:
        overrides["server"] = dict(server)
    if ca:
        overrides["ca"] = dict(ca)
    draft = load_settings(data_dir, **overrides)
    _refuse_existing(data_dir, draft)
    database = Database(draft.effective_database_url)
    created: list[Path] = []
    if draft.database_url is None:  # the SQLite file is ours to remove if init fails
        created += [data_dir / f"jointcert.db{suffix}" for suffix in ("", "-wal", "-shm")]
    try:
        database.migrate()
        store, audit = SqlCertificateStore(database), SqlAuditStore(database)
        if store.authorities():
            raise AlreadyInitialised(existing=["database"])
        hierarchy = _new_hierarchy(draft, clock)
        _write_private(draft.secrets_path, tomli_w.dumps(_secrets_document(draft)))
        created.append(draft.secrets_path)
        draft.config_path.write_text(tomli_w.dumps(_config_document(draft)), encoding="utf-8")
        created.append(draft.config_path)
        in_token = draft.ca.key_source == "pkcs11"
        settings = load_settings(data_dir, **({"ca": {"pkcs11": {"pin": _pin(draft)}}} if in_token else {}))
        database.audit_key = derive_audit_keys(settings.secret_key_bytes()).entry
        created.append(data_dir / CA_DIR)
        install_hierarchy(
            hierarchy,
            store=store,
            audit=audit,
            keys=FileKeyStore(data_dir / CA_DIR),
            passphrase=_passphrase(settings),
            clock=clock,
        )
    except BaseException:
        _remove(created)
        database.dispose()
        raise
    database.dispose()
    services = build_services(settings, clock, actor="init")
    try:
        services.crl.regenerate_all(actor="init")
        services.audit.append(AuditEvent("instance.initialised", "init", clock.now(), {"data_dir": str(data_dir)}))
        if services.audit_anchor is not None:
            services.audit_anchor.checkpoint()  # the first anchor outside the database
    finally:
        services.close()
    return InitResult(
        settings,
        settings.config_path,
        settings.secrets_path,
        data_dir / CA_DIR,
        settings.effective_database_url,
        {slug: s.certificate.fingerprint(hashes.SHA256()).hex() for slug, s in hierarchy.signers().items()},
    )


def _remove(paths: list[Path]) -> None:
    for path in reversed(paths):
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
            path.rmdir()
        elif path.exists():
            path.unlink()


def is_initialised(settings: Settings) -> bool:
    """Whether ``settings.data_dir`` holds an instance (its config file and CA keys)."""
    return settings.config_path.exists() and (settings.data_dir / CA_DIR).is_dir()


def ensure_initialised(
    settings: Settings, clock: Clock | None = None, *, server: Mapping[str, object] | None = None
) -> Settings:
    """Initialise the instance only when needed (for ``jointcert demo``); return its settings, reloaded if new."""
    if is_initialised(settings):
        return settings
    if settings.config_path.exists():
        raise CaNotInitialised()
    return init_instance(settings.data_dir, clock, server=server).settings
