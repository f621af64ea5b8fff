"""Every message our client builds parses on our server side and vice versa, protected either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jointcert.cmp.client import (
    ca_certs_from,
    cert_conf,
    check_response,
    follow_up_header,
    genm_ca_certs,
    issued_certificate,
    new_cert_request,
    request_header,
    revocation_request,
    revocation_status,
)
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.confirm import check_cert_hash
from jointcert.cmp.errors import CmpError, CmpPopFailed, CmpProtectionFailed, CmpRejected, FailInfo, PkiStatus
from jointcert.cmp.model import (
    AlgorithmId,
    Body,
    BodyType,
    CertConfBody,
    CertId,
    CertReqBody,
    CrlReason,
    ErrorBody,
    PkiConfBody,
    PkiHeader,
    PollRepBody,
    PollRepEntry,
    PollReqBody,
    RevReqBody,
    StatusInfo,
    TypedValue,
)
from jointcert.cmp.oids import ID_SHA256
from jointcert.cmp.pop import verify_pop
from jointcert.cmp.protection import PbmProtection, Protection, SignatureProtection, verify_pbm, verify_signature
from jointcert.cmp.random_num import extract_random_num, without_random_num
from jointcert.cmp.server import (
    cert_rep_body,
    cert_response,
    error_response_for,
    genp_for,
    rejection,
    response_header,
    rev_rep_body,
)

from .factories import NOW, SECRET, Pki

R = bytes(range(20))


def _flip(der: bytes, offset: int) -> bytes:
    return der[:offset] + bytes([der[offset] ^ 0x01]) + der[offset + 1 :]


def _client_header(pki: Pki, **kw: object) -> PkiHeader:
    return request_header(sender=pki.user_name, recipient=pki.ca_cert.subject, message_time=NOW, **kw)  # type: ignore[arg-type]


def test_ir_ip_certconf_pkiconf_with_pbm(pki: Pki) -> None:
    pbm = PbmProtection(SECRET)
    header = _client_header(pki, sender_kid=b"REF-1", implicit_confirm=True)
    request = new_cert_request(pki.new_key, subject=pki.user_name, random_num=R)
    ir = parse_message(encode_message(header, CertReqBody(BodyType.IR, (request,)), protection=pbm))
    verify_pbm(ir, SECRET)
    assert ir.header == PkiHeader(**{**header.__dict__, "protection_alg": ir.header.protection_alg})
    (got,) = ir.body.requests  # type: ignore[union-attr]
    assert got == request and got.der == request.der
    assert verify_pop(got).message == request.der
    assert extract_random_num(got.template) == R and without_random_num(got.template) == ()
    cert = pki.issue_for(pki.new_key.public_key())
    answer = response_header(ir.header, sender=pki.ca_cert.subject, message_time=NOW, implicit_confirm=True)
    ip_der = encode_message(
        answer, cert_rep_body(BodyType.IP, [cert_response(0, cert)], ca_pubs=[pki.ca_cert]), protection=pbm
    )
    ip = parse_message(ip_der)
    verify_pbm(ip, SECRET)
    check_response(header, ip)
    assert ip.header.implicit_confirm and ip.header.recipient == pki.user_name
    assert issued_certificate(ip) == cert and ip.body.ca_pubs == (pki.ca_cert,)  # type: ignore[union-attr]
    conf_header = follow_up_header(header, ip.header, message_time=NOW)
    conf = parse_message(encode_message(conf_header, cert_conf(cert), protection=pbm))
    verify_pbm(conf, SECRET)
    assert conf.header.transaction_id == header.transaction_id and conf.header.recip_nonce == ip.header.sender_nonce
    check_cert_hash(conf.body.statuses[0], cert)  # type: ignore[union-attr]
    done = parse_message(encode_message(response_header(conf.header), PkiConfBody(), protection=pbm))
    check_response(conf_header, done)
    assert done.type is BodyType.PKICONF


def test_kur_kup_with_signatures(pki: Pki) -> None:
    header = _client_header(pki)
    request = new_cert_request(pki.new_key, subject=pki.user_name, old_certificate=pki.user_cert)
    kur_der = encode_message(
        header, CertReqBody(BodyType.KUR, (request,)), protection=SignatureProtection(pki.user_key, pki.user_cert)
    )
    kur = parse_message(kur_der)
    assert verify_signature(kur) == pki.user_cert
    assert kur.header.sender_kid is not None  # the SKI of the protection certificate
    (got,) = kur.body.requests  # type: ignore[union-attr]
    assert got.old_cert_id == CertId.of(pki.user_cert)
    verify_pop(got)
    cert = pki.issue_for(pki.new_key.public_key(), serial=99)
    ca = SignatureProtection(pki.ca_key, pki.ca_cert)
    kup = parse_message(
        encode_message(
            response_header(kur.header), cert_rep_body(BodyType.KUP, [cert_response(0, cert)]), protection=ca
        )
    )
    assert kup.header.sender == pki.ca_cert.subject
    assert verify_signature(kup, pki.ca_cert) == pki.ca_cert
    assert issued_certificate(kup) == cert


def test_rr_rp(pki: Pki) -> None:
    header = _client_header(pki)
    rr = parse_message(
        encode_message(
            header,
            revocation_request(pki.user_cert, CrlReason.KEY_COMPROMISE),
            protection=SignatureProtection(pki.user_key, pki.user_cert),
        )
    )
    verify_signature(rr)
    assert isinstance(rr.body, RevReqBody)
    (details,) = rr.body.requests
    assert (details.serial, details.issuer, details.reason) == (
        pki.user_cert.serial_number,
        pki.ca_cert.subject,
        CrlReason.KEY_COMPROMISE,
    )
    body = rev_rep_body(StatusInfo(PkiStatus.ACCEPTED), CertId.of(pki.user_cert))
    rp = parse_message(
        encode_message(response_header(rr.header), body, protection=SignatureProtection(pki.ca_key, pki.ca_cert))
    )
    check_response(header, rp)
    assert revocation_status(rp).accepted and rp.body.rev_certs == (CertId.of(pki.user_cert),)  # type: ignore[union-attr]
    refused = parse_message(encode_message(response_header(rr.header), rev_rep_body(rejection(FailInfo.CERT_REVOKED))))
    with pytest.raises(CmpRejected) as caught:
        revocation_status(refused)
    assert caught.value.fail_info is FailInfo.CERT_REVOKED


def test_genm_genp_ca_certs(pki: Pki) -> None:
    header = _client_header(pki, sender_kid=b"REF-1")
    genm = parse_message(encode_message(header, genm_ca_certs(), protection=PbmProtection(SECRET)))
    verify_pbm(genm, SECRET)
    body = genp_for(genm.body, ca_certs=[pki.ca_cert, pki.user_cert])  # type: ignore[arg-type]
    genp = parse_message(encode_message(response_header(genm.header), body, protection=PbmProtection(SECRET)))
    assert ca_certs_from(genp) == (pki.ca_cert, pki.user_cert)


def test_genp_echoes_unsupported_info_types_without_value(pki: Pki) -> None:
    from jointcert.cmp.model import GenMsgBody
    from jointcert.cmp.oids import ID_IT_CA_PROT_ENC_CERT

    body = genp_for(GenMsgBody((TypedValue(ID_IT_CA_PROT_ENC_CERT),)), ca_certs=[pki.ca_cert])
    assert body.items == (TypedValue(ID_IT_CA_PROT_ENC_CERT),)


def test_certconf_with_hash_alg_and_rejection_pvno3(pki: Pki) -> None:
    cert = pki.user_cert
    body = cert_conf(cert, 7, reject=FailInfo.BAD_CERT_TEMPLATE, hash_alg=AlgorithmId(ID_SHA256))
    message = parse_message(encode_message(_client_header(pki, pvno=3), body))
    assert message.header.pvno == 3
    assert isinstance(message.body, CertConfBody)
    (status,) = message.body.statuses
    assert status.cert_req_id == 7 and not status.accepted and status.hash_alg == AlgorithmId(ID_SHA256)
    assert status.status is not None and status.status.fail_info == {FailInfo.BAD_CERT_TEMPLATE}
    check_cert_hash(status, cert)
    with pytest.raises(CmpError) as caught:
        check_cert_hash(status, pki.ca_cert)
    assert caught.value.fail_info is FailInfo.BAD_CERT_ID


def test_poll_and_error_bodies_round_trip(pki: Pki) -> None:
    bodies: list[Body] = [
        PollReqBody((0, 1)),
        PollRepBody((PollRepEntry(0, 30, ("busy",)), PollRepEntry(1, 5))),
        ErrorBody(
            StatusInfo(PkiStatus.REJECTION, frozenset({FailInfo.BAD_ALG, FailInfo.DUPLICATE_CERT_REQ}), ("x",)),
            7,
            ("d",),
        ),
        PkiConfBody(),
    ]
    for body in bodies:
        header = _client_header(pki, sender_kid=b"k")
        message = parse_message(encode_message(header, body))
        assert message.body == body
        assert message.header.message_time == NOW and message.header.sender_kid == b"k"


def test_header_fields_round_trip(pki: Pki) -> None:
    header = PkiHeader(
        sender=pki.user_name,
        recipient=pki.ca_cert.subject,
        pvno=3,
        transaction_id=b"t" * 16,
        sender_nonce=b"s" * 16,
        recip_nonce=b"r" * 16,
        sender_kid=b"kid",
        recip_kid=b"rkid",
        message_time=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        free_text=("안녕", "hello"),
        implicit_confirm=True,
        confirm_wait_time=NOW + timedelta(minutes=5),
        general_info=(TypedValue("1.2.3.4", b"\x05\x00"), TypedValue("1.2.3.5")),
    )
    assert parse_message(encode_message(header, PkiConfBody())).header == header


@pytest.mark.parametrize("protection_kind", ["pbm", "signature"])
def test_a_flipped_bit_fails_protection_with_bad_message_check(pki: Pki, protection_kind: str) -> None:
    protection: Protection = (
        PbmProtection(SECRET) if protection_kind == "pbm" else SignatureProtection(pki.user_key, pki.user_cert)
    )
    request = new_cert_request(pki.new_key, subject=pki.user_name, random_num=R)
    der = encode_message(
        _client_header(pki, sender_kid=b"REF"), CertReqBody(BodyType.IR, (request,)), protection=protection
    )
    original = parse_message(der)
    verify = (lambda m: verify_pbm(m, SECRET)) if protection_kind == "pbm" else verify_signature
    verify(original)
    pp_start = der.index(original.protected_part[4:40])  # inside header/body
    checked = 0
    for offset in range(pp_start, pp_start + len(original.protected_part) - 4, 37):
        try:
            tampered = parse_message(_flip(der, offset))
        except CmpError:
            continue  # the flip broke the structure: also refused
        with pytest.raises((CmpProtectionFailed, CmpPopFailed, CmpError)) as caught:
            verify(tampered)
        assert caught.value.fail_info in (FailInfo.BAD_MESSAGE_CHECK, FailInfo.BAD_ALG, FailInfo.WRONG_INTEGRITY)
        checked += 1
    assert checked > 10


def test_error_response_for_echoes_the_request_and_is_readable_by_the_client(pki: Pki) -> None:
    header = _client_header(pki, sender_kid=b"REF")
    request = encode_message(header, genm_ca_certs(), protection=PbmProtection(SECRET))
    try:
        verify_pbm(parse_message(request), b"wrong")
    except CmpProtectionFailed as exc:
        answer = parse_message(error_response_for(exc, parse_message(request).header))
    assert answer.header.recip_nonce == header.sender_nonce and answer.header.transaction_id == header.transaction_id
    assert answer.header.protection_alg is None
    with pytest.raises(CmpRejected) as caught:
        check_response(header, answer)
    assert caught.value.fail_info is FailInfo.BAD_MESSAGE_CHECK
    assert isinstance(answer.body, ErrorBody) and answer.body.details == ("cmp_protection_failed",)
