"""Proof of possession: verification, exposed bytes, refusals."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from jointcert.cmp.client import new_cert_request, request_header
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpError, CmpPopFailed, FailInfo
from jointcert.cmp.model import AlgorithmId, BodyType, CertReqBody, CertRequest, Pop, PopKind
from jointcert.cmp.oids import ID_ECDSA_WITH_SHA256, ID_SHA1_WITH_RSA
from jointcert.cmp.pop import pop_signature, sign_cert_request, verify_pop

from .factories import Pki


def _parsed(request: CertRequest) -> CertRequest:
    der = encode_message(request_header(), CertReqBody(BodyType.IR, (request,)))
    return parse_message(der).body.requests[0]  # type: ignore[union-attr]


def test_pop_verifies_and_maps_onto_a_signature_proof(pki: Pki) -> None:
    request = _parsed(new_cert_request(pki.new_key, subject=pki.user_name))
    proof = verify_pop(request)
    assert (proof.message, proof.signature) == (request.der, request.pop.signature)  # type: ignore[union-attr]
    assert pop_signature(request) == proof


def test_ecdsa_pop(pki: Pki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    request = _parsed(new_cert_request(key, subject=pki.user_name))
    assert verify_pop(request).algorithm == AlgorithmId(ID_ECDSA_WITH_SHA256)


def test_pop_by_another_key_or_over_another_template_fails(pki: Pki) -> None:
    genuine = new_cert_request(pki.new_key, subject=pki.user_name)
    other_key = sign_cert_request(dataclasses.replace(genuine, pop=None), pki.user_key)
    with pytest.raises(CmpPopFailed) as caught:
        verify_pop(_parsed(other_key))
    assert caught.value.fail_info is FailInfo.BAD_POP
    swapped = dataclasses.replace(
        genuine, template=dataclasses.replace(genuine.template, subject=pki.ca_cert.subject)
    )  # the signature was over the old subject
    with pytest.raises(CmpPopFailed):
        verify_pop(_parsed(swapped))


def test_missing_or_unsupported_pop_is_refused(pki: Pki) -> None:
    genuine = new_cert_request(pki.new_key, subject=pki.user_name)
    for pop in (None, Pop(PopKind.RA_VERIFIED)):
        with pytest.raises(CmpPopFailed) as caught:
            verify_pop(_parsed(dataclasses.replace(genuine, pop=pop)))
        assert caught.value.fail_info is FailInfo.BAD_POP
    assert genuine.pop is not None
    sha1 = dataclasses.replace(
        genuine, pop=dataclasses.replace(genuine.pop, algorithm=AlgorithmId(ID_SHA1_WITH_RSA, b"\x05\x00"))
    )
    with pytest.raises(CmpError) as caught2:
        verify_pop(_parsed(sha1))
    assert caught2.value.fail_info is FailInfo.BAD_ALG
    no_key = dataclasses.replace(genuine, template=dataclasses.replace(genuine.template, public_key=None))
    with pytest.raises(CmpPopFailed) as caught3:
        verify_pop(_parsed(no_key))
    assert caught3.value.fail_info is FailInfo.BAD_CERT_TEMPLATE
    with pytest.raises(CmpPopFailed):
        pop_signature(dataclasses.replace(genuine, der=b""))  # built here, never parsed
