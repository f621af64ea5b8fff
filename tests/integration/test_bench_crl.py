"""``bench.crl`` measures the partitioned path (every dirty partition + the full CRL joined from them, then one more
revocation) against the old full-CRL path in the same run (a small size here; the figures are in docs)."""

from __future__ import annotations

from bench.crl import measure


def test_bench_crl_measures_partitions_against_the_full_path() -> None:
    rows = measure(["sqlite"], (600,), partition_size=200)
    partitioned, one_more, full_path = rows
    assert "partitioned" in partitioned.workload and "3 partitions of ≤ 200" in partitioned.note
    assert "one more revocation" in one_more.workload and "full path" in full_path.workload
    for row in (partitioned, one_more):
        assert row.baseline == "full path (baseline)" and row.baseline_rate == full_path.rate
        assert row.rate is not None and row.rate > 0 and row.ratio is not None
    assert measure(["sqlite"], (10,), partition_size=200, baseline=False)[0].baseline_rate is None
