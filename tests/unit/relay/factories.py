"""Small factories for relay tests: a service on a database, a transfer's secrets."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from jointcert.clock import FakeClock
from jointcert.config import RelaySettings
from jointcert.relay.model import MIN_ITERATIONS, NewTransfer
from jointcert.relay.ratelimit import Limit, RateLimiter
from jointcert.relay.service import RelayService
from jointcert.storage.db import Database
from jointcert.storage.repositories.relay import SqlTransferStore

CLIENT = "192.0.2.10"


def make_service(
    database: Database,
    clock: FakeClock,
    *,
    limits: dict[str, Limit] | None = None,
    ttl_seconds: int = 180,
    max_wrong_codes: int = 5,
) -> RelayService:
    """A relay service on ``database``; no rate limits unless given."""
    return RelayService(
        store=SqlTransferStore(database),
        clock=clock,
        settings=RelaySettings(ttl_seconds=ttl_seconds, max_wrong_codes=max_wrong_codes),
        limiter=RateLimiter(clock, limits or {}),
    )


@dataclass(frozen=True)
class Secrets:
    """A transfer's registration and the proof only the code's holders can make."""

    new: NewTransfer
    proof: bytes


def new_transfer(transfer_id: str = "4821") -> Secrets:
    """Registration data with a random proof (the service never runs the KDF itself)."""
    proof = os.urandom(32)
    return Secrets(NewTransfer(transfer_id, os.urandom(16), MIN_ITERATIONS, hashlib.sha256(proof).digest()), proof)


ENVELOPE = os.urandom(12) + b"ciphertext of the certificate and its encrypted key" + os.urandom(16)
