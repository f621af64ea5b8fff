"""The relay service on SQLite and PostgreSQL: lifecycle, single download, expiry, burn-after-N, rate limits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from jointcert.clock import FakeClock
from jointcert.relay.errors import (
    AlreadyDownloaded,
    AlreadyUploaded,
    InvalidRelayRequest,
    NotUploaded,
    RateLimited,
    TransferBurned,
    TransferExpired,
    TransferIdTaken,
    TransferNotFound,
    WrongCode,
)
from jointcert.relay.model import NewTransfer, TransferStatus
from jointcert.relay.ratelimit import Limit
from jointcert.storage.db import Database
from jointcert.storage.tables.relay import RelayTransfer
from tests.unit.relay.factories import CLIENT, ENVELOPE, make_service, new_transfer


def _row(database: Database, transfer_id: str) -> RelayTransfer | None:
    with database.session() as session:
        return session.scalar(select(RelayTransfer).where(RelayTransfer.id == transfer_id))


def test_create_upload_download_once(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    created = relay.create(secrets.new, client=CLIENT)
    assert created.view.status is TransferStatus.WAITING
    assert created.view.seconds_left == 180 and created.view.attempts_left == 5
    assert created.view.salt == secrets.new.salt and len(created.receiver_token) >= 40

    with pytest.raises(NotUploaded):
        relay.download("4821", receiver_token=created.receiver_token, client=CLIENT)
    clock.advance(timedelta(seconds=30))
    view = relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    assert view.status is TransferStatus.UPLOADED and view.seconds_left == 150
    row = _row(database, "4821")
    assert row is not None and row.verifier is None and row.envelope == ENVELOPE  # the proof is spent

    assert relay.download("4821", receiver_token=created.receiver_token, client=CLIENT) == ENVELOPE
    with pytest.raises(AlreadyDownloaded) as second:
        relay.download("4821", receiver_token=created.receiver_token, client=CLIENT)
    assert "한 번만" in second.value.text_ko and second.value.text_en.startswith("This certificate")
    row = _row(database, "4821")
    assert row is not None and row.envelope is None and row.status == "downloaded"
    assert relay.status("4821", client=CLIENT).status is TransferStatus.DOWNLOADED


def test_only_the_receiver_token_downloads(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    created = relay.create(secrets.new, client=CLIENT)
    relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    with pytest.raises(TransferNotFound):
        relay.download("4821", receiver_token=created.receiver_token + "x", client=CLIENT)
    assert relay.download("4821", receiver_token=created.receiver_token, client=CLIENT) == ENVELOPE


def test_second_upload_is_refused(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    with pytest.raises(AlreadyUploaded):
        relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)


def test_wrong_codes_count_down_then_burn(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock, max_wrong_codes=3), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    wrong = bytes(32)
    for left in (2, 1):
        with pytest.raises(WrongCode) as error:
            relay.upload("4821", proof=wrong, envelope=ENVELOPE, client=CLIENT)
        assert error.value.details["attempts_left"] == left
    assert relay.status("4821", client=CLIENT).attempts_left == 1
    with pytest.raises(TransferBurned):
        relay.upload("4821", proof=wrong, envelope=ENVELOPE, client=CLIENT)
    with pytest.raises(TransferBurned):  # even the right code no longer works
        relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    assert relay.status("4821", client=CLIENT).status is TransferStatus.BURNED
    row = _row(database, "4821")
    assert row is not None and row.verifier is None and row.envelope is None and row.wrong_codes == 3


def test_a_proof_of_the_wrong_length_counts_as_wrong(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    with pytest.raises(WrongCode):
        relay.upload("4821", proof=secrets.proof[:31], envelope=ENVELOPE, client=CLIENT)


def test_expiry_refuses_upload_and_wipes_an_uploaded_ciphertext(database: Database, clock: FakeClock) -> None:
    relay = make_service(database, clock)
    waiting, uploaded = new_transfer("1111"), new_transfer("2222")
    relay.create(waiting.new, client=CLIENT)
    receiver = relay.create(uploaded.new, client=CLIENT)
    relay.upload("2222", proof=uploaded.proof, envelope=ENVELOPE, client=CLIENT)
    clock.advance(timedelta(seconds=180))
    with pytest.raises(TransferExpired) as error:
        relay.upload("1111", proof=waiting.proof, envelope=ENVELOPE, client=CLIENT)
    assert error.value.code == "relay_transfer_expired" and "유효 시간" in error.value.text_ko
    with pytest.raises(TransferExpired):
        relay.download("2222", receiver_token=receiver.receiver_token, client=CLIENT)
    for transfer_id in ("1111", "2222"):
        view = relay.status(transfer_id, client=CLIENT)
        assert view.status is TransferStatus.EXPIRED and view.seconds_left == 0
        row = _row(database, transfer_id)
        assert row is not None and row.envelope is None and row.verifier is None


def test_sweep_wipes_overdue_rows_and_forgets_them_a_ttl_later(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    clock.advance(timedelta(seconds=181))
    assert relay.sweep() == 1
    row = _row(database, "4821")
    assert row is not None and row.status == "expired" and row.envelope is None
    with pytest.raises(TransferIdTaken):  # the tombstone still answers status polls
        relay.create(new_transfer().new, client=CLIENT)
    clock.advance(timedelta(seconds=180))
    relay.sweep()
    assert _row(database, "4821") is None
    assert relay.create(new_transfer().new, client=CLIENT).view.status is TransferStatus.WAITING


def test_far_future_clock_expires_everything(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    created = relay.create(secrets.new, client=CLIENT)
    relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    clock.advance(timedelta(days=3650))
    with pytest.raises(TransferExpired):
        relay.download("4821", receiver_token=created.receiver_token, client=CLIENT)


def test_cancel_drops_the_ciphertext(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    created = relay.create(secrets.new, client=CLIENT)
    relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    relay.cancel("4821", receiver_token=created.receiver_token, client=CLIENT)
    assert relay.status("4821", client=CLIENT).status is TransferStatus.CANCELLED
    row = _row(database, "4821")
    assert row is not None and row.envelope is None
    with pytest.raises(TransferNotFound):
        relay.download("4821", receiver_token=created.receiver_token, client=CLIENT)


def test_unknown_and_malformed_ids(database: Database, clock: FakeClock) -> None:
    relay = make_service(database, clock)
    for transfer_id in ("0000", "12", "abcd", "1234' or 1=1 --"):
        with pytest.raises(TransferNotFound):
            relay.status(transfer_id, client=CLIENT)


@pytest.mark.parametrize(
    "new",
    [
        NewTransfer("123", bytes(16), 600_000, bytes(32)),
        NewTransfer("1234", bytes(15), 600_000, bytes(32)),
        NewTransfer("1234", bytes(16), 599_999, bytes(32)),
        NewTransfer("1234", bytes(16), 600_000, bytes(31)),
    ],
)
def test_create_refuses_weak_or_malformed_parameters(database: Database, clock: FakeClock, new: NewTransfer) -> None:
    with pytest.raises(InvalidRelayRequest):
        make_service(database, clock).create(new, client=CLIENT)


def test_envelope_size_is_bounded(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    for envelope in (b"", bytes(28), bytes(64 * 1024 + 1)):
        with pytest.raises(InvalidRelayRequest):
            relay.upload("4821", proof=secrets.proof, envelope=envelope, client=CLIENT)
    assert relay.status("4821", client=CLIENT).attempts_left == 5  # size errors are not code guesses


def test_concurrent_downloads_hand_out_the_ciphertext_once(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    created = relay.create(secrets.new, client=CLIENT)
    relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def download() -> None:
        barrier.wait()
        try:
            results.append(relay.download("4821", receiver_token=created.receiver_token, client=CLIENT))
        except AlreadyDownloaded as exc:
            results.append(exc)

    threads = [threading.Thread(target=download) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(ENVELOPE) == 1
    assert sum(isinstance(r, AlreadyDownloaded) for r in results) == 5


def test_concurrent_right_uploads_accept_one(database: Database, clock: FakeClock) -> None:
    relay, secrets = make_service(database, clock), new_transfer()
    relay.create(secrets.new, client=CLIENT)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def upload(n: int) -> None:
        barrier.wait()
        try:
            relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE + bytes([n]), client=CLIENT)
            outcomes.append("ok")
        except AlreadyUploaded:
            outcomes.append("refused")

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]


def test_rate_limits_per_client_and_action(database: Database, clock: FakeClock) -> None:
    relay = make_service(database, clock, limits={"status": Limit(burst=3, per_minute=6)})
    secrets = new_transfer()
    relay.create(secrets.new, client=CLIENT)
    for _ in range(3):
        relay.status("4821", client=CLIENT)
    with pytest.raises(RateLimited) as error:
        relay.status("4821", client=CLIENT)
    assert error.value.details["retry_after"] == 10 and error.value.code == "relay_rate_limited"
    relay.status("4821", client="198.51.100.7")  # another address has its own bucket
    clock.advance(timedelta(seconds=10))
    relay.status("4821", client=CLIENT)  # refilled one token
    with pytest.raises(RateLimited):
        relay.status("4821", client=CLIENT)


def test_upload_attempts_are_rate_limited_before_they_count(database: Database, clock: FakeClock) -> None:
    relay = make_service(database, clock, limits={"upload": Limit(burst=2, per_minute=1)})
    secrets = new_transfer()
    relay.create(secrets.new, client=CLIENT)
    for _ in range(2):
        with pytest.raises(WrongCode):
            relay.upload("4821", proof=bytes(32), envelope=ENVELOPE, client=CLIENT)
    with pytest.raises(RateLimited):
        relay.upload("4821", proof=secrets.proof, envelope=ENVELOPE, client=CLIENT)
    assert relay.status("4821", client=CLIENT).attempts_left == 3


def test_settings_are_checked() -> None:
    from jointcert.config import RelaySettings
    from jointcert.relay.ratelimit import RateLimiter
    from jointcert.relay.service import RelayService

    clock = FakeClock()
    store = object()
    with pytest.raises(ValueError, match="12 digits"):
        RelayService(store=store, clock=clock, settings=RelaySettings(code_digits=8), limiter=RateLimiter(clock))  # type: ignore[arg-type]
