"""The wallet protocol's relying-party side: a response is accepted only for this client id, origin, kind and
session's challenge (once), with every certificate check; a document signature must cover the document it holds."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from jointcert.rp import ChallengeService, CheckName, Status, Verifier
from jointcert.rp.policy import DEMO_GOV
from jointcert.rp.wallet import (
    DocumentToSign,
    InvalidWalletResponse,
    WalletKind,
    WalletResponse,
    WalletResponseVerifier,
    build_request,
)
from tests.unit.rp.pki import RRN, EndEntity, R, TestPki

ORIGIN = "https://portal.example"
DOCUMENT = "민원 신청서: 주민등록표 등본 1통".encode()


def detached(ee: EndEntity, data: bytes) -> bytes:
    """What the wallet page makes: detached CMS SignedData with signed attributes (cryptography's builder here)."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(ee.cert, ee.key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


def response(ee: EndEntity, challenge: str, **changes: Any) -> dict[str, Any]:
    """A version-1 response as the wallet page returns it; ``changes`` alter the binding before signing."""
    binding: dict[str, Any] = {
        "v": 1,
        "type": "jointcert-wallet-binding",
        "kind": "login",
        "client_id": DEMO_GOV,
        "origin": ORIGIN,
        "challenge": challenge,
        "wallet": "https://bank.example",
        "signed_at": "2026-11-25T00:00:00.000Z",
    }
    document = changes.pop("document_bytes", None)
    binding.update(changes)
    raw = json.dumps(binding, ensure_ascii=False).encode()
    out = {
        "v": 1,
        "type": "jointcert-wallet-response",
        "status": "ok",
        "request_id": "r",
        "binding": base64.b64encode(raw).decode(),
        "signed_data": base64.b64encode(detached(ee, raw)).decode(),
    }
    if document is not None:
        out["document_signature"] = base64.b64encode(detached(ee, document)).decode()
    return out


@pytest.fixture
def gov(make_verifier: Callable[..., Verifier]) -> WalletResponseVerifier:
    return WalletResponseVerifier(make_verifier(DEMO_GOV), client_id=DEMO_GOV, origin=ORIGIN)


def test_a_login_response_is_accepted_once(
    gov: WalletResponseVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    ee = pki.issue()
    challenge = challenges.issue(DEMO_GOV, "s1").value
    parsed = WalletResponse.from_json(response(ee, challenge))
    verdict = gov.verify(parsed, session_id="s1")
    assert verdict.accepted, verdict.to_dict()
    assert [c.name for c in verdict.checks][:3] == [CheckName.BINDING, CheckName.CHALLENGE, CheckName.SIGNATURE]
    assert gov.verify(parsed, session_id="s1").reason_code == "challenge_replayed"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"origin": "https://evil.example"}, "binding_mismatch"),
        ({"client_id": "purun-card"}, "binding_mismatch"),
        ({"kind": "sign"}, "binding_mismatch"),
        ({"v": 2}, "binding_mismatch"),
    ],
)
def test_a_response_for_another_party_or_kind_is_refused(
    gov: WalletResponseVerifier, challenges: ChallengeService, pki: TestPki, change: dict[str, Any], reason: str
) -> None:
    challenge = challenges.issue(DEMO_GOV, "s1").value
    verdict = gov.verify(WalletResponse.from_json(response(pki.issue(), challenge, **change)), session_id="s1")
    assert verdict.reason_code == reason
    assert not verdict.accepted
    # the challenge was not burned by a response meant for someone else
    assert gov.verify(WalletResponse.from_json(response(pki.issue(), challenge)), session_id="s1").accepted


