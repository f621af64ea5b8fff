"""Copy relay JSON API under ``/api/v1/relay`` (see docs/relay.md). Handlers stay a few lines.

Bytes travel as standard base64. The receiver authenticates with ``Authorization: Bearer <receiver_token>``;
the sender with the upload proof derived from the code. Every response is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from jointcert.app import Services
from jointcert.errors import JointcertError
from jointcert.relay.errors import (
    AlreadyDownloaded,
    AlreadyUploaded,
    InvalidRelayRequest,
    NotUploaded,
    RateLimited,
    TransferBurned,
    TransferExpired,
    TransferIdTaken,
    TransferNotFound,
    WrongCode,
)
from jointcert.relay.model import (
    DEFAULT_ITERATIONS,
    ID_DIGITS,
    MAX_ENVELOPE_BYTES,
    MAX_ITERATIONS,
    MIN_ITERATIONS,
    SALT_BYTES,
    VERIFIER_BYTES,
    NewTransfer,
    TransferView,
)
from jointcert.web.problems import problem, problem_responses

__all__ = ["install", "router"]

router = APIRouter(prefix="/api/v1/relay", tags=["relay"])
_NO_STORE = {"Cache-Control": "no-store"}
_B64_LIMIT = (MAX_ENVELOPE_BYTES * 4) // 3 + 8


def _b64_of(size: int) -> str:
    """The documented form of ``size`` bytes as padded standard base64 (the handler checks the bytes: 400)."""
    chars, padding = (size * 4 + 2) // 3, -size % 3
    return f"^[A-Za-z0-9+/]{{{chars}}}{'=' * padding}$"


_LIMITED: dict[int | str, dict[str, Any]] = {429: {"description": "Problem code: relay_rate_limited (see Retry-After)"}}
_GONE = (TransferNotFound, TransferExpired, TransferBurned)


def _errors(*errors: type[JointcertError]) -> dict[int | str, dict[str, Any]]:
    return {**problem_responses(*errors), **_LIMITED}


class KdfParams(BaseModel):
    """PBKDF2-HMAC-SHA256 parameters of the code (salt: 16 bytes, base64)."""

    name: str = Field("PBKDF2", json_schema_extra={"enum": ["PBKDF2"]})
    hash: str = Field("SHA-256", json_schema_extra={"enum": ["SHA-256"]})
    iterations: int = Field(ge=MIN_ITERATIONS, le=MAX_ITERATIONS)
    salt: str = Field(max_length=64, json_schema_extra={"pattern": _b64_of(SALT_BYTES)})


class CreateTransfer(BaseModel):
    """The receiver's registration: the code's id digits, the KDF parameters and SHA-256(upload proof)."""

    id: str = Field(pattern=rf"^[0-9]{{{ID_DIGITS}}}$")
    kdf: KdfParams
    verifier: str = Field(max_length=64, json_schema_extra={"pattern": _b64_of(VERIFIER_BYTES)})


class Upload(BaseModel):
    """The sender's upload: the proof derived from the code and the AES-GCM envelope."""

    proof: str = Field(max_length=64)
    envelope: str = Field(max_length=_B64_LIMIT)


class TransferOut(BaseModel):
    """A transfer as anyone who knows its id sees it."""

    id: str
    status: str
    expires_at: datetime
    seconds_left: int
    attempts_left: int
    kdf: KdfParams


class CreatedOut(TransferOut):
    """The receiver's view right after creating: plus the bearer token for download and cancel."""

    receiver_token: str


class PayloadOut(BaseModel):
    """The single download: the envelope (base64)."""

    id: str
    envelope: str


