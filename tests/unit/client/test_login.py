"""The relying-party login client against a fake site (httpx MockTransport): what it sends, and how answers map."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from jointcert.client.login import SiteClient, SiteError, SiteUnreachable, verdict_from_dict
from jointcert.errors import ErrorKind, InvalidInput
from jointcert.npki.keyfile import PrivateKeyBundle, generate_bundle
from jointcert.rp import Check, CheckName, Reason, Verdict
from jointcert.rp.certinfo import summarize
from tests.unit.rp.pki import TestPki

CHALLENGE = "c" * 43


@pytest.fixture(scope="module")
def bundle() -> PrivateKeyBundle:
    return generate_bundle()


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki()


def verdict(pki: TestPki) -> Verdict:
    cert = pki.issue().cert
    checks = (Check.passed(CheckName.CHALLENGE), Check.failed(CheckName.REGISTRATION, Reason.NOT_REGISTERED))
    return Verdict(checks, summarize(cert), "saebit-bank", None)


def site(handler: Any) -> SiteClient:
    return SiteClient("http://site.test/rp/saebit-bank/", transport=httpx.MockTransport(handler))


def test_verdicts_survive_the_round_trip(pki: TestPki) -> None:
    original = verdict(pki)
    assert verdict_from_dict(json.loads(json.dumps(original.to_dict()))) == original
    with pytest.raises(SiteError):
        verdict_from_dict({"checks": [{"name": "nonsense"}]})


def test_login_signs_the_challenge_and_register_adds_r(pki: TestPki, bundle: PrivateKeyBundle) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    answer = verdict(pki).to_dict() | {"next": "register", "customer_name": None}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        sent.append((request.url.path, body))
        if request.url.path.endswith("/challenge"):
            return httpx.Response(200, json={"challenge": CHALLENGE, "institution": {"name": "새빛은행"}})
        return httpx.Response(200, json=answer)

    with site(handler) as client:
        result = client.login(b"cert-der", bundle)
        client.register(b"cert-der", bundle, name="홍길동", rrn="9001011234567")
    assert result.next == "register" and result.institution["name"] == "새빛은행"
    assert result.verdict.reason_code is Reason.NOT_REGISTERED
    paths = [path for path, _ in sent]
    api = "/rp/saebit-bank/api/"
    assert paths == [api + "challenge", api + "login", api + "challenge", api + "register"]
    login_body, register_body = sent[1][1], sent[3][1]
    signature = base64.b64decode(login_body["signature"])
    bundle.key.public_key().verify(signature, CHALLENGE.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert "random_num" not in login_body  # R only goes out to register
    assert base64.b64decode(register_body["random_num"]) == bundle.random_num
    assert register_body["rrn"] == "9001011234567" and register_body["name"] == "홍길동"


@pytest.mark.parametrize(("status", "kind"), [(404, ErrorKind.NOT_FOUND), (422, ErrorKind.INVALID),
                                              (503, ErrorKind.UNAVAILABLE)])  # fmt: skip
def test_problems_become_errors_of_their_kind(status: int, kind: ErrorKind, bundle: PrivateKeyBundle) -> None:
    problem = {"code": "unknown_site", "message_ko": "알 수 없는 기관입니다.", "message_en": "No such site."}
    with site(lambda request: httpx.Response(status, json=problem)) as client, pytest.raises(SiteError) as caught:
        client.login(b"cert", bundle)
    assert caught.value.kind is kind and caught.value.text_ko == "알 수 없는 기관입니다."


def test_unreachable_and_bad_urls(bundle: PrivateKeyBundle) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with site(refuse) as client, pytest.raises(SiteUnreachable):
        client.login(b"cert", bundle)
    with pytest.raises(InvalidInput):
        SiteClient("ftp://site.test/rp/x")
    with site(lambda request: httpx.Response(200, text="<html>")) as client, pytest.raises(SiteError):
        client.login(b"cert", bundle)
    without_r = PrivateKeyBundle(bundle.key, None)
    with site(lambda request: httpx.Response(500)) as client, pytest.raises(InvalidInput):
        client.register(b"cert", without_r, name="홍길동", rrn="9001011234567")
