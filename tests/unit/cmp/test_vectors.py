"""The codec against messages made by openssl cmp (vectors/README.md)."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography import x509

from jointcert.cmp.codec import encode_message, parse_message, protected_part
from jointcert.cmp.confirm import check_cert_hash
from jointcert.cmp.errors import CmpProtectionFailed, FailInfo, PkiStatus
from jointcert.cmp.model import (
    BodyType,
    CertConfBody,
    CertId,
    CertRepBody,
    CertReqBody,
    CrlReason,
    ErrorBody,
    GenMsgBody,
    RevRepBody,
    RevReqBody,
)
from jointcert.cmp.oids import ID_IT_SIGN_KEY_PAIR_TYPES, ID_PASSWORD_BASED_MAC, ID_SHA256_WITH_RSA
from jointcert.cmp.pop import verify_pop
from jointcert.cmp.protection import ProtectionKind, pbm_parameters, protection_kind, verify_pbm, verify_signature
from jointcert.cmp.random_num import extract_random_num

from .factories import SECRET, VECTORS, vector

ALL = sorted(p.name for p in VECTORS.glob("*.der"))


def _pem(name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((VECTORS / name).read_bytes())


@pytest.mark.parametrize("name", ALL)
def test_every_vector_parses_and_reencodes_to_the_same_protected_part(name: str) -> None:
    message = parse_message(vector(name))
    assert message.protected_part == protected_part(message.header, message.body)
    assert message.header.pvno == 2


def test_openssl_ir_carries_what_the_server_needs() -> None:
    message = parse_message(vector("ir.der"))
    assert message.type is BodyType.IR
    assert message.header.sender_kid == b"REF123"
    assert len(message.header.transaction_id or b"") == 16
    assert len(message.header.sender_nonce or b"") == 16
    assert message.header.recipient.rfc4514_string() == "CN=jointsignCA Class 1,OU=AccreditedCA,O=jointsign,C=KR"
    assert isinstance(message.body, CertReqBody)
    (request,) = message.body.requests
    assert request.cert_req_id == 0
    assert request.template.subject == message.header.sender
    assert extract_random_num(request.template) == bytes(range(20))
    assert request.template.load_public_key().key_size == 2048  # type: ignore[union-attr]
    params = pbm_parameters(message.header.protection_alg)  # type: ignore[arg-type]
    assert (params.iterations, len(params.salt), params.mac) == (500, 16, "1.3.6.1.5.5.8.1.2")


def test_openssl_ir_pbm_verifies_with_the_secret_only() -> None:
    message = parse_message(vector("ir.der"))
    assert protection_kind(message) is ProtectionKind.PBM
    verify_pbm(message, SECRET)
    with pytest.raises(CmpProtectionFailed) as caught:
        verify_pbm(message, b"CODE124")
    assert caught.value.fail_info is FailInfo.BAD_MESSAGE_CHECK


def test_openssl_ir_pop_verifies_and_exposes_the_signed_bytes() -> None:
    request = parse_message(vector("ir.der")).body.requests[0]  # type: ignore[union-attr]
    proof = verify_pop(request)
    assert proof.algorithm.oid == ID_SHA256_WITH_RSA
    assert proof.message == request.der and proof.message in vector("ir.der")
    assert proof.public_key == request.template.public_key


def test_openssl_ip_certconf_pkiconf() -> None:
    ip = parse_message(vector("ip.der"))
    verify_pbm(ip, SECRET)
    assert isinstance(ip.body, CertRepBody) and ip.body.type is BodyType.IP
    (response,) = ip.body.responses
    assert response.status.status is PkiStatus.ACCEPTED
    assert response.certificate == _pem("user.pem")
    assert ip.body.ca_pubs == (_pem("ca.pem"),)
    conf = parse_message(vector("certconf.der"))
    verify_pbm(conf, SECRET)
    assert isinstance(conf.body, CertConfBody)
    (status,) = conf.body.statuses
    assert status.accepted and status.hash_alg is None
    check_cert_hash(status, _pem("user.pem"))
    assert conf.header.recip_nonce == ip.header.sender_nonce
    assert parse_message(vector("pkiconf.der")).type is BodyType.PKICONF


def test_openssl_kur_is_signed_by_the_old_certificate() -> None:
    message = parse_message(vector("kur.der"))
    assert protection_kind(message) is ProtectionKind.SIGNATURE
    signer = verify_signature(message)
    assert signer == _pem("user.pem")
    (request,) = message.body.requests  # type: ignore[union-attr]
    assert request.old_cert_id == CertId.of(signer)
    verify_pop(request)
    kup = parse_message(vector("kup.der"))
    assert verify_signature(kup, _pem("ca.pem")) == _pem("ca.pem")


def test_openssl_rr_and_rp() -> None:
    rr = parse_message(vector("rr.der"))
    verify_signature(rr)
    assert isinstance(rr.body, RevReqBody)
    (details,) = rr.body.requests
    assert (details.serial, details.issuer, details.reason) == (4660, _pem("ca.pem").subject, CrlReason.KEY_COMPROMISE)
    rp = parse_message(vector("rp.der"))
    assert isinstance(rp.body, RevRepBody)
    assert rp.body.statuses[0].accepted and rp.body.rev_certs == (CertId(_pem("ca.pem").subject, 4660),)


def test_openssl_error_and_genm() -> None:
    error = parse_message(vector("error.der"))
    assert isinstance(error.body, ErrorBody)
    assert error.body.status.fail_info == {FailInfo.BAD_REQUEST}
    assert error.body.status.text == ("error processing message",)
    assert error.body.error_code is not None
    genm = parse_message(vector("genm.der"))
    assert isinstance(genm.body, GenMsgBody) and genm.body.items[0].oid == ID_IT_SIGN_KEY_PAIR_TYPES


def test_tampered_vector_fails_protection() -> None:
    message = parse_message(vector("kur.der"))
    flipped = dataclasses.replace(message, protection=bytes([message.protection[0] ^ 1]) + message.protection[1:])  # type: ignore[index]
    with pytest.raises(CmpProtectionFailed):
        verify_signature(flipped)
    assert message.header.protection_alg is not None and message.header.protection_alg.oid != ID_PASSWORD_BASED_MAC


def test_reencoding_a_parsed_message_reproduces_it_without_protection() -> None:
    original = vector("genm.der")
    message = parse_message(original)
    again = parse_message(encode_message(message.header, message.body, extra_certs=message.extra_certs))
    assert (again.header, again.body, again.extra_certs) == (message.header, message.body, message.extra_certs)
