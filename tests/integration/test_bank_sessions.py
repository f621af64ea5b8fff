"""Server-side bank-app sessions: the cookie is a random id whose state is in the database. A saved cookie value
stops working right after logout, also in another process; a login rotates the id; revocation of the login
certificate and a change of its password end every session with it; idle timeout and absolute lifetime hold;
certificate logins are throttled (429)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.types import CertType
from jointcert.web.app import create_app
from jointcert.web.bank_session import COOKIE
from tests.integration.test_bank_login import challenge, log_in, problem, signed
from tests.integration.test_rp_web import issue

# Reads a cookie value in a fresh interpreter: only the database is shared with the test process.
_READER = """
import sys
from jointcert.clock import FakeClock
from jointcert.config import BankSessionSettings
from jointcert.storage.bank_app_sessions import SqlBankAppSessions
from jointcert.storage.db import Database
from jointcert.web.bank_session import BankSessions
from datetime import datetime
db = Database(sys.argv[1])
sessions = BankSessions(SqlBankAppSessions(db), FakeClock(datetime.fromisoformat(sys.argv[2])), BankSessionSettings())
try:
    print("ok", sessions.read(sys.argv[3]).serial)
except Exception as exc:
    print("refused", getattr(exc, "code", type(exc).__name__))
"""


def _read_elsewhere(services: Services, value: str, tmp_path: Path) -> str:
    script = tmp_path / "read_session.py"
    script.write_text(_READER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, str(script), services.database.url, services.clock.now().isoformat(), value],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_saved_cookie_stops_working_after_logout_in_another_process_too(
    services: Services, client: TestClient, tmp_path: Path
) -> None:
    holder = issue(services, CertType.LIMITED, name="김한빛")
    log_in(client, holder)
    saved = client.cookies[COOKIE]
    serial = format(holder.cert.serial_number, "x")
    assert _read_elsewhere(services, saved, tmp_path) == f"ok {serial}"
    assert client.post("/bank/api/logout").status_code == 204
    assert _read_elsewhere(services, saved, tmp_path) == "refused bank_session_invalid"
    other = TestClient(create_app(services), raise_server_exceptions=False)  # another app instance, same DB
    other.cookies.set(COOKIE, saved)
    problem(other.get("/bank/api/session"), 401, "bank_session_invalid")


def test_the_page_logout_ends_the_session_too(services: Services, client: TestClient) -> None:
    log_in(client, issue(services, CertType.LIMITED))
    saved = client.cookies[COOKIE]
    assert client.post("/bank/logout", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, saved)
    problem(client.get("/bank/api/session"), 401, "bank_session_invalid")


def test_login_rotates_the_session_id(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    log_in(client, holder)
    first = client.cookies[COOKIE]
    log_in(client, holder)
    second = client.cookies[COOKIE]
    assert first != second
    client.cookies.set(COOKIE, first)
    problem(client.get("/bank/api/session"), 401, "bank_session_invalid")  # the old id ended at the new login
    client.cookies.set(COOKIE, second)
    assert client.get("/bank/api/session").status_code == 200


def test_revocation_ends_every_session_of_that_certificate(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    log_in(client, holder)
    phone = TestClient(create_app(services), raise_server_exceptions=False)
    log_in(phone, holder)
    services.authority.revoke(holder.cert.serial_number, x509.ReasonFlags.key_compromise, actor="test")
    problem(client.get("/bank/api/session"), 401, "bank_session_invalid")
    problem(phone.get("/bank/api/session"), 401, "bank_session_invalid")


def test_password_change_logs_out_every_device(services: Services, client: TestClient) -> None:
    holder, stranger = issue(services, CertType.LIMITED), issue(services, CertType.LIMITED)
    serial = format(holder.cert.serial_number, "x")
    log_in(client, holder)
    phone = TestClient(create_app(services), raise_server_exceptions=False)
    log_in(phone, holder)
    other = TestClient(create_app(services), raise_server_exceptions=False)
    log_in(other, stranger)
    refused = other.post("/bank/api/session/password-changed", json={"serial": serial})  # not its certificate
    assert refused.json() == {"logged_out": 0}
    assert phone.get("/bank/api/session").status_code == 200
    ended = client.post("/bank/api/session/password-changed", json={"serial": serial.upper()})
    assert ended.status_code == 200 and ended.json() == {"logged_out": 2}
    problem(phone.get("/bank/api/session"), 401, "bank_session_invalid")
    assert other.get("/bank/api/session").status_code == 200


def test_idle_timeout_moves_with_use_but_the_absolute_lifetime_does_not(
    services: Services, client: TestClient, clock: FakeClock
) -> None:
    log_in(client, issue(services, CertType.LIMITED))
    idle = services.settings.bank_session.idle_timeout_seconds
    lifetime = services.settings.bank_session.absolute_lifetime_seconds
    used = 0
    while used + idle - 1 < lifetime:  # used just before the idle timeout, again and again
        clock.advance(timedelta(seconds=idle - 1))
        used += idle - 1
        assert client.get("/bank/api/session").status_code == 200, used
    clock.advance(timedelta(seconds=lifetime - used))
    problem(client.get("/bank/api/session"), 401, "bank_session_expired")
    print(f"session used every {idle - 1} s stayed alive until the absolute lifetime ({lifetime} s)")


def test_certificate_login_is_throttled(services: Services) -> None:
    holder = issue(services, CertType.LIMITED)
    limit = services.settings.throttle.login_failures_per_certificate
    bot = TestClient(create_app(services), raise_server_exceptions=False, client=("203.0.113.5", 1))
    for _ in range(limit):  # forged signatures with the holder's (public) certificate
        bad = signed(holder, challenge(bot), signature=b"\x00" * 256)
        assert bot.post("/bank/api/login", json=bad).status_code == 401
    refused = bot.post("/bank/api/login", json=signed(holder, challenge(bot)))  # even a right proof, from there
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert refused.json()["scope"] == "customer" and int(refused.headers["Retry-After"]) >= 1
    mine = TestClient(create_app(services), raise_server_exceptions=False, client=("192.0.2.9", 1))
    assert log_in(mine, holder)["logged_in"] is True  # the holder, from her own address
