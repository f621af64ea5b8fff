"""Certificate login to the bank app (한빛은행): ``/bank/login`` and ``/bank/api/login…``.

The page asks for a single-use challenge (bound to a pre-login cookie), unlocks the certificate from the browser
wallet with its password, signs the challenge and posts certificate + signature. The issuing bank is one more
relying party of ``jointcert.rp`` (``RelyingParties.issuing_bank``: chain, validity, key usage, policy, revocation
by OCSP with its cache); on success the answer sets the ``bank_session`` cookie: a random id whose state is in the
database (``web/bank_session.py``), a new one at every login. Logins are throttled per address and per certificate
(``ra/throttle.py``).
A refused login is an RFC 9457 problem whose ``reason`` is the verifier's reason code and whose messages are its
Korean and English words. ``app_logged_in(request)`` tells the issuance flow whether the customer is logged in.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from jointcert.app import Services
from jointcert.errors import AuthenticationFailed, Denied, JointcertError
from jointcert.ra.throttle import Action
from jointcert.rp import SignedLogin, Verdict, Verifier
from jointcert.rp.checks import Reason
from jointcert.web.bank_session import COOKIE, AppSession, BankSessions, SessionExpired, SessionInvalid
from jointcert.web.routes.issuance import client_address
from jointcert.web.routes.issuance_models import problems
from jointcert.web.routes.rp_models import InvalidRpRequest, b64decode
from jointcert.web.throttle import THROTTLED_RESPONSE

__all__ = [
    "LOGIN_COOKIE",
    "BankLoginFailed",
    "BankLoginRefused",
    "app_logged_in",
    "app_session",
    "end_session",
    "install",
    "page_session",
    "router",
]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/bank/api", tags=["bank app login"])
LOGIN_COOKIE = "bank_login"  # binds a login challenge to this browser (random, short-lived)
_LOGIN_COOKIE_AGE = 10 * 60
_NO_STORE = {"Cache-Control": "no-store"}
# Refusals that say the proof itself was wrong (401); everything else is a certificate the bank will not take (403).
_PROOF_REASONS = frozenset(
    {
        Reason.CHALLENGE_UNKNOWN,
        Reason.CHALLENGE_MISMATCH,
        Reason.CHALLENGE_REPLAYED,
        Reason.CHALLENGE_EXPIRED,
        Reason.SIGNATURE_INVALID,
        Reason.MALFORMED_SIGNATURE,
        Reason.CONTENT_MISMATCH,
        Reason.MALFORMED_CERTIFICATE,
    }
)


class BankLoginFailed(AuthenticationFailed):
    """The login proof did not hold: unknown, foreign, replayed or expired challenge, or a bad signature."""

    code = "bank_login_failed"
    message_ko = "인증서 로그인에 실패했습니다. 다시 시도해 주십시오."
    message_en = "The certificate login failed. Please try again."


class BankLoginRefused(Denied):
    """The certificate is not acceptable for a login: revoked, expired, untrusted, not a personal certificate."""

    code = "bank_login_refused"
    message_ko = "이 인증서로는 로그인할 수 없습니다."
    message_en = "This certificate cannot be used to log in."


class LoginIn(BaseModel):
    """The signed challenge: the certificate (DER, base64) and the signature over the challenge's ASCII bytes."""

    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(min_length=1, max_length=128)
    certificate: str = Field(min_length=1, max_length=16 * 1024)
    signature: str = Field(min_length=1, max_length=2048)


class LoginChallengeOut(BaseModel):
    """Sign ``challenge`` (ASCII bytes, RSASSA-PKCS1-v1_5 SHA-256) with the certificate's key; single use."""

    challenge: str
    expires_at: datetime


class AppSessionOut(BaseModel):
    """The logged-in customer: name and certificate from the login, and when the session ends."""

    logged_in: bool
    name: str
    serial: str
    cert_type: str | None
    issued_at: datetime
    expires_at: datetime


def install(app: FastAPI) -> None:
    """Mount the login API and give the app its sessions (state in the database)."""
    services: Services = app.state.services
    app.state.bank_sessions = BankSessions(services.bank_app_sessions, services.clock, services.settings.bank_session)
    app.include_router(router)


def _codec(request: Request) -> BankSessions:
    sessions: BankSessions = request.app.state.bank_sessions
    return sessions


