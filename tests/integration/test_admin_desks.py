"""The console's RA officer and auditor desks on a real instance (SQLite and PostgreSQL): search by name, user ID,
serial and VID holder (the resident number never reaches the audit log), a customer's page, unlock after a
recorded verification, revocation, the filtered audit log, chain verification and a signed export."""

from __future__ import annotations

import base64
import contextlib
import copy
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient

from jointcert.admin.audit_desk import ExportInvalid, canonical, verify_export
from jointcert.admin.directory import AuditFilter
from jointcert.admin.model import DualControlRefused, Operator, Role, RoleRequired
from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ports import RecordStatus
from jointcert.clock import FakeClock
from jointcert.errors import InvalidInput, JointcertError
from jointcert.npki.resident_number import InvalidResidentNumber
from jointcert.ra.ports import Credential
from jointcert.storage.db import Database
from tests.integration.issuance_flow import Flow, http, ra_services, reopen, rsa_key
from tests.unit.ca.factories import make_request

__all__ = ["http", "ra_services"]


def _operator(services: Services, name: str, *roles: Role) -> Operator:
    operator, _ = services.operators.create(name, name.title(), "operator password 1", frozenset(roles), actor="t")
    return operator


def _issue(http: TestClient, user_id: str) -> str:
    issued, _ = Flow(http).issue(user_id, "app_cert", "limited", rsa_key(0))
    serial: str = issued["serial"]
    return serial


def _lock(services: Services, customer_id: str, credential: Credential) -> None:
    lockouts = services.ra.ctx.lockouts
    for _ in range(lockouts.limit(credential)):
        with contextlib.suppress(JointcertError):
            lockouts.check(credential, customer_id, customer_id, lambda: False)
    assert lockouts.is_locked(credential, customer_id)


def test_ra_officer_search_customer_page_unlock_and_revoke(ra_services: Services, http: TestClient) -> None:
    services, spec = ra_services, demo_customer("minjun88").spec
    serial = _issue(http, "minjun88")
    officer, auditor = _operator(services, "kim", Role.RA_OFFICER), _operator(services, "audit", Role.AUDITOR)
    desk = services.ra_desk

    by_name = desk.search(officer, "name", spec.name)
    assert [c.user_id for c in by_name.customers] == ["minjun88"]
    assert serial in [c.serial_hex for c in by_name.certificates]
    by_user = desk.search(officer, "user_id", "minjun88")
    assert [c.serial_hex for c in by_user.certificates] == [serial]
    assert by_user.certificates[0].customer_id == spec.id
    by_serial = desk.search(officer, "serial", serial.upper())
    assert [(c.serial_hex, c.status) for c in by_serial.certificates] == [(serial, "issued")]
    by_vid = desk.search(officer, "vid_holder", spec.rrn)
    assert [c.id for c in by_vid.customers] == [spec.id] and [c.serial_hex for c in by_vid.certificates] == [serial]
    assert desk.search(officer, "vid_holder", "8804151057832").customers == []  # another (valid-format) number
    with pytest.raises(InvalidResidentNumber):
        desk.search(officer, "vid_holder", "88041510578")
    with pytest.raises(InvalidInput):
        desk.search(officer, "serial", "not hex")
    with pytest.raises(RoleRequired):
        desk.search(auditor, "name", spec.name)

    view = desk.customer(officer, spec.id)
    assert [c.serial_hex for c in view.certificates] == [serial] and view.locked == []
    session, steps = view.sessions[0]
    assert session.state == "issued" and session.serial == serial
    assert [s.step for s in steps][:3] == ["start", "agree_terms", "identify"] and steps[-1].state_after == "issued"

    _lock(services, spec.id, Credential.OTP)
    assert desk.customer(officer, spec.id).locked == [Credential.OTP]
    with pytest.raises(InvalidInput):  # no verification recorded: nothing lifted
        desk.unlock(officer, spec.id, "otp", "", "checked")
    with pytest.raises(InvalidInput):
        desk.unlock(officer, spec.id, "otp", "branch_id", "  ")
    assert desk.customer(officer, spec.id).locked == [Credential.OTP]
    assert desk.unlock(officer, spec.id, "otp", "branch_id", "주민등록증 원본 확인, 창구 3번") is True
    assert desk.customer(officer, spec.id).locked == []
    assert desk.unlock(officer, spec.id, "otp", "branch_id", "again, nothing locked") is False

    assert desk.revoke(officer, serial, "keyCompromise") == int(serial, 16)
    record = services.certificates.get(ISSUING, int(serial, 16))
    assert record is not None and record.revocation_reason is x509.ReasonFlags.key_compromise
    with pytest.raises(InvalidInput):
        desk.revoke(officer, serial, "certificateHold")

    entries = services.audit.entries(limit=100_000)
    mine = [e for e in entries if e.actor == "operator:kim"]
    kinds = [e.type for e in mine]
    assert kinds.count("ra_desk.search") == 5 and "ra_desk.customer_viewed" in kinds
    unlocked = [e for e in mine if e.type == "ra.credential_unlocked"]
    assert '"verification":"branch_id"' in unlocked[0].payload and "창구 3번" in unlocked[0].payload
    assert '"lifted":true' in unlocked[0].payload
    assert any(e.type == "certificate.revoked" and serial in e.payload for e in mine)
    digits = spec.rrn.replace("-", "")
    assert not any(digits[:6] + digits[6:] in e.payload or spec.rrn in e.payload for e in entries)
    assert not any(spec.name in e.payload for e in mine)  # a name search records the kind, not the name


