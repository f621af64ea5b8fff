"""Run every benchmark (``make bench``)."""

from __future__ import annotations


def main() -> None:
    """Run the benchmarks in order and print their tables."""
    print("no benchmarks yet")


if __name__ == "__main__":
    main()
