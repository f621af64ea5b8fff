"""The cross-origin wallet protocol (version 1), relying-party side: build a request, verify a response.

A relying party on its own origin asks the bank's wallet (popup + postMessage, or a redirect) to sign. The wallet
signs a *binding*: the exact UTF-8 JSON bytes ``{"v":1,"type":"jointcert-wallet-binding","kind",…,"client_id",
"origin","challenge",…}``, as a detached CMS SignedData carrying the certificate. The relying party checks that the
binding names its own client id, its own origin and the challenge it issued to this session (single use), then runs
every certificate check of its :class:`~jointcert.rp.verifier.Verifier`. For ``kind == "sign"`` the wallet also
returns a detached CMS SignedData over the document (messageDigest = the document's SHA-256) that ``openssl cms
-verify`` accepts; the relying party checks it against the document it holds. docs/wallet-protocol.md specifies it.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from jointcert.errors import InvalidInput
from jointcert.rp.certinfo import fingerprint
from jointcert.rp.checks import Check, CheckName, Reason, Verdict
from jointcert.rp.signature import ContentMismatch, MalformedSignature, SignatureInvalid, verify_signed_data
from jointcert.rp.verifier import SignedLogin, Verifier

__all__ = [
    "BINDING_TYPE",
    "PROTOCOL_VERSION",
    "REQUEST_TYPE",
    "RESPONSE_TYPE",
    "Binding",
    "DocumentToSign",
    "InvalidWalletResponse",
    "WalletKind",
    "WalletResponse",
    "WalletResponseVerifier",
    "build_request",
]

PROTOCOL_VERSION = 1
REQUEST_TYPE = "jointcert-wallet-request"
RESPONSE_TYPE = "jointcert-wallet-response"
BINDING_TYPE = "jointcert-wallet-binding"
MAX_DISPLAY_TEXT = 2000
MAX_BINDING = 8 * 1024
MAX_SIGNED_DATA = 48 * 1024


class WalletKind(enum.StrEnum):
    """What the relying party asks the wallet to sign."""

    LOGIN = "login"
    SIGN = "sign"


class InvalidWalletResponse(InvalidInput):
    """The wallet response is not a well-formed version-1 response."""

    code = "invalid_wallet_response"
    message_ko = "인증서 지갑의 응답 형식이 올바르지 않습니다."
    message_en = "The wallet response is malformed."


@dataclass(frozen=True)
class DocumentToSign:
    """A document the relying party holds: its SHA-256, the text the wallet shows, a file name."""

    sha256: bytes
    display_text: str
    name: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON view (hash in standard base64)."""
        return {"sha256": base64.b64encode(self.sha256).decode(), "display_text": self.display_text, "name": self.name}


def build_request(
    *,
    client_id: str,
    origin: str,
    challenge: str,
    kind: WalletKind = WalletKind.LOGIN,
    policies: tuple[str, ...] = (),
    cert_types: tuple[str, ...] = (),
    document: DocumentToSign | None = None,
    request_id: str = "",
    identify: bool = False,
) -> dict[str, Any]:
    """The request a relying party's server hands its page (the page adds ``return_url``/``state`` to redirect).
    ``identify`` asks the wallet for R too, for the VID check against the resident number the party holds."""
    if (kind is WalletKind.SIGN) != (document is not None):
        raise ValueError("a document goes with kind 'sign', and only with it")
    if document is not None and (len(document.sha256) != 32 or len(document.display_text) > MAX_DISPLAY_TEXT):
        raise ValueError("document.sha256 is 32 bytes; display_text at most 2000 characters")
    request: dict[str, Any] = {
        "v": PROTOCOL_VERSION,
        "type": REQUEST_TYPE,
        "request_id": request_id or challenge[:16],
        "client_id": client_id,
        "origin": origin,
        "challenge": challenge,
        "kind": kind.value,
        "accept": {"policies": list(policies), "cert_types": list(cert_types)},
    }
    if document is not None:
        request["document"] = document.to_dict()
    if identify:
        request["identify"] = True
    return request


