"""Benchmarks: each prints rates and ratios against a baseline measured in the same run."""
