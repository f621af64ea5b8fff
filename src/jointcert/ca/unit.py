"""The unit of issuance: a list of intended certificates recorded in one transaction, signed, stored in one.

A subscriber's request is a unit of one (a signing certificate) or of two (the sign + km pair real NPKI
subscribers hold: ``signCert.der`` and ``kmCert.der``, issued together). Every certificate of a unit is recorded
with its audit entry before any of them is signed (record before sign holds for each), they are stored as issued
together, and recovery voids a half-done unit as a whole (its records are pending together). A batcher can gather
several units into one record transaction and one store transaction without changing this shape.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from jointcert.ca.ports import AuditEvent, PendingRecord
from jointcert.ca.profiles import Profile
from jointcert.ca.tbs import SubscriberFields

__all__ = ["IntendedCertificate", "UnitJob", "pair_up", "pending_records"]


@dataclass(frozen=True)
class IntendedCertificate:
    """One certificate of a unit: its profile, its fields, the TBS linted (and later signed) and where it goes."""

    profile: Profile
    fields: SubscriberFields
    unique_id: str  # the cn's unique digits (shared by both certificates of a pair)
    tbs: bytes = b""
    partition: int | None = None
    pair_serial: int | None = None  # the other certificate of a sign + km pair

    @property
    def serial(self) -> int:
        """The certificate's serial number."""
        return self.fields.serial


@dataclass(frozen=True)
class UnitJob:
    """A unit built and linted, ready to be recorded, signed and stored (alone or in a batch, ``ca/batcher.py``)."""

    unit: list[IntendedCertificate]
    holder: bytes | None
    channel: str
    request_key: str | None
    supersede: bool  # revoke the holder's older certificates of the same profiles when stored


def pair_up(unit: Sequence[IntendedCertificate]) -> list[IntendedCertificate]:
    """Link the two certificates of a sign + km pair to each other (a unit of one is returned as it is)."""
    if len(unit) != 2:
        return list(unit)
    first, second = unit
    return [replace(first, pair_serial=second.serial), replace(second, pair_serial=first.serial)]


def pending_records(
    unit: Sequence[IntendedCertificate],
    *,
    issuer: str,
    holder: bytes | None,
    channel: str,
    request_key: str | None,
    now: datetime,
) -> tuple[list[PendingRecord], list[AuditEvent]]:
    """The records of a unit and their ``certificate.recorded`` audit events. The request key (idempotency) goes
    with the first (signing) certificate; the km certificate's unique id is not recorded (it repeats the signing
    certificate's cn, and the unique id is unique per record)."""
    records: list[PendingRecord] = []
    events: list[AuditEvent] = []
    for position, intended in enumerate(unit):
        fields = intended.fields
        records.append(
            PendingRecord(
                issuer=issuer,
                serial=fields.serial,
                profile=intended.profile.name,
                subject=fields.subject.rfc4514_string(),
                unique_id=None if intended.profile.encryption else intended.unique_id,
                holder_hash=holder,
                not_before=fields.not_before,
                not_after=fields.not_after,
                tbs_sha256=hashlib.sha256(intended.tbs).digest(),
                created_at=now,
                channel=channel,
                request_key=request_key if position == 0 else None,
                crl_partition=intended.partition,
                pair_serial=intended.pair_serial,
            )
        )
        data: dict[str, object] = {"issuer": issuer, "serial": format(fields.serial, "x")}
        data |= {"profile": intended.profile.name, "channel": channel}
        if intended.pair_serial is not None:
            data["pair"] = format(intended.pair_serial, "x")
        events.append(AuditEvent("certificate.recorded", f"channel:{channel}", now, data))
    return records, events
