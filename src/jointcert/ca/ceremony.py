"""The key ceremony's outputs: the issuing CA's CSR and a reproducible record of the keys and certificates.

The record is plain JSON (sorted keys, no timestamps beyond the certificates' own) so two readers of the same token
and database produce the same bytes; its SHA-256 goes into the audit log as ``ca.ceremony``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from jointcert.ca.keys import CaSigner
from jointcert.ca.token import TokenKey

__all__ = ["ceremony_record", "issuing_csr", "record_bytes"]


def issuing_csr(signer: CaSigner) -> bytes:
    """A PEM CSR for ``signer``'s subject and key, signed with its key (in the token): for cross-certification."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(signer.name)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(signer.key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def _key_entry(signer: CaSigner, attributes: Mapping[str, bool] | None) -> dict[str, Any]:
    key = signer.key
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    entry: dict[str, Any] = {"bits": key.key_size, "spki_sha256": hashlib.sha256(spki).hexdigest()}
    if isinstance(key, TokenKey):
        entry |= {"label": key.label, "key_id": key.key_id.hex(), "attributes": dict(attributes or {})}
    return entry


def ceremony_record(
    signers: Mapping[str, CaSigner], token: Mapping[str, str], attributes: Mapping[str, Mapping[str, bool]]
) -> dict[str, Any]:
    """What the ceremony made: per role the key (label, CKA_ID, protection attributes) and the certificate."""
    roles: dict[str, Any] = {}
    for slug, signer in sorted(signers.items()):
        cert = signer.certificate
        roles[slug] = {
            "key": _key_entry(signer, attributes.get(slug)),
            "certificate": {
                "subject": cert.subject.rfc4514_string(),
                "issuer": cert.issuer.rfc4514_string(),
                "serial": format(cert.serial_number, "x"),
                "not_before": cert.not_valid_before_utc.isoformat(),
                "not_after": cert.not_valid_after_utc.isoformat(),
                "sha256": cert.fingerprint(hashes.SHA256()).hex(),
                "ski": signer.key_identifier.hex(),
            },
        }
    return {"format": "jointcert-ceremony/1", "token": dict(token), "roles": roles}


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a record (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
