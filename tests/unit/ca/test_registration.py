"""RegistrationService: tickets, secrets only as ciphertext (and wiped), cancel, expiry, lockout, redeem."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from jointcert.ca.authority import IssuedCertificate
from jointcert.ca.errors import InvalidName, InvalidResidentNumber, UnknownProfile
from jointcert.ca.ports import RegistrationStatus
from jointcert.ca.registration import (
    CODE_ALPHABET,
    Applicant,
    MacMismatch,
    ReferenceLocked,
    ReferenceNotActive,
    ReferenceNotFound,
    ReferenceNotUsable,
    RegistrationService,
)
from jointcert.config import CmpSettings
from jointcert.storage.repositories.cmp import SqlRegistrationStore
from jointcert.storage.tables.ca import CaAuditLog
from jointcert.storage.tables.cmp import CmpRegistration
from jointcert.types import CertType
from tests.unit.ca.conftest import CA_SETTINGS, CaEnv

RRN = "9001011234568"


@pytest.fixture
def registrations(env: CaEnv) -> RegistrationService:
    return RegistrationService(
        store=SqlRegistrationStore(env.database),
        pii=env.pii,
        clock=env.clock,
        settings=CmpSettings(),
        ca_settings=CA_SETTINGS,
    )


def _row(env: CaEnv, reference: str) -> CmpRegistration:
    with env.database.session() as session:
        row = session.get(CmpRegistration, reference)
        assert row is not None
        return row


def _register(service: RegistrationService, rrn: str = RRN, cert_type: CertType = CertType.LIMITED) -> object:
    return service.register(
        real_name="홍길동", rrn=rrn, cert_type=cert_type, requested_by="bank-ra", bank_unit="HANBIT"
    )


def test_register_returns_a_ticket_and_keeps_secrets_only_encrypted(
    env: CaEnv, registrations: RegistrationService
) -> None:
    ticket = registrations.register(
        real_name="홍길동", rrn=RRN, cert_type=CertType.GENERAL, requested_by="bank-ra", bank_unit="HANBIT"
    )
    assert ticket.reference_number.isdigit() and len(ticket.reference_number) == 10
    assert len(ticket.authorization_code) == 20 and set(ticket.authorization_code) <= set(CODE_ALPHABET)
    assert ticket.cert_type is CertType.GENERAL
    assert ticket.expires_at == env.clock.now() + timedelta(days=7)
    row = _row(env, ticket.reference_number)
    assert row.status == "active" and row.rrn_ciphertext and row.code_ciphertext
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in vars(row).values())
    assert RRN.encode() not in stored and ticket.authorization_code.encode() not in stored
    with env.database.session() as session:
        payloads = " ".join(session.scalars(select(CaAuditLog.payload)))
    assert "registration.created" in payloads and RRN not in payloads and ticket.authorization_code not in payloads
    event = json.loads(payloads.split(" ")[-1])
    assert event["actor"] == "bank-ra" and event["data"]["reference_number"] == ticket.reference_number


def test_tickets_differ(registrations: RegistrationService) -> None:
    first, second = _register(registrations), _register(registrations, rrn="8502022345671")
    assert first.reference_number != second.reference_number  # type: ignore[attr-defined]
    assert first.authorization_code != second.authorization_code  # type: ignore[attr-defined]


def test_registering_again_cancels_the_older_registration(env: CaEnv, registrations: RegistrationService) -> None:
    old = _register(registrations)
    new = _register(registrations)
    assert _row(env, old.reference_number).status == "cancelled"  # type: ignore[attr-defined]
    assert _row(env, old.reference_number).code_ciphertext is None  # type: ignore[attr-defined]
    assert _row(env, new.reference_number).status == "active"  # type: ignore[attr-defined]
    other_type = _register(registrations, cert_type=CertType.GENERAL)
    assert _row(env, new.reference_number).status == "active"  # type: ignore[attr-defined]
    assert _row(env, other_type.reference_number).status == "active"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rrn": "9001011234"}, InvalidResidentNumber),
        ({"rrn": "9013011234568"}, InvalidResidentNumber),
        ({"real_name": "홍길동1"}, InvalidName),
        ({"real_name": ""}, InvalidName),
        ({"cert_type": "gold"}, UnknownProfile),
        ({"bank_code": "81"}, InvalidName),
    ],
)
def test_bad_input_is_a_typed_error(
    env: CaEnv, registrations: RegistrationService, kwargs: dict[str, object], error: type[Exception]
) -> None:
    args: dict[str, object] = {"real_name": "홍길동", "rrn": RRN, "cert_type": CertType.LIMITED, "requested_by": "x"}
    with pytest.raises(error):
        registrations.register(**{**args, **kwargs})  # type: ignore[arg-type]
    with env.database.session() as session:
        assert session.scalars(select(CmpRegistration)).first() is None


def test_cancel(env: CaEnv, registrations: RegistrationService) -> None:
    ticket = _register(registrations)
    registrations.cancel(ticket.reference_number, actor="teller-7")  # type: ignore[attr-defined]
    row = _row(env, ticket.reference_number)  # type: ignore[attr-defined]
    assert row.status == "cancelled" and row.rrn_ciphertext is None and row.code_ciphertext is None
    with pytest.raises(ReferenceNotActive):
        registrations.cancel(ticket.reference_number, actor="teller-7")  # type: ignore[attr-defined]
    with pytest.raises(ReferenceNotFound):
        registrations.cancel("0000000000", actor="teller-7")
    with pytest.raises(ReferenceNotFound):
        registrations.cancel("not a number", actor="teller-7")


def test_expiry_wipes(env: CaEnv, registrations: RegistrationService) -> None:
    ticket = _register(registrations)
    env.clock.advance(timedelta(days=6, hours=23))
    assert registrations.expire_due() == []
    env.clock.advance(timedelta(hours=2))
    assert registrations.expire_due() == [ticket.reference_number]  # type: ignore[attr-defined]
    row = _row(env, ticket.reference_number)  # type: ignore[attr-defined]
    assert row.status == "expired" and row.rrn_ciphertext is None and row.code_ciphertext is None


def test_authenticate_counts_and_locks(env: CaEnv, registrations: RegistrationService) -> None:
    ticket = _register(registrations)
    ref, code = ticket.reference_number, ticket.authorization_code  # type: ignore[attr-defined]
    seen: list[bytes] = []
    view = registrations.authenticate(ref, lambda secret: seen.append(secret) or secret == code.encode())
    assert seen == [code.encode()] and view.status is RegistrationStatus.ACTIVE and view.mac_failures == 0
    for _ in range(5):
        with pytest.raises(MacMismatch):
            registrations.authenticate(ref, lambda _: False)
    with pytest.raises(ReferenceLocked):
        registrations.authenticate(ref, lambda _: True)
    assert _row(env, ref).status == "locked" and _row(env, ref).code_ciphertext is None
    with pytest.raises(ReferenceNotUsable):
        registrations.authenticate("0000000001", lambda _: True)


def test_a_failing_check_is_not_counted(env: CaEnv, registrations: RegistrationService) -> None:
    ticket = _register(registrations)

    def broken(_: bytes) -> bool:
        raise RuntimeError("bad parameters")

    with pytest.raises(RuntimeError):
        registrations.authenticate(ticket.reference_number, broken)  # type: ignore[attr-defined]
    row = _row(env, ticket.reference_number)  # type: ignore[attr-defined]
    assert (row.mac_failures, row.mac_pending) == (0, 0)


def test_redeem_is_single_use_and_released_on_failure(env: CaEnv, registrations: RegistrationService) -> None:
    ticket = _register(registrations)
    ref = ticket.reference_number  # type: ignore[attr-defined]

    def fails(applicant: Applicant) -> IssuedCertificate:
        assert applicant.rrn == RRN and applicant.real_name == "홍길동" and applicant.bank_unit == "HANBIT"
        raise RuntimeError("pipeline down")

    with pytest.raises(RuntimeError):
        registrations.redeem(ref, fails)
    assert _row(env, ref).status == "active"

    class Issued:
        serial = 0xABC

    assert registrations.redeem(ref, lambda _: Issued()) is not None  # type: ignore[arg-type,return-value]
    row = _row(env, ref)
    assert (row.status, row.serial_hex, row.rrn_ciphertext, row.code_ciphertext) == ("used", "abc", None, None)
    with pytest.raises(ReferenceNotUsable):
        registrations.redeem(ref, lambda _: Issued())  # type: ignore[arg-type,return-value]


def test_a_claim_left_by_a_crash_expires(env: CaEnv, registrations: RegistrationService) -> None:
    ticket = _register(registrations)
    ref = ticket.reference_number  # type: ignore[attr-defined]
    assert SqlRegistrationStore(env.database).claim(ref, env.clock.now()) is not None  # and the process dies
    env.clock.advance(timedelta(minutes=11))
    assert registrations.expire_due() == [ref]
    assert _row(env, ref).rrn_ciphertext is None
