"""The certificate-response bodies (ip/cp/kup) are written with each certificate's own DER spliced in; the bytes
must be exactly those of the pyasn1 encoding of the same body (built here from the RFC 9810 module: every
certificate decoded and encoded again), and the message must parse back to the same certificates."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.cmp import _asn1 as a
from jointcert.cmp._encode import encode_body_der
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import FailInfo, PkiStatus
from jointcert.cmp.model import BodyType, CertRepBody, CertResponse, PkiHeader, StatusInfo

from .factories import Pki

_ACCEPTED = StatusInfo(PkiStatus.ACCEPTED)
_REFUSED = StatusInfo(PkiStatus.REJECTION, frozenset({FailInfo.BAD_POP, FailInfo.BAD_REQUEST}), ("거부됨", "refused"))


def _bodies(pki: Pki) -> list[CertRepBody]:
    user, ca, new = pki.user_cert, pki.ca_cert, pki.issue_for(pki.new_key.public_key(), serial=2**159 - 1)
    return [
        CertRepBody(BodyType.IP, (CertResponse(0, _ACCEPTED, new),)),
        CertRepBody(BodyType.CP, (CertResponse(0, _ACCEPTED, new), CertResponse(1, _ACCEPTED, user)), (ca, user)),
        CertRepBody(BodyType.KUP, (CertResponse(7, _REFUSED),)),
        CertRepBody(BodyType.IP, (CertResponse(2**40, _ACCEPTED, new, rsp_info=b"\x00" * 300),), (ca,)),
        CertRepBody(BodyType.IP, (CertResponse(0, StatusInfo(PkiStatus.WAITING)), CertResponse(-1, _REFUSED))),
        CertRepBody(BodyType.IP, ()),
    ]


def _certificate_into(slot: Any, cert: x509.Certificate) -> Any:
    decoded = a.decode(cert.public_bytes(Encoding.DER), a.rfc5280.Certificate(), "certificate")
    for name in ("tbsCertificate", "signatureAlgorithm", "signature"):
        slot[name] = decoded[name]
    return slot


def _pyasn1_encoding(body: CertRepBody) -> bytes:
    """The reference: the body as a pyasn1 PKIBody, encoded by pyasn1's DER encoder."""
    pki_body = a.rfc9810.PKIBody()
    content = pki_body[str(body.type)]
    for cert in body.ca_pubs:
        content["caPubs"].append(_certificate_into(a.rfc9810.CMPCertificate(), cert))
    for response in body.responses:
        item = a.rfc9810.CertResponse()
        item["certReqId"] = response.cert_req_id
        a.status_to(item["status"], response.status)
        if response.certificate is not None:
            _certificate_into(item["certifiedKeyPair"]["certOrEncCert"]["certificate"], response.certificate)
        if response.rsp_info is not None:
            item["rspInfo"] = response.rsp_info
        content["response"].append(item)
    return a.encode(pki_body)


@pytest.mark.parametrize("index", range(6))
def test_spliced_body_is_the_pyasn1_encoding_byte_for_byte(pki: Pki, index: int) -> None:
    body = _bodies(pki)[index]
    assert encode_body_der(body) == _pyasn1_encoding(body)


def test_a_spliced_message_parses_back_to_the_same_certificates(pki: Pki) -> None:
    body = _bodies(pki)[1]
    header = PkiHeader(sender=pki.ca_cert.subject, recipient=pki.user_name, transaction_id=b"t" * 16)
    parsed = parse_message(encode_message(header, body))
    assert isinstance(parsed.body, CertRepBody)
    assert parsed.body.ca_pubs == body.ca_pubs
    assert [r.certificate for r in parsed.body.responses] == [r.certificate for r in body.responses]
