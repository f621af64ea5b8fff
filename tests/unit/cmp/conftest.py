"""Fixtures for the CMP tests."""

from __future__ import annotations

import pytest

from .factories import Pki, make_pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    """One test PKI for the session."""
    return make_pki()
