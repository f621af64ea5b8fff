"""Certificate copy from the PC side: an HTTP client for the relay and the two flows the CLI runs.

Receiving (phone → PC)::

    client = RelayClient("https://bank.example")
    receiving = start_receive(client)                 # makes the code; shows receiving.code to the user
    wait_for_upload(client, receiving)                 # polls until the phone has sent
    payload = finish_receive(client, receiving)        # single download, AES-GCM checked
    folder = save_to_npki(payload, password, root)     # signPri.key (SEED, R kept) + signCert.der

Sending (PC → phone)::

    send_certificate(client, code, cert_der, sign_pri, password)

Errors are relay errors (:mod:`jointcert.relay.errors`) rebuilt from the server's problem responses, or
:class:`~jointcert.errors.Unavailable` when the server cannot be reached.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from jointcert.errors import JointcertError, Unavailable
from jointcert.npki.keyfile import DEFAULT_ITERATIONS as KEY_FILE_ITERATIONS
from jointcert.npki.keyfile import PrivateKeyBundle, decrypt_sign_pri, encrypt_sign_pri
from jointcert.npki.store import NpkiStore
from jointcert.relay import errors as relay_errors
from jointcert.relay import protocol
from jointcert.relay.errors import InvalidRelayRequest, TransferIdTaken
from jointcert.relay.model import DEFAULT_ITERATIONS, TransferStatus
from jointcert.relay.payload import CopyPayload, decode_payload, encode_payload, unwrap_key, wrap_key

__all__ = [
    "Receiving",
    "RelayClient",
    "RelayConfig",
    "RelayServerError",
    "TransferState",
    "finish_receive",
    "open_copied_key",
    "open_copied_km",
    "save_to_npki",
    "send_certificate",
    "start_receive",
    "wait_for_upload",
]

API = "/api/v1/relay"
_ERRORS: dict[str, type[JointcertError]] = {
    cls.code: cls
    for cls in vars(relay_errors).values()
    if isinstance(cls, type) and issubclass(cls, relay_errors.RelayError) and cls is not relay_errors.RelayError
}


class RelayServerError(Unavailable):
    """The relay answered with an error this client does not know."""

    code = "relay_server_error"
    message_ko = "인증서 복사 서버에서 오류가 발생했습니다."
    message_en = "The certificate copy server reported an error."


@dataclass(frozen=True)
class RelayConfig:
    """The relay's code length and limits."""

    code_digits: int
    ttl_seconds: int
    max_wrong_codes: int
    default_iterations: int


@dataclass(frozen=True)
class TransferState:
    """A transfer as the relay reports it."""

    transfer_id: str
    status: TransferStatus
    expires_at: datetime
    seconds_left: int
    attempts_left: int
    salt: bytes
    iterations: int


def _state(body: dict[str, Any]) -> TransferState:
    kdf = body["kdf"]
    return TransferState(
        transfer_id=str(body["id"]),
        status=TransferStatus(body["status"]),
        expires_at=datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00")),
        seconds_left=int(body["seconds_left"]),
        attempts_left=int(body["attempts_left"]),
        salt=base64.b64decode(kdf["salt"]),
        iterations=int(kdf["iterations"]),
    )


def _problem_error(response: httpx.Response) -> JointcertError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    cls = _ERRORS.get(str(body.get("code")), RelayServerError)
    extra = {k: v for k, v in body.items() if k in ("attempts_left", "retry_after", "transfer_id")}
    text_en = body.get("message_en") or body.get("detail")
    text_ko = body.get("message_ko")
    if cls is RelayServerError:
        text_en = f"The relay answered HTTP {response.status_code}: {text_en or response.reason_phrase}."
    return cls(text_en, message_ko=text_ko, **extra)


