"""The issuance flow's JSON API (``/api/v1/issuance``); renewal and revocation are in ``routes/certificates.py``.

Every session call names the session in the path and carries its token in the ``X-Issuance-Token`` header.
Handlers only translate JSON to the RA's calls and back; the RA enforces the order, the limits and the rules.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from jointcert.app import Services
from jointcert.bank.errors import (
    AccountNotActive,
    AppCertAlreadyRegistered,
    IdentityMismatch,
    InsufficientFunds,
    InvalidAccountNumber,
    InvalidContact,
)
from jointcert.ca.errors import BadProofOfPossession, UnknownProfile, WeakKey
from jointcert.errors import JointcertError
from jointcert.npki.password_policy import policy_rules
from jointcert.npki.resident_number import InvalidResidentNumber
from jointcert.ra import errors as ra
from jointcert.ra.service import RegistrationAuthority, Stepped
from jointcert.ra.steps.terms import TERMS
from jointcert.web.routes import issuance_models as m
from jointcert.web.throttle import THROTTLED_RESPONSE

__all__ = ["TOKEN_HEADER", "client_address", "router"]

router = APIRouter(prefix="/api/v1/issuance", tags=["issuance"])
TOKEN_HEADER = "X-Issuance-Token"  # noqa: S105 (a header name)
T = TypeVar("T")

SessionId = Annotated[str, Path(min_length=1, max_length=64, description="The id from POST /sessions.")]
Token = Annotated[str | None, Header(alias=TOKEN_HEADER, description="The token from POST /sessions.")]
_SESSION = (
    ra.SessionNotFound,
    ra.SessionTokenInvalid,
    ra.SessionExpired,
    ra.SessionClosed,
    ra.StepOutOfOrder,
    ra.SessionBusy,
)
_LOCKABLE = (ra.WrongCredential, ra.CredentialLocked)
ARS_CHECK_SECONDS = 0.1  # the long poll of ars/confirm looks at the call this often
ARS_MAX_WAIT_SECONDS = 10.0


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _ra(request: Request) -> RegistrationAuthority:
    return _services(request).ra


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client is not None else "-"


def _errors(*extra: type[Any]) -> dict[int | str, dict[str, Any]]:
    return m.problems(*_SESSION, *extra)


def _guarded(*extra: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {**_errors(*extra), **THROTTLED_RESPONSE}


def _value(stepped: Stepped[T | None]) -> T:
    m.session_none_guard(stepped.value)
    assert stepped.value is not None
    return stepped.value


# --- reference data ---------------------------------------------------------------------------------------------
@router.get("/terms", summary="The terms to agree to (약관)")
def terms_list() -> list[m.TermOut]:
    """Every term with its id; all ``required`` ones must be agreed to."""
    return [m.TermOut(**term.__dict__) for term in TERMS]


@router.get("/certificate-types", summary="Certificate types with fee and validity")
def certificate_types(request: Request) -> list[m.CertificateTypeOut]:
    """Limited-use (free) and general-purpose (fee charged to the verified account)."""
    return [m.CertificateTypeOut(**info.__dict__) for info in _ra(request).certificate_types()]


@router.get("/password-policy", summary="The certificate password rules (checked on the client)")
def password_policy() -> dict[str, Any]:
    """``npki.password_policy.policy_rules()``: the password never reaches the server."""
    return policy_rules()


# --- the session ------------------------------------------------------------------------------------------------
@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Start an issuance session (logged out of the app only)",
    responses=m.problems(ra.LoggedInRefused),
)
def start(body: m.StartIn, request: Request) -> m.StartOut:
    """Returns the session and its token (shown once)."""
    created = _ra(request).start(app_logged_in=body.app_logged_in)
    view = _ra(request).status(created.session.id, created.token)
    return m.StartOut(token=created.token, session=m.session_out(view))


@router.get("/sessions/{session_id}", summary="Where the session stands", responses=_errors())
def session_status(session_id: SessionId, request: Request, token: Token = None) -> m.SessionOut:
    """State, expiry and the steps allowed next."""
    return m.session_out(_ra(request).status(session_id, token))


@router.delete("/sessions/{session_id}", summary="Cancel the session (취소)", responses=_errors())
def cancel(session_id: SessionId, request: Request, token: Token = None) -> m.SessionOut:
    """Ends the session and wipes what it held."""
    return m.session_out(_ra(request).cancel(session_id, token))


@router.post(
    "/sessions/{session_id}/extend",
    summary="연장: more time, within the absolute cap",
    responses=_errors(ra.SessionExtendLimit),
)
def extend(session_id: SessionId, request: Request, token: Token = None) -> m.SessionOut:
    """A fresh ``session_ttl_seconds`` from now, never past ``session_max_seconds`` after the start."""
    return m.session_out(_ra(request).extend(session_id, token))


@router.post("/sessions/{session_id}/terms", summary="3. Agree to the terms", responses=_errors(ra.TermsNotAccepted))
def agree_terms(session_id: SessionId, body: m.TermsIn, request: Request, token: Token = None) -> m.TermsOut:
    """Every required term id must be in ``accepted``."""
    done = _ra(request).agree_terms(session_id, token, body.accepted)
    return m.TermsOut(session=m.session_out(done.session), agreed=list(done.value.agreed))


@router.post(
    "/sessions/{session_id}/find-user-id",
    summary="아이디 찾기: masked user IDs by name and resident number",
    responses=_guarded(InvalidResidentNumber, ra.IdentityAttemptsExceeded),
)
def find_user_id(
    session_id: SessionId, body: m.FindUserIdIn, request: Request, token: Token = None
) -> m.FoundUserIdsOut:
    """Allowed after the terms, a few times per session; the state does not change."""
    done = _ra(request).find_user_ids(session_id, token, body.name, body.rrn, client=client_address(request))
    return m.FoundUserIdsOut(session=m.session_out(done.session), user_ids=list(done.value.user_ids))


@router.post(
    "/sessions/{session_id}/identity",
    summary="4. User ID + resident number",
    responses=_guarded(IdentityMismatch, InvalidResidentNumber, ra.IdentityAttemptsExceeded),
)
def identify(session_id: SessionId, body: m.IdentityIn, request: Request, token: Token = None) -> m.IdentityOut:
    """The same ``bank_identity_mismatch`` for an unknown ID and a wrong number (with ``remaining_attempts``); the
    fifth wrong pair ends the session. The name is shown only after the ARS or overseas check; 429 ``throttled``
    (with ``Retry-After``) past the per-address or per-user-ID limits (docs/security.md)."""
    done = _ra(request).identify(session_id, token, body.user_id, body.rrn, client=client_address(request))
    found = _value(done)
    phones = [m.PhoneOut(**p.__dict__) for p in found.phones]
    return m.IdentityOut(
        session=m.session_out(done.session),
        phones=phones,
        abroad_check_offered=found.abroad_check_offered,
        locked=list(found.locked),
        second_factors_blocked=found.second_factors_blocked,
    )


@router.post(
    "/sessions/{session_id}/ars/call",
    summary="5a. ARS: call a registered number",
    responses=_guarded(ra.UnknownPhone, ra.ArsLocked),
)
def ars_call(session_id: SessionId, body: m.ArsCallIn, request: Request, token: Token = None) -> m.ArsCallOut:
    """Shows the code the customer keys in on the phone; counts as one ARS attempt."""
    done = _ra(request).ars_call(session_id, token, body.phone_id, client=client_address(request))
    call = done.value
    return m.ArsCallOut(
        session=m.session_out(done.session),
        code=call.code,
        phone=call.phone,
        expires_at=call.expires_at,
        remaining_seconds=call.remaining_seconds,
    )


@router.post(
    "/sessions/{session_id}/ars/confirm",
    summary="5a. ARS: poll the call (long poll with ``wait``)",
    responses=_errors(ra.ArsWrongCode, ra.ArsUnanswered, ra.ArsDeclined, ra.ArsLocked),
)
async def ars_confirm(
    session_id: SessionId,
    request: Request,
    token: Token = None,
    wait: Annotated[
        float, Query(ge=0, allow_inf_nan=False, description="Long poll: seconds to wait while the call rings (max 10).")
    ] = 0,
) -> m.ArsStatusOut:
    """``ringing`` (with ``expires_at`` and ``remaining_seconds``) → poll again; ``confirmed`` (with ``name``) → next
    step; ``ra_ars_wrong_code`` (counts toward the lock), ``ra_ars_unanswered`` and ``ra_ars_declined`` (do not
    count), ``ra_ars_locked`` → back to choosing (``IDENTIFIED``). With ``wait`` the answer comes as soon as the
    call stops ringing (looked at every 100 ms, one step-log entry per answer), or after ``wait`` seconds."""
    authority = _ra(request)
    for _ in range(round(min(wait, ARS_MAX_WAIT_SECONDS) / ARS_CHECK_SECONDS)):
        try:
            if not await run_in_threadpool(authority.ars_ringing, session_id, token):
                break
        except JointcertError:
            break  # the step itself answers with the error
        await asyncio.sleep(ARS_CHECK_SECONDS)
    done = await run_in_threadpool(authority.ars_confirm, session_id, token)
    value = done.value
    return m.ArsStatusOut(
        session=m.session_out(done.session),
        status=value.status,
        name=value.name,
        expires_at=value.expires_at,
        remaining_seconds=value.remaining_seconds,
    )


@router.post(
    "/sessions/{session_id}/abroad",
    summary="5b. Overseas-departure check (Korean nationals)",
    responses=_errors(ra.AbroadNotAllowed, ra.NotAbroad),
)
def abroad_check(session_id: SessionId, request: Request, token: Token = None) -> m.AbroadOut:
    """The immigration records must show the customer abroad."""
    done = _ra(request).abroad_check(session_id, token)
    return m.AbroadOut(
        session=m.session_out(done.session),
        name=done.value.name,
        destination=done.value.destination,
        departed_at=done.value.departed_at,
    )


@router.post(
    "/sessions/{session_id}/account",
    summary="6. Own account + 4-digit PIN",
    responses=_guarded(InvalidAccountNumber, ra.AccountNotOwned, ra.AccountNotUsable, *_LOCKABLE),
)
def verify_account(session_id: SessionId, body: m.AccountIn, request: Request, token: Token = None) -> m.AccountOut:
    """``ra_wrong_credential`` carries ``remaining_attempts``; the last wrong PIN locks the account."""
    done = _ra(request).verify_account(session_id, token, body.account_number, body.pin, client=client_address(request))
    value = done.value
    return m.AccountOut(
        session=m.session_out(done.session), account=value.account, second_factors=list(value.second_factors)
    )


def _factor(done: Stepped[Any]) -> m.SecondFactorOut:
    value = _value(done)
    return m.SecondFactorOut(session=m.session_out(done.session), method=value.method, next_step=value.next_step)


@router.post(
    "/sessions/{session_id}/app-cert/pin",
    summary="7a. App certificate: 6-digit PIN",
    responses=_guarded(ra.SecondFactorUnavailable, *_LOCKABLE),
)
def app_pin(session_id: SessionId, body: m.PinIn, request: Request, token: Token = None) -> m.SecondFactorOut:
    """Then the pattern."""
    return _factor(_ra(request).app_pin(session_id, token, body.pin, client=client_address(request)))


@router.post(
    "/sessions/{session_id}/app-cert/pattern",
    summary="7a. App certificate: pattern",
    responses=_guarded(*_LOCKABLE),
)
def app_pattern(session_id: SessionId, body: m.PatternIn, request: Request, token: Token = None) -> m.SecondFactorOut:
    """Cells 1..9 in drawing order."""
    return _factor(_ra(request).app_pattern(session_id, token, body.pattern, client=client_address(request)))


@router.post(
    "/sessions/{session_id}/app-cert/register",
    summary="앱인증서 등록 (instead of issuance): a new PIN + pattern",
    responses=_guarded(AppCertAlreadyRegistered, ra.SecondFactorRequired, ra.AppPinWeak, ra.AppPatternInvalid),
)
def register_app_cert(
    session_id: SessionId, body: m.AppCertRegisterIn, request: Request, token: Token = None
) -> m.AppCertRegisteredOut:
    """After the account (and the security card or OTP the customer has); ends the session."""
    done = _ra(request).register_app_cert(session_id, token, body.pin, body.pattern, client=client_address(request))
    return m.AppCertRegisteredOut(
        session=m.session_out(done.session), method=done.value.method, pattern_length=done.value.pattern_length
    )


@router.post(
    "/sessions/{session_id}/security-card/challenge",
    summary="7b. Security card: the cells to enter",
    responses=_errors(ra.SecondFactorUnavailable),
)
def card_challenge(session_id: SessionId, request: Request, token: Token = None) -> m.CardPromptOut:
    """The same challenge until it is answered; a wrong answer gets a new one."""
    done = _ra(request).card_challenge(session_id, token)
    prompt = done.value
    return m.CardPromptOut(session=m.session_out(done.session), **prompt.__dict__)


@router.post(
    "/sessions/{session_id}/security-card",
    summary="7b. Security card: the answer",
    responses=_guarded(*_LOCKABLE),
)
def security_card(
    session_id: SessionId, body: m.CardAnswerIn, request: Request, token: Token = None
) -> m.SecondFactorOut:
    """Four digits: the asked part of cell A, then of cell B."""
    return _factor(_ra(request).answer_security_card(session_id, token, body.answer, client=client_address(request)))


@router.post(
    "/sessions/{session_id}/otp",
    summary="7c. OTP code",
    responses=_guarded(ra.SecondFactorUnavailable, *_LOCKABLE),
)
def otp(session_id: SessionId, body: m.CodeIn, request: Request, token: Token = None) -> m.SecondFactorOut:
    """Six digits from the OTP device; a used code is refused."""
    return _factor(_ra(request).verify_otp(session_id, token, body.code, client=client_address(request)))


def _contact(done: Stepped[Any]) -> m.ContactOut:
    value = done.value
    mobiles = [m.PhoneOut(**p.__dict__) for p in value.mobiles]
    return m.ContactOut(
        session=m.session_out(done.session),
        name=value.name,
        email=value.email,
        address=value.address,
        mobiles=mobiles,
        contact_phone_id=value.contact_phone_id,
        changed=value.changed,
    )


@router.get("/sessions/{session_id}/contact", summary="8. The contact details on record", responses=_errors())
def show_contact(session_id: SessionId, request: Request, token: Token = None) -> m.ContactOut:
    """Name, e-mail, address and the notification mobile."""
    return _contact(_ra(request).show_contact(session_id, token))


@router.post(
    "/sessions/{session_id}/contact",
    summary="8. Confirm (or change) the contact details",
    responses=_errors(InvalidContact),
)
def confirm_contact(session_id: SessionId, body: m.ContactIn, request: Request, token: Token = None) -> m.ContactOut:
    """A change is stored at the bank and notified to the customer's phone."""
    done = _ra(request).confirm_contact(
        session_id, token, email=body.email, address=body.address, phone_id=body.phone_id
    )
    return _contact(done)


