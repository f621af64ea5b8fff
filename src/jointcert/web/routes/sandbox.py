"""Sandbox devices for the demo and tests: the virtual phone that receives ARS calls, the demo customers' OTP
devices and the notification outbox. JSON under ``/api/v1/sandbox``; two tiny server-rendered pages under
``/sandbox`` in the bank app's look, which poll the JSON API instead of reloading (a form per ringing call still
works without script). Mounted only by ``jointcert demo`` or when ``[sandbox] enabled = true``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from jointcert.app import Services
from jointcert.bank.errors import CallNotFound
from jointcert.bank.sandbox.ars import PROMPT_KO
from jointcert.ra.errors import UnknownPhone
from jointcert.storage.repositories.ra_sandbox import NoOtpDevice
from jointcert.web.routes.issuance_models import problems
from jointcert.web.templates import PAGE_HEADERS, templates_of

__all__ = ["api_router", "pages_router"]

api_router = APIRouter(prefix="/api/v1/sandbox", tags=["sandbox"])
pages_router = APIRouter(prefix="/sandbox", tags=["sandbox"], include_in_schema=False)
PhoneNumber = Annotated[str, Path(min_length=1, max_length=20, description="e.g. 010-2718-4406 or 01027184406")]


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


class CallOut(BaseModel):
    """A call ringing on the virtual phone."""

    call_id: str
    phone_number: str
    caller: str
    prompt_ko: str
    placed_at: datetime
    expires_at: datetime


class AnswerIn(BaseModel):
    """The digits keyed in (a trailing ``#`` is ignored)."""

    model_config = ConfigDict(extra="forbid")
    digits: str = Field(min_length=1, max_length=8)


class AnswerOut(BaseModel):
    """The call's state after the answer: ``confirmed``, ``wrong_code`` or ``declined`` (or how it had ended)."""

    call_id: str
    status: str


class OtpOut(BaseModel):
    """The code the customer's OTP device shows now."""

    user_id: str
    kind: str
    serial: str
    code: str
    valid_from: datetime | None
    valid_until: datetime | None


class OutboxOut(BaseModel):
    """A notification the sandbox bank sent."""

    customer_id: str
    event: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    created_at: datetime


def _calls(request: Request, number: str) -> list[CallOut]:
    ringing = _services(request).bank.virtual_phone.ringing(number)
    return [
        CallOut(
            call_id=c.call_id,
            phone_number=c.phone_number,
            caller=c.caller,
            prompt_ko=PROMPT_KO,
            placed_at=c.placed_at,
            expires_at=c.expires_at,
        )
        for c in ringing
    ]


@api_router.get("/phone/{number}/calls", summary="Calls ringing on a virtual phone")
def ringing(number: PhoneNumber, request: Request) -> list[CallOut]:
    """Oldest first."""
    return _calls(request, number)


@api_router.post(
    "/phone/{number}/calls/{call_id}/answer",
    summary="Key in digits on the virtual phone",
    responses=problems(CallNotFound),
)
def answer(
    number: PhoneNumber, call_id: Annotated[str, Path(max_length=64)], body: AnswerIn, request: Request
) -> AnswerOut:
    """One answer per call: the right code confirms it, any other ends it as ``wrong_code``."""
    result = _services(request).bank.virtual_phone.answer(call_id, body.digits)
    return AnswerOut(call_id=call_id, status=result.value)


@api_router.post(
    "/phone/{number}/calls/{call_id}/decline",
    summary="Reject a call on the virtual phone",
    responses=problems(CallNotFound, invalid_request=False),
)
def decline(number: PhoneNumber, call_id: Annotated[str, Path(max_length=64)], request: Request) -> AnswerOut:
    """The call ends as ``declined`` (the reserved ARS attempt is given back when the app polls)."""
    return AnswerOut(call_id=call_id, status=_services(request).bank.virtual_phone.decline(call_id).value)


def _otp(request: Request, user_id: str) -> OtpOut:
    return OtpOut(**_services(request).otp_device.code(user_id).__dict__)


@api_router.get("/otp/{user_id}", summary="A demo customer's OTP code", responses=problems(NoOtpDevice))
def otp_code(user_id: Annotated[str, Path(max_length=64)], request: Request) -> OtpOut:
    """The next code the bank will accept (HOTP: the bank's next counter; TOTP: the current step)."""
    return _otp(request, user_id)


@api_router.get("/outbox", summary="Notifications the sandbox bank sent")
def outbox(request: Request, customer_id: Annotated[str | None, Query(max_length=32)] = None) -> list[OutboxOut]:
    """SMS and e-mails, oldest first."""
    messages = _services(request).bank.outbox.messages(customer_id)
    return [
        OutboxOut(
            customer_id=msg.customer_id,
            event=msg.event.value,
            channel=msg.channel.value,
            recipient=msg.recipient,
            subject=msg.subject,
            body=msg.body,
            created_at=msg.created_at,
        )
        for msg in messages
    ]


_RESULTS_KO = {"confirmed": "확인되었습니다", "wrong_code": "인증번호가 틀렸습니다", "expired": "시간이 지났습니다"}


def _page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    """A sandbox page in the bank app's look (``bank/sandbox/*.html``), strict CSP, never cached."""
    values = {"logged_in": False, "back_href": "/", **context}
    response = templates_of(request).TemplateResponse(request, name, values)
    response.headers.update(PAGE_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


@pages_router.get("/phone/{number}", response_class=HTMLResponse)
def phone_page(
    number: PhoneNumber, request: Request, result: Annotated[str | None, Query(max_length=20)] = None
) -> HTMLResponse:
    """The virtual phone: each ringing call with a keypad form; the page polls for new calls (no reload)."""
    context = {
        "number": number,
        "calls": _calls(request, number),
        "result": result,
        "result_ko": _RESULTS_KO.get(result or "", result),
    }
    return _page(request, "bank/sandbox/phone.html", context)


@pages_router.get("/phone-of/{user_id}/{phone_id}", response_class=RedirectResponse, responses=problems(UnknownPhone))
def phone_of(
    user_id: Annotated[str, Path(max_length=64)], phone_id: Annotated[str, Path(max_length=32)], request: Request
) -> RedirectResponse:
    """The virtual phone of a demo customer's registered number (the app shows only the masked number)."""
    customer = _services(request).bank.ports().customers.find_by_user_id(user_id)
    phone = customer.phone(phone_id) if customer is not None else None
    if phone is None:
        raise UnknownPhone(phone_id=phone_id)
    url = request.url_for("phone_page", number=phone.number)
    return RedirectResponse(str(url), status_code=status.HTTP_303_SEE_OTHER)


@pages_router.post("/phone/{number}", response_class=RedirectResponse)
def phone_answer(
    number: PhoneNumber,
    request: Request,
    call_id: Annotated[str, Form(max_length=64)],
    digits: Annotated[str, Form(max_length=8)] = "",
    decline: Annotated[str, Form(max_length=1)] = "",
) -> RedirectResponse:
    """Key in the digits (or decline the call), then back to the phone."""
    phone = _services(request).bank.virtual_phone
    result = phone.decline(call_id) if decline else phone.answer(call_id, digits)
    url = request.url_for("phone_page", number=number).include_query_params(result=result.value)
    return RedirectResponse(str(url), status_code=status.HTTP_303_SEE_OTHER)


@pages_router.get("/inbox/{user_id}", response_class=HTMLResponse)
def inbox_page(user_id: Annotated[str, Path(max_length=64)], request: Request) -> HTMLResponse:
    """The SMS and e-mails the sandbox bank sent a demo customer, newest first (a friendly page when none)."""
    services = _services(request)
    customer = services.bank.ports().customers.find_by_user_id(user_id)
    messages = services.bank.outbox.messages(customer.id) if customer is not None else []
    return _page(request, "bank/sandbox/inbox.html", {"user_id": user_id, "messages": messages})


@pages_router.get("/otp/{user_id}", response_class=HTMLResponse)
def otp_page(user_id: Annotated[str, Path(max_length=64)], request: Request) -> HTMLResponse:
    """The virtual OTP device of a demo customer (a friendly page when there is none); the code refreshes itself."""
    try:
        code: OtpOut | None = _otp(request, user_id)
    except NoOtpDevice:
        code = None
    return _page(request, "bank/sandbox/otp.html", {"user_id": user_id, "code": code})
