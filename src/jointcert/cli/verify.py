"""``jointcert verify``: check a certificate as a relying party would and print the verdict check by check."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, cast

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from rich.table import Table
from rich.text import Text

from jointcert.app import is_initialised
from jointcert.cli.context import EXIT_CODES, CliState, console
from jointcert.clock import Clock, SystemClock
from jointcert.config import RpSettings, load_settings
from jointcert.errors import ErrorKind, InvalidInput, JointcertError
from jointcert.npki.keyfile import PrivateKeyBundle, decrypt_sign_pri
from jointcert.npki.resident_number import parse as parse_resident_number
from jointcert.rp import (
    ChallengeService,
    InMemoryChallengeStore,
    InstitutionPolicy,
    Reason,
    RevocationChecker,
    SignedLogin,
    Status,
    TrustAnchors,
    Verdict,
    Verifier,
    VidProof,
    demo_institutions,
)
from jointcert.rp.aia import AiaIssuers
from jointcert.rp.certinfo import MalformedCertificate, load_certificates
from jointcert.rp.http import HttpCaIssuersFetcher, HttpCrlFetcher, HttpOcspTransport
from jointcert.rp.truststore import TRUST_STORES, trust_store
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlCertificateStore

__all__ = ["CertificateRefused", "exit_code", "refusal", "register", "show", "verify"]

_MARKS = {
    Status.PASSED: "[green]✔ 통과[/]",
    Status.FAILED: "[bold red]✘ 실패[/]",
    Status.WARNING: "[yellow]! 경고[/]",
    Status.SKIPPED: "[dim]– 생략[/]",
}

# How a refusal maps onto the CLI's exit codes (by error kind).
_KINDS = {
    Reason.MALFORMED_CERTIFICATE: ErrorKind.INVALID,
    Reason.MALFORMED_SIGNATURE: ErrorKind.INVALID,
    Reason.EXPIRED: ErrorKind.EXPIRED,
    Reason.NOT_YET_VALID: ErrorKind.EXPIRED,
    Reason.REVOCATION_UNAVAILABLE: ErrorKind.UNAVAILABLE,
    Reason.SIGNATURE_INVALID: ErrorKind.AUTHENTICATION,
    Reason.VID_MISMATCH: ErrorKind.AUTHENTICATION,
    Reason.VID_MISSING: ErrorKind.INVALID,
}


class CertificateRefused(JointcertError):
    """The verdict is a refusal; raised so the CLI's error edge prints the reason and sets the exit code."""

    kind = ErrorKind.DENIED
    code = "certificate_refused"
    message_ko = "인증서가 거부되었습니다."
    message_en = "The certificate was refused."


_REFUSED: dict[ErrorKind, type[CertificateRefused]] = {
    kind: cast(
        type[CertificateRefused], type(f"CertificateRefused{kind.name.title()}", (CertificateRefused,), {"kind": kind})
    )
    for kind in ErrorKind
}


def refusal_kind(verdict: Verdict) -> ErrorKind:
    """The error kind (and so the exit code) of a refused verdict: DENIED unless the reason says otherwise."""
    return _KINDS.get(verdict.reason_code, ErrorKind.DENIED)


def exit_code(verdict: Verdict) -> int:
    """0 when accepted; otherwise the exit code of the first refusal's kind."""
    return 0 if verdict.accepted else EXIT_CODES[refusal_kind(verdict)]


def refusal(verdict: Verdict) -> CertificateRefused:
    """The error to raise for a refused verdict: the CLI's edge prints its reason and exits with its kind's code."""
    reason = verdict.reason
    if reason is None:
        raise ValueError("the verdict is not a refusal")
    return _REFUSED[refusal_kind(verdict)](
        f"Refused ({reason.code}): {reason.message_en}", message_ko=f"거부 ({reason.code}): {reason.message_ko}"
    )


def _anchors(files: list[Path]) -> TrustAnchors:
    certs = []
    for path in files:
        try:
            certs.extend(load_certificates(path.read_bytes()))
        except MalformedCertificate as exc:
            raise InvalidInput(f"{path} holds no certificate.", message_ko=f"{path}에 인증서가 없습니다.") from exc
    return TrustAnchors.of(certs)


