"""Every path through the issuance flow over HTTP, to a certificate that verifies against our chain, with the
fee on the ledger and the notification in the outbox: (ARS, abroad) × (app certificate, security card, OTP)
× (limited-use, general-purpose), as far as the demo customers make each combination possible."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jointcert.app import Services
from jointcert.bank.formats import mask_account
from jointcert.bank.model import NotificationChannel, NotificationEvent
from jointcert.bank.seed import demo_customer
from jointcert.storage.tables.bank import BankLedgerEntry
from tests.integration.issuance_flow import Flow, http, ra_services, rsa_key, verify_issued

__all__ = ["http", "ra_services"]

PATHS = [
    pytest.param("minjun88", "app_cert", "ars", id="ars-app_cert"),
    pytest.param("jihopark", "security_card", "ars", id="ars-security_card"),
    pytest.param("yujin93", "otp", "ars", id="ars-otp_hotp"),
    pytest.param("seoyeon91", "otp", "abroad", id="abroad-otp_totp"),
]


def _ledger(services: Services, number: str) -> list[BankLedgerEntry]:
    digits = number.replace("-", "")
    with services.database.session() as db:
        return list(db.scalars(select(BankLedgerEntry).where(BankLedgerEntry.account_number == digits)))


@pytest.mark.parametrize(("user_id", "method", "identity"), PATHS)
def test_every_path_issues_both_types(
    http: TestClient, ra_services: Services, user_id: str, method: str, identity: str
) -> None:
    spec = demo_customer(user_id).spec
    account = spec.accounts[0]
    customer = ra_services.bank.customers.find_by_user_id(user_id)
    assert customer is not None
    for index, cert_type in enumerate(("limited", "general")):
        flow = Flow(http)
        issued, random_num = flow.issue(user_id, method, cert_type, rsa_key(index))
        cert = verify_issued(ra_services, issued, spec.rrn, random_num)
        assert issued["cert_type"] == cert_type and issued["reissue"] is False
        assert cert.serial_number == int(issued["serial"], 16)
        status = flow.ok("", method="GET")
        assert status["state"] == "issued" and status["identity_method"] == identity
        assert status["second_factor"] == method
        record = ra_services.authority.certificate(cert.serial_number)
        assert record is not None and record.status.value == "issued" and record.channel == "api"
        ledger = _ledger(ra_services, account.number)
        if cert_type == "general":
            assert issued["fee"]["amount_krw"] == 4400
            assert [e.amount_krw for e in ledger] == [-4400]
            assert ledger[0].idempotency_key == f"ra-fee:{issued['serial']}"  # one charge per certificate
            assert issued["fee"]["balance_after_krw"] == account.balance_krw - 4400
            shown = issued["fee"]["account"]  # the receipt's account: first group and last 4 digits only
            assert shown == mask_account(account.number) and shown.endswith(account.number[-4:])
            assert shown.count("*") >= 4 and shown != account.number
            assert issued["fee"]["charged_at"] == ledger[0].created_at.isoformat().replace("+00:00", "Z")
        else:
            assert issued["fee"] is None and ledger == []
    sms = ra_services.bank.outbox.messages(customer.id, channel=NotificationChannel.SMS)
    issued_events = [m for m in sms if m.event is NotificationEvent.ISSUED]
    assert len(issued_events) == 2
    assert "범용" in issued_events[1].body and "발급" in issued_events[1].body