class RelayClient:
    """JSON client for ``/api/v1/relay`` on one server."""

    def __init__(self, base_url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, f"{API}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"Cannot reach the relay at {self.base_url}: {exc}.",
                message_ko=f"인증서 복사 서버({self.base_url})에 연결할 수 없습니다.",
            ) from exc
        if response.is_error:
            raise _problem_error(response)
        return None if response.status_code == 204 else response.json()

    def config(self) -> RelayConfig:
        """Code length and limits."""
        body = self._call("GET", "/config")
        return RelayConfig(
            int(body["code_digits"]),
            int(body["ttl_seconds"]),
            int(body["max_wrong_codes"]),
            int(body["default_iterations"]),
        )

    def create(self, transfer_id: str, salt: bytes, iterations: int, verifier: bytes) -> tuple[TransferState, str]:
        """Register a transfer; its state and the receiver token."""
        kdf = {"name": "PBKDF2", "hash": "SHA-256", "iterations": iterations, "salt": _b64(salt)}
        body = self._call("POST", "/transfers", json={"id": transfer_id, "kdf": kdf, "verifier": _b64(verifier)})
        return _state(body), str(body["receiver_token"])

    def status(self, transfer_id: str) -> TransferState:
        """The transfer's state and KDF parameters."""
        return _state(self._call("GET", f"/transfers/{transfer_id}"))

    def upload(self, transfer_id: str, proof: bytes, envelope: bytes) -> TransferState:
        """Send the envelope with the code's proof."""
        body = {"proof": _b64(proof), "envelope": _b64(envelope)}
        return _state(self._call("PUT", f"/transfers/{transfer_id}/payload", json=body))

    def download(self, transfer_id: str, token: str) -> bytes:
        """The envelope, once."""
        body = self._call("GET", f"/transfers/{transfer_id}/payload", headers=_bearer(token))
        return base64.b64decode(body["envelope"])

    def cancel(self, transfer_id: str, token: str) -> None:
        """Close the transfer."""
        self._call("DELETE", f"/transfers/{transfer_id}", headers=_bearer(token))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- receiving ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receiving:
    """A transfer this device created: the code to show, and what it needs to download and decrypt."""

    code: str
    state: TransferState
    token: str
    keys: protocol.CodeKeys

    @property
    def transfer_id(self) -> str:
        """The id (the code's first digits)."""
        return self.state.transfer_id

    @property
    def display_code(self) -> str:
        """The code grouped for reading: ``1234-5678-9012``."""
        return protocol.format_code(self.code)


def start_receive(client: RelayClient, *, iterations: int = DEFAULT_ITERATIONS, attempts: int = 5) -> Receiving:
    """Make a code, derive its keys and register the transfer (a new code if the id is taken)."""
    digits = client.config().code_digits
    for attempt in range(attempts):
        code, salt = protocol.new_code(digits), protocol.new_salt()
        keys = protocol.derive_keys(code, salt, iterations)
        try:
            state, token = client.create(protocol.transfer_id_of(code), salt, iterations, keys.verifier)
        except TransferIdTaken:
            if attempt == attempts - 1:
                raise
            continue
        return Receiving(code, state, token, keys)
    raise AssertionError("unreachable")  # pragma: no cover


def wait_for_upload(
    client: RelayClient,
    receiving: Receiving,
    *,
    on_tick: Callable[[TransferState], None] | None = None,
    interval: float = 1.5,
    sleep: Callable[[float], None] = time.sleep,
) -> TransferState:
    """Poll until the sender has uploaded; expired/burned/cancelled transfers raise their relay error."""
    while True:
        state = client.status(receiving.transfer_id)
        if on_tick is not None:
            on_tick(state)
        if state.status is TransferStatus.UPLOADED:
            return state
        _raise_if_finished(state)
        sleep(interval)


_FINISHED: dict[TransferStatus, type[JointcertError]] = {
    TransferStatus.EXPIRED: relay_errors.TransferExpired,
    TransferStatus.BURNED: relay_errors.TransferBurned,
    TransferStatus.DOWNLOADED: relay_errors.AlreadyDownloaded,
    TransferStatus.CANCELLED: relay_errors.TransferNotFound,
    TransferStatus.UPLOADED: relay_errors.AlreadyUploaded,
}


