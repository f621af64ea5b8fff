"""Revocation ports that answer our own URLs in-process and everything else over the network.

A relying party served by the same process as the CA would otherwise ask itself over HTTP for OCSP and CRLs while
handling a login: under a single worker that costs a request round trip at best and, once every worker thread waits
on a request to itself, deadlocks. :class:`LoopbackOcspTransport` and :class:`LoopbackCrlFetcher` recognise the
CA's own public URLs (the AIA OCSP URL and the CRL distribution points written into our certificates) and call the
responder and the CRL publisher directly; any other URL goes to the fallback port (HTTP by default).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from jointcert.rp.revocation import CrlFetcher, OcspTransport, RevocationFetchError

__all__ = ["LoopbackCrlFetcher", "LoopbackOcspTransport"]


@functools.lru_cache(maxsize=256)  # a handful of URLs, asked at every login
def _normalised(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


class LoopbackOcspTransport:
    """OCSP to ``{base_url}/ocsp`` goes to ``respond(request_der)``; other URLs to ``fallback``."""

    def __init__(self, base_url: str, respond: Callable[[bytes], bytes], fallback: OcspTransport | None) -> None:
        self._url = _normalised(base_url.rstrip("/") + "/ocsp")
        self._respond = respond
        self._fallback = fallback

    def in_process(self, url: str) -> bool:
        """Whether ``url`` is answered by the responder in this process (no network in between)."""
        return _normalised(url) == self._url

    def post(self, url: str, request: bytes) -> bytes:
        """The DER response; :class:`RevocationFetchError` when neither route answers."""
        if self.in_process(url):
            try:
                return self._respond(request)
            except Exception as exc:  # the responder failing is "unreachable" to a relying party
                raise RevocationFetchError(f"{url}: in-process responder failed ({type(exc).__name__})") from exc
        if self._fallback is None:
            raise RevocationFetchError(f"{url}: no route to this responder.")
        return self._fallback.post(url, request)


class LoopbackCrlFetcher:
    """``{base_url}/crl/{slug}.crl`` and a partition's ``{base_url}/crl/{slug}/p{N}.crl`` come from
    ``current("slug")`` / ``current("slug/pN")`` for our CA slugs; other URLs from ``fallback``."""

    def __init__(
        self, base_url: str, current: Callable[[str], bytes], slugs: Iterable[str], fallback: CrlFetcher | None
    ) -> None:
        self._prefix = _normalised(base_url.rstrip("/") + "/crl") + "/"
        names = "|".join(re.escape(slug) for slug in slugs) or "(?!)"
        self._names = re.compile(rf"(?:{names})(?:/p(?:0|[1-9][0-9]{{0,8}}))?")
        self._current = current
        self._fallback = fallback

    def _name(self, url: str) -> str | None:
        path = _normalised(url)
        if not path.startswith(self._prefix) or not path.endswith(".crl"):
            return None
        name = path[len(self._prefix) : -len(".crl")]
        return name if self._names.fullmatch(name) else None

    def fetch(self, url: str) -> bytes:
        """The CRL bytes; :class:`RevocationFetchError` when neither route answers."""
        slug = self._name(url)
        if slug is not None:
            try:
                return self._current(slug)
            except Exception as exc:
                raise RevocationFetchError(f"{url}: in-process CRL failed ({type(exc).__name__})") from exc
        if self._fallback is None:
            raise RevocationFetchError(f"{url}: no route to this distribution point.")
        return self._fallback.fetch(url)
