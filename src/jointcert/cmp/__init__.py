"""cmp package."""
