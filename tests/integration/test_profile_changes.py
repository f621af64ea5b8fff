"""A profile change through the console: proposed by one CA administrator, refused for her own approval, approved by
a second; a second process on the same database (another node) and this one issue with the new values at their
next issuance, the RA's type screen shows them, and the audit log names both operators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from jointcert.admin.model import Role
from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.types import CertType
from jointcert.web.routes.admin_base import COOKIE
from tests.integration.issuance_flow import http, ra_services
from tests.integration.profile_node import describe
from tests.unit.ca.factories import make_request

__all__ = ["http", "ra_services"]
PASSWORD = "operator password 1"
ROOT = Path(__file__).resolve().parents[2]
NOTICE = "이 인증서는 변경된 고지를 담습니다"


def _session(services: Services, clock: FakeClock, name: str, *roles: Role) -> dict[str, str]:
    _, secret = services.operators.create(name, name, PASSWORD, frozenset(roles), actor="t")
    token, _ = services.operators.login(name, PASSWORD, pyotp.TOTP(secret).at(clock.now()))
    return {COOKIE: token}


@pytest.fixture
def node(ra_services: Services, database: Database, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process serving the same instance (started before the change)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env |= {"JOINTCERT_DATABASE_URL": database.url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.integration.profile_node", str(tmp_path / "data")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=60)


def _issue_there(process: subprocess.Popen[str]) -> dict[str, object]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("issue\n")
    process.stdin.flush()
    answer: dict[str, object] = json.loads(process.stdout.readline())
    return answer


def _post(http: TestClient, cookies: dict[str, str], path: str, form: dict[str, str] | None = None) -> str:
    http.cookies.clear()
    http.cookies.update(cookies)
    response = http.post(path, data=form, follow_redirects=False)
    return f"{response.status_code} {response.headers.get('location', '')} {response.text}"


def test_a_profile_change_needs_two_operators_and_reaches_every_node(
    ra_services: Services, http: TestClient, clock: FakeClock, node: subprocess.Popen[str]
) -> None:
    services, key = ra_services, rsa.generate_private_key(65537, 2048)
    alice = _session(services, clock, "alice", Role.CA_ADMIN)
    bob = _session(services, clock, "bob", Role.CA_ADMIN)
    before = _issue_there(node)
    assert before["days"] in (365, 366) and before["notice"] != NOTICE and before["midnight_start"] is False

    form = {"ca.preset": "yessign-like", "ca.validity_days": "365", "types.limited.validity_days": "100"}
    form |= {"types.limited.notice_ko": NOTICE, "types.general.validity_days": "", "types.general.notice_ko": ""}
    assert _post(http, alice, "/admin/ca/proposals/profile", form).startswith("303 /admin?done=")
    [proposal] = services.dual_control.pending()
    assert proposal.payload["changes"] == {
        "ca": {"preset": "yessign-like"},
        "types": {"limited": {"notice_ko": NOTICE, "validity_days": 100}},
    }  # only what changed; the general type untouched
    refused = _post(http, alice, f"/admin/proposals/{proposal.id}/approve")
    assert "다른 운영자가 승인해야" in refused and "a second operator" in refused
    assert _issue_there(node)["days"] == before["days"]  # nothing changed yet

    assert _post(http, bob, f"/admin/proposals/{proposal.id}/approve").startswith("303 /admin?done=")
    after = _issue_there(node)  # the other process, at its next issuance
    assert after == {"days": 100, "notice": NOTICE, "midnight_start": True}
    here = describe(services.authority.issue(make_request(key)).certificate)
    assert here == after
    general = describe(services.authority.issue(make_request(key, cert_type=CertType.GENERAL)).certificate)
    assert general["days"] in (365, 366) and general["notice"] != NOTICE
    assert services.ra.ctx.validity_days["limited"] == 100  # the RA's type choice screen
    http.cookies.clear()
    http.cookies.update(bob)
    page = http.get("/admin/ca").text
    assert NOTICE in page and 'data-testid="profile-version">1<' in page
    changed = [e for e in services.audit.entries() if e.type == "ca.profile_changed"]
    assert [e.actor for e in changed] == ["operator:alice+operator:bob"]


def test_bad_profile_change_forms_change_nothing(ra_services: Services, http: TestClient, clock: FakeClock) -> None:
    services = ra_services
    admin = _session(services, clock, "alice", Role.CA_ADMIN)
    officer = _session(services, clock, "kim", Role.RA_OFFICER)
    cases = [
        (admin, {"types.limited.validity_days": "0"}, "400", "1~3650"),
        (admin, {"types.limited.notice_ko": "x" * 201}, "400", "1–200"),
        (admin, {"ca.preset": "no-such"}, "400", "[ca] preset"),
        (admin, {"ca.preset": "jointsign"}, "400", "Nothing to change"),
        (officer, {"types.limited.validity_days": "30"}, "403", "이 작업을 수행할 권한이 없습니다"),
    ]
    for cookies, form, status, text in cases:
        answer = _post(http, cookies, "/admin/ca/proposals/profile", form)
        assert answer.startswith(status) and text in answer and 'data-testid="error"' in answer, answer[-500:]
    assert services.dual_control.pending() == []
    assert services.profiles is not None and services.profiles.current().version == 0
