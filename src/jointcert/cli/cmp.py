"""CMP commands: ``enroll``, ``renew``, ``revoke --self`` (client side, over HTTP) and ``ra register|cancel``
(operators registering an applicant at the CA: prints the reference number and authorization code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from jointcert.ca.errors import UnknownProfile
from jointcert.cli.ca import key_iterations, open_services, parse_reason, settings_of
from jointcert.cli.context import console
from jointcert.cli.ra import ra_app
from jointcert.client.cmp import CmpClient
from jointcert.client.wallet import (
    cmp_url_for,
    enroll_into_store,
    renew_in_store,
    revoke_from_store,
    select_certificate,
)
from jointcert.cmp.model import CrlReason
from jointcert.npki.password_policy import require_valid_password
from jointcert.npki.resident_number import parse as parse_resident_number
from jointcert.npki.store import NpkiStore, default_npki_root
from jointcert.types import CertType

__all__ = ["register", "revoke_self"]

ServerOption = Annotated[str | None, typer.Option("--server", help="CMP endpoint, e.g. http://127.0.0.1:8000/cmp.")]
NpkiOption = Annotated[Path | None, typer.Option("--npki-dir", help="NPKI root (default: the OS location).")]
CertOption = Annotated[Path | None, typer.Option("--cert", help="Certificate folder (default: the only one).")]
PasswordOption = Annotated[str | None, typer.Option("--password", help="Certificate password (prompted if absent).")]


def say(*parts: object) -> None:
    """Print to stdout without wrapping long values."""
    console.print(*parts, soft_wrap=True)


def _cmp_url(server: str) -> str:
    """Accept a base URL too: ``http://host:8000`` → ``http://host:8000/cmp``."""
    server = server.rstrip("/")
    return server if server.endswith(("/cmp", "/.well-known/cmp")) else f"{server}/cmp"


def _password(given: str | None, *, confirm: bool) -> str:
    if given is not None:
        return given
    text: str = typer.prompt("인증서 비밀번호 / certificate password", hide_input=True, confirmation_prompt=confirm)
    return text


def _show(certificate: x509.Certificate, folder: Path) -> None:
    say(f"  serial    {certificate.serial_number:x}")
    say(f"  subject   {certificate.subject.rfc4514_string()}")
    say(f"  validity  {certificate.not_valid_before_utc.isoformat()} — {certificate.not_valid_after_utc.isoformat()}")
    say(f"  NPKI      {folder}")


def enroll(
    ctx: typer.Context,
    *,
    server: Annotated[str, typer.Option("--server", help="CMP endpoint, e.g. http://127.0.0.1:8000/cmp.")],
    ref: Annotated[str, typer.Option("--ref", help="Reference number (참조번호).")],
    auth: Annotated[str, typer.Option("--auth", help="Authorization code (인가코드).")],
    password: PasswordOption = None,
    npki_dir: NpkiOption = None,
    km: Annotated[
        bool, typer.Option("--km/--no-km", help="Also the encryption pair (kmCert.der + kmPri.key), as real NPKI.")
    ] = False,
) -> None:
    """Enroll over CMP with a reference number and authorization code (인증서 발급, CMP ir).

    The key pairs and R are made here; the certificates and key files (signCert.der + signPri.key, and with --km
    kmCert.der + kmPri.key) are written to the NPKI folder before the certificates are confirmed."""
    secret = _password(password, confirm=True)
    require_valid_password(secret)
    with CmpClient(_cmp_url(server)) as client:
        store = NpkiStore(npki_dir or default_npki_root())
        iterations = key_iterations(settings_of(ctx))
        stored = enroll_into_store(client, ref, auth, secret, store, iterations=iterations, km=km)
    say("[green]발급 완료[/] enrolled")
    _show(stored.certificate, stored.folder)


