"""PBM and signature protection: bounds on peer parameters, algorithms, certificate choice."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import pytest

from jointcert.cmp.client import new_cert_request, request_header
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpError, CmpProtectionFailed, FailInfo
from jointcert.cmp.model import AlgorithmId, BodyType, CertReqBody, PkiConfBody, PkiMessage
from jointcert.cmp.oids import (
    ID_HMAC_SHA1,
    ID_HMAC_WITH_SHA1,
    ID_HMAC_WITH_SHA512,
    ID_SHA1,
    ID_SHA1_WITH_RSA,
    ID_SHA384,
    ID_SHA512,
)
from jointcert.cmp.protection import (
    PbmLimits,
    PbmParameters,
    PbmProtection,
    ProtectionKind,
    SignatureProtection,
    pbm_mac,
    pbm_parameters,
    protection_kind,
    verify_pbm,
    verify_signature,
)

from .factories import SECRET, Pki


def _with_params(message: PkiMessage, params: PbmParameters) -> PkiMessage:
    header = dataclasses.replace(message.header, protection_alg=params.algorithm())
    return dataclasses.replace(message, header=header)


def _pbm_message(protection: PbmProtection) -> PkiMessage:
    return parse_message(encode_message(request_header(sender_kid=b"REF"), PkiConfBody(), protection=protection))


def test_pbm_matches_the_rfc_4211_construction() -> None:
    params = PbmParameters(b"salt1234", ID_SHA1, 3, ID_HMAC_SHA1)
    key = hashlib.sha1(hashlib.sha1(hashlib.sha1(b"pw" + b"salt1234").digest()).digest()).digest()
    assert pbm_mac(b"pw", params, b"data") == hmac.new(key, b"data", hashlib.sha1).digest()


@pytest.mark.parametrize(
    ("owf", "mac"), [(ID_SHA1, ID_HMAC_WITH_SHA1), (ID_SHA384, ID_HMAC_SHA1), (ID_SHA512, ID_HMAC_WITH_SHA512)]
)
def test_pbm_variants_verify(owf: str, mac: str) -> None:
    message = _pbm_message(PbmProtection(SECRET, iterations=100, owf=owf, mac=mac))
    assert protection_kind(message) is ProtectionKind.PBM
    verify_pbm(message, SECRET)
    with pytest.raises(CmpProtectionFailed):
        verify_pbm(message, SECRET + b"x")


@pytest.mark.parametrize(
    ("params", "fail_info"),
    [
        (PbmParameters(b"s" * 16, ID_SHA1, 2**31 - 1, ID_HMAC_SHA1), FailInfo.BAD_MESSAGE_CHECK),
        (PbmParameters(b"s" * 16, ID_SHA1, 10_001, ID_HMAC_SHA1), FailInfo.BAD_MESSAGE_CHECK),
        (PbmParameters(b"s" * 16, ID_SHA1, 99, ID_HMAC_SHA1), FailInfo.BAD_MESSAGE_CHECK),
        (PbmParameters(b"s" * 16, ID_SHA1, 0, ID_HMAC_SHA1), FailInfo.BAD_MESSAGE_CHECK),
        (PbmParameters(b"s" * 16, ID_SHA1, -5, ID_HMAC_SHA1), FailInfo.BAD_MESSAGE_CHECK),
        (PbmParameters(b"s", ID_SHA1, 500, ID_HMAC_SHA1), FailInfo.BAD_MESSAGE_CHECK),
        (PbmParameters(b"s" * 16, "1.2.840.113549.2.5", 500, ID_HMAC_SHA1), FailInfo.BAD_ALG),  # md5
        (PbmParameters(b"s" * 16, ID_SHA1, 500, "1.2.3.4"), FailInfo.BAD_ALG),
    ],
)
def test_absurd_or_unknown_peer_parameters_are_refused_before_any_hashing(
    params: PbmParameters, fail_info: FailInfo
) -> None:
    message = _with_params(_pbm_message(PbmProtection(SECRET)), params)
    with pytest.raises(CmpError) as caught:
        verify_pbm(message, SECRET)
    assert caught.value.fail_info is fail_info
    assert not isinstance(caught.value, CmpProtectionFailed)


def test_limits_are_configurable() -> None:
    message = _pbm_message(PbmProtection(SECRET, iterations=20_000))
    with pytest.raises(CmpError):
        verify_pbm(message, SECRET)
    verify_pbm(message, SECRET, limits=PbmLimits(max_iterations=20_000))
    long_salt = _pbm_message(PbmProtection(SECRET, salt_length=64))
    verify_pbm(long_salt, SECRET)
    with pytest.raises(CmpError) as caught:
        verify_pbm(long_salt, SECRET, limits=PbmLimits(max_salt=32))
    assert caught.value.fail_info is FailInfo.BAD_MESSAGE_CHECK


def test_wrong_protection_kind_and_garbage_parameters(pki: Pki) -> None:
    signed = parse_message(
        encode_message(request_header(), PkiConfBody(), protection=SignatureProtection(pki.user_key, pki.user_cert))
    )
    with pytest.raises(CmpError) as caught:
        verify_pbm(signed, SECRET)
    assert caught.value.fail_info is FailInfo.WRONG_INTEGRITY
    unprotected = parse_message(encode_message(request_header(), PkiConfBody()))
    assert protection_kind(unprotected) is ProtectionKind.NONE
    with pytest.raises(CmpError):
        verify_signature(unprotected)
    garbage = dataclasses.replace(
        _pbm_message(PbmProtection(SECRET)),
        header=dataclasses.replace(unprotected.header, protection_alg=AlgorithmId("1.2.840.113533.7.66.13", b"\x30")),
    )
    with pytest.raises(CmpError) as caught:
        verify_pbm(garbage, SECRET)
    assert caught.value.fail_info is FailInfo.BAD_DATA_FORMAT
    unknown = dataclasses.replace(
        garbage, header=dataclasses.replace(garbage.header, protection_alg=AlgorithmId("1.2.3"))
    )
    with pytest.raises(CmpError) as caught:
        protection_kind(unknown)
    assert caught.value.fail_info is FailInfo.BAD_ALG


def test_signature_needs_the_sender_certificate(pki: Pki) -> None:
    header = request_header(sender=pki.user_name)
    body = CertReqBody(BodyType.KUR, (new_cert_request(pki.new_key, subject=pki.user_name),))
    der = encode_message(header, body, protection=SignatureProtection(pki.user_key, pki.user_cert))
    message = parse_message(der)
    assert verify_signature(message) == pki.user_cert
    with pytest.raises(CmpProtectionFailed):
        verify_signature(message, pki.ca_cert)  # pinned certificate with another key
    swapped = dataclasses.replace(message, extra_certs=(pki.ca_cert,))
    with pytest.raises(CmpProtectionFailed):
        verify_signature(swapped)  # first extraCert does not name the sender
    with pytest.raises(CmpProtectionFailed) as caught:
        verify_signature(dataclasses.replace(message, extra_certs=()))
    assert caught.value.fail_info is FailInfo.SIGNER_NOT_TRUSTED


def test_sha1_signatures_are_refused(pki: Pki) -> None:
    message = parse_message(
        encode_message(request_header(), PkiConfBody(), protection=SignatureProtection(pki.user_key, pki.user_cert))
    )
    sha1 = dataclasses.replace(
        message, header=dataclasses.replace(message.header, protection_alg=AlgorithmId(ID_SHA1_WITH_RSA, b"\x05\x00"))
    )
    with pytest.raises(CmpError) as caught:
        verify_signature(sha1)
    assert caught.value.fail_info is FailInfo.BAD_ALG


def test_pbm_parameters_reject_non_pbm() -> None:
    with pytest.raises(CmpError) as caught:
        pbm_parameters(AlgorithmId("1.2.840.113549.1.1.11"))
    assert caught.value.fail_info is FailInfo.WRONG_INTEGRITY
