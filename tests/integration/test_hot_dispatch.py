"""The hot endpoints (web/hot.py: protocol endpoints and certificate logins) answer ahead of the FastAPI router
exactly as the router would: the same status, body and headers (problem documents included, malformed JSON bodies
among them), counted under the same route template, and an unexpected error is still a 500 problem with the security
headers."""

from __future__ import annotations

import base64
import os
from typing import Annotated, Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import Form
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from jointcert.app import Services
from jointcert.relay.model import ID_DIGITS, MIN_ITERATIONS
from jointcert.types import CertType
from jointcert.web.app import create_app
from jointcert.web.hot import HOT_ROUTES, HotDispatch, HotFront
from jointcert.web.metrics import Metrics
from jointcert.web.middleware import HardenedFastAPI
from jointcert.web.routes.service import state_reader
from tests.unit.ca.factories import make_request

_VARYING = {"date", "content-length"}


@pytest.fixture
def both(services: Services) -> tuple[TestClient, TestClient]:
    """The app as served (hot dispatch) and the same app with every request through FastAPI."""
    routed = create_app(services)
    assert isinstance(routed, HardenedFastAPI)
    routed.front = None
    return TestClient(create_app(services), raise_server_exceptions=False), TestClient(
        routed, raise_server_exceptions=False
    )


def _headers(response: Any) -> list[tuple[str, str]]:
    """The response's headers but those that vary between two identical answers, sorted."""
    return sorted((k, v) for k, v in response.headers.multi_items() if k not in _VARYING)


