"""Import every component's table module so :data:`jointcert.storage.tables.metadata` is complete."""

from __future__ import annotations

from jointcert.storage.tables import (
    Base,
    admin,  # noqa: F401  (registers the admin_* tables)
    bank,  # noqa: F401  (registers the bank_* tables)
    bank_app,  # noqa: F401  (registers bank_app_sessions)
    ca,  # noqa: F401  (registers the CA tables)
    ca_epoch,  # noqa: F401  (registers ca_revocation_epochs)
    ca_ocsp,  # noqa: F401  (registers ca_ocsp_responses)
    ca_profiles,  # noqa: F401  (registers ca_profile_settings)
    cmp,  # noqa: F401  (registers the CMP tables)
    metadata,
    ra,  # noqa: F401  (registers the ra_* tables)
    relay,  # noqa: F401  (registers the relay_* tables)
    rp,  # noqa: F401  (registers the rp_* tables)
    throttle,  # noqa: F401  (registers throttle_buckets)
    wallet,  # noqa: F401  (registers the wallet_* tables)
)

__all__ = ["Base", "metadata"]
