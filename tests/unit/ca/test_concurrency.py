"""200 parallel issuances (threads) on each backend: 200 distinct serials, 200 records, an intact audit chain."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from jointcert.ca.audit import verify_store
from jointcert.storage.tables.ca import CaCertificate
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request

N = 200


def test_200_parallel_issuances(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    requests = [make_request(subscriber_keys[i % len(subscriber_keys)]) for i in range(N)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        issued = list(pool.map(env.authority.issue, requests))
    serials = {i.serial for i in issued}
    assert len(serials) == N
    with env.database.session() as s:
        rows = s.execute(
            select(CaCertificate.serial_hex, CaCertificate.status, CaCertificate.unique_id).where(
                CaCertificate.profile == "limited"
            )
        ).all()
        total = s.scalar(select(func.count()).select_from(CaCertificate))
    assert len(rows) == N and total == N + 2  # plus the CA and OCSP signer certificates
    assert {int(r.serial_hex, 16) for r in rows} == serials
    assert {r.status for r in rows} == {"issued"}
    assert len({r.unique_id for r in rows}) == N
    assert env.counters.snapshot()["certificates_issued"] == N
    assert verify_store(env.audit).ok