@router.get(
    "/sessions/{session_id}/fee-quote",
    summary="The fee's debit for a type (account, amount, balance after), before choosing it",
    responses=_errors(UnknownProfile, ra.AccountNotUsable),
)
def fee_quote(
    session_id: SessionId, request: Request, cert_type: Annotated[str, Query(max_length=16)], token: Token = None
) -> m.FeeQuoteOut:
    """Nothing changes; the debit itself happens after issuance."""
    return m.FeeQuoteOut(**_ra(request).fee_quote(session_id, token, cert_type).__dict__)


@router.post(
    "/sessions/{session_id}/certificate-type",
    summary="Choose limited-use or general-purpose",
    responses=_errors(UnknownProfile, InsufficientFunds, ra.AccountNotUsable),
)
def choose_type(session_id: SessionId, body: m.TypeChoiceIn, request: Request, token: Token = None) -> m.TypeChosenOut:
    """General-purpose is refused (``bank_insufficient_funds``) when the verified account cannot pay the fee."""
    done = _ra(request).choose_type(session_id, token, body.cert_type)
    chosen = done.value
    return m.TypeChosenOut(
        session=m.session_out(done.session),
        type=m.CertificateTypeOut(**chosen.info.__dict__),
        reissue=chosen.reissue,
        current_valid_until=chosen.current_valid_until,
    )


