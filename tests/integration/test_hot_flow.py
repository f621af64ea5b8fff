"""The issuance flow's JSON API through the hot dispatcher (web/hot_flow.py) answers exactly as the FastAPI router:
every route bound to the router's (status code, response model), malformed requests and refused steps with the
same status, problem document and headers, a whole issuance walked through the hot path, counted under the route
templates."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.web.app import create_app
from jointcert.web.hot_flow import FLOW_ROUTES
from jointcert.web.middleware import HardenedFastAPI
from tests.integration.issuance_flow import REQUIRED_TERMS, TOKEN, Flow, ra_services, rsa_key
from tests.integration.test_hot_dispatch import _dispatcher, _headers, served_routes

__all__ = ["ra_services"]

_API = "/api/v1/issuance"
_SESSION = "/api/v1/issuance/sessions/{session_id}"


@pytest.fixture
def both(ra_services: Services) -> tuple[TestClient, TestClient]:
    """The app as served (hot dispatch) and the same app with every request through FastAPI (sandbox mounted)."""
    routed = create_app(ra_services, sandbox=True)
    assert isinstance(routed, HardenedFastAPI)
    routed.front = None
    hot = create_app(ra_services, sandbox=True)
    return TestClient(hot, raise_server_exceptions=False), TestClient(routed, raise_server_exceptions=False)


def test_every_flow_route_is_bound_to_the_apps_route(both: tuple[TestClient, TestClient]) -> None:
    hot, _ = both
    paths = hot.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = {(r.method, r.path): r for r in [*_dispatcher(hot)._exact.values(), *_dispatcher(hot)._patterns]}
    for method, path, endpoint in FLOW_ROUTES:
        documented = paths.get(path)
        assert documented is not None and method.lower() in documented, (method, path)
        assert documented[method.lower()]["operationId"].startswith(endpoint.__name__), (path, endpoint)
        bound = routes[(method, path)]
        assert bound.response_field is not None, path  # serialized through the route's response model
        assert bound.status_code == (201 if path == f"{_API}/sessions" else None), path


def test_flow_paths_are_matched_and_the_rest_is_left_to_fastapi(both: tuple[TestClient, TestClient]) -> None:
    dispatch = _dispatcher(both[0])
    sid = "0123456789abcdef0123456789abcdef"
    for method, path, template in (
        ("POST", f"{_API}/sessions", f"{_API}/sessions"),
        ("GET", f"{_API}/terms", f"{_API}/terms"),
        ("GET", f"{_API}/sessions/{sid}", _SESSION),
        ("DELETE", f"{_API}/sessions/{sid}", _SESSION),
        ("POST", f"{_API}/sessions/{sid}/terms", f"{_SESSION}/terms"),
        ("POST", f"{_API}/sessions/{sid}/security-card/challenge", f"{_SESSION}/security-card/challenge"),
        ("POST", f"{_API}/sessions/{sid}/security-card", f"{_SESSION}/security-card"),
        ("GET", f"{_API}/sessions/{sid}/contact", f"{_SESSION}/contact"),
        ("POST", f"{_API}/sessions/{sid}/contact", f"{_SESSION}/contact"),
        ("POST", f"{_API}/sessions/{sid}/enrollment", f"{_SESSION}/enrollment"),
        ("POST", f"{_API}/sessions/{sid}/enrollment/confirm", f"{_SESSION}/enrollment/confirm"),
    ):
        found = dispatch.match(method, path)
        assert found is not None and found[0].path == template, (method, path)
    for method, path in (
        ("POST", f"{_API}/sessions/{sid}/ars/confirm"),  # its long poll takes ?wait=: the router's
        ("GET", f"{_API}/sessions/{sid}/fee-quote"),  # ?cert_type=
        ("HEAD", f"{_API}/sessions/{sid}"),
        ("PUT", f"{_API}/sessions/{sid}/terms"),  # 405 from FastAPI
        ("GET", f"{_API}/sessions/{sid}/terms"),
        ("POST", f"{_API}/sessions/{sid}/terms/extra"),
        ("POST", f"{_API}/sessions/"),
        ("GET", f"{_API}/sessions"),
    ):
        assert dispatch.match(method, path) is None, (method, path)


_JSON = {"Content-Type": "application/json"}
_TERMS_BODY = b'{"accepted": ["electronic-finance"]}'
_ENROLL_BODY = b'{"public_key": "AAAA", "random_num": "AAAA", "signature": "AAAA"}'
MALFORMED_STEPS: tuple[tuple[str, str, str, bytes, dict[str, str]], ...] = (
    # (case, method, path under the session ("" = the session itself; "/" prefix = absolute), body, headers)
    ("bad JSON", "POST", "/terms", b'{"accepted":', _JSON),
    ("bad JSON, later", "POST", "/terms", b'{"accepted": [],,}', _JSON),
    ("not UTF-8", "POST", "/terms", b'{"accepted": ["\xff\xfe"]}', _JSON),
    ("a JSON array", "POST", "/terms", b"[]", _JSON),
    ("JSON null", "POST", "/terms", b"null", _JSON),
    ("an empty object", "POST", "/terms", b"{}", _JSON),
    ("empty body", "POST", "/terms", b"", _JSON),
    ("accepted a string", "POST", "/terms", b'{"accepted": "electronic-finance"}', _JSON),
    ("too many terms", "POST", "/terms", b'{"accepted": [' + b",".join([b'"a"'] * 51) + b"]}", _JSON),
    ("an unknown field", "POST", "/terms", b'{"accepted": [], "extra": 1}', _JSON),
    ("text/plain", "POST", "/terms", _TERMS_BODY, {"Content-Type": "text/plain"}),
    ("a form", "POST", "/terms", b"accepted=x", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("no content type", "POST", "/terms", _TERMS_BODY, {}),
    ("+json content type", "POST", "/terms", b'{"accepted": 5}', {"Content-Type": "application/problem+json"}),
    ("huge body", "POST", "/terms", b'{"accepted": ["' + b"a" * 100_000 + b'"]}', _JSON),
    ("terms not all required", "POST", "/terms", _TERMS_BODY, _JSON),
    ("identity out of order", "POST", "/identity", b'{"user_id": "minjun88", "rrn": "9001011234567"}', _JSON),
    ("rrn too short", "POST", "/identity", b'{"user_id": "minjun88", "rrn": "123"}', _JSON),
    ("user_id too long", "POST", "/identity", b'{"user_id": "' + b"u" * 65 + b'", "rrn": "9001011234567"}', _JSON),
    ("pin a number", "POST", "/account", b'{"account_number": "110", "pin": 1234}', _JSON),
    ("card answer missing", "POST", "/security-card", b"{}", _JSON),
    ("pattern of strings", "POST", "/app-cert/pattern", b'{"pattern": ["a"]}', _JSON),
    ("email too long", "POST", "/contact", b'{"email": "' + b"e" * 255 + b'"}', _JSON),
    ("contact out of order", "GET", "/contact", b"", {}),
    ("cert_type empty", "POST", "/certificate-type", b'{"cert_type": ""}', _JSON),
    ("enrollment fields missing", "POST", "/enrollment", b'{"public_key": "AAAA"}', _JSON),
    ("enrollment out of order", "POST", "/enrollment", _ENROLL_BODY, _JSON),
    ("no token", "POST", "/abroad", b"{}", {**_JSON, TOKEN: ""}),
    ("a wrong token", "GET", "", b"", {TOKEN: "not-the-token"}),
    ("cancel with a wrong token", "DELETE", "", b"", {TOKEN: "x" * 43}),
    ("session id too long", "/POST", f"{_API}/sessions/{'a' * 65}/terms", _TERMS_BODY, _JSON),
    ("unknown session", "/GET", f"{_API}/sessions/{'0' * 32}/contact", b"", {}),
    ("start: app_logged_in a string", "/POST", f"{_API}/sessions", b'{"app_logged_in": "maybe"}', _JSON),
    ("start: logged in", "/POST", f"{_API}/sessions", b'{"app_logged_in": true}', _JSON),
    ("start: bad JSON", "/POST", f"{_API}/sessions", b"{", _JSON),
)


@pytest.mark.parametrize("case", MALFORMED_STEPS, ids=[case[0] for case in MALFORMED_STEPS])
def test_malformed_or_refused_steps_get_the_routers_problem(
    both: tuple[TestClient, TestClient], case: tuple[str, str, str, bytes, dict[str, str]]
) -> None:
    _, method, path, body, headers = case
    hot, routed = both
    flow = Flow(hot)
    assert flow.start().status_code == 201  # a real session in STARTED: refused steps change nothing
    if method.startswith("/"):
        method = method[1:]
    else:
        path = f"{flow.base}{path}"
        headers = {TOKEN: flow.token, **headers}
    assert _dispatcher(hot).match(method, path) is not None
    a = hot.request(method, path, content=body, headers=headers)
    b = routed.request(method, path, content=body, headers=headers)
    assert a.status_code >= 400, (a.status_code, a.text[:200])
    assert (a.status_code, a.content) == (b.status_code, b.content)
    assert a.headers["content-type"] == "application/problem+json"
    assert "message_ko" in a.json() or "errors" in a.json(), a.text[:300]  # Korean and English, or field errors
    assert _headers(a) == _headers(b)


def test_a_whole_issuance_goes_through_the_hot_path(
    both: tuple[TestClient, TestClient], ra_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = served_routes(monkeypatch)
    hot, routed = both
    flow = Flow(hot)
    issued, _ = flow.issue("jihopark", "security_card", "limited", rsa_key(0))
    assert issued["serial"] and issued["certificate"]
    for step in ("/terms", "/identity", "/account", "/security-card", "/contact", "/certificate-type"):
        assert f"{_SESSION}{step}" in served, step
    assert served[0] == f"{_API}/sessions" and served[-1] == f"{_SESSION}/enrollment/confirm"
    # the router's answer to the same question about the same session is the same document
    a, b = flow.call("GET", ""), Flow(routed, flow.session_id, flow.token).call("GET", "")
    assert a.status_code == b.status_code == 200 and a.json()["state"] == "issued"
    assert a.content == b.content
    started = hot.post(f"{_API}/sessions", json={"app_logged_in": False})
    assert started.status_code == 201  # the route's status code
    assert started.headers.get_list("content-length") == [str(len(started.content))]  # one, the body's
    assert a.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in a.headers["content-security-policy"]
    listed = hot.get(f"{_API}/terms")
    assert listed.status_code == 200 and {t["id"] for t in listed.json()} >= set(REQUIRED_TERMS)
    assert listed.content == routed.get(f"{_API}/terms").content
    metrics = hot.get("/metrics").text
    assert f'route="{_API}/sessions",status="201"' in metrics
    assert f'route="{_SESSION}/security-card",status="200"' in metrics


def test_a_wrong_account_pin_through_the_hot_path_counts_and_answers_as_the_router(
    both: tuple[TestClient, TestClient],
) -> None:
    hot, routed = both
    spec = demo_customer("minjun88").spec
    account = spec.accounts[0]
    remaining = []
    for client in (hot, routed):  # one wrong PIN each, against the same persisted counter
        flow = Flow(client)
        flow.to_identity_confirmed("minjun88")
        wrong = flow.post(
            "/account", {"account_number": account.number, "pin": "0000" if account.pin != "0000" else "1111"}
        )
        assert wrong.status_code in (401, 403), wrong.text
        assert wrong.headers["content-type"] == "application/problem+json"
        assert wrong.json()["code"] == "ra_wrong_credential" and wrong.json()["message_ko"]
        remaining.append(wrong.json()["remaining_attempts"])
    assert remaining[1] == remaining[0] - 1  # the hot path's attempt was counted where the router's is
