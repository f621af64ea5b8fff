"""jointcert: issuance system for Korean joint certificates (공동인증서)."""

__version__ = "0.1.0"
