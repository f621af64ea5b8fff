"""ca package."""
