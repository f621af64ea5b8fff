"""failInfo names, the R carrier, server/client helpers and error mapping."""

from __future__ import annotations

import pytest
from pyasn1_alt_modules import rfc9810

from jointcert.cmp.client import check_response, issued_certificate, request_header
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpError, CmpRejected, FailInfo, PkiStatus
from jointcert.cmp.http import CONTENT_TYPE
from jointcert.cmp.model import (
    BodyType,
    CertRepBody,
    CertResponse,
    CertTemplate,
    ErrorBody,
    Extension,
    PkiConfBody,
    PkiHeader,
    StatusInfo,
)
from jointcert.cmp.random_num import extract_random_num, random_num_extension, without_random_num
from jointcert.cmp.server import (
    cert_rep_body,
    error_body_for,
    error_response_for,
    response_header,
    status_info_for,
)
from jointcert.errors import Expired, Locked, NotFound, Unavailable
from jointcert.npki.oids import ID_KISA_RANDOM_NUM

from .factories import Pki


def test_fail_info_names_are_the_rfc_names() -> None:
    names = dict(rfc9810.PKIFailureInfo.namedValues.items())
    assert {bit.rfc_name: int(bit) for bit in FailInfo} == names
    assert FailInfo.from_rfc_name("badPOP") is FailInfo.BAD_POP


def test_random_num_carrier() -> None:
    ext = random_num_extension(bytes(20))
    assert ext == Extension(ID_KISA_RANDOM_NUM, False, b"\x03\x15\x00" + bytes(20))
    other = Extension("2.5.29.17", False, b"\x30\x00")
    template = CertTemplate(extensions=(other, ext))
    assert extract_random_num(template) == bytes(20)
    assert without_random_num(template) == (other,)
    assert extract_random_num(CertTemplate()) is None
    for bad in (b"\x04\x14" + bytes(20), b"\x03\x14\x00" + bytes(19), b"\x03\x15\x04" + bytes(20), b"\x03"):
        with pytest.raises(CmpError) as caught:
            extract_random_num(CertTemplate(extensions=(Extension(ID_KISA_RANDOM_NUM, False, bad),)))
        assert caught.value.fail_info is FailInfo.BAD_CERT_TEMPLATE
    with pytest.raises(CmpError):
        extract_random_num(CertTemplate(extensions=(ext, ext)))
    with pytest.raises(CmpError):
        random_num_extension(bytes(19))


@pytest.mark.parametrize(
    ("exc", "fail_info"),
    [
        (CmpError("x", fail_info=FailInfo.BAD_TIME), FailInfo.BAD_TIME),
        (Locked(), FailInfo.NOT_AUTHORIZED),
        (Expired(), FailInfo.NOT_AUTHORIZED),
        (NotFound(), FailInfo.BAD_CERT_ID),
        (Unavailable(), FailInfo.SYSTEM_UNAVAIL),
        (RuntimeError("secret internals"), FailInfo.SYSTEM_FAILURE),
    ],
)
def test_exceptions_map_to_fail_info(exc: BaseException, fail_info: FailInfo) -> None:
    status = status_info_for(exc)
    assert status.status is PkiStatus.REJECTION and status.fail_info == {fail_info}
    assert "secret internals" not in " ".join(error_body_for(exc).status.text)


def test_response_header_answers_the_request(pki: Pki) -> None:
    request = request_header(sender=pki.user_name, sender_kid=b"REF", pvno=3)
    answer = response_header(request, sender=pki.ca_cert.subject)
    assert (answer.transaction_id, answer.recip_nonce, answer.recipient, answer.pvno, answer.recip_kid) == (
        request.transaction_id,
        request.sender_nonce,
        pki.user_name,
        3,
        b"REF",
    )
    assert answer.sender_nonce not in (None, request.sender_nonce)


def test_client_checks_nonces_and_status(pki: Pki) -> None:
    request = request_header()
    other = parse_message(encode_message(response_header(request_header()), PkiConfBody()))
    with pytest.raises(CmpError) as caught:
        check_response(request, other)
    assert caught.value.fail_info is FailInfo.BAD_REQUEST
    wrong_nonce = parse_message(encode_message(PkiHeader(transaction_id=request.transaction_id), PkiConfBody()))
    with pytest.raises(CmpError) as caught:
        check_response(request, wrong_nonce)
    assert caught.value.fail_info is FailInfo.BAD_RECIPIENT_NONCE
    refused = CertRepBody(
        BodyType.IP, (CertResponse(0, StatusInfo(PkiStatus.REJECTION, frozenset({FailInfo.BAD_POP}), ("no",))),)
    )
    with pytest.raises(CmpRejected) as rejected:
        issued_certificate(parse_message(encode_message(response_header(request), refused)))
    assert rejected.value.fail_info is FailInfo.BAD_POP and rejected.value.details["fail_infos"] == ["badPOP"]
    with pytest.raises(CmpError):
        issued_certificate(parse_message(encode_message(response_header(request), cert_rep_body(BodyType.IP, []))))
    with pytest.raises(CmpError):
        cert_rep_body(BodyType.IR, [])


def test_a_rejection_keeps_the_english_and_the_korean_text_apart(pki: Pki) -> None:
    request = request_header()
    texts = ("The certificate can be renewed only within 30 days.", "인증서 갱신은 만료 30일 전부터 가능합니다.")
    refused = ErrorBody(StatusInfo(PkiStatus.REJECTION, frozenset({FailInfo.NOT_AUTHORIZED}), texts))
    with pytest.raises(CmpRejected) as rejected:
        check_response(request, parse_message(encode_message(response_header(request), refused)))
    assert rejected.value.text_en == texts[0] and rejected.value.text_ko == texts[1]
    plain = ErrorBody(StatusInfo(PkiStatus.REJECTION, frozenset({FailInfo.BAD_REQUEST})))
    with pytest.raises(CmpRejected) as rejected:
        check_response(request, parse_message(encode_message(response_header(request), plain)))
    assert rejected.value.text_en == "The CMP server rejected the request."
    assert rejected.value.text_ko == CmpRejected.message_ko


def test_http_constant() -> None:
    assert CONTENT_TYPE == "application/pkixcmp"


def _patched(der: bytes, old: bytes, new: bytes) -> bytes:
    assert der.count(old) == 1
    return der.replace(old, new)


def test_parse_errors_keep_the_header_for_the_error_response(pki: Pki) -> None:
    header = request_header(sender=pki.user_name)
    der = encode_message(header, PkiConfBody())
    v1 = _patched(der, der[4:9], der[4:8] + b"\x01")  # pvno INTEGER 2 → 1
    with pytest.raises(CmpError) as caught:
        parse_message(v1)
    assert caught.value.fail_info is FailInfo.UNSUPPORTED_VERSION
    assert caught.value.header is not None and caught.value.header.transaction_id == header.transaction_id
    answer = parse_message(error_response_for(caught.value))
    assert answer.header.transaction_id == header.transaction_id and answer.header.recip_nonce == header.sender_nonce
    assert answer.body.status.fail_info == {FailInfo.UNSUPPORTED_VERSION}  # type: ignore[union-attr]
    p10cr = _patched(der, b"\xb3\x02\x05\x00", b"\xa4\x02\x30\x00")  # pkiconf → p10cr
    with pytest.raises(CmpError) as caught:
        parse_message(p10cr)
    assert caught.value.fail_info in (FailInfo.BAD_REQUEST, FailInfo.BAD_DATA_FORMAT)
    assert caught.value.header is not None
