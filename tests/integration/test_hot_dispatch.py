"""The hot protocol endpoints (web/hot.py) answer ahead of the FastAPI router exactly as the router would: the same
status, body and headers (problem documents included), counted under the same route template, and an unexpected
error is still a 500 problem with the security headers."""

from __future__ import annotations

import base64
import os

import pytest
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.relay.model import ID_DIGITS, MIN_ITERATIONS
from jointcert.web.app import create_app
from jointcert.web.hot import PROTOCOL_ROUTES, HotDispatch, HotFront
from jointcert.web.metrics import Metrics
from jointcert.web.middleware import HardenedFastAPI
from jointcert.web.routes.service import state_reader

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
    for method, path, endpoint in PROTOCOL_ROUTES:
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
    ):
        assert dispatch.match(method, path) is None, (method, path)


def _same(hot: TestClient, routed: TestClient, method: str, path: str, **kwargs: object) -> None:
    a, b = hot.request(method, path, **kwargs), routed.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert a.status_code == b.status_code, (path, a.status_code, b.status_code)
    assert a.content == b.content or a.json() == b.json(), path
    headers_a = sorted((k, v) for k, v in a.headers.multi_items() if k not in _VARYING)
    headers_b = sorted((k, v) for k, v in b.headers.multi_items() if k not in _VARYING)
    assert headers_a == headers_b, path


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

    front = HotFront([], _metrics(services), services.clock.monotonic)
    with pytest.raises(TypeError, match="limit"):
        front.add("GET", "/crl/{ca}.crl", needs_a_query)


def _metrics(services: Services) -> Metrics:
    return Metrics(services.counters, state_reader(services))
