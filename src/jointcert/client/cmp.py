"""CMP client over HTTP (httpx): enroll (``ir``), renew (``kur``), revoke (``rr``), CA certificates (``genm``).

The key pair and R are made here, on the applicant's side; only the public key, the proof of possession and R
(as the template extension the CA turns into the VID) travel. Answers are checked before they are believed:
``ir`` answers must carry the PBM of the authorization code; ``kur``/``rr`` answers must be signed by the CA that
issued the certificate being renewed or revoked.

An enrollment is confirmed only when the caller says so (:meth:`PendingCertificate.confirm`), so a client that
cannot store the new certificate rejects it instead (:meth:`PendingCertificate.reject`) and the CA revokes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.clock import Clock, SystemClock
from jointcert.cmp.client import (
    ca_certs_from,
    cert_conf,
    check_response,
    follow_up_header,
    genm_ca_certs,
    issued_certificate,
    new_cert_request,
    request_header,
    revocation_request,
    revocation_status,
)
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpError, CmpRejected, FailInfo
from jointcert.cmp.http import CONTENT_TYPE
from jointcert.cmp.model import (
    Body,
    BodyType,
    CertRepBody,
    CertReqBody,
    CrlReason,
    PkiConfBody,
    PkiHeader,
    PkiMessage,
)
from jointcert.cmp.protection import PbmProtection, Protection, SignatureProtection, verify_pbm, verify_signature
from jointcert.errors import InvalidInput, Unavailable
from jointcert.npki.keyfile import PrivateKeyBundle, generate_bundle

__all__ = ["KM_CERT_REQ_ID", "TEMPLATE_SUBJECT", "CmpClient", "PendingCertificate"]

KM_CERT_REQ_ID = 1  # the encryption (km) request of a sign + km pair; the signing request is certReqId 0

TEMPLATE_SUBJECT = x509.Name.from_rfc4514_string("CN=jointcert applicant")  # ignored: the CA builds the subject


@dataclass
class PendingCertificate:
    """A certificate the CA issued and waits to see confirmed (certConf) or rejected."""

    certificate: x509.Certificate
    bundle: PrivateKeyBundle  # the new private key and R (kept for signPri.key)
    ca_certificates: tuple[x509.Certificate, ...]
    _finish: Callable[[bool], None] = field(repr=False)
    done: bool = False
    km_certificate: x509.Certificate | None = None  # the encryption certificate of a sign + km pair
    km_bundle: PrivateKeyBundle | None = None  # its private key (no R: kmPri.key carries none)

    def confirm(self) -> None:
        """Accept the certificate (certConf); from now on it supersedes the holder's older one."""
        self._finish(True)
        self.done = True

    def reject(self) -> None:
        """Refuse the certificate (certConf with a rejection): the CA revokes it."""
        self._finish(False)
        self.done = True