def test_auditor_filters_verifies_and_exports_a_signed_range(ra_services: Services, clock: FakeClock) -> None:
    services = ra_services
    auditor, officer = _operator(services, "lee", Role.AUDITOR), _operator(services, "kim", Role.RA_OFFICER)
    start = clock.now()
    clock.advance(timedelta(hours=1))
    services.ra_desk.search(officer, "user_id", "minjun88")
    desk = services.audit_desk

    by_actor = desk.log(auditor, AuditFilter(actor="operator:kim"))
    assert by_actor and {e.actor for e in by_actor} == {"operator:kim"}
    assert [e.type for e in desk.log(auditor, AuditFilter(action="ra_desk.search"))] == ["ra_desk.search"]
    assert desk.log(auditor, AuditFilter(since=start + timedelta(minutes=30))) == by_actor
    assert all(
        e.at < start + timedelta(minutes=1) for e in desk.log(auditor, AuditFilter(until=start + timedelta(minutes=1)))
    )
    with pytest.raises(InvalidInput):
        desk.log(auditor, AuditFilter(since=start, until=start))
    with pytest.raises(RoleRequired):
        desk.log(officer, AuditFilter())

    report = desk.verify(auditor)
    assert report.ok and report.checked > 0
    assert desk.log(auditor, AuditFilter(action="audit.verified"))[0].actor == "operator:lee"

    head = services.audit.head()[0]
    export = desk.export(auditor, 2, head)
    document = export.document
    assert [e["seq"] for e in document["entries"]] == list(range(2, head + 1))
    issuing = services.signers[ISSUING].certificate
    assert verify_export(document, issuing) == head - 1
    signature = base64.b64decode(document["signature"]["value"])
    body = {k: v for k, v in document.items() if k != "signature"}
    public = issuing.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, canonical(body), padding.PKCS1v15(), hashes.SHA256())  # plain cryptography
    logged = desk.log(auditor, AuditFilter(action="audit.exported"))[0]
    assert export.sha256 in logged.payload and logged.actor == "operator:lee"

    tampered = copy.deepcopy(document)
    tampered["entries"][0]["actor"] = "operator:nobody"
    with pytest.raises(ExportInvalid):
        verify_export(tampered, issuing)
    cut = copy.deepcopy(document)
    del cut["entries"][1]
    with pytest.raises(ExportInvalid):
        verify_export(cut, issuing)
    with pytest.raises(ExportInvalid):  # signed by someone else's key: not the certificate the reader trusts
        verify_export(document, services.signers["root"].certificate)
    for first, last in ((0, 1), (3, 2), (1, head + 5)):
        with pytest.raises(InvalidInput):
            desk.export(auditor, first, last)