def _instance_cas(state: CliState | None) -> TrustAnchors:
    """The CA certificates of the instance at ``--data-dir`` (none when there is no initialised instance)."""
    if state is None:
        return TrustAnchors()
    settings = load_settings(state.data_dir)
    if not is_initialised(settings):
        return TrustAnchors()
    database = Database(settings.effective_database_url)
    try:
        certs = [x509.load_der_x509_certificate(a.der) for a in SqlCertificateStore(database).authorities()]
    finally:
        database.dispose()
    return TrustAnchors.of(certs)


def _trust(state: CliState | None, files: list[Path], stores: list[str], bundles: list[Path]) -> TrustAnchors:
    """Anchors from ``-t`` files and ``--trust`` stores; without either, the instance's own root. The instance's
    CAs and ``--ca-bundle`` certificates always serve as (untrusted) intermediates for path building."""
    given = _anchors(files)
    for name in stores:
        if name not in TRUST_STORES:
            raise InvalidInput(
                f"Unknown trust store {name!r}; one of: {', '.join(TRUST_STORES)}.",
                message_ko=f"알 수 없는 신뢰 저장소입니다: {name}",
            )
        given = given + trust_store(name)
    own = _instance_cas(state)
    extra = _anchors(bundles)
    helpers = TrustAnchors((), (*own.intermediates, *extra.intermediates, *extra.roots))
    return (given if given else own) + helpers


def _policy(institution: str | None, anchors: TrustAnchors) -> InstitutionPolicy:
    if institution is None:
        return InstitutionPolicy("cli", "명령행 검증", "Command-line verification", anchors)
    known = demo_institutions(anchors)
    if institution not in known:
        raise InvalidInput(
            f"Unknown institution {institution!r}; one of: {', '.join(known)}.",
            message_ko=f"알 수 없는 기관입니다: {institution}",
        )
    return known[institution]


def _digits(rrn: str | None) -> str | None:
    """``--rrn`` dashed or plain, through the one resident-number parser."""
    return None if rrn is None else parse_resident_number(rrn).digits


def _random_num(random_num: str | None, bundle: PrivateKeyBundle | None) -> bytes:
    if random_num is not None and bundle is not None:
        raise InvalidInput("Give --key or --random-num, not both.", message_ko="--key와 --random-num 중 하나만 주세요.")
    if bundle is not None:
        return bundle.random_num or b""
    try:
        return bytes.fromhex(random_num) if random_num else b""
    except ValueError as exc:
        raise InvalidInput("--random-num must be hex.", message_ko="--random-num은 16진수여야 합니다.") from exc


def _open_key(path: Path | None, password: str | None, ask: bool) -> PrivateKeyBundle | None:
    if path is None:
        return None
    if password is None and ask:
        password = typer.prompt("인증서 비밀번호 / certificate password", hide_input=True)
    if password is None:
        raise InvalidInput(
            "--key needs --password or --ask-password.",
            message_ko="--key에는 --password 또는 --ask-password가 필요합니다.",
        )
    return decrypt_sign_pri(path.read_bytes(), password)


class _FixedClock:
    """``--at``: every check runs at one given moment."""

    def __init__(self, at: datetime) -> None:
        self._at = at
        self._system = SystemClock()

    def now(self) -> datetime:
        """The fixed moment."""
        return self._at

    def monotonic(self) -> float:
        """Real monotonic seconds."""
        return self._system.monotonic()


