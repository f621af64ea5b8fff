"""The CMP way out of the flow: after every check the RA hands out a reference number and authorization code
(through the CA's RegistrationService), charges the fee, and a CMP client enrolls with them over ``POST /cmp``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.ports import RecordStatus
from jointcert.client.cmp import CmpClient
from jointcert.npki.vid import identify_data_of, verify_vid
from tests.integration.issuance_flow import Flow, http, ra_services

__all__ = ["http", "ra_services"]


def test_cmp_ticket_then_enrollment_over_cmp(http: TestClient, ra_services: Services) -> None:
    user = "jihopark"
    flow = Flow(http)
    flow.to_contact_confirmed(user, "security_card")
    flow.ok("/certificate-type", {"cert_type": "general"})
    flow.ok("/enrollment/challenge")
    ticket = flow.ok("/enrollment/cmp")
    assert ticket["session"]["state"] == "registered" and ticket["cmp_url"].endswith("/cmp")
    assert ticket["fee"]["amount_krw"] == 4400 and ticket["cert_type"] == "general"
    registration = ra_services.registrations.get(ticket["reference_number"])
    assert registration is not None and registration.cert_type.value == "general"
    again = flow.post("/enrollment/cmp")
    assert again.status_code == 409 and again.json()["code"] == "ra_session_closed"  # one ticket per session

    cmp = CmpClient("http://testserver/cmp", http=http, clock=ra_services.clock)
    pending = cmp.enroll(ticket["reference_number"], ticket["authorization_code"])
    pending.confirm()
    identify = identify_data_of(pending.certificate)
    assert identify is not None and identify.real_name == demo_customer(user).spec.name
    assert pending.bundle.random_num is not None
    verify_vid(identify, demo_customer(user).spec.rrn.replace("-", ""), pending.bundle.random_num)
    record = ra_services.authority.certificate(pending.certificate.serial_number)
    assert record is not None and record.status is RecordStatus.ISSUED and record.channel == "cmp"
