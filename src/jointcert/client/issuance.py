"""Python SDK for the bank's JSON enrollment (ir → certConf shape): enroll, save, then confirm.

What a third-party app must do (docs/issuance-flow.md): ``POST …/enrollment`` with the new key's SPKI, R and its
signature over the session's challenge; save the certificate (with the key) where the customer will find it; then
``POST …/enrollment/confirm`` with the new key's signature over ``jointcert-confirm:<challenge>:<serial hex>``.
A lost answer is safe to retry with the same body: the same session returns the same certificate and fee, and a
repeated confirmation answers the same. Without the confirmation the bank revokes the new certificate after
``ra.confirm_wait_seconds`` and refunds the fee; the older certificate stays valid.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jointcert.errors import Unavailable

__all__ = [
    "CONFIRM_PREFIX",
    "TOKEN_HEADER",
    "Delivered",
    "IssuanceClient",
    "confirmation_body",
    "confirmation_message",
    "enrollment_body",
]

CONFIRM_PREFIX = "jointcert-confirm"  # the RA's ra.saga.CONFIRM_PREFIX
TOKEN_HEADER = "X-Issuance-Token"  # noqa: S105 (a header name, not a secret)
_RETRY_CODES = frozenset({"ra_issuance_in_progress", "ra_session_busy"})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _sign(key: rsa.RSAPrivateKey, text: str) -> bytes:
    return key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())


def enrollment_body(
    key: rsa.RSAPrivateKey, challenge: str, random_num: bytes, km_key: rsa.RSAPrivateKey | None = None
) -> dict[str, str]:
    """The JSON body of ``POST …/enrollment``: SPKI, R and the proof of possession over the challenge; with
    ``km_key`` also the encryption key's SPKI and its signature over the same challenge (a sign + km pair)."""
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    body = {"public_key": _b64(spki), "random_num": _b64(random_num), "signature": _b64(_sign(key, challenge))}
    if km_key is not None:
        km_spki = km_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        body |= {"km_public_key": _b64(km_spki), "km_signature": _b64(_sign(km_key, challenge))}
    return body


def confirmation_message(challenge: str, serial_hex: str) -> str:
    """What the new key signs to confirm the certificate was saved."""
    return f"{CONFIRM_PREFIX}:{challenge}:{serial_hex}"


def confirmation_body(key: rsa.RSAPrivateKey, challenge: str, serial_hex: str) -> dict[str, str]:
    """The JSON body of ``POST …/enrollment/confirm``."""
    return {"signature": _b64(_sign(key, confirmation_message(challenge, serial_hex)))}


@dataclass(frozen=True)
class Delivered:
    """The enrollment's answer (``CertificateOut``) and the challenge it answered."""

    challenge: str
    response: dict[str, Any]

    @property
    def serial(self) -> str:
        """The certificate's serial (hex)."""
        return str(self.response["serial"])

    @property
    def certificate_der(self) -> bytes:
        """The certificate (DER)."""
        return base64.b64decode(self.response["certificate"])

    @property
    def km_certificate_der(self) -> bytes | None:
        """The encryption certificate (kmCert.der) of a sign + km pair, if one was asked for."""
        km = self.response.get("km_certificate")
        return None if km is None else base64.b64decode(km)


class IssuanceClient:
    """One issuance session over HTTP at ``base_url`` (``/api/v1/issuance``), from READY on."""

    def __init__(
        self, http: httpx.Client, session_id: str, token: str, *, lost_answers: int = 3, busy: int = 30
    ) -> None:
        """``lost_answers``: retries after a lost connection; ``busy``: retries while a crashed attempt is being
        settled by the bank (``ra_issuance_in_progress``, a few seconds)."""
        self._http, self._token, self._lost, self._busy = http, token, lost_answers, busy
        self._base = f"/api/v1/issuance/sessions/{session_id}"

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST, repeating it with the same body after a lost answer or an "in progress" refusal."""
        lost = busy = 0
        while True:
            try:
                reply = self._http.post(self._base + path, json=body, headers={TOKEN_HEADER: self._token})
            except httpx.TransportError:
                lost += 1
                if lost > self._lost:
                    raise
                time.sleep(min(2.0, 0.2 * 2**lost))
                continue
            if reply.status_code == 409 and reply.json().get("code") in _RETRY_CODES and busy < self._busy:
                busy += 1
                time.sleep(0.5)
                continue
            if reply.status_code >= 400:
                raise Unavailable(f"{path}: {reply.status_code} {reply.text[:300]}")
            result: dict[str, Any] = reply.json()
            return result

    def challenge(self) -> str:
        """The session's enrollment challenge."""
        return str(self._post("/enrollment/challenge", {})["challenge"])

    def enroll(
        self,
        key: rsa.RSAPrivateKey,
        random_num: bytes,
        challenge: str | None = None,
        *,
        km_key: rsa.RSAPrivateKey | None = None,
    ) -> Delivered:
        """Issue (or, on a retry, receive again) the session's certificate for ``key`` (and with ``km_key`` the
        encryption certificate of the pair)."""
        text = challenge or self.challenge()
        return Delivered(text, self._post("/enrollment", enrollment_body(key, text, random_num, km_key)))

    def confirm(self, key: rsa.RSAPrivateKey, delivered: Delivered) -> dict[str, Any]:
        """Confirm after saving: the older certificate is superseded and the fee final."""
        return self._post("/enrollment/confirm", confirmation_body(key, delivered.challenge, delivered.serial))
