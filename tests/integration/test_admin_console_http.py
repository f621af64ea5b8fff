"""The console's RA, audit and CA routes over HTTP: bad input and missing roles come back as pages with Korean and
English messages and a 4xx status (never a 500), nothing changes, and no session means the login page."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient

from jointcert.admin.model import Role
from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.clock import FakeClock
from jointcert.web.routes.admin_base import COOKIE
from tests.integration.issuance_flow import http, ra_services

__all__ = ["http", "ra_services"]
PASSWORD = "operator password 1"


def _session(services: Services, clock: FakeClock, name: str, *roles: Role) -> dict[str, str]:
    _, secret = services.operators.create(name, name, PASSWORD, frozenset(roles), actor="t")
    token, _ = services.operators.login(name, PASSWORD, pyotp.TOTP(secret).at(clock.now()))
    return {COOKIE: token}


def test_console_routes_answer_bad_input_with_messages(
    ra_services: Services, http: TestClient, clock: FakeClock
) -> None:
    services, spec = ra_services, demo_customer("minjun88").spec
    officer = _session(services, clock, "kim", Role.RA_OFFICER)
    auditor = _session(services, clock, "lee", Role.AUDITOR)
    admin = _session(services, clock, "park", Role.CA_ADMIN)
    head = services.audit.head()[0]

    assert http.get("/admin/ra", follow_redirects=False).status_code == 303  # no session
    cases = [
        (officer, "POST", "/admin/ra", {"kind": "vid_holder", "q": "123"}, 400, "주민등록번호 형식"),
        (officer, "POST", "/admin/ra", {"kind": "serial", "q": "zz"}, 400, "not a hex serial"),
        (officer, "POST", "/admin/ra", {"kind": "nope", "q": "a"}, 400, "Unknown search kind"),
        (officer, "GET", "/admin/ra/customers/C9999", None, 404, "고객을 찾을 수 없습니다"),
        (officer, "POST", f"/admin/ra/customers/{spec.id}/unlock", {"credential": "otp", "note": "checked id"}, 400,
         "Choose the credential and the verification done"),
        (officer, "POST", f"/admin/ra/customers/{spec.id}/unlock",
         {"credential": "account_pin", "verification": "branch_id", "note": "checked id"}, 400, "5 to 500"),
        (officer, "POST", "/admin/ra/revoke", {"serial": "abc", "reason": "keyCompromise"}, 404, "인증서가 없습니다"),
        (officer, "GET", "/admin/audit", None, 403, "Your operator role does not allow this action"),
        (auditor, "POST", "/admin/ra", {"kind": "name", "q": "a"}, 403, "이 작업을 수행할 권한이 없습니다"),
        (auditor, "GET", "/admin/audit?since=yesterday", None, 400, "YYYY-MM-DDTHH:MM"),
        (auditor, "GET", "/admin/audit?since=2026-11-25T10:00&until=2026-11-25T09:00", None, 400, "range ends"),
        (auditor, "POST", "/admin/audit/export", {"first": "1", "last": "x"}, 400, "first and last"),
        (auditor, "POST", "/admin/audit/export", {"first": "5", "last": "2"}, 400, "Choose a range"),
        (auditor, "POST", "/admin/ca/ocsp-signer", None, 403, "Your operator role"),
        (admin, "POST", "/admin/ca/proposals/query",
         {"issuer": "class1", "issued_from": "2026-11-25T00:00", "issued_to": "2026-11-24T00:00"}, 400, "range ends"),
        (admin, "POST", "/admin/ca/proposals/query",
         {"issuer": "root", "issued_from": "2026-11-25T00:00", "issued_to": "2026-11-26T00:00"}, 400, "issuing CA"),
    ]  # fmt: skip
    for cookies, method, path, form, status, text in cases:
        http.cookies.clear()
        http.cookies.update(cookies)
        response = http.request(method, path, data=form, follow_redirects=False)
        assert (response.status_code, text in response.text) == (status, True), (path, response.text[-600:])
        assert 'data-testid="error"' in response.text
    assert services.dual_control.pending() == []
    assert not [e for e in services.audit.entries(after_seq=head, limit=1000) if e.type == "ra.credential_unlocked"]
