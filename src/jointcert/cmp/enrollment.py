"""Enrollment handlers: ``ir``/``cr`` (PBM with the reference number and authorization code) and ``kur``
(signed with the certificate being renewed).

Order of checks: protection first (nothing about the request is believed before it), then the CertReqMsgs (key,
proof of possession, R), then the transactionID is taken, then the CA pipeline runs. One CertReqMsg asks for the
signing certificate; two (distinct certReqIds, the signing request with R first, the encryption key second, as
real NPKI clients send them) ask for a sign + km pair, issued by the CA as one unit and answered by one ip with a
CertResponse per certReqId. A refused
request leaves no transaction and no certificate behind; a failure after the certificate was signed revokes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cryptography import x509

from jointcert import faults
from jointcert.ca.authority import IssuanceRequest, IssuedCertificate, RenewalRequest, SignatureProof
from jointcert.ca.errors import AlreadyRevoked
from jointcert.ca.registration import Applicant
from jointcert.ca.validate import validate_public_key
from jointcert.cmp import confirmation, oids
from jointcert.cmp.errors import CmpError, CmpProtectionFailed, FailInfo
from jointcert.cmp.exchange import SECRET_PURPOSE, Deps, Exchange, fingerprint
from jointcert.cmp.model import BodyType, CertId, CertReqBody, CertRequest, CertResponse
from jointcert.cmp.pop import verify_pop
from jointcert.cmp.ports import TransactionRecord, TransactionState
from jointcert.cmp.protection import ProtectionKind, pbm_parameters, protection_kind, verify_pbm, verify_signature
from jointcert.cmp.random_num import extract_random_num
from jointcert.cmp.server import cert_rep_body, cert_response
from jointcert.cmp.signers import trusted_signer

__all__ = ["RandomNumRequired", "RenewalNotDue", "authenticate_pbm", "enroll", "renew"]

log = logging.getLogger(__name__)
_ANSWER = {BodyType.IR: BodyType.IP, BodyType.CR: BodyType.CP, BodyType.KUR: BodyType.KUP}


class RenewalNotDue(CmpError):
    """kur before the bank's renewal window opens (``ra.renewal_window_days`` before expiry), as the wallet says."""

    code = "cmp_renewal_not_due"
    message_ko = "인증서 갱신은 만료일 전 갱신 기간에만 가능합니다."
    message_en = "The certificate can be renewed only within the renewal window before it expires."
    default_fail_info = FailInfo.NOT_AUTHORIZED


def _check_renewal_window(deps: Deps, not_after: datetime) -> None:
    if deps.renewal_window is None:
        return
    opens = not_after - deps.renewal_window
    if deps.clock.now() >= opens:
        return
    days, when = deps.renewal_window.days, opens.date().isoformat()
    raise RenewalNotDue(
        f"The certificate can be renewed only within {days} days before it expires (from {when}).",
        message_ko=f"인증서 갱신은 만료 {days}일 전부터 가능합니다 ({when}부터).",
        renewable_from=opens.isoformat(),
    )


def _bad_template(text: str, text_ko: str) -> CmpError:
    return CmpError(text, fail_info=FailInfo.BAD_CERT_TEMPLATE, message_ko=text_ko)


def authenticate_pbm(deps: Deps, ex: Exchange) -> tuple[str, bytes]:
    """Check a PBM-protected request against the registration named by senderKID; returns the reference number
    and the authorization code, and makes the exchange answer under PBM from now on."""
    message = ex.message
    if protection_kind(message) is not ProtectionKind.PBM:
        raise CmpError(
            "This request must be protected with the authorization code (PBM).",
            fail_info=FailInfo.WRONG_INTEGRITY,
            message_ko="인가코드(PBM)로 보호된 요청이어야 합니다.",
        )
    assert message.header.protection_alg is not None  # by protection_kind
    pbm_parameters(message.header.protection_alg)  # bounds first: refused parameters do not count as a MAC failure
    kid = message.header.sender_kid or b""
    reference = kid.decode("ascii", "replace")
    if kid.isdigit() and len(kid) <= 16:
        ex.facts["reference_number"] = reference
    secret: list[bytes] = []

    def matches(code: bytes) -> bool:
        try:
            verify_pbm(message, code)
        except CmpProtectionFailed:
            return False
        secret.append(code)
        return True

    deps.registrations.authenticate(reference, matches)
    ex.protection = deps.pbm(secret[0])
    return reference, secret[0]