def test_another_session_or_a_swapped_binding_is_refused(
    gov: WalletResponseVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    ee = pki.issue()
    mine = challenges.issue(DEMO_GOV, "s1").value
    assert gov.verify(WalletResponse.from_json(response(ee, mine)), session_id="s2").reason_code == "challenge_mismatch"
    signed = response(ee, challenges.issue(DEMO_GOV, "s1").value)
    other = response(ee, challenges.issue(DEMO_GOV, "s1").value)
    swapped = WalletResponse.from_json({**signed, "binding": other["binding"]})  # signature over another binding
    verdict = gov.verify(swapped, session_id="s1")
    assert verdict.check(CheckName.SIGNATURE).status is Status.FAILED  # type: ignore[union-attr]


def test_vid_with_the_resident_number_the_party_holds(
    gov: WalletResponseVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    ee = pki.issue()
    with_r = {**response(ee, challenges.issue(DEMO_GOV, "s1").value), "random_num": base64.b64encode(R).decode()}
    assert gov.verify(WalletResponse.from_json(with_r), session_id="s1", rrn=RRN).accepted
    wrong = {**response(ee, challenges.issue(DEMO_GOV, "s1").value), "random_num": base64.b64encode(R).decode()}
    verdict = gov.verify(WalletResponse.from_json(wrong), session_id="s1", rrn="8001011234568")
    assert verdict.reason_code == "vid_mismatch"


def test_document_signature(gov: WalletResponseVerifier, challenges: ChallengeService, pki: TestPki) -> None:
    ee = pki.issue()

    def signed(document: bytes, named: bytes = DOCUMENT) -> WalletResponse:
        challenge = challenges.issue(DEMO_GOV, "s1").value
        named_digest = base64.b64encode(hashlib.sha256(named).digest()).decode()
        return WalletResponse.from_json(
            response(ee, challenge, kind="sign", document={"sha256": named_digest}, document_bytes=document)
        )

    good = gov.verify(signed(DOCUMENT), session_id="s1", kind=WalletKind.SIGN, document=DOCUMENT)
    assert good.accepted, good.to_dict()
    assert good.check(CheckName.DOCUMENT).status is Status.PASSED  # type: ignore[union-attr]
    for bad in (
        gov.verify(signed(b"another document"), session_id="s1", kind=WalletKind.SIGN, document=DOCUMENT),
        gov.verify(signed(DOCUMENT, b"x"), session_id="s1", kind=WalletKind.SIGN, document=DOCUMENT),
        gov.verify(signed(DOCUMENT), session_id="s1", kind=WalletKind.SIGN, document=DOCUMENT + b"."),
    ):
        assert bad.reason_code == "document_mismatch"


def test_document_signed_by_another_key_is_refused(
    gov: WalletResponseVerifier, challenges: ChallengeService, pki: TestPki
) -> None:
    ee, other = pki.issue(), pki.issue(key_index=4)
    named = base64.b64encode(hashlib.sha256(DOCUMENT).digest()).decode()
    body = response(ee, challenges.issue(DEMO_GOV, "s1").value, kind="sign", document={"sha256": named})
    body["document_signature"] = base64.b64encode(detached(other, DOCUMENT)).decode()
    verdict = gov.verify(WalletResponse.from_json(body), session_id="s1", kind=WalletKind.SIGN, document=DOCUMENT)
    assert verdict.reason_code == "document_mismatch"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"v": 1},
        {"v": 1, "type": "jointcert-wallet-response", "status": "error"},
        {"v": 1, "type": "jointcert-wallet-response", "status": "ok", "binding": "%%", "signed_data": "AA=="},
        {"v": 1, "type": "jointcert-wallet-response", "status": "ok", "binding": "AA==", "signed_data": 5},
    ],
)
def test_malformed_responses_are_input_errors(body: object) -> None:
    with pytest.raises(InvalidWalletResponse):
        WalletResponse.from_json(body)


def test_build_request() -> None:
    document = DocumentToSign(hashlib.sha256(DOCUMENT).digest(), "신청서", "a.txt")
    request = build_request(
        client_id=DEMO_GOV,
        origin=ORIGIN,
        challenge="c" * 43,
        kind=WalletKind.SIGN,
        cert_types=("general",),
        document=document,
    )
    assert request["v"] == 1 and request["type"] == "jointcert-wallet-request" and request["kind"] == "sign"
    assert base64.b64decode(request["document"]["sha256"]) == hashlib.sha256(DOCUMENT).digest()
    with pytest.raises(ValueError, match="document"):
        build_request(client_id=DEMO_GOV, origin=ORIGIN, challenge="c", kind=WalletKind.LOGIN, document=document)
