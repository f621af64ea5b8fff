"""The served /openapi.json (web/openapi_schema.py): problem bodies for every error, 413 on body routes, the
declared errors of the non-issuance routes, and the links that carry the session id + token and the relay
transfer id + receiver token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
SESSION = "/api/v1/issuance/sessions/{session_id}"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def test_every_error_response_is_a_problem(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "code",
        "message_ko",
        "message_en",
    ]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    errors = 0
    for path, method, op in _operations(spec):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                errors += 1
                assert list(response["content"]) == ["application/problem+json"], (path, method, status)
        if "requestBody" in op:
            assert "413" in op["responses"], (path, method)
    assert errors > 100


def test_declared_errors_of_the_other_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "404" in paths["/crl/{ca}.crl"]["get"]["responses"]
    assert "404" in paths["/ca/{ca}.crt"]["get"]["responses"]
    assert {"415", "429"} <= set(paths["/cmp"]["post"]["responses"])
    upload = paths["/api/v1/relay/transfers/{transfer_id}/payload"]["put"]["responses"]
    assert {"400", "401", "404", "409", "410", "423", "429"} <= set(upload)
    assert "404" in paths["/rp/{site}/api/login"]["post"]["responses"]
    assert "400" in paths["/bank/api/login"]["post"]["responses"]


def test_links_carry_the_session_id_and_token(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    links = spec["paths"]["/api/v1/issuance/sessions"]["post"]["responses"]["201"]["links"]
    steps = [op for path, _, op in _operations(spec) if path.startswith(SESSION)]
    assert len(steps) >= 20 and set(links) == {op["operationId"] for op in steps}
    for link in links.values():
        assert link["parameters"] == {
            "path.session_id": "$response.body#/session/session_id",
            "header.X-Issuance-Token": "$response.body#/token",
        }
    for op in steps:
        token = [p for p in op["parameters"] if p["in"] == "header" and p["name"] == "X-Issuance-Token"]
        assert token and token[0]["required"] is True


def test_links_carry_the_transfer_id_and_receiver_token(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    links = spec["paths"]["/api/v1/relay/transfers"]["post"]["responses"]["201"]["links"]
    assert len(links) == 4
    bearer = [link["parameters"] for link in links.values() if "header.authorization" in link["parameters"]]
    assert (
        bearer
        == [
            {
                "path.transfer_id": "$response.body#/id",
                "header.authorization": "Bearer {$response.body#/receiver_token}",
            }
        ]
        * 2
    )
