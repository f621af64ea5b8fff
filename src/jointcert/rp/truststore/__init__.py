"""Built-in trust stores: the public NPKI CA certificates shipped as package data (``certs/``, see its README).

- ``npki``: the KISA roots (``KISA RootCA 1``, ``KISA RootCA 4``) as anchors, every real issuing CA (yessign,
  signGATE, SignKorea, CrossCert, TradeSign) as intermediates for path building;
- ``npki-test``: the KISA test roots (``Kisa Test RootCA 6``, ``7``) and the test issuing CAs
  (``yessignCA-Test Class 4/5``, ``TradeSignCA2015Test/2018Test``).

A certificate is a test one when its subject or issuer CN says "Test"; the two stores never mix.
"""

from __future__ import annotations

from importlib import resources

from cryptography import x509
from cryptography.x509.oid import NameOID

from jointcert.rp.path import TrustAnchors

__all__ = ["TRUST_STORES", "bundled_certificates", "trust_store"]

TRUST_STORES = ("npki", "npki-test")


def bundled_certificates() -> dict[str, x509.Certificate]:
    """Every shipped certificate by file name."""
    folder = resources.files(__package__).joinpath("certs")
    return {
        entry.name: x509.load_pem_x509_certificate(entry.read_bytes())
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".pem")
    }


def _is_test(cert: x509.Certificate) -> bool:
    names = [str(a.value) for n in (cert.subject, cert.issuer) for a in n.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return any("test" in name.lower() for name in names)


def trust_store(name: str) -> TrustAnchors:
    """The named built-in store; :class:`ValueError` for an unknown name."""
    if name not in TRUST_STORES:
        raise ValueError(f"unknown trust store {name!r}; one of: {', '.join(TRUST_STORES)}")
    test = name == "npki-test"
    return TrustAnchors.of(c for c in bundled_certificates().values() if _is_test(c) == test)