@router.post(
    "/sessions/{session_id}/enrollment/challenge",
    summary="9. The challenge the new key signs (proof of possession)",
    responses=_errors(),
)
def enrollment_challenge(session_id: SessionId, request: Request, token: Token = None) -> m.EnrollmentChallengeOut:
    """Also returns the password policy: the certificate password is set and checked on the client."""
    done = _ra(request).enrollment_challenge(session_id, token)
    value = done.value
    return m.EnrollmentChallengeOut(
        session=m.session_out(done.session),
        challenge=value.challenge,
        cert_type=value.cert_type,
        fee_krw=value.fee_krw,
        expires_at=value.expires_at,
        password_policy=policy_rules(),
    )


@router.post(
    "/sessions/{session_id}/enrollment",
    summary="10. Enroll: SPKI + R + signature (+ a km SPKI + signature) → the certificate (pair)",
    responses=_errors(
        ra.MalformedInput,
        WeakKey,
        BadProofOfPossession,
        InsufficientFunds,
        AccountNotActive,
        ra.AccountNotUsable,
        ra.IssuanceInProgress,
    ),
)
def enroll(session_id: SessionId, body: m.EnrollIn, request: Request, token: Token = None) -> m.CertificateOut:
    """Issues (channel ``api``), charges the general-purpose fee, notifies; returns the DER and the chain."""
    done = _ra(request).enroll(
        session_id,
        token,
        public_key_der=m.from_b64(body.public_key, "public_key"),
        random_num=m.from_b64(body.random_num, "random_num"),
        signature=m.from_b64(body.signature, "signature"),
        km_public_key_der=None if body.km_public_key is None else m.from_b64(body.km_public_key, "km_public_key"),
        km_signature=None if body.km_signature is None else m.from_b64(body.km_signature, "km_signature"),
    )
    return m.certificate_out(_value(done))


