"""The auditor's desk: the audit log with filters (actor, action, time range), the chain verification that
``jointcert audit verify`` runs, and a signed export of a range of entries.

An export is a JSON document: the entries exactly as stored (canonical payload, chain hashes), who exported it and
when, the signer's certificate, and an RSA PKCS#1 v1.5 / SHA-256 signature by the issuing CA's key (in the
PKCS#11 token when the keys live there) over the canonical JSON of everything but ``signature``. Those bytes
begin with ``{``, so they can never be mistaken for a DER TBSCertificate or TBSCertList (``0x30``). The checkpoint
file (``ca/checkpoint.py``) is HMAC-tagged under the instance secret, which an outside reader cannot check; the
export is signed so that anyone holding the CA certificate can: :func:`verify_export`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.admin.directory import AuditFilter, Directory
from jointcert.admin.model import Operator, Role
from jointcert.admin.operators import OperatorService, actor_of
from jointcert.ca.audit import ChainReport, chain_hash, verify_store
from jointcert.ca.checkpoint import AuditAnchor
from jointcert.ca.keys import CaSigner
from jointcert.ca.ports import AuditEntry, AuditEvent, AuditStore
from jointcert.clock import Clock
from jointcert.errors import InvalidInput

__all__ = ["EXPORT_FORMAT", "MAX_EXPORT", "AuditDesk", "ExportInvalid", "canonical", "verify_export"]

EXPORT_FORMAT = "jointcert-audit-export/1"
MAX_EXPORT = 10_000


class ExportInvalid(InvalidInput):
    """A signed audit export does not verify."""

    code = "audit_export_invalid"
    message_ko = "감사 로그 내보내기 파일의 서명 또는 해시 체인이 올바르지 않습니다."
    message_en = "The audit export's signature or hash chain does not verify."


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes the signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "type": entry.type,
        "actor": entry.actor,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash.hex(),
        "hash": entry.hash.hex(),
    }


def verify_export(document: dict[str, Any], signer_certificate: x509.Certificate) -> int:
    """Check the signature (with the certificate the reader trusts, which must be the one named) and every
    chain link of the exported range; the number of entries, or :class:`ExportInvalid`."""
    try:
        body = {k: v for k, v in document.items() if k != "signature"}
        named = x509.load_pem_x509_certificate(str(body["signer"]["certificate"]).encode())
        signature = base64.b64decode(document["signature"]["value"], validate=True)
        entries = list(body["entries"])
    except (KeyError, TypeError, ValueError):
        raise ExportInvalid(why="malformed") from None
    if named != signer_certificate or body.get("format") != EXPORT_FORMAT:
        raise ExportInvalid(why="signer")
    key = signer_certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ExportInvalid(why="key type")
    try:
        key.verify(signature, canonical(body), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ExportInvalid(why="signature") from None
    previous: str | None = None
    for item in entries:
        try:
            linked = previous is None or item["prev_hash"] == previous
            hashed = chain_hash(bytes.fromhex(item["prev_hash"]), str(item["payload"])).hex() == item["hash"]
        except (KeyError, TypeError, ValueError):
            raise ExportInvalid(why="malformed entry") from None
        if not (linked and hashed):
            raise ExportInvalid(why="chain", seq=item["seq"])
        previous = item["hash"]
    return len(entries)


@dataclass(frozen=True)
class Export:
    """A signed export and its SHA-256 (what the audit entry of the export names)."""

    document: dict[str, Any]
    sha256: str

    def to_json(self) -> str:
        """Indented JSON for the download."""
        return json.dumps(self.document, indent=1, ensure_ascii=False, sort_keys=True)


class AuditDesk:
    """The auditor's services (each call requires :attr:`Role.AUDITOR`; verification and export are audited)."""

    def __init__(
        self,
        *,
        directory: Directory,
        audit: AuditStore,
        anchor: AuditAnchor | None,
        signer: CaSigner,
        clock: Clock,
    ) -> None:
        self._dir, self._audit, self._anchor = directory, audit, anchor
        self._signer, self._clock = signer, clock

    def log(self, operator: Operator, query: AuditFilter) -> list[AuditEntry]:
        """Entries matching the filter, newest first (at most 500)."""
        OperatorService.require(operator, Role.AUDITOR)
        if query.since and query.until and query.since >= query.until:
            raise InvalidInput("The range ends before it starts.", message_ko="조회 기간이 올바르지 않습니다.")
        return self._dir.audit(AuditFilter(query.actor, query.action, query.since, query.until, min(query.limit, 500)))

    def verify(self, operator: Operator) -> ChainReport:
        """Hashes, MACs and checkpoints, as ``jointcert audit verify``; the outcome is itself an entry."""
        OperatorService.require(operator, Role.AUDITOR)
        report = self._anchor.verify() if self._anchor is not None else verify_store(self._audit)
        data = {"ok": report.ok, "checked": report.checked, "broken_seq": report.broken_seq}
        self._audit.append(AuditEvent("audit.verified", actor_of(operator), self._clock.now(), data))
        return report

    def export(self, operator: Operator, first_seq: int, last_seq: int) -> Export:
        """Entries ``first_seq..last_seq`` (inclusive, at most :data:`MAX_EXPORT`) signed by the CA key."""
        OperatorService.require(operator, Role.AUDITOR)
        head, _ = self._audit.head()
        if not 1 <= first_seq <= last_seq <= head or last_seq - first_seq >= MAX_EXPORT:
            raise InvalidInput(
                f"Choose a range within 1..{head} of at most {MAX_EXPORT} entries.",
                message_ko=f"1~{head} 범위에서 {MAX_EXPORT}건 이하로 선택하세요.",
            )
        entries = self._audit.entries(after_seq=first_seq - 1, limit=last_seq - first_seq + 1)
        certificate = self._signer.certificate.public_bytes(serialization.Encoding.PEM).decode()
        body: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "exported_at": self._clock.now().isoformat(),
            "exported_by": actor_of(operator),
            "entries": [_entry(e) for e in entries],
            "signer": {"slug": self._signer.slug, "certificate": certificate},
        }
        signed = canonical(body)
        signature = self._signer.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        document = {
            **body,
            "signature": {"algorithm": "sha256WithRSAEncryption", "value": base64.b64encode(signature).decode()},
        }
        digest = hashlib.sha256(signed).hexdigest()
        data = {"first_seq": first_seq, "last_seq": last_seq, "sha256": digest}
        self._audit.append(AuditEvent("audit.exported", actor_of(operator), self._clock.now(), data))
        return Export(document, digest)
