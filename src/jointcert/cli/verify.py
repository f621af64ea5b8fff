"""``jointcert verify``: check a certificate as a relying party would and print the verdict check by check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from jointcert.cli.context import EXIT_CODES, CliState, console
from jointcert.clock import SystemClock
from jointcert.config import RpSettings, load_settings
from jointcert.errors import ErrorKind, InvalidInput, JointcertError
from jointcert.rp import (
    InstitutionPolicy,
    Reason,
    RevocationChecker,
    Status,
    TrustAnchors,
    Verdict,
    Verifier,
    VidProof,
    demo_institutions,
)
from jointcert.rp.certinfo import MalformedCertificate, load_certificates
from jointcert.rp.http import HttpCrlFetcher, HttpOcspTransport

__all__ = ["CertificateRefused", "register", "verify"]

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


def _anchors(files: list[Path]) -> TrustAnchors:
    certs = []
    for path in files:
        try:
            certs.extend(load_certificates(path.read_bytes()))
        except MalformedCertificate as exc:
            raise InvalidInput(f"{path} holds no certificate.", message_ko=f"{path}에 인증서가 없습니다.") from exc
    return TrustAnchors.of(certs)


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


def _vid(rrn: str | None, random_num: str | None) -> VidProof | None:
    if rrn is None:
        return None
    try:
        r = bytes.fromhex(random_num) if random_num else b""
    except ValueError as exc:
        raise InvalidInput("--random-num must be hex.", message_ko="--random-num은 16진수여야 합니다.") from exc
    return VidProof(rrn, r)


def show(verdict: Verdict) -> None:
    """Print the certificate summary, the table of checks and the outcome."""
    cert = verdict.certificate
    if cert is not None:
        console.print(f"[bold]주체 subject[/]   {cert.subject}")
        console.print(f"[bold]발급자 issuer[/]  {cert.issuer}")
        console.print(f"[bold]일련번호 serial[/] {cert.serial_hex}   [bold]SHA-256[/] {cert.fingerprint_sha256}")
        console.print(
            f"[bold]유효기간 validity[/] {cert.not_before:%Y-%m-%d %H:%M} ~ {cert.not_after:%Y-%m-%d %H:%M} UTC"
        )
        kind = f"{cert.cert_type.label_ko} / {cert.cert_type.label_en}" if cert.cert_type else "알 수 없음 / unknown"
        console.print(f"[bold]종류 type[/]      {kind}  ({', '.join(cert.policy_oids) or '-'})")
    table = Table(title="검증 결과 / verification checks", show_lines=False)
    for column in ("검사 check", "결과", "사유", "reason", "code"):
        table.add_column(column, overflow="fold")
    for check in verdict.checks:
        table.add_row(check.name.value, _MARKS[check.status], check.message_ko, check.message_en, check.code.value)
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
        str | None, typer.Option(help="Apply a demo institution's policy (e.g. hanbit-securities).")
    ] = None,
    rrn: Annotated[str | None, typer.Option(help="Resident registration number for the VID check.")] = None,
    random_num: Annotated[
        str | None, typer.Option(help="R (randomNum) from signPri.key, hex, for the VID check.")
    ] = None,
    no_revocation: Annotated[bool, typer.Option("--no-revocation", help="Skip OCSP/CRL.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Verify a certificate: chain to the trust anchors, validity, key usage, type, revocation and VID."""
    state: CliState | None = ctx.obj
    settings = load_settings(state.data_dir).rp if state is not None else RpSettings()
    clock = SystemClock()
    verifier = Verifier(
        _policy(institution, _anchors(trust_anchor or [])),
        clock=clock,
        settings=settings,
        revocation=RevocationChecker(clock, HttpOcspTransport(), HttpCrlFetcher()),
    )
    verdict = verifier.verify_certificate(
        cert.read_bytes(), vid=_vid(rrn, random_num), check_revocation=False if no_revocation else None
    )
    if as_json:
        console.print_json(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        show(verdict)
    if not verdict.accepted and verdict.reason is not None:
        reason = verdict.reason
        raise _REFUSED[refusal_kind(verdict)](
            f"Refused ({reason.code}): {reason.message_en}", message_ko=f"거부 ({reason.code}): {reason.message_ko}"
        )


def register(app: typer.Typer) -> None:
    """Attach ``verify`` to the root app."""
    app.command("verify")(verify)
