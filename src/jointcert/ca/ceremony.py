"""The key ceremony's outputs: the issuing CA's CSR and a reproducible record of the keys and certificates.

The record is plain JSON (sorted keys, no timestamps beyond the certificates' own) so two readers of the same token
and database produce the same bytes; its SHA-256 goes into the audit log as ``ca.ceremony``.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from jointcert.ca.keys import CaSigner
from jointcert.ca.token import TokenKey
from jointcert.config import Pkcs11Settings
from jointcert.errors import InvalidInput

__all__ = ["CeremonyPlan", "ceremony_plan", "ceremony_record", "issuing_csr", "record_bytes"]

_NAME_FIELDS = {"organization", "unit", "issuing_name", "root_name", "bank_unit", "bank_code", "validity_days"}


@dataclass(frozen=True)
class CeremonyPlan:
    """What a ceremony.toml asks for: the CA settings of the new instance, its output folder (relative to the
    file) and the SHA-256 of the file's bytes (what a dual-control approval names)."""

    ca: dict[str, Any]
    output: str
    sha256: str

    @property
    def token_label(self) -> str:
        """The token the keys are generated in."""
        return str(self.ca["pkcs11"]["token_label"])


def ceremony_plan(data: bytes) -> CeremonyPlan:
    """Parse and check a ceremony.toml; :class:`InvalidInput` (ko + en) names what is wrong."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Cannot read ceremony.toml: {exc}", message_ko="세리머니 설정 파일을 읽을 수 없습니다."
        ) from exc
    token, output, names = document.get("token", {}), document.get("output", {}), document.get("ca", {})
    unknown = (set(document) - {"token", "output", "ca"}) | (set(names) - _NAME_FIELDS)
    unknown |= (set(token) - {"module", "label"}) | (set(output) - {"directory"})
    if unknown or not isinstance(token.get("label"), str):
        raise InvalidInput(
            f"ceremony.toml needs [token] label; unknown keys: {sorted(unknown)}",
            message_ko="세리머니 설정이 올바르지 않습니다 ([token] label 필요).",
        )
    pkcs11 = {"module": token.get("module", Pkcs11Settings().module), "token_label": token["label"]}
    ca = dict(names) | {"key_source": "pkcs11", "pkcs11": pkcs11}
    return CeremonyPlan(ca, str(output.get("directory", "ceremony")), hashlib.sha256(data).hexdigest())


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
