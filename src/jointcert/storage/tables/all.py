"""Import every component's table module so :data:`jointcert.storage.tables.metadata` is complete."""

from __future__ import annotations

from jointcert.storage.tables import (
    Base,
    ca,  # noqa: F401  (registers the CA tables)
    metadata,
)

# Components add their table modules here, e.g. ``from jointcert.storage.tables import ca as ca``.

__all__ = ["Base", "metadata"]
