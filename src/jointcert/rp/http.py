"""Default HTTP adapters of the revocation ports (httpx): OCSP over POST (RFC 6960 App. A), CRL over GET."""

from __future__ import annotations

import httpx

from jointcert.rp.revocation import RevocationFetchError

__all__ = ["HttpCaIssuersFetcher", "HttpCrlFetcher", "HttpOcspTransport"]

_MAX_OCSP_BYTES = 1 << 20
_MAX_CRL_BYTES = 32 << 20


def _read(response: httpx.Response, limit: int, url: str) -> bytes:
    if response.status_code != 200:
        raise RevocationFetchError(f"{url} answered HTTP {response.status_code}.")
    body = response.content
    if len(body) > limit:
        raise RevocationFetchError(f"{url} sent more than {limit} bytes.")
    return body


class HttpOcspTransport:
    """POSTs ``application/ocsp-request`` to the responder."""

    def __init__(self, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def post(self, url: str, request: bytes) -> bytes:
        """The DER response; :class:`RevocationFetchError` on any transport failure."""
        try:
            response = self._client.post(url, content=request, headers={"Content-Type": "application/ocsp-request"})
        except httpx.HTTPError as exc:
            raise RevocationFetchError(f"{url}: {type(exc).__name__}") from exc
        return _read(response, _MAX_OCSP_BYTES, url)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class _HttpGetFetcher:
    """GETs a body of at most ``max_bytes`` from a URL; the CRL and caIssuers fetchers differ only in that bound."""

    max_bytes: int

    def __init__(self, *, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)

    def fetch(self, url: str) -> bytes:
        """The body; :class:`RevocationFetchError` on any transport failure."""
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise RevocationFetchError(f"{url}: {type(exc).__name__}") from exc
        return _read(response, self.max_bytes, url)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class HttpCrlFetcher(_HttpGetFetcher):
    """GETs the CRL from its distribution point."""

    max_bytes = _MAX_CRL_BYTES


class HttpCaIssuersFetcher(_HttpGetFetcher):
    """GETs an issuer certificate from an AIA caIssuers URL (a :class:`~jointcert.rp.aia.CaIssuersFetcher`)."""

    max_bytes = 1 << 20

    def __init__(self, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        super().__init__(timeout=timeout, client=client)
