"""The sandbox bank end to end on each backend: idempotent seed, no plaintext secret at rest, shared phone."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import select

from jointcert.bank.model import CallStatus, NotificationEvent
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.bank.sandbox.otp import totp_code
from jointcert.bank.seed import demo_customer
from jointcert.clock import FakeClock
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository import SandboxBank, build_sandbox_bank
from jointcert.storage.db import Database
from jointcert.storage.tables import metadata
from tests.unit.bank.seed_secrets import secret_byte_patterns

KEY = bytes(range(32))
ARS_CODE = "902715"
# Random-by-construction text that may contain any digit run: Argon2 encoded hashes and 32-hex ids.
_RANDOM_SPANS = re.compile(rb"\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|[0-9a-f]{32}")


def _bank(database: Database, clock: FakeClock, seed: int = 7) -> SandboxBank:
    pii = PiiProtector(KEY)
    hasher = SecretHasher(pii, PasswordHasher.from_parameters(profiles.CHEAPEST))
    return build_sandbox_bank(database, pii, clock, hasher=hasher, rng=random.Random(seed))


def _bank_tables() -> list[Any]:
    return [t for t in metadata.sorted_tables if t.name.startswith("bank_")]


def _dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    with database.engine.connect() as conn:
        return {t.name: sorted(tuple(row) for row in conn.execute(select(t))) for t in _bank_tables()}


def _use_everything(bank: SandboxBank, clock: FakeClock) -> None:
    """Touch every table, so the leak check also covers what the ports write."""
    customer = bank.customers.identify("seoyeon91", "910722-2086271")
    bank.customers.update_contact(customer.id, email="sy@example.com", address="뉴욕", phone_id="P2001")
    assert bank.second_factors.verify_otp(
        customer.id, totp_code(demo_customer("seoyeon91").spec.otp.secret, clock.now())
    )  # type: ignore[union-attr]
    assert bank.accounts.verify_pin("110-519-647208", "3916")
    bank.accounts.debit_fee("110-519-647208", 4400, "범용 수수료", "fee-1")
    bank.accounts.lock("110-482-915307", "PIN 5회 오류")
    bank.telephony.place_call(customer.phones[0], ARS_CODE, expires_at=clock.now() + timedelta(minutes=3))
    bank.notifier.notify(customer.id, NotificationEvent.ISSUED, {"cert_type": "범용", "valid_until": "2027-11-25"})


def _leaks(data: bytes) -> list[bytes]:
    masked = _RANDOM_SPANS.sub(lambda m: b"\x00" * len(m.group()), data)
    return sorted(p for p in secret_byte_patterns() | {ARS_CODE.encode()} if p in masked)


def test_seed_twice_gives_the_same_rows(database: Database, clock: FakeClock) -> None:
    first = _bank(database, clock).seed()
    rows = _dump(database)
    clock.advance(timedelta(days=3))
    second = _bank(database, clock, seed=8).seed()  # another process, another day
    assert second.created == () and second.existing == first.created
    assert _dump(database) == rows
    assert len(rows["bank_customers"]) == len(first.created) == 8


def test_no_plaintext_secret_in_any_row(database: Database, clock: FakeClock) -> None:
    bank = _bank(database, clock)
    bank.seed()
    _use_everything(bank, clock)
    rows = _dump(database)
    data = b"\x00".join(
        v if isinstance(v, bytes) else str(v).encode() for table in rows.values() for row in table for v in row
    )
    assert len(data) > 1000
    assert _leaks(data) == []


def test_no_plaintext_secret_in_the_sqlite_files(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "bank.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    bank = _bank(database, clock)
    bank.seed()
    _use_everything(bank, clock)
    raw_before_checkpoint = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("bank.db*")))
    database.dispose()  # checkpoints the WAL into the main file
    raw = path.read_bytes()
    assert "김민준".encode() in raw and b"110482915307" in raw  # the check reads real data
    assert _leaks(raw) == []
    assert _leaks(raw_before_checkpoint) == []


def test_leak_check_would_notice_a_plaintext_secret(tmp_path: Path) -> None:
    assert b"880415-1057831" in _leaks(b"...\x00880415-1057831\x00...")
    assert _leaks("0\x000\x004827".encode("utf-16-le") + "4827".encode("utf-16-le")) != []
    assert _leaks(b"$argon2id$v=19$m=8,t=1,p=1$4827abc$x4827y") == []


_ANSWER_SCRIPT = """
import sys
from datetime import datetime
from jointcert.clock import FakeClock
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository import build_sandbox_bank
from jointcert.storage.db import Database

url, now, number, digits = sys.argv[1:5]
database = Database(url)
bank = build_sandbox_bank(database, PiiProtector(bytes(range(32))), FakeClock(datetime.fromisoformat(now)))
[call] = bank.virtual_phone.ringing(number)
print(bank.virtual_phone.answer(call.call_id, digits).value)
database.dispose()
"""


@pytest.mark.parametrize(("digits", "status"), [(ARS_CODE, CallStatus.CONFIRMED), ("111111", CallStatus.WRONG_CODE)])
def test_a_call_placed_here_is_answered_from_another_process(
    database: Database, clock: FakeClock, digits: str, status: CallStatus
) -> None:
    bank = _bank(database, clock)
    bank.seed()
    phone = bank.customers.get("C1001").phones[0]
    call_id = bank.telephony.place_call(phone, ARS_CODE, expires_at=clock.now() + timedelta(minutes=3))
    argv = [sys.executable, "-c", _ANSWER_SCRIPT, database.url, clock.now().isoformat(), "01027184406", digits]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == status.value
    assert bank.telephony.call_status(call_id) is status


def test_everything_works_with_the_clock_far_ahead(database: Database) -> None:
    clock = FakeClock(datetime(2045, 6, 30, 23, 59, 50, tzinfo=UTC))
    bank = _bank(database, clock)
    bank.seed()
    _use_everything(bank, clock)
    departure = bank.immigration.departure("C1002")
    assert departure is not None and departure.departed_at == datetime(2045, 6, 12, tzinfo=UTC)
    [call] = bank.virtual_phone.ringing("010-9351-2260")
    clock.advance(timedelta(minutes=3))
    assert bank.telephony.call_status(call.call_id) is CallStatus.TIMED_OUT
