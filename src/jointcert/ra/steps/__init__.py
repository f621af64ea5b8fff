"""One module per step of the issuance flow; each exposes functions ``(ctx, session, …) -> Outcome``."""