def renew(
    ctx: typer.Context,
    server: ServerOption = None,
    npki_dir: NpkiOption = None,
    cert: CertOption = None,
    password: PasswordOption = None,
) -> None:
    """Renew a stored certificate over CMP (인증서 갱신, kur): new key, same R and VID, same password."""
    store = NpkiStore(npki_dir or default_npki_root())
    entry = select_certificate(store, cert)
    secret = _password(password, confirm=False)
    with CmpClient(_cmp_url(server) if server else cmp_url_for(entry.certificate)) as client:
        stored = renew_in_store(client, store, entry, secret, iterations=key_iterations(settings_of(ctx)))
    say(f"[green]갱신 완료[/] renewed (old serial {entry.certificate.serial_number:x} superseded)")
    _show(stored.certificate, stored.folder)


def revoke_self(
    *,
    reason: str | None,
    server: str | None,
    npki_dir: Path | None,
    cert: Path | None,
    password: str | None,
    keep_files: bool,
) -> None:
    """``revoke --self``: revoke a stored certificate with its own key over CMP (rr)."""
    flag = None if reason is None else parse_reason(reason)
    crl_reason = None if flag is None else CrlReason[flag.name.upper()]
    store = NpkiStore(npki_dir or default_npki_root())
    entry = select_certificate(store, cert)
    secret = _password(password, confirm=False)
    with CmpClient(_cmp_url(server) if server else cmp_url_for(entry.certificate)) as client:
        revoked = revoke_from_store(client, store, entry, secret, crl_reason, keep_files=keep_files)
    say(f"[green]폐지 완료[/] revoked {revoked.serial_number:x} ({flag.value if flag else 'unspecified'})")
    if not keep_files:
        say(f"  removed   {entry.path}")


@ra_app.command("register")
def ra_register(
    ctx: typer.Context,
    *,
    name: Annotated[str, typer.Option("--name", help="Real name (실명).")],
    rrn: Annotated[
        str,
        typer.Option(
            "--rrn", help="Resident registration number (주민등록번호), e.g. 900101-1234567 or 9001011234567."
        ),
    ],
    profile: Annotated[str, typer.Option("--profile", help="limited (용도제한) or general (범용).")] = "limited",
    bank_unit: Annotated[str | None, typer.Option("--bank-unit", help="ou=<bank> (default from settings).")] = None,
    bank_code: Annotated[str | None, typer.Option("--bank-code", help="3-digit bank code.")] = None,
) -> None:
    """Register an identified applicant; prints the reference number and authorization code (참조번호·인가코드)."""
    try:
        cert_type = CertType(profile)
    except ValueError as exc:
        raise UnknownProfile(profile=profile) from exc
    digits = parse_resident_number(rrn).digits  # dashed or plain, like every command
    with open_services(settings_of(ctx), actor="ra-cli") as services:
        ticket = services.registrations.register(
            real_name=name,
            rrn=digits,
            cert_type=cert_type,
            requested_by="cli",
            bank_unit=bank_unit,
            bank_code=bank_code,
        )
    say(f"[green]등록 완료[/] registered for {cert_type.label_ko} / {cert_type.label_en}")
    say(f"  reference number (참조번호)    {ticket.reference_number}")
    say(f"  authorization code (인가코드)  {ticket.authorization_code}")
    say(f"  expires                        {ticket.expires_at.isoformat()}")


@ra_app.command("cancel")
def ra_cancel(ctx: typer.Context, reference: Annotated[str, typer.Argument(help="Reference number.")]) -> None:
    """Cancel a registration that has not been used (참조번호 취소)."""
    with open_services(settings_of(ctx), actor="ra-cli") as services:
        services.registrations.cancel(reference, actor="cli")
    say(f"[green]취소 완료[/] cancelled {reference}")


def register(app: typer.Typer) -> None:
    """Attach ``enroll`` and ``renew``; ``ra register|cancel`` join the ``ra`` group of cli/ra.py (``revoke --self``
    lives on ``revoke`` in cli/ca.py)."""
    app.command("enroll")(enroll)
    app.command("renew")(renew)