@router.post(
    "/sessions/{session_id}/enrollment/confirm",
    summary="11. Confirm: the app saved the certificate (signed by the new key)",
    responses=_errors(ra.ConfirmationLate, BadProofOfPossession),
)
def confirm_enrollment(
    session_id: SessionId, body: m.ConfirmIn, request: Request, token: Token = None
) -> m.ConfirmedOut:
    """Like CMP certConf: sign ``jointcert-confirm:<challenge>:<serial hex>`` with the new key once the certificate
    is saved. Only now is the older certificate superseded and the fee final; without it, after
    ``ra.confirm_wait_seconds`` the new certificate is revoked and the fee refunded (docs/issuance-flow.md)."""
    done = _ra(request).confirm_enrollment(session_id, token, m.from_b64(body.signature, "signature"))
    return m.ConfirmedOut(
        session=m.session_out(done.session),
        serial=format(done.value.serial, "x"),
        superseded=[format(s, "x") for s in done.value.superseded],
    )


@router.post(
    "/sessions/{session_id}/enrollment/cmp",
    summary="10. Or: a CMP reference number + authorization code",
    responses=_errors(ra.CmpUnavailable, InsufficientFunds, AccountNotActive, ra.IssuanceInProgress),
)
def register_cmp(session_id: SessionId, request: Request, token: Token = None) -> m.CmpTicketOut:
    """For clients that enroll over CMP (``ir`` protected by PBM); the code is shown once."""
    done = _ra(request).register_cmp(session_id, token)
    ticket = _value(done)
    return m.CmpTicketOut(
        session=m.session_out(done.session),
        reference_number=ticket.reference_number,
        authorization_code=ticket.authorization_code,
        cert_type=ticket.cert_type,
        expires_at=ticket.expires_at,
        cmp_url=f"{_services(request).settings.server.public_url}/cmp",
        fee=m.fee_out(ticket.fee),
    )
