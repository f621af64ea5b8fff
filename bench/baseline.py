"""Physical baselines: raw RSA-2048 PKCS#1 v1.5 SHA-256 signatures and verifications per second, with the same
library (cryptography) and the same number of worker processes the server runs."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.wire import LoadResult

__all__ = ["raw_signatures", "raw_verifications"]

_MESSAGE = b"\x30" * 600  # about a TBSCertificate


@cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def _warm(_: int) -> None:
    _key()


def _sign_burst(count: int) -> list[float]:
    key, out = _key(), []
    for _ in range(count):
        start = time.perf_counter()
        key.sign(_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        out.append(time.perf_counter() - start)
    return out


def _verify_burst(count: int) -> list[float]:
    key, out = _key(), []
    public = key.public_key()
    signature = key.sign(_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    for _ in range(count):
        start = time.perf_counter()
        public.verify(signature, _MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        out.append(time.perf_counter() - start)
    return out


def _run(burst: object, workers: int, per_worker: int) -> LoadResult:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers)))
        start = time.perf_counter()
        parts = list(pool.map(burst, [per_worker] * workers))  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
    latencies = [x for part in parts for x in part]
    return LoadResult(len(latencies), elapsed, latencies)


def raw_signatures(workers: int, per_worker: int) -> LoadResult:
    """RSA-2048 signatures in ``workers`` processes at once."""
    return _run(_sign_burst, workers, per_worker)


def raw_verifications(workers: int, per_worker: int) -> LoadResult:
    """RSA-2048 verifications in ``workers`` processes at once."""
    return _run(_verify_burst, workers, per_worker)