class RelayConfig(BaseModel):
    """What a device needs to make a code."""

    code_digits: int
    id_digits: int
    ttl_seconds: int
    max_wrong_codes: int
    min_iterations: int
    default_iterations: int


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bytes(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRelayRequest(f"{name} is not base64.", field=name) from exc


def _token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise TransferNotFound()
    return token.strip()


def _out(view: TransferView) -> dict[str, object]:
    return {
        "id": view.transfer_id,
        "status": view.status.value,
        "expires_at": view.expires_at,
        "seconds_left": view.seconds_left,
        "attempts_left": view.attempts_left,
        "kdf": KdfParams(iterations=view.iterations, salt=base64.b64encode(view.salt).decode()),
    }


@router.get("/config", summary="Code length, time to live and KDF limits")
def config(request: Request, response: Response) -> RelayConfig:
    """What a device needs before it makes a code."""
    settings = _services(request).relay.settings
    response.headers.update(_NO_STORE)
    return RelayConfig(
        code_digits=settings.code_digits,
        id_digits=ID_DIGITS,
        ttl_seconds=settings.ttl_seconds,
        max_wrong_codes=settings.max_wrong_codes,
        min_iterations=MIN_ITERATIONS,
        default_iterations=DEFAULT_ITERATIONS,
    )


@router.post(
    "/transfers",
    status_code=201,
    summary="Receiver: register a transfer for a code made on the device",
    responses=_errors(InvalidRelayRequest, TransferIdTaken),
)
def create(body: CreateTransfer, request: Request, response: Response) -> CreatedOut:
    """Only the code's first digits (the id), a salt, the KDF count and SHA-256(upload proof) are sent."""
    if body.kdf.name != "PBKDF2" or body.kdf.hash != "SHA-256":
        raise InvalidRelayRequest("Only PBKDF2 with SHA-256 is supported.")
    new = NewTransfer(body.id, _bytes(body.kdf.salt, "salt"), body.kdf.iterations, _bytes(body.verifier, "verifier"))
    created = _services(request).relay.create(new, client=_client(request))
    response.headers.update(_NO_STORE)
    return CreatedOut(**_out(created.view), receiver_token=created.receiver_token)


@router.get("/transfers/{transfer_id}", summary="Status and KDF parameters of a transfer", responses=_errors(*_GONE))
def status(transfer_id: str, request: Request, response: Response) -> TransferOut:
    """waiting, uploaded, downloaded, expired, burned or cancelled; the sender reads the salt here."""
    view = _services(request).relay.status(transfer_id, client=_client(request))
    response.headers.update(_NO_STORE)
    return TransferOut(**_out(view))


@router.put(
    "/transfers/{transfer_id}/payload",
    summary="Sender: upload the encrypted certificate",
    responses=_errors(InvalidRelayRequest, WrongCode, AlreadyUploaded, *_GONE),
)
def upload(transfer_id: str, body: Upload, request: Request, response: Response) -> TransferOut:
    """Accepted once, when the proof matches; wrong proofs count and burn the code."""
    relay = _services(request).relay
    view = relay.upload(
        transfer_id,
        proof=_bytes(body.proof, "proof"),
        envelope=_bytes(body.envelope, "envelope"),
        client=_client(request),
    )
    response.headers.update(_NO_STORE)
    return TransferOut(**_out(view))


@router.get(
    "/transfers/{transfer_id}/payload",
    summary="Receiver: download the envelope once (then deleted)",
    responses=_errors(NotUploaded, AlreadyDownloaded, *_GONE),
)
def download(
    transfer_id: str,
    request: Request,
    response: Response,
    authorization: Annotated[str | None, Header()] = None,
) -> PayloadOut:
    """The ciphertext is deleted from the relay as it is returned."""
    envelope = _services(request).relay.download(
        transfer_id, receiver_token=_token(authorization), client=_client(request)
    )
    response.headers.update(_NO_STORE)
    return PayloadOut(id=transfer_id, envelope=base64.b64encode(envelope).decode())


@router.delete(
    "/transfers/{transfer_id}",
    status_code=204,
    summary="Receiver: cancel a transfer",
    responses=_errors(AlreadyDownloaded, *_GONE),
)
def cancel(transfer_id: str, request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Closes a live transfer and deletes anything uploaded."""
    _services(request).relay.cancel(transfer_id, receiver_token=_token(authorization), client=_client(request))
    return Response(status_code=204, headers=_NO_STORE)


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    retry = int(exc.details.get("retry_after", 1))
    response = problem(429, exc.code, type(exc).message_en, exc.text_en, message_ko=exc.text_ko, **exc.details)
    response.headers["Retry-After"] = str(retry)
    return response


def install(app: FastAPI) -> None:
    """Mount the relay API and its 429 (rate limited) problem responses."""
    app.include_router(router)
    app.add_exception_handler(RateLimited, _rate_limited)