def _b64(value: object, field: str, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 4:
        raise InvalidWalletResponse(f"{field} must be base64 text of at most {limit} bytes.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidWalletResponse(f"{field} is not standard base64.") from exc


@dataclass(frozen=True)
class WalletResponse:
    """A successful wallet response as the relying party's page posts it to its server."""

    binding: bytes
    signed_data: bytes
    document_signature: bytes | None = None
    random_num: bytes | None = None

    @classmethod
    def from_json(cls, data: object) -> WalletResponse:
        """Parse the JSON object (``v``, ``type``, ``status: "ok"``, base64 fields); :class:`InvalidWalletResponse`."""
        if not isinstance(data, dict):
            raise InvalidWalletResponse("The response is a JSON object.")
        if data.get("v") != PROTOCOL_VERSION or data.get("type") != RESPONSE_TYPE or data.get("status") != "ok":
            raise InvalidWalletResponse("Not a successful version-1 wallet response.")
        doc = data.get("document_signature")
        r = data.get("random_num")
        return cls(
            binding=_b64(data.get("binding"), "binding", MAX_BINDING),
            signed_data=_b64(data.get("signed_data"), "signed_data", MAX_SIGNED_DATA),
            document_signature=_b64(doc, "document_signature", MAX_SIGNED_DATA) if doc is not None else None,
            random_num=_b64(r, "random_num", 64) if r is not None else None,
        )


@dataclass(frozen=True)
class Binding:
    """The parsed binding the wallet signed."""

    kind: str
    client_id: str
    origin: str
    challenge: str
    wallet: str
    signed_at: str
    document_sha256: bytes | None

    @classmethod
    def parse(cls, raw: bytes) -> Binding | None:
        """The binding of version 1, or None when the bytes are not one."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("v") != PROTOCOL_VERSION or data.get("type") != BINDING_TYPE:
            return None
        fields = [data.get(k) for k in ("kind", "client_id", "origin", "challenge", "wallet", "signed_at")]
        if not all(isinstance(f, str) for f in fields):
            return None
        document = data.get("document")
        digest: bytes | None = None
        if document is not None:
            try:
                digest = base64.b64decode(document["sha256"], validate=True)
            except (TypeError, KeyError, binascii.Error, ValueError):
                return None
        kind, client_id, origin, challenge, wallet, signed_at = (str(f) for f in fields)
        return cls(kind, client_id, origin, challenge, wallet, signed_at, digest)


def _mismatch(en: str) -> Verdict:
    ko = Reason.BINDING_MISMATCH.message_ko
    return Verdict((Check.failed(CheckName.BINDING, Reason.BINDING_MISMATCH, ko, en),))


class WalletResponseVerifier:
    """Verifies wallet responses for one relying party: its verifier, client id and origin."""

    def __init__(self, verifier: Verifier, *, client_id: str, origin: str) -> None:
        self._verifier = verifier
        self.client_id = client_id
        self.origin = origin

    def verify(
        self,
        response: WalletResponse,
        *,
        session_id: str,
        kind: WalletKind = WalletKind.LOGIN,
        document: bytes | None = None,
        rrn: str | None = None,
        customer_id: str | None = None,
    ) -> Verdict:
        """Binding (version, kind, client id, origin), then the login checks (challenge once, CMS over the binding,
        chain, validity, key usage, policy, revocation, VID when ``rrn`` is given); for ``sign`` the document too."""
        binding = Binding.parse(response.binding)
        if binding is None:
            return _mismatch("The signed binding is not a version-1 wallet binding.")
        for label, got, want in (
            ("kind", binding.kind, kind.value),
            ("client_id", binding.client_id, self.client_id),
            ("origin", binding.origin, self.origin),
        ):
            if not hmac.compare_digest(got.encode(), want.encode()):
                return _mismatch(f"The response was signed for {label} {got!r}, not {want!r}.")
        login = SignedLogin(
            challenge=binding.challenge,
            session_id=session_id,
            signed_data=response.signed_data,
            signed_content=response.binding,
            random_num=response.random_num,
        )
        verdict = self._verifier.verify_login(login, rrn=rrn, customer_id=customer_id)
        passed = Check.passed(
            CheckName.BINDING,
            f"이 기관({binding.origin})을 위해 서명된 응답입니다.",
            f"Signed for this relying party ({binding.client_id}, {binding.origin}).",
        )
        verdict = verdict.with_checks([], checks=(passed, *verdict.checks))
        if kind is WalletKind.SIGN:
            verdict = verdict.with_checks([self._document_check(response, binding, document, verdict)])
        return verdict

    @staticmethod
    def _document_check(response: WalletResponse, binding: Binding, document: bytes | None, verdict: Verdict) -> Check:
        def fail(en: str) -> Check:
            return Check.failed(CheckName.DOCUMENT, Reason.DOCUMENT_MISMATCH, Reason.DOCUMENT_MISMATCH.message_ko, en)

        if document is None or response.document_signature is None or binding.document_sha256 is None:
            return fail("The document, its signature or its hash in the binding is missing.")
        digest = hashlib.sha256(document).digest()
        if not hmac.compare_digest(digest, binding.document_sha256):
            return fail("The binding names another document.")
        try:
            message = verify_signed_data(response.document_signature, detached_content=document)
        except (ContentMismatch, SignatureInvalid, MalformedSignature) as exc:
            return fail(f"The document signature does not verify: {exc.text_en}")
        signer = fingerprint(message.signer)
        if verdict.certificate is None or signer != verdict.certificate.fingerprint_sha256:
            return fail("The document was signed with another certificate than the binding.")
        when = f", {message.signing_time:%Y-%m-%d %H:%M:%S} UTC" if message.signing_time else ""
        return Check.passed(
            CheckName.DOCUMENT,
            f"문서 서명이 확인되었습니다 (SHA-256 {digest.hex()[:16]}…{when}).",
            f"Detached CMS over the document verified (SHA-256 {digest.hex()[:16]}…{when}).",
        )