def _requests(ex: Exchange) -> tuple[CertRequest, CertRequest | None]:
    """The signing request and, for a sign + km pair, the encryption (km) request."""
    body = ex.message.body
    assert isinstance(body, CertReqBody)
    if len(body.requests) not in (1, 2):
        raise CmpError(
            "One certificate request (signing) or two (signing + encryption) per message are supported.",
            fail_info=FailInfo.BAD_REQUEST,
            message_ko="요청 하나(서명용) 또는 둘(서명용 + 암호화용)만 지원합니다.",
        )
    if len(body.requests) == 1:
        return body.requests[0], None
    sign, km = body.requests
    if sign.cert_req_id == km.cert_req_id:
        raise CmpError(
            "The two certificate requests need distinct certReqIds.",
            fail_info=FailInfo.BAD_REQUEST,
            message_ko="두 인증서 요청의 certReqId가 달라야 합니다.",
        )
    if km.template.public_key == sign.template.public_key:
        raise _bad_template(
            "The encryption (km) key must differ from the signing key.",
            "암호화용(km) 키는 서명용 키와 달라야 합니다.",
        )
    return sign, km


def _km_proof(km: CertRequest | None) -> tuple[bytes | None, SignatureProof | None]:
    """The encryption key and its proof of possession (a signature by the km key: POPOSigningKey)."""
    if km is None:
        return None, None
    return km.template.public_key, _check_request(km)


def _responses(sign: CertRequest, km: CertRequest | None, issued: IssuedCertificate) -> list[CertResponse]:
    answers = [cert_response(sign.cert_req_id, issued.certificate)]
    if km is not None and issued.km is not None:
        answers.append(cert_response(km.cert_req_id, issued.km.certificate))
    return answers


def _check_request(request: CertRequest) -> SignatureProof:
    """Key (RSA 2048–4096, e = 65537), then the proof of possession; the CA gets the POP as SignatureProof."""
    if request.template.public_key is None:
        raise _bad_template("The certificate template has no public key.", "인증서 템플릿에 공개키가 없습니다.")
    validate_public_key(request.template.public_key)  # WeakKey: badCertTemplate (service.failure_status)
    proof = verify_pop(request)
    if proof.algorithm.oid != oids.ID_SHA256_WITH_RSA:
        raise CmpError(
            "The proof of possession must be signed with sha256WithRSAEncryption.",
            fail_info=FailInfo.BAD_ALG,
            message_ko="개인키 소유 증명은 sha256WithRSAEncryption 서명이어야 합니다.",
        )
    return SignatureProof(proof.message, proof.signature)


class RandomNumRequired(CmpError):
    """An enrollment without R: the certificate's VID cannot be computed."""

    code = "cmp_random_num_required"
    message_ko = "R(randomNum)이 필요합니다."
    message_en = "R (randomNum) is required."
    default_fail_info = FailInfo.BAD_CERT_TEMPLATE


def _random_num(request: CertRequest) -> bytes:
    random_num = extract_random_num(request.template)
    if random_num is None:
        raise RandomNumRequired(
            "R (randomNum, 20 bytes) is required in the certificate template (extension 1.2.410.200004.10.1.1.3): "
            "the certificate's VID is computed from it.",
            message_ko="인증서 템플릿에 R(randomNum, 20바이트, 확장 1.2.410.200004.10.1.1.3)이 필요합니다. "
            "VID를 만드는 값입니다.",
        )
    return random_num


def enroll(deps: Deps, ex: Exchange) -> bytes:
    """ir/cr: authenticate with the registration, check the request, issue for the registered applicant."""
    reference, code = authenticate_pbm(deps, ex)
    request, km = _requests(ex)
    proof = _check_request(request)
    random_num = _random_num(request)
    spki = request.template.public_key or b""
    km_spki, km_proof = _km_proof(km)

    def issue(applicant: Applicant) -> IssuedCertificate:
        return deps.authority.issue(
            IssuanceRequest(
                applicant.cert_type,
                applicant.real_name,
                applicant.rrn,
                random_num,
                spki,
                proof,
                "cmp",
                bank_unit=applicant.bank_unit,
                bank_code=applicant.bank_code,
                confirm_later=True,
                request_key=confirmation.request_key(ex.message.header.transaction_id or b""),
                km_public_key_der=km_spki,
                km_pop=km_proof,
            )
        )

    record = TransactionRecord(
        transaction_id=ex.message.header.transaction_id or b"",
        kind=ex.message.type.value,
        protection="pbm",
        state=TransactionState.OPEN,
        created_at=deps.clock.now(),
        reference_number=reference,
    )
    secret = deps.pii.encrypt(code.decode(), SECRET_PURPOSE)
    return _issue_in_transaction(
        deps,
        ex,
        requests=(request, km),
        record=record,
        run=lambda: deps.registrations.redeem(reference, issue),
        secret=secret,
    )


