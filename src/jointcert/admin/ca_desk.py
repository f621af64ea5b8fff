"""The CA administrator's desk: OCSP signer renewal (a new delegated signer from the issuing CA, file keys),
swapped into this process's responder at once and audited with the operator's identity."""

from __future__ import annotations

from collections.abc import MutableMapping

from cryptography.hazmat.primitives import hashes

from jointcert.admin.model import Operator, Role
from jointcert.admin.operators import OperatorService, actor_of
from jointcert.ca.hierarchy import ISSUING, OCSP
from jointcert.ca.keys import CaSigner, FileKeyStore
from jointcert.ca.ocsp import OcspResponder
from jointcert.ca.ocsp_renewal import AuthorityWriter, renew_ocsp_signer
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.clock import Clock
from jointcert.config import CaSettings

__all__ = ["CaDesk"]


class CaDesk:
    """CA administrator actions that are not dual-controlled (each requires :attr:`Role.CA_ADMIN`)."""

    def __init__(
        self,
        *,
        settings: CaSettings,
        signers: MutableMapping[str, CaSigner],
        responder: OcspResponder,
        store: AuthorityWriter,
        keys: FileKeyStore,
        passphrase: bytes | None,
        audit: AuditStore,
        clock: Clock,
    ) -> None:
        self._settings, self._signers, self._responder = settings, signers, responder
        self._store, self._keys, self._passphrase = store, keys, passphrase
        self._audit, self._clock = audit, clock

    def renew_ocsp_signer(self, operator: Operator) -> CaSigner:
        """Issue a new OCSP signer certificate and key and sign OCSP responses with it from now on."""
        OperatorService.require(operator, Role.CA_ADMIN)
        old = self._signers[OCSP]
        new = renew_ocsp_signer(
            settings=self._settings,
            issuing=self._signers[ISSUING],
            current=old,
            store=self._store,
            keys=self._keys,
            passphrase=self._passphrase,
            clock=self._clock,
            actor=actor_of(operator),
        )
        self._responder.use_signer(new)
        self._signers[OCSP] = new
        data = {
            "old_serial": format(old.certificate.serial_number, "x"),
            "new_serial": format(new.certificate.serial_number, "x"),
            "sha256": new.certificate.fingerprint(hashes.SHA256()).hex(),
            "not_after": new.certificate.not_valid_after_utc.isoformat(),
        }
        self._audit.append(AuditEvent("ca.ocsp_signer_renewed", actor_of(operator), self._clock.now(), data))
        return new
