"""The operators' side: operator accounts (password + TOTP, roles, server-side sessions) and dual control."""