def _raise_if_finished(state: TransferState) -> None:
    error = _FINISHED.get(state.status)
    if error is not None and state.status is not TransferStatus.UPLOADED:
        raise error(transfer_id=state.transfer_id)


def finish_receive(client: RelayClient, receiving: Receiving) -> CopyPayload:
    """Download once, check and open the envelope, parse the payload."""
    envelope = client.download(receiving.transfer_id, receiving.token)
    salt = receiving.state.salt
    plaintext = protocol.open_envelope(receiving.keys, receiving.transfer_id, salt, envelope)
    return decode_payload(plaintext)


def _public_der(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _check_pair(payload_cert_der: bytes, bundle: PrivateKeyBundle) -> None:
    from cryptography import x509  # noqa: PLC0415

    cert = x509.load_der_x509_certificate(payload_cert_der)
    if _public_der(cert.public_key()) != _public_der(bundle.key.public_key()):
        raise InvalidRelayRequest(
            "The copied certificate does not belong to the copied private key.",
            message_ko="복사된 인증서와 개인키가 일치하지 않습니다.",
        )


def open_copied_key(payload: CopyPayload, password: str) -> PrivateKeyBundle:
    """The private key and R from the payload (``KeyFileUnreadable`` for a wrong password), checked against
    the certificate."""
    bundle = unwrap_key(payload.encrypted_key, password)
    _check_pair(payload.certificate_der, bundle)
    return bundle


def open_copied_km(payload: CopyPayload, password: str) -> PrivateKeyBundle | None:
    """The encryption key of a copied sign + km pair (same password), checked against the km certificate."""
    if payload.km_certificate_der is None or payload.km_encrypted_key is None:
        return None
    bundle = unwrap_key(payload.km_encrypted_key, password)
    _check_pair(payload.km_certificate_der, bundle)
    return bundle


def save_to_npki(
    payload: CopyPayload,
    bundle: PrivateKeyBundle,
    password: str,
    root: Path,
    *,
    overwrite: bool = False,
    iterations: int = KEY_FILE_ITERATIONS,
    km_bundle: PrivateKeyBundle | None = None,
) -> Path:
    """Write signCert.der + signPri.key (seedCBCWithSHA1 under the certificate password, R kept), and for a pair
    kmCert.der + kmPri.key (same password, no R)."""
    km = None
    if km_bundle is not None and payload.km_certificate_der is not None:
        km = (payload.km_certificate_der, encrypt_sign_pri(km_bundle, password, iterations=iterations))
    sign_pri = encrypt_sign_pri(bundle, password, iterations=iterations)
    return NpkiStore(root).write(payload.certificate_der, sign_pri, overwrite=overwrite, km=km)


# --- sending --------------------------------------------------------------------------------------------------


def send_certificate(
    client: RelayClient,
    code: str,
    cert_der: bytes,
    sign_pri: bytes,
    password: str,
    *,
    km: tuple[bytes, bytes] | None = None,
) -> TransferState:
    """Open ``sign_pri`` with ``password``, re-wrap it (PBES2/AES-256) and upload it for ``code``; with ``km`` =
    (kmCert.der, kmPri.key) the encryption pair travels with it, wrapped the same way."""
    code = protocol.parse_code(code)
    bundle = decrypt_sign_pri(sign_pri, password)
    _check_pair(cert_der, bundle)
    km_der, km_wrapped = None, None
    if km is not None:
        km_bundle = decrypt_sign_pri(km[1], password)
        _check_pair(km[0], km_bundle)
        km_der, km_wrapped = km[0], wrap_key(km_bundle, password)
    payload = encode_payload(CopyPayload(cert_der, wrap_key(bundle, password), km_der, km_wrapped))
    transfer_id = protocol.transfer_id_of(code)
    state = client.status(transfer_id)
    if state.status is not TransferStatus.WAITING:
        raise _FINISHED[state.status](transfer_id=transfer_id)
    keys = protocol.derive_keys(code, state.salt, state.iterations)
    envelope = protocol.seal_envelope(keys, transfer_id, state.salt, payload)
    return client.upload(transfer_id, keys.proof, envelope)
