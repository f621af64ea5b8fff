"""Relay ciphertext past its TTL cannot be taken even when the status was read as live a moment earlier (the
download's claim itself checks the expiry; no sweep needed)."""

from __future__ import annotations

from datetime import timedelta

from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.storage.repositories.relay import SqlTransferStore
from tests.unit.relay.factories import CLIENT, ENVELOPE, make_service, new_transfer


def test_take_envelope_refuses_past_expiry_without_a_sweep(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    relay.upload(secrets.new.transfer_id, proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    store = SqlTransferStore(database)
    late = clock.now() + timedelta(seconds=180)
    assert store.take_envelope(secrets.new.transfer_id, late) is None  # at the TTL: gone for good
    in_time = clock.now() + timedelta(seconds=179)
    assert store.take_envelope(secrets.new.transfer_id, in_time) == ENVELOPE