def served_routes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that collects the route path of every request the hot dispatcher serves from now on."""
    served: list[str] = []
    serve = HotDispatch.serve

    async def counting(self: HotDispatch, scope: Scope, receive: Receive, send: Send) -> None:
        served.append(scope["route"].path)
        await serve(self, scope, receive, send)

    monkeypatch.setattr(HotDispatch, "serve", counting)
    return served


def _dispatcher(client: TestClient) -> HotDispatch:
    with client:  # builds the middleware stack
        client.get("/healthz")
    stack = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(stack, HotDispatch):
        stack = stack.app
    return stack


def test_every_hot_route_is_a_route_of_the_app(services: Services) -> None:
    app = create_app(services)
    paths = app.openapi()["paths"]
    for method, path, endpoint in HOT_ROUTES:
        documented = paths.get(path.replace(":path}", "}"))
        assert documented is not None, path
        assert method.lower() in documented, (method, path)
        assert documented[method.lower()]["operationId"].startswith(endpoint.__name__), (path, endpoint)


def test_hot_paths_are_matched_and_the_rest_is_left_to_fastapi(both: tuple[TestClient, TestClient]) -> None:
    dispatch = _dispatcher(both[0])
    taken = {
        ("POST", "/ocsp"): "/ocsp",
        ("GET", "/ocsp/MAA%2F="): "/ocsp/{encoded:path}",
        ("GET", "/ocsp/a/b/"): "/ocsp/{encoded:path}",
        ("GET", "/crl/class1.crl"): "/crl/{ca}.crl",
        ("GET", "/crl/class1/p3.crl"): "/crl/{ca}/{partition}.crl",
        ("POST", "/cmp"): "/cmp",
        ("POST", "/.well-known/cmp"): "/.well-known/cmp",
        ("GET", "/api/v1/relay/transfers/123456"): "/api/v1/relay/transfers/{transfer_id}",
        ("POST", "/rp/gov-portal/api/challenge"): "/rp/{site}/api/challenge",
        ("POST", "/rp/gov-portal/api/login"): "/rp/{site}/api/login",
    }
    for (method, path), template in taken.items():
        found = dispatch.match(method, path)
        assert found is not None and found[0].path == template, (method, path)
    for method, path in (
        ("GET", "/ocsp"),  # 405 from FastAPI
        ("HEAD", "/crl/class1.crl"),
        ("GET", "/crl/a/b/c.crl"),
        ("PUT", "/api/v1/relay/transfers/123456/payload"),
        ("GET", "/api/v1/relay/config"),
        ("GET", "/healthz"),
        ("POST", "/rp/gov-portal/api/register"),
        ("GET", "/rp/gov-portal"),
    ):
        assert dispatch.match(method, path) is None, (method, path)


def _same(hot: TestClient, routed: TestClient, method: str, path: str, **kwargs: object) -> None:
    a, b = hot.request(method, path, **kwargs), routed.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert a.status_code == b.status_code, (path, a.status_code, b.status_code)
    assert a.content == b.content or a.json() == b.json(), path
    assert _headers(a) == _headers(b), path


def test_hot_answers_equal_the_routers(both: tuple[TestClient, TestClient]) -> None:
    hot, routed = both
    for path in ("/crl/class1.crl", "/crl/root.crl", "/crl/nope.crl", "/crl/class1/p0.crl", "/crl/class1/x.crl"):
        _same(hot, routed, "GET", path)
    for path in ("/ocsp/", "/ocsp/!!!", "/ocsp/" + base64.b64encode(b"\x30\x03\x02\x01\x00").decode()):
        _same(hot, routed, "GET", path)  # malformed requests: the same unsigned OCSP error bytes
    _same(hot, routed, "POST", "/ocsp", content=b"")
    _same(hot, routed, "POST", "/ocsp", content=os.urandom(9 * 1024))  # over the limit: the 413 problem
    _same(hot, routed, "POST", "/cmp", content=b"x", headers={"Content-Type": "text/plain"})  # 415
    _same(hot, routed, "POST", "/.well-known/cmp", content=b"x" * (33 * 1024), headers={"Content-Type": "x"})
    _same(hot, routed, "GET", "/api/v1/relay/transfers/000000")  # 404 problem from the relay's error


def test_hot_relay_status_is_the_routers_model(both: tuple[TestClient, TestClient]) -> None:
    hot, routed = both
    salt, verifier = base64.b64encode(os.urandom(16)).decode(), base64.b64encode(os.urandom(32)).decode()
    body = {"id": "7" * ID_DIGITS, "kdf": {"iterations": MIN_ITERATIONS, "salt": salt}, "verifier": verifier}
    created = hot.post("/api/v1/relay/transfers", json=body)
    assert created.status_code == 201, created.text
    transfer = created.json()["id"]
    a, b = hot.get(f"/api/v1/relay/transfers/{transfer}"), routed.get(f"/api/v1/relay/transfers/{transfer}")
    assert a.status_code == b.status_code == 200
    assert a.headers["cache-control"] == b.headers["cache-control"] == "no-store"
    assert a.headers["content-type"] == b.headers["content-type"]
    left_a, left_b = a.json().pop("seconds_left"), b.json().pop("seconds_left")
    assert abs(left_a - left_b) <= 1
    assert {k: v for k, v in a.json().items() if k != "seconds_left"} == {
        k: v for k, v in b.json().items() if k != "seconds_left"
    }


def test_hot_requests_are_counted_under_the_route_template(both: tuple[TestClient, TestClient]) -> None:
    hot, _ = both
    assert hot.get("/crl/class1.crl").status_code == 200
    assert hot.get("/crl/nope.crl").status_code == 404
    metrics = hot.get("/metrics").text
    assert 'jointcert_http_requests_total{method="GET",route="/crl/{ca}.crl",status="200"} 1.0' in metrics
    assert 'jointcert_http_requests_total{method="GET",route="/crl/{ca}.crl",status="404"} 1.0' in metrics


def test_an_unexpected_error_is_a_500_problem_with_the_security_headers(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(slug: str) -> object:
        raise RuntimeError(f"boom {slug}")

    monkeypatch.setattr(services.crl, "current", broken)
    client = TestClient(create_app(services), raise_server_exceptions=False)
    answer = client.get("/crl/class1.crl")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "internal_error" and "boom" not in answer.text
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert 'route="/crl/{ca}.crl",status="500"' in client.get("/metrics").text


def test_a_hot_endpoint_with_parameters_it_cannot_be_given_is_refused(services: Services) -> None:
    def needs_a_query(ca: str, limit: int) -> None:
        del ca, limit

    def needs_a_form(site: str, field: Annotated[str, Form()]) -> None:
        del site, field

    front = HotFront([], _metrics(services), services.clock.monotonic)
    with pytest.raises(TypeError, match="limit"):
        front.add("GET", "/crl/{ca}.crl", needs_a_query)
    with pytest.raises(TypeError, match="field"):  # a form body would be read as JSON
        front.add("POST", "/rp/{site}/api/login", needs_a_form)


def _metrics(services: Services) -> Metrics:
    return Metrics(services.counters, state_reader(services))


_LOGIN = "/rp/gov-portal/api/login"
_JSON = {"Content-Type": "application/json"}
_VALID = b'{"challenge": "abc", "certificate": "AAAA", "signature": "AAAA"}'
MALFORMED_LOGINS: tuple[tuple[str, str, bytes, dict[str, str]], ...] = (
    ("bad JSON", _LOGIN, b'{"challenge":', _JSON),
    ("bad JSON, later", _LOGIN, b'{"challenge": "a",,}', _JSON),
    ("not UTF-8", _LOGIN, b'{"challenge": "\xff\xfe"}', _JSON),
    ("a JSON array", _LOGIN, b"[]", _JSON),
    ("a JSON string", _LOGIN, b'"abc"', _JSON),
    ("JSON null", _LOGIN, b"null", _JSON),
    ("an empty object", _LOGIN, b"{}", _JSON),
    ("empty body", _LOGIN, b"", _JSON),
    ("challenge a number", _LOGIN, b'{"challenge": 5, "certificate": "AAAA", "signature": "AAAA"}', _JSON),
    ("challenge empty", _LOGIN, b'{"challenge": "", "certificate": "AAAA", "signature": "AAAA"}', _JSON),
    ("challenge too long", _LOGIN, b'{"challenge": "' + b"a" * 129 + b'", "signature": "AAAA"}', _JSON),
    ("certificate a list", _LOGIN, b'{"challenge": "abc", "certificate": ["AAAA"], "signature": "AAAA"}', _JSON),
    ("an unknown field", _LOGIN, b'{"challenge": "abc", "signed_data": "AAAA", "extra": 1}', _JSON),
    ("text/plain", _LOGIN, _VALID, {"Content-Type": "text/plain"}),
    ("a form", _LOGIN, b"challenge=abc", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("no content type", _LOGIN, _VALID, {}),
    ("+json content type", _LOGIN, b'{"challenge": 5}', {"Content-Type": "application/problem+json; charset=utf-8"}),
    ("huge body", _LOGIN, b'{"challenge": "' + b"a" * 2_000_000 + b'"}', _JSON),
    ("neither certificate nor signed_data", _LOGIN, b'{"challenge": "abc"}', _JSON),
    ("certificate not base64", _LOGIN, b'{"challenge": "abc", "certificate": "!!", "signature": "AAAA"}', _JSON),
    ("site with bad characters", "/rp/Gov_Portal!/api/login", _VALID, _JSON),
    ("site too long", "/rp/" + "a" * 65 + "/api/login", _VALID, _JSON),
    ("unknown site", "/rp/no-such-site/api/login", _VALID, _JSON),
    ("challenge, unknown site", "/rp/no-such-site/api/challenge", b"", {}),
    ("challenge, bad site", "/rp/NO_SUCH/api/challenge", b"{}", _JSON),
)


@pytest.mark.parametrize("case", MALFORMED_LOGINS, ids=[case[0] for case in MALFORMED_LOGINS])
def test_malformed_logins_get_the_routers_problem(
    both: tuple[TestClient, TestClient], case: tuple[str, str, bytes, dict[str, str]]
) -> None:
    _, path, body, headers = case
    hot, routed = both
    assert _dispatcher(hot).match("POST", path) is not None or "/api/" not in path
    a = hot.post(path, content=body, headers=headers)
    b = routed.post(path, content=body, headers=headers)
    assert a.status_code >= 400, (a.status_code, a.text[:200])
    assert (a.status_code, a.content) == (b.status_code, b.content)
    assert _headers(a) == _headers(b)


def test_a_real_login_goes_through_the_hot_path(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    served = served_routes(monkeypatch)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = services.authority.issue(make_request(key, cert_type=CertType.GENERAL)).certificate
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        issued = client.post("/rp/gov-portal/api/challenge")
        assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
        assert (
            "jc_rp_session=" in issued.headers["set-cookie"] and "Path=/rp/gov-portal" in issued.headers["set-cookie"]
        )
        assert issued.json()["institution"]["id"] == "gov-portal"
        challenge = issued.json()["challenge"]
        signature = key.sign(challenge.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        der = certificate.public_bytes(serialization.Encoding.DER)
        body = {"challenge": challenge, "certificate": _b64(der), "signature": _b64(signature)}
        verdict = client.post("/rp/gov-portal/api/login", json=body)
        assert verdict.status_code == 200 and verdict.json()["accepted"], verdict.text
        replayed = client.post("/rp/gov-portal/api/login", json=body)
        assert replayed.status_code == 200 and not replayed.json()["accepted"]  # the challenge is single-use
    assert served == ["/rp/{site}/api/challenge", "/rp/{site}/api/login", "/rp/{site}/api/login"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
