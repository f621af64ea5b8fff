"""CMP over HTTP (RFC 6712, updated by RFC 9811): constants for the endpoint and the client."""

from __future__ import annotations

from jointcert.cmp._asn1 import MAX_MESSAGE_SIZE

__all__ = ["CONTENT_TYPE", "MAX_MESSAGE_SIZE", "WELL_KNOWN_PATH"]

CONTENT_TYPE = "application/pkixcmp"  # Content-Type of every CMP request and response, error messages included
WELL_KNOWN_PATH = "/.well-known/cmp"  # RFC 9811 §3.3; DESIGN.md's endpoint is POST /cmp
