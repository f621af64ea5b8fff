"""The two transactions of a batch of issuance units (``ca/batcher.py``), as multi-row Core statements.

* record: every unit's pending records in one multi-row ``INSERT`` (and one for their request keys), their audit
  entries appended with one bump of the chain head and one multi-row ``INSERT``, committed together;
* store: every record pending → issued in one ``UPDATE`` (the DER chosen per serial by a ``CASE``) whose row count
  proves none was voided meanwhile, the ``certificate.issued`` entries appended the same way, the supersessions of
  the units that ask for them, committed together.

The audit entries go through :func:`~jointcert.storage.repositories.ca_chain.append_audit_many`, the chain append
every other audited change uses too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from jointcert.ca.batcher import StoredUnit
from jointcert.ca.errors import AlreadyRevoked, RecordCollision
from jointcert.ca.ports import AuditEvent, PendingRecord
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import insert_pending, issue_pending, serial_key, supersede_in, with_older
from jointcert.storage.repositories.ca_chain import append_audit_many

__all__ = ["SqlBatchStore"]


class SqlBatchStore:
    """:class:`jointcert.ca.batcher.BatchStore` on the CA's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record_units(self, units: Sequence[tuple[Sequence[PendingRecord], Sequence[AuditEvent]]]) -> None:
        """Every unit's records, request keys and audit entries in one transaction; a taken serial, unique id or
        request key raises ``RecordCollision`` and records nothing."""
        records = [record for unit_records, _ in units for record in unit_records]
        events = [event for _, unit_events in units for event in unit_events]
        try:
            with self._db.session() as session:
                insert_pending(session, records, events)
        except IntegrityError as exc:
            raise RecordCollision() from exc

    def mark_units_issued(
        self,
        issuer: str,
        units: Sequence[StoredUnit],
        *,
        at: datetime,
        supersede: Callable[[int], AuditEvent],
    ) -> list[list[int]]:
        """Every unit pending → issued in one transaction (all or nothing: ``AlreadyRevoked`` when any record was
        voided meanwhile); the supersessions of the units that ask for them; each unit's superseded serials."""
        issued = [pair for unit in units for pair in unit.issued]
        with self._db.session() as session:
            if not issue_pending(session, issuer, issued, at):  # the exception rolls the whole batch back
                raise AlreadyRevoked("A record of the batch is no longer pending (voided by recovery?).")
            append_audit_many(session, [event for unit in units for event in unit.events])
            wanted = [serial for unit in units if unit.supersede for serial, _ in unit.issued]
            older = with_older(session, issuer, wanted) if wanted else set()
            superseded: list[list[int]] = []
            for unit in units:
                revoked: list[int] = []
                if unit.supersede:
                    for serial, _ in unit.issued:
                        if serial_key(serial) in older:
                            revoked += supersede_in(session, issuer, serial, at, supersede)
                superseded.append(revoked)
            return superseded
