"""Run every benchmark (``make bench``)."""

from __future__ import annotations

from bench import cmp, cmp_decode, issue


def main() -> None:
    """Run the benchmarks in order and print their tables."""
    issue.run(count=400, threads=4, url=None)
    print()
    cmp_decode.main()
    print()
    cmp.run(count=200, threads=4, database_url=None)


if __name__ == "__main__":
    main()