def _clock(at: str | None) -> Clock:
    if at is None:
        return SystemClock()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidInput(
            "--at needs an ISO 8601 time, e.g. 2026-11-25T09:00:00+09:00.",
            message_ko="--at은 ISO 8601 시각이어야 합니다.",
        ) from exc
    return _FixedClock(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _login_with_key(
    verifier: Verifier, challenges: ChallengeService, cert: bytes, bundle: PrivateKeyBundle, rrn: str | None
) -> Verdict:
    """The login path: a fresh challenge signed with the key (proves key and certificate belong together)."""
    challenge = challenges.issue(verifier.policy.id, "cli")
    signature = bundle.key.sign(challenge.data, padding.PKCS1v15(), hashes.SHA256())
    sent = SignedLogin(challenge.value, "cli", certificate=cert, signature=signature, random_num=bundle.random_num)
    return verifier.verify_login(sent, rrn=rrn)


def show(verdict: Verdict) -> None:
    """Print the certificate summary, the table of checks and the outcome."""
    cert = verdict.certificate
    if cert is not None:
        kind = f"{cert.cert_type.label_ko} / {cert.cert_type.label_en}" if cert.cert_type else "알 수 없음 / unknown"
        for label, value in (
            ("주체 subject", cert.subject),
            ("발급자 issuer", cert.issuer),
            ("일련번호 serial", cert.serial_hex),
            ("SHA-256", cert.fingerprint_sha256),
            ("유효기간 validity", f"{cert.not_before:%Y-%m-%d %H:%M} ~ {cert.not_after:%Y-%m-%d %H:%M} UTC"),
            ("종류 type", f"{kind} ({', '.join(cert.policy_oids) or '-'})"),
        ):
            console.print(Text.assemble((f"{label} ", "bold"), value))
    table = Table(title="검증 결과 / verification checks", show_lines=False)
    for column in ("검사 check", "결과", "사유", "reason", "code"):
        table.add_column(column, overflow="fold")
    for check in verdict.checks:
        table.add_row(
            check.name.value, _MARKS[check.status], Text(check.message_ko), Text(check.message_en), check.code.value
        )
    console.print(table)
    if verdict.accepted:
        note = " (경고 있음 / with warnings)" if verdict.warnings else ""
        console.print(f"[bold green]수락 accepted[/]{note}")


def verify(
    ctx: typer.Context,
    cert: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Certificate (signCert.der, DER or PEM).")],
    *,
    trust_anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust-anchor", "-t", exists=True, dir_okay=False, help="Root or CA certificate to trust (repeat)."
        ),
    ] = None,
    institution: Annotated[
        str | None, typer.Option(help="Apply a demo institution's policy (e.g. gaon-securities).")
    ] = None,
    rrn: Annotated[str | None, typer.Option(help="Resident registration number for the VID check.")] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", exists=True, dir_okay=False, help="signPri.key: sign a challenge with it and take R from it."
        ),
    ] = None,
    password: Annotated[str | None, typer.Option("--password", "-p", help="Certificate password for --key.")] = None,
    ask_password: Annotated[bool, typer.Option("--ask-password", help="Prompt for the password.")] = False,
    random_num: Annotated[str | None, typer.Option(help="R (randomNum) as hex, instead of --key.")] = None,
    trust: Annotated[
        list[str] | None,
        typer.Option("--trust", help="Built-in trust store: npki (KISA roots) or npki-test (KISA test roots)."),
    ] = None,
    ca_bundle: Annotated[
        list[Path] | None,
        typer.Option("--ca-bundle", exists=True, dir_okay=False, help="CA certificates for path building (untrusted)."),
    ] = None,
    aia: Annotated[bool, typer.Option("--aia/--no-aia", help="Fetch missing issuers from AIA caIssuers URLs.")] = True,
    no_revocation: Annotated[bool, typer.Option("--no-revocation", help="Skip OCSP/CRL.")] = False,
    at: Annotated[str | None, typer.Option(help="Verify as of this ISO 8601 time (default: now; naive = UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Verify a certificate: chain to the trust anchors, validity, key usage, type, revocation and VID; with --key
    also that the key signs for the certificate (the login path)."""
    state: CliState | None = ctx.obj
    settings = load_settings(state.data_dir).rp if state is not None else RpSettings()
    base = _policy(institution, _trust(state, trust_anchor or [], trust or [], ca_bundle or []))
    policy = replace(base, require_registration=False, check_revocation=base.check_revocation and not no_revocation)
    bundle = _open_key(key, password, ask_password)
    r = _random_num(random_num, bundle)
    clock = _clock(at)
    challenges = ChallengeService(InMemoryChallengeStore(), clock, ttl_seconds=settings.challenge_ttl_seconds)
    verifier = Verifier(
        policy,
        clock=clock,
        settings=settings,
        revocation=RevocationChecker(clock, HttpOcspTransport(), HttpCrlFetcher()),
        challenges=challenges,
        issuers=AiaIssuers(HttpCaIssuersFetcher(), clock) if aia else None,
    )
    data = cert.read_bytes()
    rrn = _digits(rrn)
    if bundle is not None:
        verdict = _login_with_key(verifier, challenges, data, bundle, rrn)
    else:
        verdict = verifier.verify_certificate(data, vid=VidProof(rrn, r) if rrn is not None else None)
    if as_json:
        console.print_json(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        show(verdict)
    if not verdict.accepted:
        raise refusal(verdict)


def register(app: typer.Typer) -> None:
    """Attach ``verify`` to the root app."""
    app.command("verify")(verify)
