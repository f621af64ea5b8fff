"""Bulk-load revoked records into CRL partitions, as the revoking transactions leave them (``bench.crl`` and the
publishing tests): each record with its partition, its DER entry in ``ca_crl_entries``, each partition and the
issuer dirty."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from sqlalchemy import insert

from jointcert.ca.crl_der import encode_entry
from jointcert.ca.hierarchy import ISSUING
from jointcert.storage.db import Database
from jointcert.storage.tables.ca import CaCertificate, CaCrlEntry, CaCrlPartition
from jointcert.storage.tables.ca_epoch import CaRevocationEpoch

__all__ = ["BASE_SERIAL", "fill_revoked"]

BASE_SERIAL = 1 << 120
_REASONS = (x509.ReasonFlags.key_compromise, x509.ReasonFlags.superseded, x509.ReasonFlags.unspecified)
_CHUNK = 20_000


def fill_revoked(database: Database, count: int, size: int, now: datetime) -> dict[int, list[int]]:
    """``count`` revoked records in partitions of ``size``; returns partition → serials."""
    by_partition: dict[int, list[int]] = {}
    partitions = (count + size - 1) // size
    with database.engine.begin() as connection:
        connection.execute(
            insert(CaCrlPartition),
            [
                {"issuer": ISSUING, "partition": p, "assigned": size, "epoch": 1, "crl_epoch": 0}
                for p in range(partitions)
            ],
        )
        connection.execute(insert(CaRevocationEpoch).values(issuer=ISSUING, epoch=1, crl_epoch=0))
        for start in range(0, count, _CHUNK):
            rows, entries = [], []
            for i in range(start, min(count, start + _CHUNK)):
                serial, partition, reason = BASE_SERIAL + i * 7919, i // size, _REASONS[i % 3]
                revoked_at = now - timedelta(seconds=i % 86_400)
                by_partition.setdefault(partition, []).append(serial)
                rows.append(
                    {
                        "issuer": ISSUING, "serial_hex": format(serial, "x"), "status": "revoked",
                        "profile": "limited", "subject": "cn=bulk", "unique_id": None, "holder_hash": None,
                        "channel": "cli", "not_before": now - timedelta(days=1), "not_after": now + timedelta(days=300),
                        "tbs_sha256": b"\0" * 32, "created_at": now, "issued_at": now, "revoked_at": revoked_at,
                        "revocation_reason": reason.value, "crl_partition": partition,
                    }
                )  # fmt: skip
                entries.append(
                    {
                        "issuer": ISSUING, "serial_hex": format(serial, "x"), "crl_partition": partition,
                        "entry": encode_entry(serial, revoked_at, reason),
                    }
                )  # fmt: skip
            connection.execute(insert(CaCertificate), rows)
            connection.execute(insert(CaCrlEntry), entries)
    return by_partition
