"""npki package."""
