"""CmpService: kur (renewal copying the VID), rr (self-revocation), genm caCerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from jointcert.ca.ports import RecordStatus
from jointcert.cmp.client import (
    ca_certs_from,
    cert_conf,
    genm_ca_certs,
    issued_certificate,
    new_cert_request,
    request_header,
    revocation_request,
    revocation_status,
)
from jointcert.cmp.codec import encode_message
from jointcert.cmp.errors import FailInfo
from jointcert.cmp.model import BodyType, CertReqBody, CrlReason, GenRepBody, PkiConfBody
from jointcert.cmp.protection import SignatureProtection, verify_signature
from jointcert.npki.vid import identify_data_of, verify_vid

from .factories import Pki
from .service_env import NAME, RRN, Applicant, CmpEnv, fail_info


def _issued(env: CmpEnv, key: rsa.RSAPrivateKey, rrn: str = RRN) -> tuple[Applicant, x509.Certificate]:
    ticket = env.register(rrn=rrn)
    applicant = Applicant(env, key)
    cert = issued_certificate(applicant.send(applicant.ir(ticket)))
    assert isinstance(applicant.confirm(cert, ticket.authorization_code).body, PkiConfBody)
    return applicant, cert


def _kur(
    env: CmpEnv,
    old: x509.Certificate,
    old_key: rsa.RSAPrivateKey,
    new_key: rsa.RSAPrivateKey,
    into: Applicant | None = None,
) -> bytes:
    header = request_header(message_time=env.clock.now())
    if into is not None:
        into.header = header
    request = new_cert_request(new_key, subject=old.subject, old_certificate=old)
    return encode_message(header, CertReqBody(BodyType.KUR, (request,)), protection=SignatureProtection(old_key, old))


def test_kur_renews_with_the_same_vid_and_supersedes_at_confirmation(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    applicant, old = _issued(cmp_env, applicant_keys[0])
    renewer = Applicant(cmp_env, applicant_keys[1])
    reply = renewer.send(_kur(cmp_env, old, applicant_keys[0], applicant_keys[1], into=renewer))
    assert reply.type is BodyType.KUP
    assert verify_signature(reply) == cmp_env.ca.hierarchy.issuing.certificate  # signed by the issuing CA
    new = issued_certificate(reply)
    assert new.public_key() == applicant_keys[1].public_key() and new.serial_number != old.serial_number
    identify = identify_data_of(new)
    assert identify is not None and identify.real_name == NAME
    verify_vid(identify, RRN, applicant.random_num)  # the client keeps R: the same VID verifies
    assert identify_data_of(new) == identify_data_of(old)
    cn = str(new.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    assert cn.startswith(f"{NAME}()") and new.subject != old.subject  # new unique digits
    assert cmp_env.ca.authority.certificate(old.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]
    conf = renewer.follow_up(cert_conf(new), SignatureProtection(applicant_keys[0], old))
    done = cmp_env.handle(conf)
    assert isinstance(done.body, PkiConfBody)
    record = cmp_env.ca.authority.certificate(old.serial_number)
    assert record is not None and record.status is RecordStatus.REVOKED
    assert record.revocation_reason is x509.ReasonFlags.superseded


def test_kur_refusals(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey], pki: Pki) -> None:
    _, old = _issued(cmp_env, applicant_keys[0])
    same_key = cmp_env.handle(_kur(cmp_env, old, applicant_keys[0], applicant_keys[0]))
    assert fail_info(same_key) == {FailInfo.BAD_CERT_TEMPLATE}
    verify_signature(same_key)  # the requester was authenticated: the error is signed
    foreign = cmp_env.handle(_kur(cmp_env, pki.user_cert, pki.user_key, applicant_keys[1]))
    assert fail_info(foreign) == {FailInfo.SIGNER_NOT_TRUSTED}
    wrong_signer = cmp_env.handle(_kur(cmp_env, old, applicant_keys[2], applicant_keys[1]))
    assert fail_info(wrong_signer) == {FailInfo.BAD_MESSAGE_CHECK}
    cmp_env.ca.authority.revoke(old.serial_number, x509.ReasonFlags.key_compromise, actor="test")
    revoked = cmp_env.handle(_kur(cmp_env, old, applicant_keys[0], applicant_keys[1]))
    assert fail_info(revoked) == {FailInfo.CERT_REVOKED}
    assert cmp_env.subscriber_rows() == 1


def test_kur_with_an_expired_certificate(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    _, old = _issued(cmp_env, applicant_keys[0])
    cmp_env.clock.set(old.not_valid_after_utc + timedelta(seconds=1))
    assert fail_info(cmp_env.handle(_kur(cmp_env, old, applicant_keys[0], applicant_keys[1]))) == {
        FailInfo.SIGNER_NOT_TRUSTED
    }


def _rr(env: CmpEnv, cert: x509.Certificate, key: rsa.RSAPrivateKey, reason: CrlReason | None) -> bytes:
    header = request_header(message_time=env.clock.now())
    return encode_message(header, revocation_request(cert, reason), protection=SignatureProtection(key, cert))


def test_rr_revokes_the_signing_certificate_with_its_reason(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    _, cert = _issued(cmp_env, applicant_keys[0])
    reply = cmp_env.handle(_rr(cmp_env, cert, applicant_keys[0], CrlReason.KEY_COMPROMISE))
    assert reply.type is BodyType.RP and revocation_status(reply).accepted
    verify_signature(reply)
    record = cmp_env.ca.authority.certificate(cert.serial_number)
    assert record is not None and record.status is RecordStatus.REVOKED
    assert record.revocation_reason is x509.ReasonFlags.key_compromise
    again = cmp_env.handle(_rr(cmp_env, cert, applicant_keys[0], None))
    assert fail_info(again) == {FailInfo.CERT_REVOKED}


def test_rr_for_another_certificate_is_not_authorized(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    _, mine = _issued(cmp_env, applicant_keys[0])
    _, theirs = _issued(cmp_env, applicant_keys[1], rrn="8502022345671")  # another holder
    header = request_header(message_time=cmp_env.clock.now())
    der = encode_message(header, revocation_request(theirs), protection=SignatureProtection(applicant_keys[0], mine))
    assert fail_info(cmp_env.handle(der)) == {FailInfo.NOT_AUTHORIZED}
    assert cmp_env.ca.authority.certificate(theirs.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]


@pytest.mark.parametrize("reason", [CrlReason.CERTIFICATE_HOLD, CrlReason.REMOVE_FROM_CRL])
def test_rr_hold_is_refused(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey], reason: CrlReason) -> None:
    _, cert = _issued(cmp_env, applicant_keys[0])
    assert fail_info(cmp_env.handle(_rr(cmp_env, cert, applicant_keys[0], reason))) == {FailInfo.BAD_REQUEST}
    assert cmp_env.ca.authority.certificate(cert.serial_number).status is RecordStatus.ISSUED  # type: ignore[union-attr]


def test_genm_ca_certs(cmp_env: CmpEnv) -> None:
    header = request_header(message_time=cmp_env.clock.now())
    reply = cmp_env.handle(encode_message(header, genm_ca_certs()))
    assert isinstance(reply.body, GenRepBody)
    verify_signature(reply)
    hierarchy = cmp_env.ca.hierarchy
    assert ca_certs_from(reply) == (hierarchy.issuing.certificate, hierarchy.root.certificate)
