"""rp package."""
