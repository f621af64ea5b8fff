"""``jointcert demo``: initialise if needed, seed the sandbox bank, give the "already has a certificate" customer
their certificate, print the demo customers and serve. ``jointcert sandbox otp USER``: a demo OTP code."""

from __future__ import annotations

import os
import socket
import urllib.parse
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from rich.markup import escape
from rich.table import Table

from jointcert.app import Services, ensure_initialised
from jointcert.bank.seed import DEMO_CUSTOMERS, DemoCustomer, credential_lines
from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.cli.ca import key_iterations, open_services, settings_of
from jointcert.cli.context import console, err_console
from jointcert.cli.serve import public_url_warning
from jointcert.cli.wallet import register_demo_partners
from jointcert.config import local_url
from jointcert.npki.keyfile import encrypt_sign_pri, generate_bundle
from jointcert.npki.resident_number import parse as parse_resident_number
from jointcert.npki.store import NpkiStore
from jointcert.ra.ports import RegisteredCertificate
from jointcert.web.app import create_app

__all__ = ["DEMO_KEY_PASSWORD", "demo", "otp", "register"]

DEMO_KEY_PASSWORD = "Demo-cert-pw#1"  # noqa: S105 (the demo certificate's signPri.key password, printed on purpose)
sandbox_app = typer.Typer(help="Sandbox bank devices for the demo (샌드박스).", no_args_is_help=True)


def say(*parts: object) -> None:
    """Print to stdout without wrapping long values."""
    console.print(*parts, soft_wrap=True)


def _ensure_demo_certificate(services: Services, demo: DemoCustomer, npki_root: Path) -> str:
    """Issue the customer's existing certificate once (and write its NPKI folder); say what happened."""
    cert_type, spec = demo.existing_certificate, demo.spec
    assert cert_type is not None
    rrn = parse_resident_number(spec.rrn).digits
    current = services.authority.active_for_holder(rrn, cert_type)
    if current is not None:
        return f"{spec.user_id}: {cert_type.label_ko} 인증서 보유 (serial {current.serial:x})"
    bundle = generate_bundle()
    spki = bundle.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    message = b"jointcert demo pop " + os.urandom(16)
    proof = SignatureProof(message, bundle.key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    request = IssuanceRequest(cert_type, spec.name, rrn, bundle.random_num, spki, proof, "cli")
    issued = services.authority.issue(request)
    services.ra.ctx.registry.add(
        RegisteredCertificate(issued.serial, spec.id, cert_type, "issued", None, services.clock.now())
    )
    key_file = encrypt_sign_pri(bundle, DEMO_KEY_PASSWORD, iterations=key_iterations(services.settings))
    folder = NpkiStore(npki_root).write(issued.der, key_file, overwrite=True)
    return f"{spec.user_id}: {cert_type.label_ko} 인증서 발급 (serial {issued.serial:x}) → {folder}"


def _table(base_url: str) -> Table:
    table = Table(title="데모 고객 / demo customers", show_lines=True)
    for column in ("아이디 / user", "경로 / path", "자격 증명 / credentials"):
        table.add_column(column, overflow="fold")
    for demo in DEMO_CUSTOMERS:
        # escaped: labels such as "account [dormant]" are text, not Rich markup (it dropped them silently)
        lines = [escape(f"{label}: {value}") for label, value in credential_lines(demo)[1:]]
        if demo.spec.otp is not None:
            lines.append(f"OTP 코드 / code: {base_url}/sandbox/otp/{demo.spec.user_id}")
        table.add_row(demo.spec.user_id, f"{demo.path_ko}\n{demo.path_en}", "\n".join(lines))
    return table


def serve_with_partner_origin(app: object, host: str, port: int, partner_url: str) -> None:
    """Serve ``app`` on ``host:port`` and, when ``partner_url`` names another local port, there too: the demo
    partner sites' own origin (docs/wallet-protocol.md). A partner port in use is reported, not fatal."""
    sockets = [_bound(host, port)]
    partner = urllib.parse.urlsplit(partner_url)
    if partner.port and (partner.hostname, partner.port) != (host, port):
        try:
            sockets.append(_bound(partner.hostname or host, partner.port))
        except OSError as exc:
            say(f"[yellow]partner sites not served on {partner_url}: {exc}[/]")
    uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=sockets)  # type: ignore[arg-type]


def _bound(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def demo(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8000).")] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after preparing (default: serve).")] = True,
) -> None:
    """Prepare the demo instance (init, sandbox bank, demo certificate), print the customers, serve (데모)."""
    given = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = ensure_initialised(settings_of(ctx), server=given)
    bind_host, bind_port = host or settings.server.host, port or settings.server.port
    settings = settings.model_copy(update={"server": settings.server.listening_on(bind_host, bind_port)})
    warning = public_url_warning(settings.server)
    if warning:
        err_console.print(warning, soft_wrap=True)
    base_url = local_url(bind_host, bind_port)
    npki_root = settings.data_dir / "demo-npki"
    with open_services(settings, actor="demo") as services:
        seeded = services.bank.seed()
        say(f"[green]샌드박스 은행[/] sandbox bank: {len(seeded.created)} created, {len(seeded.existing)} existing")
        for customer in DEMO_CUSTOMERS:
            if customer.existing_certificate is not None:
                say("  " + escape(_ensure_demo_certificate(services, customer, npki_root)))
        say(escape(f"  demo NPKI folder {npki_root}  (signPri.key password: {DEMO_KEY_PASSWORD})"))
        console.print(_table(base_url))
        say(f"[bold]은행 앱 / bank app:[/] {base_url}/   (인증서 발급: {base_url}/bank/issuance)")
        say(f"다른 기관 / other institutions: {base_url}/rp/")
        partner_url = settings.rp.partner_url.rstrip("/")
        register_demo_partners(services, partner_url)
        say(f"다른 사이트의 기관 (인증서 지갑) / partner sites on another origin: {partner_url}/partner/")
        say(f"API (OpenAPI): {base_url}/docs   issuance: {base_url}/api/v1/issuance/…")
        say(f"가상 휴대폰 / virtual phone (ARS): {base_url}/sandbox/phone/<number>  (e.g. 010-2718-4406)")
        say(f"OTP: {base_url}/sandbox/otp/<user id>  or  jointcert sandbox otp <user id>")
        if not serve:
            return
        voided = services.authority.recover_stale(actor="demo")
        if voided:
            say(f"[yellow]voided {len(voided)} unsigned issuance records[/]")
        say(f"jointcert demo on {base_url}  (Ctrl-C to stop)")
        app = create_app(services, background=True, sandbox=True)
        serve_with_partner_origin(app, bind_host, bind_port, partner_url)


@sandbox_app.command("otp")
def otp(ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="Online-banking ID, e.g. seoyeon91.")]) -> None:
    """The code the customer's OTP device shows now (the next one the bank will accept)."""
    with open_services(settings_of(ctx), actor="sandbox") as services:
        code = services.otp_device.code(user_id)
    until = f" (until {code.valid_until.isoformat()})" if code.valid_until else ""
    say(f"{code.code}  {code.kind.upper()} {code.serial}{until}")


def register(app: typer.Typer) -> None:
    """Attach ``demo`` and ``sandbox``."""
    app.command("demo")(demo)
    app.add_typer(sandbox_app, name="sandbox")
