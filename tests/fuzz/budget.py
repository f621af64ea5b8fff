"""Time-budgeted Hypothesis runs for the slow set: rounds of generated inputs until the budget is spent.

``JOINTCERT_FUZZ_SECONDS`` (default 600: 10 minutes) is each long harness's budget; CI runs the short variants.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T = TypeVar("T")
FUZZ_SECONDS = float(os.environ.get("JOINTCERT_FUZZ_SECONDS", "600"))
_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


def run_for(
    seconds: float, strategy: st.SearchStrategy[T], harness: Callable[[T], Any], *, rounds_of: int = 500
) -> int:
    """Feed ``harness`` from ``strategy`` in rounds of ``rounds_of`` examples until ``seconds`` have passed (at
    least one round); the number of inputs. A failing input fails the round, shrunk, like any Hypothesis test."""
    deadline = time.monotonic() + seconds
    count = 0

    def counted(value: T) -> None:
        nonlocal count
        count += 1
        harness(value)

    while True:
        settings(max_examples=rounds_of, suppress_health_check=_CHECKS, database=None, deadline=None)(
            given(strategy)(counted)
        )()
        if time.monotonic() >= deadline:
            return count
