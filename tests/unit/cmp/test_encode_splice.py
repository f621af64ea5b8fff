"""The certificate-response bodies (ip/cp/kup) are written with each certificate's own DER spliced in; the bytes
must be exactly those of the pyasn1 encoding of the same body (which decodes every certificate and encodes it
again), and the message must parse back to the same certificates."""

from __future__ import annotations

import pytest

from jointcert.cmp import _asn1 as a
from jointcert.cmp._encode import encode_body, encode_body_der
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


@pytest.mark.parametrize("index", range(6))
def test_spliced_body_is_the_pyasn1_encoding_byte_for_byte(pki: Pki, index: int) -> None:
    body = _bodies(pki)[index]
    assert encode_body_der(body) == a.encode(encode_body(body))


def test_a_spliced_message_parses_back_to_the_same_certificates(pki: Pki) -> None:
    body = _bodies(pki)[1]
    header = PkiHeader(sender=pki.ca_cert.subject, recipient=pki.user_name, transaction_id=b"t" * 16)
    parsed = parse_message(encode_message(header, body))
    assert isinstance(parsed.body, CertRepBody)
    assert parsed.body.ca_pubs == body.ca_pubs
    assert [r.certificate for r in parsed.body.responses] == [r.certificate for r in body.responses]
