"""Hashing of short secrets (account PIN, app PIN, app pattern): Argon2id over a keyed, context-bound pre-hash.

A 4-digit PIN has 10,000 values, so Argon2 alone cannot stop a search once the database leaks. The secret is
first run through HMAC under the instance secret key (via :class:`~jointcert.pii.PiiProtector`, a "pepper")
with a context such as ``account-pin:<number>``; Argon2id then hashes that. The database alone reveals
nothing, and a hash copied to another row does not verify there.
"""

from __future__ import annotations

from collections.abc import Sequence

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from jointcert.pii import PiiProtector

__all__ = ["SecretHasher", "encode_pattern"]

_PATTERN_CELLS = range(1, 10)
_MIN_PATTERN = 4


def encode_pattern(pattern: Sequence[int]) -> str | None:
    """Canonical text of an app pattern (``"1-4-7-8-9"``), or ``None`` if it is not a valid 3x3 pattern.

    Valid: cells 1..9 in drawing order, each at most once, at least four of them.
    """
    cells = list(pattern)
    if len(cells) < _MIN_PATTERN or len(set(cells)) != len(cells):
        return None
    if not all(isinstance(c, int) and not isinstance(c, bool) and c in _PATTERN_CELLS for c in cells):
        return None
    return "-".join(str(c) for c in cells)


class SecretHasher:
    """Hashes and verifies short secrets; ``verify`` does the same work whether or not a hash exists."""

    def __init__(self, pii: PiiProtector, hasher: PasswordHasher | None = None) -> None:
        self._pii = pii
        self._hasher = hasher or PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
        self._dummy = self._hasher.hash(self._prehash("", "dummy"))

    def hash(self, secret: str, context: str) -> str:
        """Argon2id encoded hash of ``secret`` bound to ``context``."""
        return self._hasher.hash(self._prehash(secret, context))

    def verify(self, stored: str | None, secret: str, context: str) -> bool:
        """Whether ``secret`` matches ``stored`` for ``context``; with ``stored=None`` a dummy hash is checked."""
        candidate = self._prehash(secret, context)
        try:
            return self._hasher.verify(stored if stored is not None else self._dummy, candidate) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def _prehash(self, secret: str, context: str) -> str:
        return self._pii.lookup_hash(secret, purpose=f"bank-secret/{context}").hex()
