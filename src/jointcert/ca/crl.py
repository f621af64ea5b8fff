"""CRLs: a full CRL per CA (``root``, ``class1``) and, for the issuing CA, one CRL per partition.

**Partitions.** Every certificate is assigned at issuance to a CRL partition of at most
``CaSettings.crl_partition_size`` certificates (:meth:`CrlPartitions.allocate`); its CRL distribution point is that
partition's URL, ``<public_url>/crl/<ca>/p<N>.crl``, and the partition's CRL carries the same URI, byte for byte,
in a critical issuingDistributionPoint (RFC 5280 §5.2.5; onlyContainsUserCerts: subscribers only), as real NPKI
CAs publish ``…/dp18p395``. A relying party downloads the entries of its partition only. The full CRL (no IDP,
every entry) stays at ``/crl/<ca>.crl`` for tools that want everything.

**Freshness.** A revocation does not sign a CRL inside its request: its transaction bumps the issuer's revocation
epoch (:mod:`jointcert.ca.epoch`) and its partition's epoch, and stores the record's DER CRL entry. The scheduler
leader's :meth:`CrlPublisher.regenerate_dirty` (every ``CaSettings.crl_dirty_seconds``) reissues the dirty
partitions and the full CRL; :meth:`CrlPublisher.current` and :meth:`CrlPublisher.partition` reissue a dirty or
expired CRL on demand, so a CRL served is never older than the revocations committed before it was asked for.
Every CRL is reissued on the schedule (``crl_interval_seconds``). CRL numbers come from one counter per issuer in
the database: unique and increasing across every node and every partition.

A CRL is a join of the stored entries (:mod:`jointcert.ca.crl_der`): a million entries publish in seconds.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from jointcert.ca.crl_der import assemble_crl, encode_entries, entries_of, sequence_of, splice_entries
from jointcert.ca.epoch import RevocationEpochs
from jointcert.ca.errors import UnknownAuthority, UnknownCrlPartition
from jointcert.ca.keys import CaSigner
from jointcert.ca.ports import AuditEvent, CertificateStore, CrlPartitions, CrlRecord, RevokedEntry
from jointcert.ca.profiles import UrlSet
from jointcert.ca.stats import Counters
from jointcert.clock import Clock
from jointcert.config import CaSettings

__all__ = ["PARTITION_NAME", "CrlPublisher", "build_crl", "sign_crl"]

log = logging.getLogger(__name__)
PARTITION_NAME = r"p(0|[1-9][0-9]{0,8})"  # the partition part of a distribution point: p0, p1 … (no leading zeros)
_PARTITION = re.compile(PARTITION_NAME)


def _idp(url: str) -> x509.IssuingDistributionPoint:
    return x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        only_contains_user_certs=True,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )


def sign_crl(
    signer: CaSigner,
    revoked: bytes,
    number: int,
    this_update: datetime,
    next_update: datetime,
    *,
    idp_url: str | None = None,
) -> bytes:
    """A signed DER CRL of ``signer`` with the encoded ``revokedCertificates`` (CRL number, AKI and, for a
    partition, a critical issuingDistributionPoint naming ``idp_url``).

    cryptography encodes the entry-less CRL (signed by the CA key only to get its TBS); the entries are spliced in
    and the CA key signs the result."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(signer.name)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(signer.key_identifier, None, None), critical=False)
    )
    if idp_url is not None:
        builder = builder.add_extension(_idp(idp_url), critical=True)
    template = builder.sign(signer.key, hashes.SHA256())
    tbs = splice_entries(template.tbs_certlist_bytes, revoked)
    return assemble_crl(tbs, signer.sign_tbs(tbs))


def build_crl(
    signer: CaSigner, entries: list[RevokedEntry], number: int, this_update: datetime, next_update: datetime
) -> bytes:
    """A signed DER full CRL of ``signer`` listing ``entries`` — the same bytes cryptography's builder makes."""
    revoked = encode_entries((e.serial, e.revoked_at, e.reason) for e in entries)
    return sign_crl(signer, revoked, number, this_update, next_update)


