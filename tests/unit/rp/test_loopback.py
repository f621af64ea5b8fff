"""Loopback revocation ports: our own OCSP/CRL URLs answered in-process, everything else by the fallback."""

from __future__ import annotations

import pytest

from jointcert.rp.loopback import LoopbackCrlFetcher, LoopbackOcspTransport
from jointcert.rp.revocation import RevocationFetchError


class Recording:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def post(self, url: str, request: bytes) -> bytes:
        self.seen.append(url)
        return b"remote:" + request

    def fetch(self, url: str) -> bytes:
        self.seen.append(url)
        return b"remote-crl"


def test_own_ocsp_url_is_answered_in_process() -> None:
    remote = Recording()
    transport = LoopbackOcspTransport("http://127.0.0.1:8000/", lambda der: b"local:" + der, remote)
    assert transport.post("http://127.0.0.1:8000/ocsp", b"q") == b"local:q"
    assert transport.post("HTTP://127.0.0.1:8000/ocsp/", b"q") == b"local:q"  # same URL, other spelling
    assert transport.post("http://127.0.0.1:8001/ocsp", b"q") == b"remote:q"
    assert transport.post("http://ocsp.example/ocsp", b"q") == b"remote:q"
    assert remote.seen == ["http://127.0.0.1:8001/ocsp", "http://ocsp.example/ocsp"]
    assert transport.in_process("HTTP://127.0.0.1:8000/ocsp/")  # the relying party then sends no nonce
    assert not transport.in_process("http://127.0.0.1:8001/ocsp")


def test_failures_are_fetch_errors() -> None:
    def broken(_: bytes) -> bytes:
        raise RuntimeError("database down")

    transport = LoopbackOcspTransport("http://ca.test", broken, None)
    with pytest.raises(RevocationFetchError, match="in-process responder failed"):
        transport.post("http://ca.test/ocsp", b"q")
    with pytest.raises(RevocationFetchError, match="no route"):
        transport.post("http://elsewhere.test/ocsp", b"q")


def test_own_crls_come_from_the_publisher() -> None:
    remote = Recording()
    fetcher = LoopbackCrlFetcher("http://ca.test", lambda slug: slug.encode(), ("root", "class1"), remote)
    assert fetcher.fetch("http://ca.test/crl/class1.crl") == b"class1"
    assert fetcher.fetch("http://ca.test/crl/root.crl") == b"root"
    assert fetcher.fetch("http://ca.test/crl/other.crl") == b"remote-crl"
    assert fetcher.fetch("http://ca.test/crl/class1/p12.crl") == b"class1/p12"  # a partition's DP
    for elsewhere in ("http://ca.test/crl/class1/p012.crl", "http://ca.test/crl/other/p1.crl"):
        assert fetcher.fetch(elsewhere) == b"remote-crl"
    assert remote.seen == [
        "http://ca.test/crl/other.crl",
        "http://ca.test/crl/class1/p012.crl",
        "http://ca.test/crl/other/p1.crl",
    ]
    with pytest.raises(RevocationFetchError):
        LoopbackCrlFetcher("http://ca.test", lambda slug: b"", ("root",), None).fetch("http://x.test/a.crl")
