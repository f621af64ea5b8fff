"""Import every component's table module so :data:`jointcert.storage.tables.metadata` is complete."""

from __future__ import annotations

from jointcert.storage.tables import Base, metadata

# Components add their table modules here, e.g. ``from jointcert.storage.tables import ca as ca``.

__all__ = ["Base", "metadata"]
