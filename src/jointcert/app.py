"""Composition root: builds the services from settings; used by ``web/`` and ``cli/``."""

from __future__ import annotations

from dataclasses import dataclass

from jointcert.clock import Clock, SystemClock
from jointcert.config import Settings

__all__ = ["Services", "build_services"]


@dataclass(frozen=True)
class Services:
    """Every service of one instance, wired together."""

    settings: Settings
    clock: Clock


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Wire the services of the instance described by ``settings``."""
    return Services(settings=settings, clock=clock or SystemClock())
