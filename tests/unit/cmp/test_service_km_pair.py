"""CMP ir/kur with two certReqs (signing + encryption): a sign + km pair, confirmed or revoked as one."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.ports import RecordStatus
from jointcert.cmp.client import cert_conf, issued_certificate, new_cert_request, request_header
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import FailInfo
from jointcert.cmp.model import BodyType, CertRepBody, CertReqBody, PkiConfBody
from jointcert.cmp.protection import PbmProtection, SignatureProtection

from .service_env import SUBJECT, Applicant, CmpEnv, fail_info


def _pair_ir(applicant: Applicant, ticket: object, km_key: rsa.RSAPrivateKey) -> bytes:
    """An ir whose second CertReqMsg (certReqId 1, no R) asks for the km certificate."""
    body = parse_message(applicant.ir(ticket)).body  # type: ignore[arg-type]
    assert isinstance(body, CertReqBody) and applicant.header is not None
    km = new_cert_request(km_key, subject=SUBJECT, cert_req_id=1)
    pbm = PbmProtection(ticket.authorization_code.encode())  # type: ignore[attr-defined]
    return encode_message(applicant.header, CertReqBody(BodyType.IR, (*body.requests, km)), protection=pbm)


def _status(env: CmpEnv, cert: x509.Certificate) -> RecordStatus:
    record = env.ca.authority.certificate(cert.serial_number)
    assert record is not None
    return record.status


def _enroll_pair(
    env: CmpEnv, keys: list[rsa.RSAPrivateKey]
) -> tuple[Applicant, object, x509.Certificate, x509.Certificate]:
    ticket = env.register()
    applicant = Applicant(env, keys[0])
    reply = applicant.send(_pair_ir(applicant, ticket, keys[1]))
    assert reply.type is BodyType.IP and isinstance(reply.body, CertRepBody)
    assert [r.cert_req_id for r in reply.body.responses] == [0, 1]
    return applicant, ticket, issued_certificate(reply, 0), issued_certificate(reply, 1)


def test_an_ir_with_two_cert_reqs_gets_a_pair_confirmed_together(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    applicant, ticket, sign, km = _enroll_pair(cmp_env, applicant_keys)
    assert sign.public_key() == applicant_keys[0].public_key() and km.public_key() == applicant_keys[1].public_key()
    assert km.subject == sign.subject
    assert km.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    done = applicant.confirm(sign, ticket.authorization_code, more=((km, 1),))  # type: ignore[attr-defined]
    assert isinstance(done.body, PkiConfBody)
    cmp_env.clock.advance(timedelta(hours=1))
    assert cmp_env.cmp.sweep().revoked_serials == []
    assert _status(cmp_env, sign) is RecordStatus.ISSUED and _status(cmp_env, km) is RecordStatus.ISSUED


def test_a_wrong_km_cert_hash_is_refused(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    applicant, ticket, sign, _ = _enroll_pair(cmp_env, applicant_keys)
    answer = applicant.confirm(sign, ticket.authorization_code, more=((sign, 1),))  # type: ignore[attr-defined]
    assert fail_info(answer)  # an error answer: the km certificate's hash does not match
    assert _status(cmp_env, sign) is RecordStatus.ISSUED  # still waiting for a right certConf


def test_rejecting_the_km_certificate_revokes_the_pair(
    cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]
) -> None:
    applicant, ticket, sign, km = _enroll_pair(cmp_env, applicant_keys)
    body = cert_conf(sign, more=((km, 1),))
    rejecting = type(body)((body.statuses[0], cert_conf(km, 1, reject=FailInfo.BAD_CERT_TEMPLATE).statuses[0]))
    pbm = PbmProtection(ticket.authorization_code.encode())  # type: ignore[attr-defined]
    assert isinstance(applicant.env.handle(applicant.follow_up(rejecting, pbm)).body, PkiConfBody)
    assert _status(cmp_env, sign) is RecordStatus.REVOKED and _status(cmp_env, km) is RecordStatus.REVOKED


def test_an_unconfirmed_pair_is_revoked_whole(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    _, _, sign, km = _enroll_pair(cmp_env, applicant_keys)
    cmp_env.clock.advance(timedelta(seconds=301))
    assert sign.serial_number in cmp_env.cmp.sweep().revoked_serials
    assert _status(cmp_env, sign) is RecordStatus.REVOKED and _status(cmp_env, km) is RecordStatus.REVOKED


def test_kur_with_two_cert_reqs_renews_the_pair(cmp_env: CmpEnv, applicant_keys: list[rsa.RSAPrivateKey]) -> None:
    applicant, ticket, sign, km = _enroll_pair(cmp_env, applicant_keys)
    applicant.confirm(sign, ticket.authorization_code, more=((km, 1),))  # type: ignore[attr-defined]
    renewer = Applicant(cmp_env, applicant_keys[2])
    renewer.header = request_header(message_time=cmp_env.clock.now())
    requests = (
        new_cert_request(applicant_keys[2], subject=sign.subject, old_certificate=sign),
        new_cert_request(applicant_keys[3], subject=sign.subject, cert_req_id=1),
    )
    protection = SignatureProtection(applicant_keys[0], sign)
    reply = renewer.send(encode_message(renewer.header, CertReqBody(BodyType.KUR, requests), protection=protection))
    new_sign, new_km = issued_certificate(reply, 0), issued_certificate(reply, 1)
    assert new_km.public_key() == applicant_keys[3].public_key()
    conf = renewer.follow_up(cert_conf(new_sign, more=((new_km, 1),)), protection)
    assert isinstance(cmp_env.handle(conf).body, PkiConfBody)
    assert _status(cmp_env, sign) is RecordStatus.REVOKED and _status(cmp_env, km) is RecordStatus.REVOKED
    assert _status(cmp_env, new_sign) is RecordStatus.ISSUED and _status(cmp_env, new_km) is RecordStatus.ISSUED
