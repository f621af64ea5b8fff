"""The console's RA officer, auditor and CA administrator pages in Chromium (1280 px): search by VID holder, a
customer's page with her sessions, unlock after a recorded verification, revoke; the audit log filtered, the chain
verified and a signed export downloaded and checked with ``cryptography``; a bulk revocation by query that needs a
second administrator."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from cryptography import x509
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from jointcert.admin.audit_desk import ExportInvalid, verify_export
from jointcert.admin.model import Role
from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.ports import RecordStatus
from jointcert.clock import FakeClock
from jointcert.errors import JointcertError
from jointcert.ra.ports import Credential
from jointcert.web.app import create_app
from tests.e2e.harness.bank import START, fresh_instance
from tests.integration.issuance_flow import Flow, rsa_key
from tests.unit.ca.factories import make_request

pytestmark = pytest.mark.browser
PASSWORD = "operator password 1"


def _login(page: Page, base: str, clock: FakeClock, name: str, secret: str) -> None:
    page.goto(f"{base}/admin")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock.now()))
    page.click("form.login button")
    expect(page.get_by_test_id("who")).to_contain_text(name)


def _lock_otp(services: Services, customer_id: str) -> None:
    lockouts = services.ra.ctx.lockouts
    for _ in range(lockouts.limit(Credential.OTP)):
        with contextlib.suppress(JointcertError):
            lockouts.check(Credential.OTP, customer_id, customer_id, lambda: False)
    assert lockouts.is_locked(Credential.OTP, customer_id)


@pytest.mark.console_errors_expected  # the bad search and the bad export range answer 400 (the page with the error)
def test_ra_officer_and_auditor_pages(
    tmp_path: Path, page: Page, live_server: Callable[[object], str], screenshot: Callable[..., Path]
) -> None:
    clock, spec = FakeClock(START), demo_customer("minjun88").spec
    with fresh_instance(tmp_path / "data", clock, cheap_bank_secrets=True) as services:
        services.bank.seed()
        app = create_app(services, sandbox=True)
        with TestClient(app) as http:
            issued, _ = Flow(http).issue("minjun88", "app_cert", "limited", rsa_key(0))
        serial = str(issued["serial"])
        _lock_otp(services, spec.id)
        secrets = {
            name: services.operators.create(name, name.title(), PASSWORD, frozenset({role}), actor="cli")[1]
            for name, role in (("kim", Role.RA_OFFICER), ("lee", Role.AUDITOR))
        }
        base = live_server(app)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.on("dialog", lambda dialog: dialog.accept())

        _login(page, base, clock, "kim", secrets["kim"])
        page.get_by_role("link", name="고객 검색 Customers").click()
        page.select_option("select[name=kind]", "serial")
        page.fill("input[name=q]", "not-a-serial")
        page.get_by_role("button", name="검색 Search").click()
        expect(page.get_by_test_id("error")).to_contain_text("not a hex serial")
        page.select_option("select[name=kind]", "vid_holder")
        page.fill("input[name=q]", spec.rrn)
        page.get_by_role("button", name="검색 Search").click()
        expect(page.get_by_test_id("customers")).to_contain_text("minjun88")
        expect(page.get_by_test_id("certificates")).to_contain_text(serial)
        expect(page.locator("input[name=q]")).to_have_value("")  # the resident number is not echoed back
        assert spec.rrn[:6] not in page.url  # a POST: never in a URL (access logs, history, Referer)
        screenshot(page, "ra-search")

        page.get_by_role("link", name=spec.name).click()
        expect(page.get_by_test_id("locked")).to_contain_text("otp")
        expect(page.get_by_test_id("sessions")).to_contain_text("enroll")
        page.select_option("select[name=verification]", "branch_id")
        page.fill("textarea[name=note]", "주민등록증 원본 확인 (창구 3)")
        page.get_by_role("button", name="잠금 해제 Unlock").click()
        expect(page.get_by_test_id("notice")).to_contain_text("unlocked otp")
        expect(page.get_by_test_id("locked")).to_contain_text("없음")
        assert not services.ra.ctx.lockouts.is_locked(Credential.OTP, spec.id)

        row = page.locator(f"tr[data-serial='{serial}']")
        row.locator("select[name=reason]").select_option("keyCompromise")
        row.get_by_role("button", name="폐지 Revoke").click()
        expect(page.get_by_test_id("notice")).to_contain_text(f"revoked {serial}")
        expect(row.get_by_test_id("status")).to_have_text("revoked (keyCompromise)")
        record = services.certificates.get(ISSUING, int(serial, 16))
        assert record is not None and record.status is RecordStatus.REVOKED
        screenshot(page, "ra-customer")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "ra-customer-390")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("header form button")

        _login(page, base, clock, "lee", secrets["lee"])
        expect(page.get_by_role("link", name="고객 검색 Customers")).to_have_count(0)
        page.get_by_role("link", name="감사 로그 Audit log").click()
        page.fill("input[name=actor]", "operator:kim")
        page.fill("input[name=action]", "unlocked")
        page.get_by_role("button", name="조회 Filter").click()
        entries = page.get_by_test_id("audit-entries")
        expect(entries.locator("tr")).to_have_count(2)  # the header and the one unlock
        expect(entries).to_contain_text("ra.credential_unlocked")
        expect(entries).to_contain_text("branch_id")
        page.fill("input[name=since]", "2030-01-01T00:00")
        page.get_by_role("button", name="조회 Filter").click()
        expect(entries).to_contain_text("없음")
        page.get_by_role("button", name="검증 실행 Verify the chain").click()
        expect(page.get_by_test_id("verify-result")).to_contain_text("정상 intact")
        head = services.audit.head()[0]
        page.fill("input[name=first]", "1")
        page.fill("input[name=last]", str(head))
        with page.expect_download() as download:
            page.get_by_role("button", name="내보내기 Export (JSON)").click()
        document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert verify_export(document, services.signers[ISSUING].certificate) == head
        assert spec.rrn not in json.dumps(document, ensure_ascii=False)
        tampered = copy.deepcopy(document)
        tampered["entries"][0]["actor"] = "operator:nobody"
        with pytest.raises(ExportInvalid):
            verify_export(tampered, services.signers[ISSUING].certificate)
        page.fill("input[name=last]", str(head + 100))
        page.get_by_role("button", name="내보내기 Export (JSON)").click()
        expect(page.get_by_test_id("error")).to_contain_text("Choose a range")
        screenshot(page, "audit")


def test_ocsp_renewal_and_a_bulk_revocation_by_query_needing_two_administrators(
    tmp_path: Path, page: Page, live_server: Callable[[object], str], screenshot: Callable[..., Path]
) -> None:
    clock = FakeClock(START)
    with fresh_instance(tmp_path / "data", clock) as services:
        serials = []
        for _ in range(3):  # recorded at START, START+1h, START+2h
            serials.append(services.authority.issue(make_request(rsa_key(2))).serial)
            clock.advance(timedelta(hours=1))
        secrets = {
            name: services.operators.create(name, name.title(), PASSWORD, frozenset({Role.CA_ADMIN}), actor="cli")[1]
            for name in ("alice", "bob")
        }
        base = live_server(create_app(services))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.on("dialog", lambda dialog: dialog.accept())

        _login(page, base, clock, "alice", secrets["alice"])
        page.get_by_role("link", name="CA 관리 CA").click()
        expect(page.get_by_test_id("profiles")).to_contain_text("limited")
        old_ocsp = services.signers["ocsp"].certificate.serial_number
        page.get_by_test_id("ocsp-signer").get_by_role("button", name="갱신 Renew").click()
        expect(page.get_by_test_id("notice")).to_contain_text("OCSP signer renewed")
        new_ocsp = services.signers["ocsp"].certificate.serial_number
        assert new_ocsp != old_ocsp and services.ocsp.signer.certificate.serial_number == new_ocsp
        expect(page.get_by_test_id("ocsp-serial")).to_have_text(format(new_ocsp, "x"))
        form = page.get_by_test_id("query-revocation")
        form.locator("input[name=issued_from]").fill((START + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
        form.locator("input[name=issued_to]").fill((START + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        form.locator("select[name=reason]").select_option("cACompromise")
        screenshot(page, "ca-query")
        form.get_by_role("button", name="제안 Propose").click()
        expect(page.get_by_test_id("notice")).to_contain_text("(1 certificates) waits for a second operator")
        expect(page.get_by_test_id("proposals")).to_contain_text("cACompromise")
        page.click("[data-testid=proposals] button")
        expect(page.get_by_test_id("error")).to_contain_text("a second operator, not the proposer")
        assert _status(services, serials[1]) is RecordStatus.ISSUED
        page.goto(f"{base}/admin")
        page.click("header form button")

        _login(page, base, clock, "bob", secrets["bob"])
        page.click("[data-testid=proposals] button")
        expect(page.get_by_test_id("notice")).to_contain_text("'revoked': 1")
        screenshot(page, "bob-approved-query")
        assert [_status(services, s) for s in serials] == [
            RecordStatus.ISSUED,
            RecordStatus.REVOKED,
            RecordStatus.ISSUED,
        ]
        record = services.certificates.get(ISSUING, serials[1])
        assert record is not None and record.revocation_reason is x509.ReasonFlags.ca_compromise


def _status(services: Services, serial: int) -> RecordStatus:
    record = services.certificates.get(ISSUING, serial)
    assert record is not None
    return record.status
