"""ra package."""
