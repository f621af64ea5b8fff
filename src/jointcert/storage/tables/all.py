"""Import every component's table module so :data:`jointcert.storage.tables.metadata` is complete."""

from __future__ import annotations

import jointcert.storage.tables.rp  # noqa: F401  (registers the rp tables)
from jointcert.storage.tables import Base, metadata

# Components add their table modules here, e.g. ``from jointcert.storage.tables import ca as ca``.

__all__ = ["Base", "metadata"]