def renew(deps: Deps, ex: Exchange) -> bytes:
    """kur: signed with a valid certificate of ours; the successor keeps its identifyData (VID) and holder."""
    message = ex.message
    if protection_kind(message) is not ProtectionKind.SIGNATURE:
        raise CmpError(
            "A key update request must be signed with the certificate being renewed.",
            fail_info=FailInfo.WRONG_INTEGRITY,
            message_ko="갱신 요청은 갱신할 인증서로 서명되어야 합니다.",
        )
    signer = verify_signature(message)
    ex.facts["signer_serial"] = format(signer.serial_number, "x")
    old = trusted_signer(deps, signer)
    ex.protection = deps.signature()
    _check_renewal_window(deps, old.not_after)
    request, km = _requests(ex)
    if request.old_cert_id is not None and request.old_cert_id != CertId.of(signer):
        raise CmpError(
            "oldCertId does not name the certificate that signs the request.", fail_info=FailInfo.BAD_CERT_ID
        )
    proof = _check_request(request)
    km_spki, km_proof = _km_proof(km)
    renewal = RenewalRequest(
        old.serial,
        request.template.public_key or b"",
        proof,
        "cmp",
        confirm_later=True,
        km_public_key_der=km_spki,
        km_pop=km_proof,
    )
    record = TransactionRecord(
        transaction_id=message.header.transaction_id or b"",
        kind=message.type.value,
        protection="signature",
        state=TransactionState.OPEN,
        created_at=deps.clock.now(),
        signer_sha256=fingerprint(signer),
    )
    return _issue_in_transaction(
        deps, ex, requests=(request, km), record=record, run=lambda: deps.authority.renew(renewal), secret=None
    )


def _issue_in_transaction(
    deps: Deps,
    ex: Exchange,
    *,
    requests: tuple[CertRequest, CertRequest | None],
    record: TransactionRecord,
    run: Callable[[], IssuedCertificate],
    secret: bytes | None,
) -> bytes:
    """Take the transactionID, issue, answer; implicit confirmation when asked for and allowed."""
    request, km = requests
    deps.transactions.open(record)
    issued: IssuedCertificate | None = None
    try:
        issued = run()
        ex.facts["serial"] = format(issued.serial, "x")
        implicit = ex.message.header.implicit_confirm and deps.settings.allow_implicit_confirm
        now = deps.clock.now()
        deadline = None if implicit else now + deps.confirm_wait
        answer = _ANSWER[ex.message.type]
        ca_pubs = deps.chain if answer is BodyType.IP else ()
        body = cert_rep_body(answer, _responses(request, km, issued), ca_pubs=ca_pubs)
        der, nonce = ex.reply(deps, body, implicit_confirm=implicit, confirm_wait_time=deadline)
        deps.transactions.issued(
            record.transaction_id,
            state=TransactionState.CONFIRMED if implicit else TransactionState.WAITING,
            serial=issued.serial,
            cert_req_id=request.cert_req_id,
            response_nonce=nonce,
            deadline=deadline,
            finished_at=now if implicit else None,
            secret_ciphertext=secret,
        )
        if implicit:
            deps.authority.confirm(issued.serial)
        faults.point("cmp_before_ip")
    except BaseException:
        deps.transactions.discard(record.transaction_id)
        if issued is not None:
            _revoke_quietly(deps, issued.serial)
        raise
    ex.facts["implicit_confirm"] = implicit
    return der


def _revoke_quietly(deps: Deps, serial: int) -> None:
    """A certificate that was signed but cannot be handed out must not stay valid."""
    try:
        deps.authority.revoke(serial, x509.ReasonFlags.cessation_of_operation, actor="cmp")
    except AlreadyRevoked:
        pass
    except Exception:  # the original failure is what the requester hears about; this one is for the operator
        log.exception("could not revoke certificate %x after a failed CMP exchange", serial)