class CmpClient:
    """Talks CMP to ``url`` (e.g. ``http://127.0.0.1:8000/cmp``)."""

    def __init__(
        self, url: str, *, http: httpx.Client | None = None, timeout: float = 30.0, clock: Clock | None = None
    ) -> None:
        self.url = url
        self._http = http or httpx.Client(timeout=timeout)
        self._owns_http = http is None
        self._clock = (clock or SystemClock()).now

    def close(self) -> None:
        """Close the HTTP connection pool (if this client made it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> CmpClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------------------------------
    def _post(self, der: bytes) -> PkiMessage:
        try:
            response = self._http.post(self.url, content=der, headers={"Content-Type": CONTENT_TYPE})
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"The CMP server {self.url} cannot be reached: {exc}.", message_ko="CMP 서버에 연결할 수 없습니다."
            ) from exc
        if response.status_code != 200 or response.headers.get("content-type", "").split(";")[0] != CONTENT_TYPE:
            raise Unavailable(
                f"The CMP server answered HTTP {response.status_code} ({response.text[:200]!r}).",
                message_ko=f"CMP 서버가 HTTP {response.status_code}로 응답했습니다.",
            )
        return parse_message(response.content)

    def _exchange(self, header: PkiHeader, body: Body, protection: Protection) -> PkiMessage:
        reply = self._post(encode_message(header, body, protection=protection))
        try:
            check_response(header, reply)
        except CmpRejected as exc:  # name the failInfo bits, so a person can tell what went wrong
            bits = ", ".join(exc.details.get("fail_infos", [])) or exc.fail_info.rfc_name
            raise CmpRejected(
                f"{exc.text_en} (failInfo: {bits})",
                fail_info=exc.fail_info,
                message_ko=f"{exc.text_ko} (failInfo: {bits})",
                fail_infos=exc.details.get("fail_infos", []),
            ) from exc
        return reply

    # --- enrollment ------------------------------------------------------------------------------------------
    def enroll(
        self,
        reference_number: str,
        authorization_code: str,
        *,
        bundle: PrivateKeyBundle | None = None,
        km: bool = False,
    ) -> PendingCertificate:
        """``ir`` with PBM (senderKID = reference number, secret = authorization code) for a new key and R; with
        ``km`` a second key and certReqId 1 ask for the encryption certificate of a sign + km pair."""
        bundle = bundle or generate_bundle()
        if bundle.random_num is None:
            raise InvalidInput("The key has no R (randomNum).", message_ko="키에 R(randomNum)이 없습니다.")
        secret = authorization_code.strip().encode()
        pbm = PbmProtection(secret)
        header = request_header(sender_kid=reference_number.strip().encode(), message_time=self._clock())
        requests = [new_cert_request(bundle.key, subject=TEMPLATE_SUBJECT, random_num=bundle.random_num)]
        km_bundle = _km_bundle(km)
        if km_bundle is not None:
            requests.append(new_cert_request(km_bundle.key, subject=TEMPLATE_SUBJECT, cert_req_id=KM_CERT_REQ_ID))
        reply = self._exchange(header, CertReqBody(BodyType.IR, tuple(requests)), pbm)
        verify_pbm(reply, secret)
        return self._pending(header, reply, (bundle, km_bundle), pbm, lambda message: verify_pbm(message, secret))

    def renew(self, certificate: x509.Certificate, bundle: PrivateKeyBundle, *, km: bool = False) -> PendingCertificate:
        """``kur`` signed with the current certificate; the new key keeps the current R (the CA copies the VID);
        with ``km`` a new encryption key renews the km certificate of the pair too."""
        new = PrivateKeyBundle(generate_bundle().key, bundle.random_num)
        protection = SignatureProtection(bundle.key, certificate)
        header = request_header(message_time=self._clock())
        requests = [new_cert_request(new.key, subject=certificate.subject, old_certificate=certificate)]
        km_bundle = _km_bundle(km)
        if km_bundle is not None:
            requests.append(new_cert_request(km_bundle.key, subject=certificate.subject, cert_req_id=KM_CERT_REQ_ID))
        reply = self._exchange(header, CertReqBody(BodyType.KUR, tuple(requests)), protection)
        check = _issued_by(certificate)
        check(reply)
        return self._pending(header, reply, (new, km_bundle), protection, check)

    def _pending(
        self,
        header: PkiHeader,
        reply: PkiMessage,
        bundles: tuple[PrivateKeyBundle, PrivateKeyBundle | None],
        protection: Protection,
        check: Callable[[PkiMessage], None],
    ) -> PendingCertificate:
        bundle, km_bundle = bundles
        certificate = _certified(reply, 0, bundle)
        km_certificate = None if km_bundle is None else _certified(reply, KM_CERT_REQ_ID, km_bundle)
        more = () if km_certificate is None else ((km_certificate, KM_CERT_REQ_ID),)
        ca_certs = reply.body.ca_pubs if isinstance(reply.body, CertRepBody) else ()
        ca_certs += tuple(c for c in reply.extra_certs if c not in ca_certs)

        def finish(accept: bool) -> None:
            conf_header = follow_up_header(header, reply.header, message_time=self._clock())
            reject = None if accept else FailInfo.BAD_CERT_TEMPLATE
            answer = self._exchange(conf_header, cert_conf(certificate, reject=reject, more=more), protection)
            check(answer)
            if not isinstance(answer.body, PkiConfBody):
                raise CmpError(f"Expected pkiConf, got {answer.type}.", fail_info=FailInfo.BAD_REQUEST)

        done = (lambda _: None) if reply.header.implicit_confirm else finish
        return PendingCertificate(
            certificate, bundle, ca_certs, done, km_certificate=km_certificate, km_bundle=km_bundle
        )

    # --- revocation and CA certificates ----------------------------------------------------------------------
    def revoke(self, certificate: x509.Certificate, key: rsa.RSAPrivateKey, reason: CrlReason | None = None) -> None:
        """``rr`` signed with the certificate itself (self-revocation)."""
        header = request_header(message_time=self._clock())
        reply = self._exchange(header, revocation_request(certificate, reason), SignatureProtection(key, certificate))
        _issued_by(certificate)(reply)
        revocation_status(reply)

    def ca_certificates(self) -> tuple[x509.Certificate, ...]:
        """``genm`` id-it-caCerts (unprotected request; the answer is signed by the CA and not checked here:
        pin what you trust out of band)."""
        header = request_header(message_time=self._clock())
        reply = self._post(encode_message(header, genm_ca_certs()))
        check_response(header, reply)
        return ca_certs_from(reply)


def _km_bundle(km: bool) -> PrivateKeyBundle | None:
    """A new encryption key for a sign + km pair (no R: the VID is the signing certificate's alone)."""
    return PrivateKeyBundle(generate_bundle().key, None) if km else None


def _certified(reply: PkiMessage, cert_req_id: int, bundle: PrivateKeyBundle) -> x509.Certificate:
    certificate = issued_certificate(reply, cert_req_id)
    if certificate.public_key() != bundle.key.public_key():
        raise CmpError("The CA certified another key.", fail_info=FailInfo.BAD_CERT_ID)
    return certificate


def _issued_by(certificate: x509.Certificate) -> Callable[[PkiMessage], None]:
    """A check that an answer is signed by the CA that issued ``certificate``."""

    def check(message: PkiMessage) -> None:
        signer = verify_signature(message)
        try:
            certificate.verify_directly_issued_by(signer)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CmpError(
                "The answer is not signed by the CA that issued the certificate.",
                fail_info=FailInfo.SIGNER_NOT_TRUSTED,
            ) from exc

    return check
