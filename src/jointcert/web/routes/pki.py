"""PKI endpoints: OCSP (RFC 6960, POST and GET), CRLs, CA certificates and the CPS. Handlers stay a few lines."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.ocsp import OCSPResponseStatus
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from jointcert.app import Services
from jointcert.ca.crl import PARTITION_NAME
from jointcert.ca.errors import UnknownAuthority, UnknownCrlPartition
from jointcert.ca.ocsp import OcspAnswer, error_response
from jointcert.errors import Unavailable
from jointcert.web.problems import RETRY_AFTER_SECONDS, problem_responses

__all__ = ["MAX_OCSP_REQUEST", "ocsp_cache_headers", "router"]

router = APIRouter(tags=["pki"])
MAX_OCSP_REQUEST = 8 * 1024  # also the /ocsp body limit of web/middleware.py
OCSP_RESPONSE = "application/ocsp-response"
_PARTITION = re.compile(PARTITION_NAME)  # p0, p1 …
_MALFORMED = error_response(OCSPResponseStatus.MALFORMED_REQUEST)
_NO_STORE = {"Cache-Control": "no-store"}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _ocsp(
    services: Services, body: bytes, *, cacheable: bool = False, if_none_match: str | None = None
) -> Response:
    """Answered on the event loop when the responder's memory has it (no threadpool hop), otherwise in a thread
    (parsing, database reads, signing)."""
    if not body or len(body) > MAX_OCSP_REQUEST:
        return Response(_MALFORMED, media_type=OCSP_RESPONSE, headers=_NO_STORE)
    answer = services.ocsp.answer_from_memory(body)
    if answer is None:
        try:
            answer = await run_in_threadpool(services.ocsp.answer, body)
        except Unavailable:  # the database is away: RFC 6960 tryLater, unsigned, and nothing cached
            headers = {"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)}
            return Response(error_response(OCSPResponseStatus.TRY_LATER), media_type=OCSP_RESPONSE, headers=headers)
    cache = ocsp_cache_headers(answer, services.clock.now()) if cacheable else None
    if cache is None:
        return Response(answer.der, media_type=OCSP_RESPONSE, headers=_NO_STORE)
    if if_none_match is not None and answer.etag in (tag.strip() for tag in if_none_match.split(",")):
        response = Response(status_code=304)  # no content-length (Starlette's rule for 304)
    else:
        response = Response(answer.der, media_type=OCSP_RESPONSE)
    response.raw_headers.extend(cache)
    return response


def ocsp_cache_headers(answer: OcspAnswer, now: datetime) -> list[tuple[bytes, bytes]] | None:
    """RFC 5019 §6.2 caching headers of a pre-signed response (raw, as Starlette keeps them): an HTTP cache or CDN
    may serve it until its nextUpdate, and must ask again (revalidate with the ETag) after that; ``None`` for an
    answer not to cache. The fixed three come encoded with the answer (:meth:`OcspAnswer.cacheable`)."""
    if answer.next_update is None:
        return None
    max_age = max(0, int((answer.next_update - now).total_seconds()))
    return [(b"cache-control", b"max-age=%d, public, no-transform, must-revalidate" % max_age), *answer.validators]


@router.post("/ocsp", response_class=Response, summary="OCSP request (application/ocsp-request)")
async def ocsp_post(request: Request) -> Response:
    """RFC 6960 A.1: the DER request is the body (answers are not cacheable by HTTP caches: RFC 5019 §5)."""
    body = await request.body()
    return await _ocsp(_services(request), body)


@router.get("/ocsp/{encoded:path}", response_class=Response, summary="OCSP request, base64 in the URL")
async def ocsp_get(encoded: str, request: Request) -> Response:
    """RFC 6960 A.1 / RFC 5019 §5: ``GET /ocsp/{url-encoding of base64 of the DER request}``; a pre-signed answer
    carries ``Cache-Control: max-age`` (until its nextUpdate), ``ETag``, ``Last-Modified`` and ``Expires``, and a
    matching ``If-None-Match`` gets 304."""
    return await _ocsp(
        _services(request),
        _request_from_path(encoded),
        cacheable=True,
        if_none_match=request.headers.get("if-none-match"),
    )


def _request_from_path(encoded: str) -> bytes:
    """The DER request from the (percent-decoded) path: base64 may hold ``/`` (raw or sent as ``%2F``) and ``+``
    (sometimes turned into a space); a trailing slash added by a client is tolerated. Empty when undecodable."""
    text = encoded.replace(" ", "+")
    for candidate in (text, text.rstrip("/")):
        try:
            return base64.b64decode(candidate + "=" * (-len(candidate) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
    return b""


@router.get(
    "/crl/{ca}.crl",
    response_class=Response,
    summary="The newest full CRL of a CA (root, class1)",
    responses=problem_responses(UnknownAuthority),
)
def crl(ca: str, request: Request) -> Response:
    """DER CRL; a new one is made when the stored one has passed its nextUpdate."""
    record = _services(request).crl.current(ca)
    return Response(record.der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=60"})


@router.get(
    "/crl/{ca}/{partition}.crl",
    response_class=Response,
    summary="The newest CRL of one partition of a CA (p0, p1 …)",
    responses=problem_responses(UnknownAuthority, UnknownCrlPartition),
)
def crl_partition(ca: str, partition: str, request: Request) -> Response:
    """DER CRL of the partition named by the certificates' distribution point (critical issuingDistributionPoint
    with the same URI); reissued on demand when dirty or past its nextUpdate."""
    if _PARTITION.fullmatch(partition) is None:
        raise UnknownCrlPartition(ca=ca, partition=partition)
    record = _services(request).crl.partition(ca, int(partition[1:]))
    return Response(record.der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=60"})


@router.get(
    "/ca/{ca}.crt",
    response_class=Response,
    summary="A CA certificate (root, class1, ocsp)",
    responses=problem_responses(UnknownAuthority),
)
def ca_certificate(ca: str, request: Request) -> Response:
    """DER certificate of the root, the issuing CA or the OCSP signer."""
    signer = _services(request).signers.get(ca)
    if signer is None:
        raise UnknownAuthority(ca=ca)
    return Response(signer.certificate.public_bytes(Encoding.DER), media_type="application/pkix-cert")


@router.get("/cps", response_class=Response, summary="Certification practice statement (summary)")
def cps(request: Request) -> Response:
    """The CPS URI named in certificate policies."""
    settings = _services(request).settings.ca
    text = (
        f"{settings.organization} 인증업무준칙 (CPS) / Certification Practice Statement\n\n"
        "이 인증기관은 jointcert 시험·개발용 인증기관입니다. 실제 전자서명 용도로 사용할 수 없습니다.\n"
        "This CA is a jointcert test and development CA; its certificates carry no legal weight.\n"
    )
    return Response(text, media_type="text/plain; charset=utf-8")
