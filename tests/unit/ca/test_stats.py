"""Counters (ca/stats.py): ``inc_each`` adds one to each name and tells every listener of each, as ``inc`` would."""

from __future__ import annotations

from jointcert.ca.stats import Counters


def test_inc_each_counts_every_name_and_tells_the_listeners() -> None:
    counters = Counters()
    heard: list[tuple[str, int]] = []
    counters.inc("ocsp_requests")
    counters.subscribe(lambda name, amount: heard.append((name, amount)))
    counters.inc_each(("ocsp_requests", "ocsp_cache_hits", "ocsp_good"))
    assert counters.snapshot() == {"ocsp_requests": 2, "ocsp_cache_hits": 1, "ocsp_good": 1}
    assert heard == [("ocsp_requests", 1), ("ocsp_cache_hits", 1), ("ocsp_good", 1)]
