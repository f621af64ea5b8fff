"""The issuance flow's JSON API (web/routes/issuance.py) as hot routes (web/hot.py), ahead of the FastAPI router.

A customer takes a dozen of these calls per certificate, each a small JSON body and the ``X-Issuance-Token``
header; through FastAPI's middleware, router and dependency machinery the HTTP layer cost more than the RA's step
itself. The dispatcher answers them with the same endpoints, validated by the routes' own dependants, so every
answer (errors included) is the router's. The two calls that take a query string (``ars/confirm``'s long poll and
``fee-quote``) stay with the router.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jointcert.web.routes import issuance

__all__ = ["FLOW_ROUTES"]

_API = issuance.router.prefix
_SESSION = f"{_API}/sessions/{{session_id}}"

FLOW_ROUTES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("GET", f"{_API}/terms", issuance.terms_list),
    ("GET", f"{_API}/certificate-types", issuance.certificate_types),
    ("GET", f"{_API}/password-policy", issuance.password_policy),
    ("POST", f"{_API}/sessions", issuance.start),
    ("GET", _SESSION, issuance.session_status),
    ("DELETE", _SESSION, issuance.cancel),
    ("POST", f"{_SESSION}/extend", issuance.extend),
    ("POST", f"{_SESSION}/terms", issuance.agree_terms),
    ("POST", f"{_SESSION}/find-user-id", issuance.find_user_id),
    ("POST", f"{_SESSION}/identity", issuance.identify),
    ("POST", f"{_SESSION}/ars/call", issuance.ars_call),
    ("POST", f"{_SESSION}/abroad", issuance.abroad_check),
    ("POST", f"{_SESSION}/account", issuance.verify_account),
    ("POST", f"{_SESSION}/app-cert/pin", issuance.app_pin),
    ("POST", f"{_SESSION}/app-cert/pattern", issuance.app_pattern),
    ("POST", f"{_SESSION}/app-cert/register", issuance.register_app_cert),
    ("POST", f"{_SESSION}/security-card/challenge", issuance.card_challenge),
    ("POST", f"{_SESSION}/security-card", issuance.security_card),
    ("POST", f"{_SESSION}/otp", issuance.otp),
    ("GET", f"{_SESSION}/contact", issuance.show_contact),
    ("POST", f"{_SESSION}/contact", issuance.confirm_contact),
    ("POST", f"{_SESSION}/certificate-type", issuance.choose_type),
    ("POST", f"{_SESSION}/enrollment/challenge", issuance.enrollment_challenge),
    ("POST", f"{_SESSION}/enrollment", issuance.enroll),
    ("POST", f"{_SESSION}/enrollment/confirm", issuance.confirm_enrollment),
    ("POST", f"{_SESSION}/enrollment/cmp", issuance.register_cmp),
)
"""(method, route template as declared on the FastAPI router, endpoint): every call of the flow but the two with a
query string; tests/integration/test_hot_flow.py checks each against the app's routes and its answers against the
router's."""
