"""A process that issues concurrently through the batcher (run by test_batch_crash.py, killed at a fault point).

``python -m tests.integration.batch_crash_worker URL KEY_DIR COUNT [--recover]``: unlock the CA installed in the
database at URL, (with ``--recover``, void every pending record first, as the reconciler does once they are old
enough), then issue COUNT requests from 8 threads, each with the idempotency key ``req-<i>`` (a key whose record
was voided is retried with ``req-<i>-again``). Prints ``issued <i> <serial hex>`` as each answer arrives.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.authority import CertificateAuthority, IssuanceRequest
from jointcert.ca.bootstrap import unlock_signers
from jointcert.ca.errors import RecordCollision
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.keys import FileKeyStore
from jointcert.clock import SystemClock
from jointcert.config import CaSettings
from jointcert.pii import PiiProtector
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.repositories.ca_batch import SqlBatchStore
from jointcert.storage.repositories.ca_partitions import SqlCrlPartitions
from tests.unit.ca.factories import make_request

PUBLIC_URL = "http://127.0.0.1:8000"
PASSPHRASE = b"pw"
PII_KEY = b"k" * 32


def request(i: int, key: rsa.RSAPrivateKey) -> IssuanceRequest:
    """The i-th request: its own holder (resident number) and idempotency key."""
    return replace(make_request(key, rrn=f"900101{1 + i % 2}{i:06d}"), request_key=f"req-{i}")


def main() -> None:
    url, key_dir, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    database = Database(url)
    store, audit, clock = SqlCertificateStore(database), SqlAuditStore(database), SystemClock()
    signers = unlock_signers(
        store=store, audit=audit, keys=FileKeyStore(key_dir), passphrase=PASSPHRASE, clock=clock, actor="worker"
    )
    authority = CertificateAuthority(
        store=store,
        audit=audit,
        pii=PiiProtector(PII_KEY),
        clock=clock,
        settings=CaSettings(),
        public_url=PUBLIC_URL,
        issuing=signers[ISSUING],
        partitions=SqlCrlPartitions(database),
        batch_store=SqlBatchStore(database),
    )
    if "--recover" in sys.argv:
        voided = authority.recover_stale(timedelta(0))
        print(f"voided {len(voided)}", flush=True)
    keys = [rsa.generate_private_key(65537, 2048) for _ in range(8)]
    printing = threading.Lock()

    def one(i: int) -> None:
        wanted = request(i, keys[i % len(keys)])
        try:
            issued = authority.issue(wanted)
        except RecordCollision:  # its record was voided after a crash: the client asks again under a new key
            issued = authority.issue(replace(wanted, request_key=f"req-{i}-again"))
        with printing:  # one whole line per answer
            print(f"issued {i} {issued.serial:x}", flush=True)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(count)))
    print("done", flush=True)


if __name__ == "__main__":
    main()
