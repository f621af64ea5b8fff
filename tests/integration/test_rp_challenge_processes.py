"""Login challenges across processes sharing one database (SQLite file, PostgreSQL): a challenge issued by one
process is accepted by another holding the same key, exactly once however many processes race for it, and refused
there once expired or when forged."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from jointcert.clock import SystemClock
from jointcert.rp import ChallengeService, Reason
from jointcert.storage.db import Database
from jointcert.storage.rp import SqlChallengeStore

_KEY = "6b" * 32  # hex: the key every process of the deployment derives from the instance secret
_CONSUMER = """
import sys, time
from jointcert.clock import SystemClock
from jointcert.rp import ChallengeService
from jointcert.storage.db import Database
from jointcert.storage.rp import SqlChallengeStore
url, key, value, start = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3], float(sys.argv[4])
service = ChallengeService(SqlChallengeStore(Database(url)), SystemClock(), key=key)
time.sleep(max(0.0, start - time.time()))  # every consumer released at the same moment
print(service.consume(value, "hanbit-bank", "browser-1").code.value)
"""


def _consumers(database: Database, value: str, count: int) -> list[str]:
    """``count`` processes consuming ``value`` at once; their reason codes."""
    start = time.time() + 3.0  # wall time shared with the child processes
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CONSUMER, database.url, _KEY, value, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results.append(out.strip())
    return results


def _service(database: Database, ttl_seconds: int = 120) -> ChallengeService:
    return ChallengeService(
        SqlChallengeStore(database), SystemClock(), ttl_seconds=ttl_seconds, key=bytes.fromhex(_KEY)
    )


def test_exactly_one_of_several_processes_consumes_a_challenge(database: Database) -> None:
    service = _service(database)
    challenge = service.issue("hanbit-bank", "browser-1")
    results = _consumers(database, challenge.value, 4)
    assert results.count(Reason.OK.value) == 1, results
    assert results.count(Reason.CHALLENGE_REPLAYED.value) == 3, results
    assert service.consume(challenge.value, "hanbit-bank", "browser-1").code is Reason.CHALLENGE_REPLAYED


def test_another_process_refuses_an_expired_or_forged_challenge(database: Database) -> None:
    service = _service(database, ttl_seconds=1)
    expired = service.issue("hanbit-bank", "browser-1")
    forged = service.issue("hanbit-bank", "browser-1").value[:-2] + "AA"
    time.sleep(1.1)
    results = _consumers(database, expired.value, 1) + _consumers(database, forged, 1)
    assert results == [Reason.CHALLENGE_EXPIRED.value, Reason.CHALLENGE_UNKNOWN.value], results
