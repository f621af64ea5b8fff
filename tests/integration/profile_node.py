"""A second node for the profile-change tests: ``python -m tests.integration.profile_node <data_dir>`` builds the
services of the instance (``JOINTCERT_DATABASE_URL`` selects the shared database), prints ``ready``, then answers
each ``issue`` line on stdin with one JSON line about a certificate it issued through the pipeline: its validity in
days (KST calendar days from the issue day to the last day), its user notice and whether notBefore is 00:00 KST."""

from __future__ import annotations

import json
import sys
from datetime import timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.app import build_services
from jointcert.config import load_settings
from tests.unit.ca.factories import make_request

KST = timezone(timedelta(hours=9))


def describe(cert: x509.Certificate) -> dict[str, object]:
    """Validity days, notice and start of a subscriber certificate."""
    start, end = cert.not_valid_before_utc.astimezone(KST), cert.not_valid_after_utc.astimezone(KST)
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    notices = [q.explicit_text for p in policies for q in p.policy_qualifiers or [] if isinstance(q, x509.UserNotice)]
    midnight = (start.hour, start.minute, start.second) == (0, 0, 0)
    return {"days": (end.date() - start.date()).days, "notice": notices[0], "midnight_start": midnight}


def main() -> None:
    """Serve ``issue`` requests until stdin closes."""
    services = build_services(load_settings(Path(sys.argv[1])), actor="node2")
    key = rsa.generate_private_key(65537, 2048)
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "issue":
                issued = services.authority.issue(make_request(key))
                print(json.dumps(describe(issued.certificate)), flush=True)
    finally:
        services.close()


if __name__ == "__main__":
    main()
