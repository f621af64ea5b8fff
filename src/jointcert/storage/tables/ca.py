"""Tables of the certification authority: CA certificates, issuance records, CRLs and the audit chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = [
    "CaAuditHead",
    "CaAuditLog",
    "CaAuthority",
    "CaCertificate",
    "CaCompromisedKey",
    "CaCrl",
    "CaCrlCounter",
    "CaCrlEntry",
    "CaCrlPartition",
    "CaRequestKey",
]


class CaAuthority(Base):
    """A CA certificate of this instance (root, issuing CA, OCSP signer); keys live encrypted in files."""

    __tablename__ = "ca_authorities"

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    key_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CaCertificate(Base):
    """One certificate, recorded before it is signed (pending), then issued, revoked or void."""

    __tablename__ = "ca_certificates"
    __table_args__ = (
        UniqueConstraint("issuer", "serial_hex"),
        UniqueConstraint("issuer", "unique_id"),
        Index("ix_ca_certificates_holder", "issuer", "holder_hash", "profile", "status"),
        Index("ix_ca_certificates_status", "issuer", "status"),
        Index("ix_ca_certificates_partition", "issuer", "crl_partition", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(32))
    serial_hex: Mapped[str] = mapped_column(String(42))  # lowercase hex, no leading zeros (128-bit serials)
    status: Mapped[str] = mapped_column(String(16))
    profile: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    unique_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the cn's unique digits
    holder_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)  # keyed hash of the RRN
    channel: Mapped[str] = mapped_column(String(16))
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    tbs_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    der: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    crl_partition: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: only on the full CRL
    pair_serial_hex: Mapped[str | None] = mapped_column(String(42), nullable=True)  # the other cert of a sign+km pair


class CaRequestKey(Base):
    """The caller's idempotency key of an issuance (RA: session + attempt) → the record made for it."""

    __tablename__ = "ca_request_keys"

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    serial_hex: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CaCrlCounter(Base):
    """The last CRL number handed out per issuer (allocated before the CRL is signed)."""

    __tablename__ = "ca_crl_counters"

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)


class CaCrl(Base):
    """The newest CRL per issuer."""

    __tablename__ = "ca_crls"

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    this_update: Mapped[datetime] = mapped_column(UtcDateTime)
    next_update: Mapped[datetime] = mapped_column(UtcDateTime)
    der: Mapped[bytes] = mapped_column(LargeBinary)


class CaCrlEntry(Base):
    """The DER CRL entry of a revoked or void record, written in the revoking transaction: a narrow table, so a
    partition's CRL reads only its entries (never the certificate rows) and PostgreSQL joins them itself."""

    __tablename__ = "ca_crl_entries"
    __table_args__ = (Index("ix_ca_crl_entries_partition", "issuer", "crl_partition"),)

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    serial_hex: Mapped[str] = mapped_column(String(42), primary_key=True)
    crl_partition: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: only on the full CRL
    entry: Mapped[bytes] = mapped_column(LargeBinary)


class CaCrlPartition(Base):
    """One CRL partition of an issuer: how many certificates were assigned to it (never more than the configured
    size), its revocation epoch (bumped by every revocation in it) and its newest CRL, which covers ``crl_epoch``
    (the partition is dirty while ``crl_epoch < epoch``)."""

    __tablename__ = "ca_crl_partitions"

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    assigned: Mapped[int] = mapped_column(Integer)
    epoch: Mapped[int] = mapped_column(Integer)
    crl_epoch: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    this_update: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_update: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    der: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    entries: Mapped[int | None] = mapped_column(Integer, nullable=True)  # how many entries ``der`` lists


class CaAuditHead(Base):
    """The single row holding the newest sequence number and hash; updating it first serialises writers."""

    __tablename__ = "ca_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)  # the newest entry's MAC


class CaAuditLog(Base):
    """One audit entry: the canonical JSON that was hashed and the links of the chain."""

    __tablename__ = "ca_audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)  # None: written before keying


class CaCompromisedKey(Base):
    """A public key (SHA-256 of its SubjectPublicKeyInfo) revoked for keyCompromise: never certified again."""

    __tablename__ = "ca_compromised_keys"

    spki_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(32))
    serial_hex: Mapped[str] = mapped_column(String(42))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