class CrlPublisher:
    """Generates, stores and serves the CRLs of the instance's CAs (full and partitioned)."""

    def __init__(
        self,
        *,
        store: CertificateStore,
        signers: Mapping[str, CaSigner],
        clock: Clock,
        settings: CaSettings,
        counters: Counters | None = None,
        epochs: RevocationEpochs | None = None,
        partitions: CrlPartitions | None = None,
        public_url: str = "",
    ) -> None:
        if settings.crl_next_update_hours < 1:
            raise ValueError("crl_next_update_hours must be positive")
        self._store, self._clock, self._settings, self._epochs = store, clock, settings, epochs
        self._partitions = partitions
        self._public_url = public_url
        self._signers = dict(signers)
        self._locks = {slug: threading.Lock() for slug in self._signers}
        self._partition_locks = {slug: threading.Lock() for slug in self._signers}
        self.counters = counters or Counters()

    @property
    def slugs(self) -> tuple[str, ...]:
        """The CAs that publish a CRL."""
        return tuple(self._signers)

    def _signer(self, slug: str) -> CaSigner:
        signer = self._signers.get(slug)
        if signer is None:
            raise UnknownAuthority(ca=slug)
        return signer

    def _times(self) -> tuple[datetime, datetime]:
        now = self._clock.now().replace(microsecond=0)
        return now, now + timedelta(hours=self._settings.crl_next_update_hours)

    # --- the full CRL ------------------------------------------------------------------------------------------
    def regenerate(self, slug: str, *, actor: str = "scheduler") -> CrlRecord:
        """Build, sign and store a new full CRL for ``slug`` with the next CRL number."""
        return self._regenerate_full(slug, actor, {})

    def _regenerate_full(self, slug: str, actor: str, fresh: dict[int, tuple[CrlRecord, int]]) -> CrlRecord:
        signer = self._signer(slug)
        with self._locks[slug]:
            covered = self._epochs.epoch(slug) if self._epochs is not None else 0  # read before the entries
            number = self._store.next_crl_number(slug)
            now, next_update = self._times()
            if self._partitions is not None:
                count, parts = self._joined_partitions(self._partitions, slug, actor, fresh)
                der = sign_crl(signer, sequence_of(parts), number, now, next_update)
            else:
                entries = self._store.revoked(slug)
                count, der = len(entries), build_crl(signer, entries, number, now, next_update)
            record = CrlRecord(slug, number, now, next_update, der, count)
            data = {"issuer": slug, "number": number, "entries": count}
            self._store.save_crl(record, AuditEvent("crl.issued", actor, self._clock.now(), data))
            if self._epochs is not None:
                self._epochs.crl_made(slug, covered)
            self.counters.inc("crls_issued")
            return record

    def _joined_partitions(
        self, partitions: CrlPartitions, slug: str, actor: str, fresh: dict[int, tuple[CrlRecord, int]]
    ) -> tuple[int, list[bytes]]:
        """The full CRL's entries: every partition's newest CRL plus the records without a partition — a million
        entries without reading the records again. ``fresh``: CRLs just made (with the epoch each covers); a
        partition whose epoch moved since (read after the issuer's) is reissued, a clean one read back."""
        epochs = partitions.epochs(slug)
        stale = [n for n in sorted(epochs) if n not in fresh or fresh[n][1] < epochs[n]]
        dirty = set(partitions.dirty(slug))
        fresh = {**fresh, **self._make_partitions(slug, [n for n in stale if n in dirty], actor)}
        for n in stale:
            stored = partitions.latest(slug, n) if n not in dirty else None
            if stored is not None:
                fresh[n] = (stored, epochs[n])
        count, unpartitioned = partitions.entries(slug, [None])[None]
        parts = [unpartitioned]
        for n in sorted(epochs):
            record = fresh[n][0] if n in fresh else self.partition(slug, n)
            parts.append(entries_of(record.der))
            count += len(x509.load_der_x509_crl(record.der)) if record.entries is None else record.entries
        return count, parts

    def dirty(self, slug: str) -> bool:
        """Whether ``slug`` revoked something after its newest full CRL was made (never, without an epoch store)."""
        return self._epochs is not None and self._epochs.crl_dirty(slug)

    def current(self, slug: str) -> CrlRecord:
        """The newest full CRL of ``slug``; a new one is made when none is stored, it has passed its nextUpdate,
        or a revocation is not on it yet (the leader had not reissued it)."""
        self._signer(slug)
        record = self._store.latest_crl(slug)
        if record is None or record.next_update <= self._clock.now() or self.dirty(slug):
            return self.regenerate(slug, actor="on-demand")
        return record

    # --- partitions --------------------------------------------------------------------------------------------
    def partition_url(self, slug: str, partition: int) -> str:
        """The partition's distribution point (the same string the CA writes into its certificates)."""
        return UrlSet(self._public_url, slug).partition_crl(partition)

    def partition_numbers(self, slug: str) -> list[int]:
        """The partitions of ``slug`` (none without partitions)."""
        self._signer(slug)
        return [] if self._partitions is None else self._partitions.numbers(slug)

    def stale_partitions(self, slug: str) -> list[int]:
        """The partitions of ``slug`` whose CRL misses a revocation older than ``crl_stale_seconds`` or is past its
        nextUpdate: the leader is not keeping up (``/readyz``; a request for one still gets a current CRL)."""
        self._signer(slug)
        if self._partitions is None:
            return []
        now = self._clock.now()
        before = now - timedelta(seconds=self._settings.crl_stale_seconds)
        return self._partitions.stale(slug, dirty_before=before, now=now)

    def regenerate_partition(self, slug: str, partition: int, *, actor: str = "scheduler") -> CrlRecord:
        """Build, sign and store a new CRL of one partition."""
        return self._make_partitions(slug, [partition], actor)[partition][0]

    def regenerate_partitions(self, slug: str, numbers: list[int], *, actor: str = "scheduler") -> list[CrlRecord]:
        """New CRLs of the partitions ``numbers``."""
        made = self._make_partitions(slug, numbers, actor)
        return [made[n][0] for n in numbers]

    def _make_partitions(self, slug: str, numbers: list[int], actor: str) -> dict[int, tuple[CrlRecord, int]]:
        """New CRLs of several partitions with one read of their entries, one block of CRL numbers and one
        transaction (one audit entry); each with the epoch it covers."""
        signer = self._signer(slug)
        if not numbers:
            return {}
        if self._partitions is None:
            raise UnknownCrlPartition(ca=slug, partition=numbers[0])
        with self._partition_locks[slug]:
            epochs = self._partitions.epochs(slug)  # read before the entries
            unknown = [n for n in numbers if n not in epochs]
            if unknown:
                raise UnknownCrlPartition(ca=slug, partition=unknown[0])
            first = self._store.next_crl_number(slug, len(numbers)) - len(numbers) + 1
            now, next_update = self._times()
            found = self._partitions.entries(slug, list(numbers))
            made: dict[int, tuple[CrlRecord, int]] = {}
            for offset, n in enumerate(numbers):
                count, joined = found[n]
                url = self.partition_url(slug, n)
                der = sign_crl(signer, sequence_of([joined]), first + offset, now, next_update, idp_url=url)
                made[n] = (CrlRecord(slug, first + offset, now, next_update, der, count, n), epochs[n])
            listed = [[n, record.number, record.entries] for n, (record, _) in made.items()]
            event = AuditEvent("crl.issued", actor, self._clock.now(), {"issuer": slug, "partitions": listed})
            self._partitions.save(slug, [(n, record, covered) for n, (record, covered) in made.items()], event)
            self.counters.inc("crls_issued", len(made))
            return made

    def partition(self, slug: str, partition: int) -> CrlRecord:
        """The newest CRL of one partition, reissued on demand when missing, expired or dirty;
        :class:`UnknownCrlPartition` for a partition no certificate was assigned to."""
        self._signer(slug)
        if self._partitions is None:
            raise UnknownCrlPartition(ca=slug, partition=partition)
        record = self._partitions.latest(slug, partition)
        if record is None or record.next_update <= self._clock.now() or partition in self._partitions.dirty(slug):
            return self.regenerate_partition(slug, partition, actor="on-demand")
        return record

    def published(self, name: str) -> CrlRecord:
        """The CRL at ``/crl/<name>.crl``: ``class1`` (full) or ``class1/p3`` (a partition), as :meth:`current`
        and :meth:`partition` serve them."""
        slug, _, part = name.partition("/")
        if not part:
            return self.current(slug)
        if _PARTITION.fullmatch(part) is None:
            raise UnknownCrlPartition(ca=slug, partition=part)
        return self.partition(slug, int(part[1:]))

    # --- schedules ---------------------------------------------------------------------------------------------
    def regenerate_dirty(self, *, actor: str = "scheduler") -> list[CrlRecord]:
        """A new CRL for every partition and every CA that revoked something since its newest CRL (the leader runs
        it every ``crl_dirty_seconds``): the partitions first (the relying parties' CRLs), then the full CRL
        joined from them."""
        made: list[CrlRecord] = []
        for slug in self._signers:
            fresh: dict[int, tuple[CrlRecord, int]] = {}
            if self._partitions is not None:
                fresh = self._make_partitions(slug, self._partitions.dirty(slug), actor)
                made += [record for record, _ in fresh.values()]
            if self.dirty(slug):
                made.append(self._regenerate_full(slug, actor, fresh))
        return made

    def regenerate_all(self, *, actor: str = "scheduler") -> list[CrlRecord]:
        """A new CRL for every partition and a new full CRL for every CA."""
        made: list[CrlRecord] = []
        for slug in self._signers:
            fresh = self._make_partitions(slug, self.partition_numbers(slug), actor)
            made += [record for record, _ in fresh.values()]
            made.append(self._regenerate_full(slug, actor, fresh))
        return made

    def on_revocation(self, serials: Sequence[int]) -> None:
        """Revocation listener reissuing the issuing CA's CRLs at once (a process without a scheduler, e.g. tests;
        ``build_services`` leaves it to the leader's :meth:`regenerate_dirty`)."""
        del serials
        for slug in self._signers:
            if slug != "root":
                self.regenerate(slug, actor="revocation")  # the dirty partitions first
