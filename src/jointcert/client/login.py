"""Log in at a relying party (the demo sites under ``/rp/{site}``) with a certificate and key from a PC's NPKI folder.

The site's JSON API hands out a challenge bound to its session cookie; the key signs the challenge's ASCII bytes
(RSASSA-PKCS1-v1_5, SHA-256) and the certificate and signature go back. R (from signPri.key) is sent only to register
the certificate at the site (타기관 인증서 등록), together with the customer's name and resident number for the VID
check. The private key and the certificate password never leave this process.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from jointcert.errors import ErrorKind, InvalidInput, JointcertError, Unavailable
from jointcert.npki.keyfile import PrivateKeyBundle
from jointcert.rp import CertificateSummary, Check, CheckName, Reason, Status, Verdict
from jointcert.types import CertType

__all__ = [
    "SiteAnswer",
    "SiteClient",
    "SiteError",
    "SiteUnreachable",
    "verdict_from_dict",
]


class SiteUnreachable(Unavailable):
    """The relying party's site did not answer."""

    code = "site_unreachable"
    message_ko = "기관 사이트에 연결할 수 없습니다."
    message_en = "The relying party's site cannot be reached."


class SiteError(JointcertError):
    """The site refused the request itself (a problem response) or answered something unreadable."""

    kind = ErrorKind.INVALID
    code = "site_error"
    message_ko = "기관 사이트가 요청을 처리하지 못했습니다."
    message_en = "The relying party's site could not handle the request."


_KIND_BY_STATUS = {
    400: ErrorKind.INVALID,
    401: ErrorKind.AUTHENTICATION,
    403: ErrorKind.DENIED,
    404: ErrorKind.NOT_FOUND,
    409: ErrorKind.CONFLICT,
    410: ErrorKind.EXPIRED,
    422: ErrorKind.INVALID,
    423: ErrorKind.LOCKED,
}
_SITE_ERRORS: dict[ErrorKind, type[SiteError]] = {
    kind: cast(type[SiteError], type(f"SiteError{kind.name.title()}", (SiteError,), {"kind": kind}))
    for kind in ErrorKind
}


def _problem(response: httpx.Response) -> JointcertError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    kind = _KIND_BY_STATUS.get(response.status_code, ErrorKind.UNAVAILABLE)
    code = str(body.get("code") or f"http_{response.status_code}")
    text_en = str(body.get("message_en") or body.get("detail") or body.get("title") or response.reason_phrase)
    text_ko = str(body.get("message_ko") or SiteError.message_ko)
    return _SITE_ERRORS[kind](f"{text_en} (HTTP {response.status_code}, {code})", message_ko=text_ko, problem=code)


def _summary(data: dict[str, Any]) -> CertificateSummary:
    cert_type = data.get("cert_type")
    return CertificateSummary(
        subject=str(data["subject"]),
        issuer=str(data["issuer"]),
        serial=int(str(data["serial"]), 16),
        fingerprint_sha256=str(data["fingerprint_sha256"]),
        not_before=datetime.fromisoformat(str(data["not_before"])),
        not_after=datetime.fromisoformat(str(data["not_after"])),
        policy_oids=tuple(str(oid) for oid in data.get("policy_oids", ())),
        cert_type=CertType(cert_type) if cert_type else None,
        policy_label_ko=data.get("policy_label_ko"),
        real_name=data.get("real_name"),
        has_vid=bool(data.get("has_vid")),
    )


def verdict_from_dict(data: dict[str, Any]) -> Verdict:
    """The :class:`Verdict` a site sent as JSON (``Verdict.to_dict()``); :class:`SiteError` if it is not one."""
    try:
        checks = tuple(
            Check(
                CheckName(c["name"]), Status(c["status"]), Reason(c["code"]), str(c["message_ko"]), str(c["message_en"])
            )
            for c in data["checks"]
        )
        certificate = _summary(data["certificate"]) if data.get("certificate") else None
        return Verdict(checks, certificate, data.get("institution_id"), data.get("customer_id"))
    except (KeyError, TypeError, ValueError) as exc:
        raise SiteError("The site's answer is not a verdict.", message_ko="기관의 응답을 읽을 수 없습니다.") from exc


@dataclass(frozen=True)
class SiteAnswer:
    """A verdict from the site and what it says to do next (``register`` for a certificate new there)."""

    verdict: Verdict
    institution: dict[str, Any]
    next: str | None
    customer_name: str | None
    raw: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class SiteClient:
    """One session at one relying party: ``SiteClient("http://127.0.0.1:8000/rp/saebit-bank")``."""

    def __init__(self, site_url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> None:
        url = site_url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(
                "The site URL must start with http:// or https://.",
                message_ko="기관 주소는 http:// 또는 https://로 시작해야 합니다.",
            )
        self.site_url = url
        self._http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._institution: dict[str, Any] = {}

    def close(self) -> None:
        """End the session (close the connections)."""
        self._http.close()

    def __enter__(self) -> SiteClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _post(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.site_url}/api/{action}"
        try:
            response = self._http.post(url, json=body if body is not None else {})
        except httpx.HTTPError as exc:
            raise SiteUnreachable(
                f"Cannot reach {url}: {type(exc).__name__}.", message_ko=f"{self.site_url}에 연결할 수 없습니다."
            ) from exc
        if response.is_error:
            raise _problem(response)
        try:
            answer = response.json()
        except ValueError as exc:
            raise SiteError(f"{url} did not answer JSON.", message_ko="기관의 응답을 읽을 수 없습니다.") from exc
        if not isinstance(answer, dict):
            raise SiteError(f"{url} did not answer a JSON object.", message_ko="기관의 응답을 읽을 수 없습니다.")
        return answer

    def _signed(self, certificate: bytes, bundle: PrivateKeyBundle) -> dict[str, Any]:
        issued = self._post("challenge")
        challenge = str(issued.get("challenge", ""))
        if not challenge.isascii() or not challenge:
            raise SiteError("The site sent no usable challenge.", message_ko="기관이 보낸 요청 값이 올바르지 않습니다.")
        self._institution = dict(issued.get("institution") or {})
        signature = bundle.key.sign(challenge.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return {"challenge": challenge, "certificate": _b64(certificate), "signature": _b64(signature)}

    def _answer(self, body: dict[str, Any]) -> SiteAnswer:
        return SiteAnswer(
            verdict=verdict_from_dict(body),
            institution=self._institution,
            next=body.get("next"),
            customer_name=body.get("customer_name"),
            raw=body,
        )

    def login(self, certificate: bytes, bundle: PrivateKeyBundle) -> SiteAnswer:
        """Sign a fresh challenge and log in (the certificate must be registered where the site requires it)."""
        return self._answer(self._post("login", self._signed(certificate, bundle)))

    def register(self, certificate: bytes, bundle: PrivateKeyBundle, *, name: str, rrn: str) -> SiteAnswer:
        """타기관 인증서 등록: sign a fresh challenge and send R, the name and the resident number as well."""
        if not bundle.random_num:
            raise InvalidInput(
                "The key file carries no R (randomNum): the site cannot check the VID.",
                message_ko="개인키 파일에 R(randomNum)이 없어 본인확인(VID)을 할 수 없습니다.",
            )
        body = self._signed(certificate, bundle) | {"random_num": _b64(bundle.random_num), "name": name, "rrn": rrn}
        return self._answer(self._post("register", body))
