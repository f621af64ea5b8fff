"""One transaction per flow step (SQLite and PostgreSQL): one commit; a refused step keeps its counted failure
and its step log; a step that breaks rolls everything back; two processes racing one step: one wins."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.ra.errors import WrongCredential
from jointcert.ra.ports import Credential
from jointcert.ra.workflow import State
from jointcert.storage.db import Database
from jointcert.storage.repositories.ra import SqlAttempts, SqlSessionStore, SqlStepLog
from tests.integration.issuance_flow import identity_confirmed, ra_services

__all__ = ["ra_services"]
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, ACCOUNT_DIGITS, RIGHT_PIN = "110-482-915307", "110482915307", "4827"


def _at_account_step(services: Services) -> tuple[str, str]:
    """A session of minjun88 at IDENTITY_CONFIRMED (ARS answered on the virtual phone)."""
    return identity_confirmed(services, "minjun88")


@contextmanager
def _commits(database: Database) -> Iterator[list[str]]:
    """The COMMITs of the block (engine ``commit`` events)."""
    seen: list[str] = []

    def on_commit(_: object) -> None:
        seen.append("commit")

    event.listen(database.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(database.engine, "commit", on_commit)


def _other_node(database: Database) -> Database:
    """The same database through a second engine (what another node sees)."""
    return Database(database.url)


def test_a_step_commits_once_and_a_refused_step_keeps_its_failure(ra_services: Services, database: Database) -> None:
    sid, token = _at_account_step(ra_services)
    with _commits(database) as commits, pytest.raises(WrongCredential):
        ra_services.ra.verify_account(sid, token, ACCOUNT, "0000")
    assert commits == ["commit"]  # the reserved attempt, the refusal and its step log: one transaction
    other = _other_node(database)
    try:
        assert SqlAttempts(other).failures(Credential.ACCOUNT_PIN, ACCOUNT_DIGITS) == (1, False)  # committed
        assert SqlStepLog(other).entries(sid)[-1].outcome == WrongCredential.code
        with _commits(database) as commits:
            view = ra_services.ra.verify_account(sid, token, ACCOUNT, RIGHT_PIN).session
        assert commits == ["commit"]
        stored = SqlSessionStore(other).get(sid)
        assert (
            stored is not None and stored.state is State.ACCOUNT_VERIFIED and view.state == State.ACCOUNT_VERIFIED.value
        )
        assert SqlAttempts(other).failures(Credential.ACCOUNT_PIN, ACCOUNT_DIGITS) == (0, False)
    finally:
        other.dispose()


def test_a_step_that_breaks_rolls_back_everything(ra_services: Services, database: Database) -> None:
    sid, token = _at_account_step(ra_services)
    before = ra_services.ra.ctx.sessions.get(sid)
    logged = len(ra_services.ra.steps_of(sid))

    def broken(number: str, pin: str) -> bool:
        raise RuntimeError("the bank's core system broke mid-step")

    ra_services.bank.accounts.verify_pin = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        ra_services.ra.verify_account(sid, token, ACCOUNT, RIGHT_PIN)
    other = _other_node(database)
    try:
        assert SqlAttempts(other).failures(Credential.ACCOUNT_PIN, ACCOUNT_DIGITS) == (0, False)  # reservation undone
        assert SqlSessionStore(other).get(sid) == before
    finally:
        other.dispose()
    assert len(ra_services.ra.steps_of(sid)) == logged


_RACER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from pathlib import Path
    from jointcert.clock import FakeClock
    from jointcert.errors import JointcertError
    from jointcert.storage.db import Database
    from tests.integration.issuance_flow import reopen

    url, data_dir, now, sid, token, go = sys.argv[1:]
    services = reopen(Database(url), FakeClock(datetime.fromisoformat(now)), Path(data_dir), None)
    services.ra.status(sid, token)  # connected and warm
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.001)
    try:
        services.ra.verify_account(sid, token, "110-482-915307", "4827")
        print("ok", flush=True)
    except JointcertError as exc:
        print(exc.code, flush=True)
    """
)


def test_two_processes_racing_one_step_one_wins(
    ra_services: Services, database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    sid, token = _at_account_step(ra_services)
    version = ra_services.ra.ctx.sessions.get(sid).version  # type: ignore[union-attr]
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JOINTCERT_DATABASE_URL": database.url}
    args = [database.url, str(tmp_path / "data"), clock.now().isoformat(), sid, token, str(go)]
    racers = [
        subprocess.Popen([sys.executable, "-c", _RACER, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for racer in racers:
        assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = sorted(racer.communicate(timeout=120)[0].strip() for racer in racers)
    assert outcomes[0] == "ok"  # exactly one wins …
    assert outcomes[1] in {"ra_step_out_of_order", "ra_session_busy"}  # … the other is told the session moved on
    stored = ra_services.ra.ctx.sessions.get(sid)
    assert stored is not None and stored.state is State.ACCOUNT_VERIFIED and stored.version == version + 1
    accepted = [e for e in ra_services.ra.steps_of(sid) if e.step == "verify_account" and e.outcome == "ok"]
    assert len(accepted) == 1
    assert all(racer.returncode == 0 for racer in racers)
