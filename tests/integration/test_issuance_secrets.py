"""No resident number, PIN, pattern, OTP code or security-card answer in plaintext in the database (SQLite file
and WAL) or in the logs (captured at DEBUG, SQL statements included) after full issuances."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.storage.db import Database
from tests.integration.issuance_flow import Flow, card_answer, http, ra_services, rsa_key
from tests.unit.bank.seed_secrets import public_strings

__all__ = ["http", "ra_services"]

# Random-by-construction text where any digit run may occur: Argon2 hashes, hex ids/hashes/serials, and the 21
# random-tailed digits of a certificate cn (name()00 + bank code + date + 8 random digits), the timings
# SQLAlchemy prints with its statements, and timestamps (their microseconds may hold any 4 digits).
_RANDOM_SPANS = re.compile(
    rb"\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|[0-9a-fA-F]{16,}|\d{14,}"
    rb"|(?:cached since|generated in) [0-9.e-]+s"
    rb"|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?|datetime\.datetime\([0-9, ]+"
)
PATHS = (("minjun88", "app_cert"), ("jihopark", "security_card"), ("seoyeon91", "otp"), ("yujin93", "otp"))


def _mask(data: bytes) -> bytes:
    """Blank random spans and the seed's public strings (account and phone numbers may hold any 4 digits)."""
    for text in sorted(public_strings(), key=len, reverse=True):
        if text:
            data = data.replace(text.encode(), b"\x00" * len(text.encode()))
    return _RANDOM_SPANS.sub(lambda m: b"\x00" * len(m.group()), data)


def _secrets_used(flows: list[tuple[str, str]], answers: list[str]) -> set[str]:
    found = set(answers)
    for user_id, _ in flows:
        spec = demo_customer(user_id).spec
        found |= {spec.rrn, spec.rrn.replace("-", ""), spec.rrn[7:], spec.accounts[0].pin}
        if spec.app_cert is not None:
            cells = spec.app_cert.pattern
            found |= {spec.app_cert.pin, "-".join(map(str, cells)), "".join(map(str, cells)), ",".join(map(str, cells))}
            found.add("[" + ",".join(map(str, cells)) + "]")
    return found


def _walk(http: TestClient, services: Services) -> list[str]:
    """Full issuances on every second-factor path; returns the OTP codes and card answers used."""
    answers: list[str] = []
    for index, (user_id, method) in enumerate(PATHS):
        flow = Flow(http)
        flow.to_account_verified(user_id)
        if method == "security_card":
            challenge = flow.ok("/security-card/challenge")
            answers.append(card_answer(user_id, challenge))
            flow.ok("/security-card", {"answer": answers[-1]})
        elif method == "otp":
            answers.append(http.get(f"/api/v1/sandbox/otp/{user_id}").json()["code"])
            flow.ok("/otp", {"code": answers[-1]})
        else:
            flow.second_factor(user_id, method)
        flow.ok("/contact", {})
        flow.ok("/certificate-type", {"cert_type": "general"})
        assert flow.enroll(rsa_key(index), bytes(range(20))).status_code == 200
    return answers


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_no_secret_in_database_files_or_logs(
    http: TestClient, ra_services: Services, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL statements with their parameters
    answers = _walk(http, ra_services)
    secrets = _secrets_used(list(PATHS), answers)
    assert all(len(s) >= 4 for s in secrets)
    path = Path(database.url.removeprefix("sqlite:///"))
    files = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    assert files
    for file in files:
        data = _mask(file.read_bytes())
        leaked = sorted(s for s in secrets if s.encode() in data or s.encode("utf-16-le") in data)
        assert leaked == [], f"{file.name} holds {leaked}"
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "issuance session" in logged  # the RA did log its steps
    assert any(r.name.startswith("sqlalchemy") for r in caplog.records)  # SQL with parameters was captured too
    logged = _mask(logged.encode()).decode(errors="replace")
    logged = re.sub(r"<memory at 0x[0-9a-f]+>", "<memory>", logged)  # a bytes parameter's address is not data
    leaked_in_logs = {s: logged[max(0, logged.find(s) - 80) : logged.find(s) + 80] for s in secrets if s in logged}
    assert leaked_in_logs == {}, f"logs hold secrets (shown in context): {leaked_in_logs}"
