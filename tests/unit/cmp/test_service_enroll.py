"""CmpService: ir/cr with the registration's PBM, certConf, implicit confirmation, superseding at confirmation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from jointcert.ca.ports import RecordStatus, RegistrationStatus
from jointcert.cmp.client import check_response, issued_certificate
from jointcert.cmp.errors import FailInfo
from jointcert.cmp.model import BodyType, CertRepBody, PkiConfBody
from jointcert.cmp.ports import TransactionState
from jointcert.cmp.protection import verify_pbm
from jointcert.config import CmpSettings
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.storage.repositories.cmp import SqlTransactionStore
from jointcert.types import CertType

from .service_env import NAME, RRN, Applicant, CmpEnv, fail_info, wire_cmp


def _enroll(env: CmpEnv, key: rsa.RSAPrivateKey, **kwargs: object) -> tuple[Applicant, x509.Certificate, str]:
    ticket = env.register(**kwargs)  # type: ignore[arg-type]
    applicant = Applicant(env, key)
    reply = applicant.send(applicant.ir(ticket))
    assert applicant.header is not None
    check_response(applicant.header, reply)
    verify_pbm(reply, ticket.authorization_code.encode())
    return applicant, issued_certificate(reply), ticket.authorization_code


def test_ir_issues_for_the_registered_applicant_and_certconf_confirms(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    ticket = cmp_env.register(cert_type=CertType.GENERAL)
    applicant = Applicant(cmp_env, applicant_keys[0])
    reply = applicant.send(applicant.ir(ticket))
    assert reply.type is BodyType.IP and isinstance(reply.body, CertRepBody)
    verify_pbm(reply, ticket.authorization_code.encode())
    assert reply.header.confirm_wait_time == cmp_env.clock.now() + timedelta(seconds=300)
    cert = issued_certificate(reply)
    assert cert.public_key() == applicant_keys[0].public_key()
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert str(cn).startswith(f"{NAME}()00081")  # built from the registration, the template's CN is ignored
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)] == [
        "personal4IB",
        "HANBIT",
    ]
    identify = identify_data_of(cert)
    assert identify is not None and identify.real_name == NAME
    verify_vid(identify, RRN, applicant.random_num)
    assert reply.body.ca_pubs == (cmp_env.ca.hierarchy.root.certificate,)
    record = cmp_env.registrations.get(ticket.reference_number)
    assert record is not None and record.status is RegistrationStatus.USED and record.serial == cert.serial_number

    done = applicant.confirm(cert, ticket.authorization_code)
    assert isinstance(done.body, PkiConfBody)
    verify_pbm(done, ticket.authorization_code.encode())
    tx = SqlTransactionStore(cmp_env.database).get(applicant.header.transaction_id or b"")  # type: ignore[union-attr]
    assert tx is not None and tx.state is TransactionState.CONFIRMED and tx.secret_ciphertext is None
    cmp_env.clock.advance(timedelta(hours=1))
    assert cmp_env.cmp.sweep().revoked_serials == []
    assert cmp_env.ca.authority.certificate(cert.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]


def test_cr_is_answered_with_cp(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[1])
    reply = applicant.send(applicant.ir(ticket, kind=BodyType.CR))
    assert reply.type is BodyType.CP
    assert isinstance(applicant.confirm(issued_certificate(reply), ticket.authorization_code).body, PkiConfBody)


def test_implicit_confirm_when_allowed(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[0])
    reply = applicant.send(applicant.ir(ticket, implicit_confirm=True))
    assert reply.header.implicit_confirm and reply.header.confirm_wait_time is None
    cert = issued_certificate(reply)
    cmp_env.clock.advance(timedelta(hours=1))
    assert cmp_env.cmp.sweep().revoked_serials == []
    assert cmp_env.ca.authority.certificate(cert.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]


def test_implicit_confirm_refused_by_policy_needs_certconf(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    env = wire_cmp(cmp_env.ca, CmpSettings(allow_implicit_confirm=False))
    ticket = env.register()
    applicant = Applicant(env, applicant_keys[0])
    reply = applicant.send(applicant.ir(ticket, implicit_confirm=True))
    assert not reply.header.implicit_confirm
    cert = issued_certificate(reply)
    env.clock.advance(timedelta(seconds=301))
    assert env.cmp.sweep().revoked_serials == [cert.serial_number]


def test_unconfirmed_certificate_is_revoked_after_the_wait(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    _, cert, _ = _enroll(cmp_env, applicant_keys[0])
    cmp_env.clock.advance(timedelta(seconds=299))
    assert cmp_env.cmp.sweep().revoked_serials == []
    cmp_env.clock.advance(timedelta(seconds=2))
    assert cmp_env.cmp.sweep().revoked_serials == [cert.serial_number]
    record = cmp_env.ca.authority.certificate(cert.serial_number)
    assert record is not None and record.status is RecordStatus.REVOKED
    assert record.revocation_reason is x509.ReasonFlags.cessation_of_operation
    assert "cmp.refused" not in cmp_env.audit_types()[-1:]


def test_unconfirmed_certificate_is_revoked_after_a_restart(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    _, cert, _ = _enroll(cmp_env, applicant_keys[0])
    cmp_env.clock.advance(timedelta(minutes=10))
    restarted = wire_cmp(cmp_env.ca, CmpSettings())  # new service objects, same database: the state is there
    assert restarted.cmp.sweep().revoked_serials == [cert.serial_number]
    assert cmp_env.ca.authority.certificate(cert.serial_number).status is RecordStatus.REVOKED  # type: ignore[union-attr]
    assert cmp_env.cmp.sweep().revoked_serials == []  # once only


def test_late_certconf_is_refused_and_the_certificate_revoked(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    applicant, cert, code = _enroll(cmp_env, applicant_keys[0])
    cmp_env.clock.advance(timedelta(seconds=301))
    late = applicant.confirm(cert, code)
    assert fail_info(late) == {FailInfo.BAD_REQUEST}
    verify_pbm(late, code.encode())  # the requester was authenticated: the error is protected
    assert cmp_env.ca.authority.certificate(cert.serial_number).status is RecordStatus.REVOKED  # type: ignore[union-attr]


def test_certconf_rejection_revokes(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    applicant, cert, code = _enroll(cmp_env, applicant_keys[0])
    answer = applicant.confirm(cert, code, reject=FailInfo.BAD_CERT_TEMPLATE)
    assert isinstance(answer.body, PkiConfBody)
    assert cmp_env.ca.authority.certificate(cert.serial_number).status is RecordStatus.REVOKED  # type: ignore[union-attr]


def test_certconf_checks_hash_nonce_and_mac(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey], pki: object
) -> None:
    applicant, cert, code = _enroll(cmp_env, applicant_keys[0])
    other = cmp_env.ca.hierarchy.issuing.certificate  # a certificate that is not the issued one
    assert fail_info(applicant.confirm(other, code)) == {FailInfo.BAD_CERT_ID}
    assert fail_info(applicant.confirm(cert, "WRONG-CODE-000000000")) == {FailInfo.BAD_MESSAGE_CHECK}
    assert applicant.header is not None and applicant.reply is not None
    wrong_nonce = replace(applicant.reply, header=replace(applicant.reply.header, sender_nonce=b"x" * 16))
    saved, applicant.reply = applicant.reply, wrong_nonce
    assert fail_info(applicant.confirm(cert, code)) == {FailInfo.BAD_RECIPIENT_NONCE}
    applicant.reply = saved
    assert isinstance(applicant.confirm(cert, code).body, PkiConfBody)  # still waiting: the right one confirms
    assert fail_info(applicant.confirm(cert, code)) == {FailInfo.BAD_REQUEST}  # and only once


def test_older_certificate_is_superseded_only_at_confirmation(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    first, old, code = _enroll(cmp_env, applicant_keys[0])
    first.confirm(old, code)
    second, new, code2 = _enroll(cmp_env, applicant_keys[1])
    assert cmp_env.ca.authority.certificate(old.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]
    second.confirm(new, code2)
    record = cmp_env.ca.authority.certificate(old.serial_number)
    assert record is not None and record.status is RecordStatus.REVOKED
    assert record.revocation_reason is x509.ReasonFlags.superseded


def test_unconfirmed_renewal_leaves_the_old_certificate_valid(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    first, old, code = _enroll(cmp_env, applicant_keys[0])
    first.confirm(old, code)
    _, new, _ = _enroll(cmp_env, applicant_keys[1])
    cmp_env.clock.advance(timedelta(minutes=6))
    assert cmp_env.cmp.sweep().revoked_serials == [new.serial_number]
    assert cmp_env.ca.authority.certificate(old.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]


@pytest.mark.parametrize("skew", [timedelta(minutes=11), -timedelta(minutes=11)])
def test_message_time_far_off_is_bad_time(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey], skew: timedelta
) -> None:
    ticket = cmp_env.register()
    applicant = Applicant(cmp_env, applicant_keys[0])
    der = applicant.ir(ticket)
    cmp_env.clock.advance(skew)
    assert fail_info(applicant.send(der)) == {FailInfo.BAD_TIME}
    assert cmp_env.subscriber_rows() == 0