def test_bulk_revocation_by_query_needs_two_operators(ra_services: Services, clock: FakeClock) -> None:
    services = ra_services
    alice, bob = _operator(services, "alice", Role.CA_ADMIN), _operator(services, "bob", Role.CA_ADMIN)
    start = clock.now()
    serials = []
    for _ in range(3):
        serials.append(services.authority.issue(make_request(rsa_key(1))).serial)
        clock.advance(timedelta(hours=1))
    payload = {
        "issuer": ISSUING,
        "issued_from": (start + timedelta(minutes=30)).isoformat(),
        "issued_to": (start + timedelta(hours=5)).isoformat(),
        "reason": "cACompromise",
    }
    dual = services.dual_control
    for bad in ({"issuer": "root"}, {"issued_to": start.isoformat()}, {"issued_from": "yesterday"}, {"reason": "x"}):
        with pytest.raises(InvalidInput):
            dual.propose(alice, "bulk_revocation_query", {**payload, **bad})
    with pytest.raises(InvalidInput):  # nothing issued in that range
        dual.propose(
            alice, "bulk_revocation_query", {**payload, "issued_from": "2030-01-01T00:00", "issued_to": "2030-02-01"}
        )
    proposal = dual.propose(alice, "bulk_revocation_query", payload)
    assert proposal.payload["matched"] == 2
    with pytest.raises(DualControlRefused):
        dual.approve(alice, proposal.id)
    assert {_status(services, s) for s in serials} == {RecordStatus.ISSUED}
    done = dual.approve(bob, proposal.id)
    assert done.result == {"revoked": 2, "skipped": 0, "notified": 0, "no_customer": 2, "notify_failed": 0}
    assert [_status(services, s) for s in serials] == [RecordStatus.ISSUED, RecordStatus.REVOKED, RecordStatus.REVOKED]
    revoked = [e for e in services.audit.entries(limit=10_000) if e.type == "certificate.revoked"]
    assert {e.actor for e in revoked} == {"operator:alice+operator:bob"} and len(revoked) == 2


def _status(services: Services, serial: int) -> RecordStatus:
    record = services.certificates.get(ISSUING, serial)
    assert record is not None
    return record.status


def _ocsp_response(services: Services, serial: int) -> ocsp.OCSPResponse:
    issuer = services.signers[ISSUING]
    request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuer.name_hashes["sha1"], issuer.key_hashes["sha1"], serial, hashes.SHA1()
    )
    return ocsp.load_der_ocsp_response(services.ocsp.respond(request.build().public_bytes(Encoding.DER)))


def test_ocsp_signer_renewal_signs_at_once_and_after_a_restart(
    ra_services: Services, clock: FakeClock, database: Database, tmp_path: Path, shared_linter: PkixLinter
) -> None:
    services = ra_services
    admin, officer = _operator(services, "park", Role.CA_ADMIN), _operator(services, "kim", Role.RA_OFFICER)
    serial = services.authority.issue(make_request(rsa_key(1))).serial
    old = services.signers["ocsp"].certificate
    assert _ocsp_response(services, serial).certificates == [old]
    with pytest.raises(RoleRequired):
        services.ca_desk.renew_ocsp_signer(officer)
    clock.advance(timedelta(days=400))
    new = services.ca_desk.renew_ocsp_signer(admin).certificate
    assert new.serial_number != old.serial_number and new.public_key() != old.public_key()
    new.verify_directly_issued_by(services.signers[ISSUING].certificate)
    eku = new.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING]
    assert new.not_valid_after_utc > old.not_valid_after_utc
    response = _ocsp_response(services, serial)
    assert response.certificates == [new] and response.certificate_status is ocsp.OCSPCertStatus.GOOD
    public = new.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    record = services.certificates.get(ISSUING, new.serial_number)
    assert record is not None and record.status is RecordStatus.ISSUED and record.profile == "ocsp"
    entry = [e for e in services.audit.entries(limit=10_000) if e.type == "ca.ocsp_signer_renewed"][-1]
    assert entry.actor == "operator:park" and format(new.serial_number, "x") in entry.payload

    again = reopen(database, clock, tmp_path / "data", shared_linter)  # a restart loads the new key
    try:
        assert again.signers["ocsp"].certificate == new
        assert _ocsp_response(again, serial).certificates == [new]
    finally:
        again.close()
