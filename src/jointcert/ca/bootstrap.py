"""Creating and unlocking the CA hierarchy of an instance (keys encrypted at rest, certificates in the DB)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.errors import AlreadyInitialised, CaNotInitialised
from jointcert.ca.hierarchy import ISSUING, OCSP, ROOT, Hierarchy
from jointcert.ca.keys import CaSigner, FileKeyStore, KeyLocked, decrypt_key, encrypt_key
from jointcert.ca.ports import AuditEvent, AuditStore, AuthorityRecord, CertificateStore, PendingRecord
from jointcert.ca.token import TokenKey, TokenKeySource
from jointcert.clock import Clock

__all__ = ["PKCS11_PREFIX", "ROLES", "infrastructure_record", "install_hierarchy", "unlock_signers"]

PKCS11_PREFIX = "pkcs11:"  # AuthorityRecord.key_name of a key in a token: pkcs11:<object label>

ROLES = {ROOT: "root", ISSUING: "issuing", OCSP: "ocsp"}
_PARENT = {ISSUING: ROOT, OCSP: ISSUING}


def _fingerprint(signer: CaSigner) -> str:
    return hashlib.sha256(signer.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def infrastructure_record(
    cert: x509.Certificate, *, issuer: str, profile: str, now: datetime, channel: str
) -> PendingRecord:
    """The record of a CA or OCSP-signer certificate (no holder), written before it is stored as issued."""
    return PendingRecord(
        issuer=issuer,
        serial=cert.serial_number,
        profile=profile,
        subject=cert.subject.rfc4514_string(),
        unique_id=None,
        holder_hash=None,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        tbs_sha256=hashlib.sha256(cert.tbs_certificate_bytes).digest(),
        created_at=now,
        channel=channel,
    )


def _record_child(store: CertificateStore, signer: CaSigner, issuer: str, now: datetime) -> None:
    cert = signer.certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    profile = "ca" if signer.slug == ISSUING else "ocsp"
    record = infrastructure_record(cert, issuer=issuer, profile=profile, now=now, channel="init")
    serial = format(cert.serial_number, "x")
    store.record_pending(record, AuditEvent("certificate.recorded", "init", now, {"issuer": issuer, "serial": serial}))
    event = AuditEvent(
        "certificate.issued", "init", now, {"issuer": issuer, "serial": serial, "sha256": _fingerprint(signer)}
    )
    store.mark_issued(issuer, cert.serial_number, der, at=now, event=event)


def install_hierarchy(
    hierarchy: Hierarchy,
    *,
    store: CertificateStore,
    audit: AuditStore,
    keys: FileKeyStore,
    passphrase: bytes,
    clock: Clock,
) -> None:
    """Write the encrypted keys and record the certificates; refuse when the instance already has a CA."""
    if store.authorities() or any(keys.exists(slug) for slug in ROLES):
        raise AlreadyInitialised()
    now = clock.now()
    signers = hierarchy.signers()
    names: dict[str, str] = {}
    for slug, signer in signers.items():
        if isinstance(signer.key, TokenKey):  # generated in the token: nothing to write
            names[slug] = PKCS11_PREFIX + signer.key.label
        else:
            keys.write(slug, encrypt_key(signer.key, passphrase))
            names[slug] = slug
    keys.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for slug, signer in signers.items():
        der = signer.certificate.public_bytes(serialization.Encoding.DER)
        store.add_authority(AuthorityRecord(slug, ROLES[slug], der, names[slug], now))
    for slug, parent in _PARENT.items():
        _record_child(store, signers[slug], parent, now)
    audit.append(
        AuditEvent(
            "ca.initialised",
            "init",
            now,
            {slug: {"subject": s.name.rfc4514_string(), "sha256": _fingerprint(s)} for slug, s in signers.items()},
        )
    )


def _load_key(
    key_name: str, keys: FileKeyStore, passphrase: bytes | None, token: TokenKeySource | None
) -> rsa.RSAPrivateKey:
    if key_name.startswith(PKCS11_PREFIX):
        if token is None:
            raise KeyLocked('This CA key is in a PKCS#11 token: set [ca] key_source = "pkcs11".')
        return token.load(key_name.removeprefix(PKCS11_PREFIX))
    if passphrase is None:
        raise KeyLocked("No CA passphrase is configured (secrets.toml [ca] passphrase or JOINTCERT_CA__PASSPHRASE).")
    return decrypt_key(keys.read(key_name), passphrase)


def unlock_signers(
    *,
    store: CertificateStore,
    audit: AuditStore,
    keys: FileKeyStore,
    passphrase: bytes | None,
    clock: Clock,
    actor: str,
    token: TokenKeySource | None = None,
) -> Mapping[str, CaSigner]:
    """Decrypt every CA key (once per process) or open it in the token, and pair it with its certificate; audited
    as signer use."""
    authorities = {a.slug: a for a in store.authorities()}
    if set(authorities) != set(ROLES):
        raise CaNotInitialised()
    signers: dict[str, CaSigner] = {}
    for slug, authority in authorities.items():
        key = _load_key(authority.key_name, keys, passphrase, token)
        cert = x509.load_der_x509_certificate(authority.der)
        if key.public_key() != cert.public_key():
            raise KeyLocked(f"The key file of {slug} does not match its certificate.")
        signers[slug] = CaSigner(slug, key, cert)
    audit.append(AuditEvent("ca.keys_unlocked", actor, clock.now(), {"signers": sorted(signers)}))
    return signers
