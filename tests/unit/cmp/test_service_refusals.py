"""CmpService refusals: every bad request gets a CMP error with the right failInfo, nothing is issued or stored
except the audit event (which carries no secret); the MAC lockout is exact under concurrency."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import func, select

from jointcert.ca.registration import RegistrationTicket
from jointcert.cmp.client import issued_certificate, new_cert_request
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import FailInfo
from jointcert.cmp.model import BodyType, CertReqBody, CertRequest, Extension, PkiMessage
from jointcert.cmp.pop import sign_cert_request
from jointcert.cmp.protection import PbmProtection
from jointcert.npki.oids import ID_KISA_RANDOM_NUM
from jointcert.storage.tables.cmp import CmpRegistration, CmpTransaction

from .service_env import RRN, SUBJECT, Applicant, CmpEnv, fail_info

WEAK_KEY = rsa.generate_private_key(65537, 1024)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _transactions(env: CmpEnv) -> int:
    with env.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(CmpTransaction)) or 0)


def _requests(applicant: Applicant, ticket: RegistrationTicket) -> tuple[CertRequest, ...]:
    body = parse_message(applicant.ir(ticket)).body
    assert isinstance(body, CertReqBody)
    return body.requests


def _ir_with(applicant: Applicant, ticket: RegistrationTicket, *requests: CertRequest) -> bytes:
    assert applicant.header is not None
    pbm = PbmProtection(ticket.authorization_code.encode())
    return encode_message(applicant.header, CertReqBody(BodyType.IR, requests), protection=pbm)


def _wrong_pop(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    (request,) = _requests(applicant, ticket)
    other = rsa.generate_private_key(65537, 2048)
    return _ir_with(applicant, ticket, sign_cert_request(request, other))  # POP signed by another key


def _short_r(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    bad_r = Extension(ID_KISA_RANDOM_NUM, False, b"\x03\x14\x00" + os.urandom(19))  # 19 bytes
    request = new_cert_request(applicant.key, subject=SUBJECT, extensions=(bad_r,))
    applicant.ir(ticket)  # sets the header
    return _ir_with(applicant, ticket, request)


def _one_key_twice(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    (request,) = _requests(applicant, ticket)
    return _ir_with(applicant, ticket, request, replace(request, cert_req_id=1))


def _same_cert_req_id(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    (request,) = _requests(applicant, ticket)
    km = new_cert_request(rsa.generate_private_key(65537, 2048), subject=SUBJECT, cert_req_id=0)
    return _ir_with(applicant, ticket, request, km)


def _three_requests(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    (request,) = _requests(applicant, ticket)
    more = [new_cert_request(rsa.generate_private_key(65537, 2048), subject=SUBJECT, cert_req_id=i) for i in (1, 2)]
    return _ir_with(applicant, ticket, request, *more)


def _km_wrong_pop(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    (request,) = _requests(applicant, ticket)
    km = new_cert_request(rsa.generate_private_key(65537, 2048), subject=SUBJECT, cert_req_id=1)
    return _ir_with(applicant, ticket, request, sign_cert_request(km, rsa.generate_private_key(65537, 2048)))


def _unprotected(env: CmpEnv, applicant: Applicant, ticket: RegistrationTicket) -> bytes:
    message = parse_message(applicant.ir(ticket))
    return encode_message(replace(message.header, protection_alg=None), message.body)


Case = Callable[[CmpEnv, Applicant, RegistrationTicket], bytes]
CASES: dict[str, tuple[Case, set[FailInfo]]] = {
    "garbage": (lambda e, a, t: os.urandom(300), {FailInfo.BAD_DATA_FORMAT, FailInfo.BAD_REQUEST}),
    "truncated": (lambda e, a, t: a.ir(t)[:-40], {FailInfo.BAD_DATA_FORMAT, FailInfo.BAD_REQUEST}),
    "empty": (lambda e, a, t: b"", {FailInfo.BAD_DATA_FORMAT, FailInfo.BAD_REQUEST}),
    "wrong MAC": (lambda e, a, t: a.ir(t, code="WRONGWRONGWRONGWRONG"), {FailInfo.BAD_MESSAGE_CHECK}),
    "unknown senderKID": (lambda e, a, t: a.ir(t, kid=b"0000000001"), {FailInfo.NOT_AUTHORIZED}),
    "junk senderKID": (lambda e, a, t: a.ir(t, kid=b"\xff<script>"), {FailInfo.NOT_AUTHORIZED}),
    "wrong POP": (_wrong_pop, {FailInfo.BAD_POP}),
    "weak key": (lambda e, a, t: a.ir(t, key=WEAK_KEY), {FailInfo.BAD_CERT_TEMPLATE}),
    "EC key": (lambda e, a, t: a.ir(t, key=EC_KEY), {FailInfo.BAD_CERT_TEMPLATE}),  # type: ignore[arg-type]
    "missing R": (lambda e, a, t: a.ir(t, random_num=None), {FailInfo.BAD_CERT_TEMPLATE}),
    "malformed R": (_short_r, {FailInfo.BAD_CERT_TEMPLATE}),
    "unprotected": (_unprotected, {FailInfo.WRONG_INTEGRITY}),
    "one key for sign and km": (_one_key_twice, {FailInfo.BAD_CERT_TEMPLATE}),
    "two requests, one certReqId": (_same_cert_req_id, {FailInfo.BAD_REQUEST}),
    "three requests": (_three_requests, {FailInfo.BAD_REQUEST}),
    "km with a wrong POP": (_km_wrong_pop, {FailInfo.BAD_POP}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_requests_get_a_cmp_error_and_nothing_is_issued(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey], case: str
) -> None:
    build, expected = CASES[case]
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[0])
    answer = applicant.send(build(cmp_env, applicant, ticket))
    assert fail_info(answer) & expected, (case, fail_info(answer))
    assert cmp_env.subscriber_rows() == 0
    assert _transactions(cmp_env) == 0
    assert cmp_env.audit_types()[-1] == "cmp.refused"
    event = json.loads(cmp_env.audit_payloads()[-1])["data"]
    assert event["fail_info"] == sorted(f.rfc_name for f in fail_info(answer))
    text = json.dumps(cmp_env.audit_payloads())
    assert RRN not in text and ticket.authorization_code not in text
    if case not in ("wrong MAC", "unknown senderKID", "junk senderKID", "garbage", "truncated", "empty"):
        # the registration was not consumed: the right request still enrolls
        reply = applicant.send(applicant.ir(ticket))
        assert issued_certificate(reply).public_key() == applicant_keys[0].public_key()


def test_used_reference_is_not_authorized(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[0])
    issued_certificate(applicant.send(applicant.ir(ticket)))
    again = Applicant(cmp_env, applicant_keys[1])
    assert fail_info(again.send(again.ir(ticket))) == {FailInfo.NOT_AUTHORIZED}
    assert cmp_env.subscriber_rows() == 1


def test_expired_reference_is_not_authorized_and_wiped(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    ticket = cmp_env.register()
    cmp_env.clock.advance(timedelta(days=7, seconds=1))
    applicant = Applicant(cmp_env, applicant_keys[0])
    assert fail_info(applicant.send(applicant.ir(ticket))) == {FailInfo.NOT_AUTHORIZED}
    assert cmp_env.subscriber_rows() == 0
    with cmp_env.database.session() as session:
        row = session.get(CmpRegistration, ticket.reference_number)
        assert row is not None and row.status == "expired"
        assert row.rrn_ciphertext is None and row.code_ciphertext is None


def test_cancelled_reference_is_not_authorized(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    ticket = cmp_env.register()
    cmp_env.registrations.cancel(ticket.reference_number, actor="bank")
    applicant = Applicant(cmp_env, applicant_keys[0])
    assert fail_info(applicant.send(applicant.ir(ticket))) == {FailInfo.NOT_AUTHORIZED}


def test_reused_transaction_id_is_transaction_id_in_use(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    first, second = cmp_env.register(), cmp_env.register(rrn="8502022345671")
    applicant = Applicant(cmp_env, applicant_keys[0])
    issued_certificate(applicant.send(applicant.ir(first, transaction_id=b"T" * 16)))
    other = Applicant(cmp_env, applicant_keys[1])
    assert fail_info(other.send(other.ir(second, transaction_id=b"T" * 16))) == {FailInfo.TRANSACTION_ID_IN_USE}
    assert cmp_env.subscriber_rows() == 1
    reply = other.send(other.ir(second))  # the refusal did not consume the registration
    assert issued_certificate(reply).public_key() == applicant_keys[1].public_key()


def test_mac_lockout_is_exact_under_50_parallel_wrong_attempts(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[0])
    wrong = [applicant.ir(ticket, code=f"WRONG{i:015d}") for i in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers: list[PkiMessage] = list(pool.map(cmp_env.handle, wrong))
    outcomes = Counter(next(iter(fail_info(a))) for a in answers)
    assert outcomes == {FailInfo.BAD_MESSAGE_CHECK: 5, FailInfo.NOT_AUTHORIZED: 45}
    with cmp_env.database.session() as session:
        row = session.get(CmpRegistration, ticket.reference_number)
        assert row is not None and (row.status, row.mac_failures, row.mac_pending) == ("locked", 5, 0)
        assert row.rrn_ciphertext is None and row.code_ciphertext is None
    right = Applicant(cmp_env, applicant_keys[1])
    assert fail_info(right.send(right.ir(ticket))) == {FailInfo.NOT_AUTHORIZED}  # locked, even with the right code
    assert cmp_env.subscriber_rows() == 0
    assert cmp_env.audit_types().count("registration.locked") == 1


def test_a_right_mac_does_not_count(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[0])
    for _ in range(4):
        assert fail_info(applicant.send(applicant.ir(ticket, code="WRONGWRONGWRONGWRONG"))) == {
            FailInfo.BAD_MESSAGE_CHECK
        }
    assert fail_info(applicant.send(applicant.ir(ticket, key=WEAK_KEY))) == {FailInfo.BAD_CERT_TEMPLATE}
    reply = applicant.send(applicant.ir(ticket))  # 4 failures + a right MAC with a bad key: still usable
    assert issued_certificate(reply).public_key() == applicant_keys[0].public_key()
