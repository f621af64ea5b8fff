"""The served ``/openapi.json``: FastAPI's schema, made true to what the app answers, with OpenAPI links.

* Every error response (4xx/5xx) is ``application/problem+json`` with the :data:`PROBLEM_SCHEMA` body (the app's
  handlers answer nothing else, ``web/problems.py``); FastAPI's generated ``HTTPValidationError`` 422 is replaced.
* Every operation with a request body documents 413 (``BodyLimit``, ``web/middleware.py``).
* Links (OpenAPI 3 ``links``) say how one call's answer feeds the next: the issuance session's id and its
  ``X-Issuance-Token`` flow from ``POST …/sessions`` into every session step (the header is marked required: no
  step succeeds without it); a relay transfer's id and receiver token flow into its status, upload, download and
  cancel calls. Clients and stateful fuzzers (tests/integration/test_hardening_openapi_fuzz.py) follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

__all__ = ["PROBLEM_SCHEMA", "install", "refine"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with the stable ``code`` and both messages (more members may follow).",
    "type": "object",
    "required": ["type", "title", "status", "code", "message_ko", "message_en"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "message_ko": {"type": "string"},
        "message_en": {"type": "string"},
    },
    "additionalProperties": True,
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_TOO_LARGE = "Problem code: payload_too_large (the body is over its route family's limit, docs/security.md)"

SESSIONS = "/api/v1/issuance/sessions"
SESSION_STEPS = SESSIONS + "/{session_id}"
TOKEN_HEADER = "X-Issuance-Token"  # noqa: S105 (a header name; web/routes/issuance.py)
TRANSFERS = "/api/v1/relay/transfers"


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_REF)}}


def _errors_as_problems(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "requestBody" in operation:
        responses.setdefault("413", {"description": _TOO_LARGE})
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            response["content"] = _problem_content()
            if status == "422" and response.get("description") == "Validation Error":
                response["description"] = "Problem code: invalid_request (the request does not match the schema)"


def _session_links(paths: dict[str, Any]) -> None:
    """``POST /sessions`` → every session step (its id in the path, its token in the header, which every step
    needs: without it the answer is 403 ``ra_session_token_invalid``)."""
    steps = [
        op
        for path, item in paths.items()
        if path.startswith(SESSION_STEPS)
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    for op in steps:
        for parameter in op.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name") == TOKEN_HEADER:
                parameter["required"] = True
                parameter["schema"] = {"type": "string", "minLength": 1, "title": TOKEN_HEADER}
    start = paths.get(SESSIONS, {}).get("post")
    if start is None:
        return
    given = {"path.session_id": "$response.body#/session/session_id", f"header.{TOKEN_HEADER}": "$response.body#/token"}
    created = start["responses"].setdefault("201", {"description": "Created"})
    created["links"] = {_name(op): {"operationId": _name(op), "parameters": given} for op in steps}


def _relay_links(paths: dict[str, Any]) -> None:
    """``POST /transfers`` → status, upload (by id), download and cancel (by id and the receiver's bearer token)."""
    create = paths.get(TRANSFERS, {}).get("post")
    if create is None:
        return
    by_id = {"path.transfer_id": "$response.body#/id"}
    bearer = {**by_id, "header.authorization": "Bearer {$response.body#/receiver_token}"}
    targets = [
        (TRANSFERS + "/{transfer_id}", "get", by_id),
        (TRANSFERS + "/{transfer_id}/payload", "put", by_id),
        (TRANSFERS + "/{transfer_id}/payload", "get", bearer),
        (TRANSFERS + "/{transfer_id}", "delete", bearer),
    ]
    links = {}
    for path, method, parameters in targets:
        target = paths.get(path, {}).get(method)
        if target is not None:
            links[_name(target)] = {"operationId": target["operationId"], "parameters": parameters}
    create["responses"].setdefault("201", {"description": "Created"})["links"] = links


def _name(operation: dict[str, Any]) -> str:
    return str(operation["operationId"])


def refine(schema: dict[str, Any]) -> dict[str, Any]:
    """Make FastAPI's generated ``schema`` say what the app does (problem bodies, 413) and add the links."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, Any] = schema.get("paths", {})
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _errors_as_problems(operation)
    _session_links(paths)
    _relay_links(paths)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    """Serve the refined schema (built once, on the first request for it)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = refine(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
