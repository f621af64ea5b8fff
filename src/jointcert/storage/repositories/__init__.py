"""Repositories: SQLAlchemy adapters for the ports the domain packages declare."""