def end_session(request: Request, response: Response) -> None:
    """Log out this browser: the session ends in the database and the cookie is cleared."""
    _codec(request).end(request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def _verifier(request: Request) -> Verifier:
    services: Services = request.app.state.services
    return services.relying_parties.issuing_bank


def app_session(request: Request) -> AppSession:
    """The bank-app session of this request; :class:`SessionInvalid` / :class:`SessionExpired` otherwise."""
    return _codec(request).read(request.cookies.get(COOKIE))


def page_session(request: Request) -> AppSession | None:
    """The session for rendering a page: None when logged out, tampered or expired."""
    if getattr(request.app.state, "bank_sessions", None) is None or COOKIE not in request.cookies:
        return None
    try:
        return app_session(request)
    except (SessionInvalid, SessionExpired):
        return None


def app_logged_in(request: Request) -> bool:
    """Whether the customer is logged in to the bank app (a genuine, unexpired ``bank_session`` cookie)."""
    return page_session(request) is not None


def _pre_login(request: Request) -> str:
    value = request.cookies.get(LOGIN_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.isascii() else ""


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _refusal(verdict: Verdict) -> JointcertError:
    """The problem for a refused login, in the verifier's own words, with its reason code."""
    reason = verdict.reason
    assert reason is not None
    error = BankLoginFailed if reason.code in _PROOF_REASONS else BankLoginRefused
    return error(reason.message_en, message_ko=reason.message_ko, reason=reason.code.value)


def _name(verdict: Verdict) -> str:
    summary = verdict.certificate
    assert summary is not None
    if summary.real_name:
        return summary.real_name
    cn = summary.subject.split("CN=")[-1].split(",")[0]
    return cn.split("(")[0] or cn


@router.post(
    "/login/challenge", summary="A single-use login challenge bound to this browser", response_model=LoginChallengeOut
)
def login_challenge(request: Request, response: Response) -> LoginChallengeOut:
    """Issue a challenge (and the pre-login cookie when the browser has none)."""
    browser = _pre_login(request) or secrets.token_urlsafe(24)
    services: Services = request.app.state.services
    issued = services.relying_parties.challenges.issue(_verifier(request).policy.id, browser)
    _set_cookie(request, response, LOGIN_COOKIE, browser, _LOGIN_COOKIE_AGE)
    response.headers.update(_NO_STORE)
    return LoginChallengeOut(challenge=issued.value, expires_at=issued.expires_at)


@router.post(
    "/login",
    summary="Log in to the bank app with a signed challenge",
    response_model=AppSessionOut,
    responses={**problems(BankLoginFailed, BankLoginRefused, InvalidRpRequest), **THROTTLED_RESPONSE},
)
def login(body: LoginIn, request: Request) -> JSONResponse:
    """Verify (challenge once, signature, chain, validity, key usage, policy, revocation) and start the session."""
    verifier = _verifier(request)
    services: Services = request.app.state.services
    address, subject = client_address(request), f"cert:{body.certificate}"
    services.anti.admit(Action.CERT_LOGIN, address, subject)  # 429 before anything is checked
    signed = SignedLogin(
        challenge=body.challenge,
        session_id=_pre_login(request) or "-",
        certificate=b64decode(body.certificate, "certificate"),
        signature=b64decode(body.signature, "signature"),
    )
    verdict = verifier.verify_login(signed)
    serial = verdict.certificate.serial_hex if verdict.certificate else "-"
    log.info("bank app login: %s (%s), serial %s", verdict.accepted, verdict.reason_code, serial)
    if not verdict.accepted:
        services.anti.failed(Action.CERT_LOGIN, address, subject)
        raise _refusal(verdict)
    assert verdict.certificate is not None
    cert_type = verdict.certificate.cert_type.value if verdict.certificate.cert_type else None
    value, session = _codec(request).issue(
        serial=serial, name=_name(verdict), cert_type=cert_type, replacing=request.cookies.get(COOKIE)
    )  # a new id at every login (the browser's old session ends)
    response = JSONResponse(_session_out(session), headers=_NO_STORE)
    _set_cookie(request, response, COOKIE, value, int(_codec(request).lifetime.total_seconds()))
    return response


@router.get(
    "/session",
    summary="The bank-app session of this browser",
    response_model=AppSessionOut,
    responses=problems(SessionInvalid, SessionExpired, invalid_request=False),
)
def session(request: Request) -> JSONResponse:
    """The logged-in customer, or ``bank_session_invalid`` / ``bank_session_expired`` (401)."""
    return JSONResponse(_session_out(app_session(request)), headers=_NO_STORE)


@router.post("/logout", summary="Log out of the bank app", status_code=204)
def logout(request: Request) -> Response:
    """End the session in the database and clear the cookie (always succeeds)."""
    response = Response(status_code=204, headers=_NO_STORE)
    end_session(request, response)
    return response


class PasswordChangedIn(BaseModel):
    """The serial (hex) of the certificate whose password was just changed in the wallet."""

    model_config = ConfigDict(extra="forbid")

    serial: str = Field(min_length=1, max_length=64, pattern="^[0-9A-Fa-f:]+$")


@router.post("/session/password-changed", summary="The login certificate's password changed: log out everywhere")
def password_changed(body: PasswordChangedIn, request: Request) -> JSONResponse:
    """When the certificate of this browser's session had its password changed, every session logged in with it
    ends (on every device) and this browser logs in again. Anything else changes nothing."""
    serial = body.serial.replace(":", "").lower().lstrip("0") or "0"
    current = page_session(request)
    if current is None or current.serial != serial:
        return JSONResponse({"logged_out": 0}, headers=_NO_STORE)
    ended = _codec(request).end_for_certificate(serial)
    response = JSONResponse({"logged_out": ended}, headers=_NO_STORE)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def _session_out(session: AppSession) -> dict[str, Any]:
    return {"logged_in": True, **session.to_dict()}
