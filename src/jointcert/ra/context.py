"""What every step receives: the ports, the rules and the clock (:class:`StepContext`), and what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from jointcert.bank.model import Customer
from jointcert.bank.ports import BankPorts
from jointcert.clock import Clock
from jointcert.config import RaSettings
from jointcert.errors import JointcertError
from jointcert.pii import PiiProtector
from jointcert.ra.errors import SessionClosed
from jointcert.ra.policies import Lockouts, Notifications
from jointcert.ra.ports import Authority, CertificateRegistry, FeeLedger, Registrar, SessionStore
from jointcert.ra.session import RRN_PURPOSE, IssuanceSession

__all__ = ["Outcome", "StepContext"]

T = TypeVar("T")


@dataclass(frozen=True)
class StepContext:
    """Dependencies of the steps, wired once by the :class:`~jointcert.ra.service.RegistrationAuthority`."""

    bank: BankPorts
    sessions: SessionStore
    lockouts: Lockouts
    notifications: Notifications
    authority: Authority
    registry: CertificateRegistry
    registrar: Registrar | None
    pii: PiiProtector
    clock: Clock
    settings: RaSettings
    validity_days: Mapping[str, int]  # by CertType value (live: operators' profile changes)
    chain: tuple[bytes, ...]  # DER: issuing CA, root
    fees: FeeLedger

    def now(self) -> datetime:
        """The current time (injected clock)."""
        return self.clock.now()

    def customer(self, session: IssuanceSession) -> Customer:
        """The identified customer of a session (steps after ``identify`` only)."""
        if session.customer_id is None:  # the transition table makes this unreachable
            raise SessionClosed("The session has no identified customer.")
        return self.bank.customers.get(session.customer_id)

    def rrn(self, session: IssuanceSession) -> str:
        """The session's resident number (13 digits), decrypted for the moment it is needed."""
        if session.rrn_ciphertext is None:
            raise SessionClosed("The session holds no resident number.")
        return self.pii.decrypt(session.rrn_ciphertext, RRN_PURPOSE)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A step's result: the session as it should be stored, the value for the client, and an error to raise
    after storing (a failed attempt that still changes the session, e.g. an ARS call that went back a step)."""

    session: IssuanceSession
    value: T
    error: JointcertError | None = None
