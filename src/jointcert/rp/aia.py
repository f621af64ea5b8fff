"""Issuer certificates from the AIA caIssuers URL (RFC 5280 §4.2.2.1), fetched through a port and cached.

A certificate's authorityInfoAccess may name where its issuer's certificate is published (ours: ``/ca/<ca>.crt``).
:class:`AiaIssuers` is an :class:`~jointcert.rp.path.IssuerSource`: it reads the URL, fetches it with a
:class:`CaIssuersFetcher` (HTTP in :mod:`jointcert.rp.http`), parses DER, PEM or a PKCS#7 "certs-only" bundle, and
keeps the answer for ``ttl_seconds`` (failures for a short while, so a dead URL is not asked on every login).
A fetched certificate is only a candidate: the path builder still needs a trust anchor above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID

from jointcert.clock import Clock
from jointcert.rp.revocation import RevocationFetchError

__all__ = ["AiaIssuers", "CaIssuersFetcher", "ca_issuers_urls", "parse_certificates"]

_FAILURE_TTL = 60.0
_MAX_URLS = 3


class CaIssuersFetcher(Protocol):
    """Fetches the bytes at a caIssuers URL."""

    def fetch(self, url: str) -> bytes:
        """The body; :class:`~jointcert.rp.revocation.RevocationFetchError` on any failure."""
        ...


def ca_issuers_urls(cert: x509.Certificate) -> list[str]:
    """The HTTP(S) caIssuers URLs of ``cert``'s authorityInfoAccess, in order."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
        and d.access_location.value.lower().startswith(("http://", "https://"))
    ]


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates in DER, PEM (one or more) or PKCS#7 certs-only form; empty when the bytes are none of these."""
    for load in (
        lambda d: [x509.load_der_x509_certificate(d)],
        x509.load_pem_x509_certificates,
        pkcs7.load_der_pkcs7_certificates,
        pkcs7.load_pem_pkcs7_certificates,
    ):
        try:
            return list(load(data))
        except ValueError:
            continue
    return []


class AiaIssuers:
    """An issuer source that follows caIssuers URLs, with a per-URL cache bounded in size and age."""

    def __init__(
        self, fetcher: CaIssuersFetcher, clock: Clock, *, ttl_seconds: float = 3600.0, max_entries: int = 256
    ) -> None:
        if ttl_seconds <= 0 or max_entries <= 0:
            raise ValueError("ttl_seconds and max_entries must be positive")
        self._fetcher = fetcher
        self._clock = clock
        self._ttl = ttl_seconds
        self._max = max_entries
        self._cache: dict[str, tuple[float, tuple[x509.Certificate, ...]]] = {}
        self.fetches = 0

    def issuers_of(self, cert: x509.Certificate) -> Sequence[x509.Certificate]:
        """The certificates published at ``cert``'s caIssuers URLs (cached)."""
        found: list[x509.Certificate] = []
        for url in ca_issuers_urls(cert)[:_MAX_URLS]:
            found.extend(self._get(url))
        return found

    def _get(self, url: str) -> tuple[x509.Certificate, ...]:
        now = self._clock.monotonic()
        cached = self._cache.get(url)
        if cached is not None and cached[0] > now:
            return cached[1]
        self.fetches += 1
        try:
            certs = tuple(parse_certificates(self._fetcher.fetch(url)))
        except RevocationFetchError:
            certs = ()
        if len(self._cache) >= self._max:
            self._cache.pop(next(iter(self._cache)))
        self._cache[url] = (now + (self._ttl if certs else _FAILURE_TTL), certs)
        return certs
