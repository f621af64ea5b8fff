"""``jointcert copy receive|send``: copy a certificate between the phone (web app) and this PC's NPKI folder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import click
import typer
from cryptography.hazmat.primitives.serialization import Encoding
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from jointcert.cli.ca import key_iterations, say, settings_of
from jointcert.cli.context import console, err_console
from jointcert.client.copy import (
    Receiving,
    RelayClient,
    TransferState,
    finish_receive,
    open_copied_key,
    open_copied_km,
    save_to_npki,
    send_certificate,
    start_receive,
    wait_for_upload,
)
from jointcert.errors import InvalidInput
from jointcert.npki.keyfile import KeyFileUnreadable, PrivateKeyBundle
from jointcert.npki.store import NpkiStore, StoredCertificate, default_npki_root
from jointcert.relay.errors import CopyPasswordFailed
from jointcert.relay.payload import CopyPayload

__all__ = ["copy_app", "register"]

copy_app = typer.Typer(help="Copy a certificate between phone and PC (인증서 복사).", no_args_is_help=True)
PASSWORD_TRIES = 3

ServerOption = Annotated[
    str | None,
    typer.Option("--server", envvar="JOINTCERT_RELAY_URL", help="Relay server URL (default: the instance's URL)."),
]
NpkiOption = Annotated[Path | None, typer.Option("--npki-dir", help="NPKI root (default: this OS's NPKI folder).")]
PasswordOption = Annotated[
    str | None, typer.Option("--password", help="Certificate password (asked when omitted).", show_default=False)
]


@contextlib.contextmanager
def _client(ctx: typer.Context, server: str | None) -> Iterator[RelayClient]:
    client = RelayClient(server or settings_of(ctx).server.public_url)
    try:
        yield client
    finally:
        client.close()


def _show_code(receiving: Receiving) -> None:
    code = Text(receiving.display_code, style="bold cyan", justify="center")
    console.print(
        Panel(
            code,
            title="인증번호 / copy code",
            subtitle=f"{receiving.state.seconds_left}초 안에 입력 / enter within {receiving.state.seconds_left} s",
        )
    )
    say(f"code: {receiving.display_code}")  # one plain line for scripts and screen readers
    say(
        "휴대폰의 'PC로 인증서 복사' 화면에 이 번호를 입력하십시오. / Enter this code on the phone's copy-to-PC screen."
    )


def _wait(client: RelayClient, receiving: Receiving) -> None:
    total = max(1, receiving.state.seconds_left)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[left]}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("휴대폰에서 보내기를 기다리는 중 / waiting for the phone", total=total, left="")

        def tick(state: TransferState) -> None:
            left = state.seconds_left
            progress.update(task, completed=total - left, left=f"{left // 60}:{left % 60:02d}")

        wait_for_upload(client, receiving, on_tick=tick)


def _describe(payload: CopyPayload) -> None:
    cert = payload.certificate
    table = Table(show_header=False, box=None)
    table.add_row("subject", cert.subject.rfc4514_string())
    table.add_row("issuer", cert.issuer.rfc4514_string())
    table.add_row("valid", f"{cert.not_valid_before_utc:%Y-%m-%d} — {cert.not_valid_after_utc:%Y-%m-%d}")
    console.print(Panel(table, title="받은 인증서 / received certificate"))


def _open_key(payload: CopyPayload, password: str | None) -> tuple[PrivateKeyBundle, str]:
    """Ask for the password until the key opens (the download happened already: it cannot be fetched again)."""
    for attempt in range(1, PASSWORD_TRIES + 1):
        given = (
            password
            if password is not None
            else typer.prompt("인증서 비밀번호 / certificate password", hide_input=True)
        )
        try:
            return open_copied_key(payload, given), given
        except KeyFileUnreadable:
            if password is not None or attempt == PASSWORD_TRIES:
                break
            err_console.print(f"[red]비밀번호가 올바르지 않습니다 / wrong password[/] ({attempt}/{PASSWORD_TRIES})")
    raise CopyPasswordFailed()


@copy_app.command("receive")
def receive(
    ctx: typer.Context,
    *,
    server: ServerOption = None,
    npki_dir: NpkiOption = None,
    password: PasswordOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the certificate if already stored.")] = False,
) -> None:
    """Receive a certificate from the phone into the NPKI folder (휴대폰 → PC).

    Shows a one-time code to enter on the phone, waits for the upload, downloads it once, asks for the
    certificate password and writes signCert.der + signPri.key (seedCBCWithSHA1, R kept).
    """
    root = npki_dir or default_npki_root()
    with _client(ctx, server) as client:
        receiving = start_receive(client)
        _show_code(receiving)
        try:
            _wait(client, receiving)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                client.cancel(receiving.transfer_id, receiving.token)
            raise typer.Abort() from None
        payload = finish_receive(client, receiving)
    _describe(payload)
    bundle, given = _open_key(payload, password)
    iterations = key_iterations(settings_of(ctx))
    km_bundle = open_copied_km(payload, given)  # the encryption pair, under the same password
    folder = save_to_npki(payload, bundle, given, root, overwrite=overwrite, iterations=iterations, km_bundle=km_bundle)
    say(f"[green]저장 완료[/] saved: {folder}")


def _choose(store: NpkiStore, cert: Path | None) -> Path:
    if cert is not None:
        return cert
    found = store.list()
    if not found:
        raise InvalidInput(f"No certificate in {store.root}.", message_ko=f"{store.root}에 인증서가 없습니다.")
    if len(found) == 1:
        return found[0].path
    _list(found)
    number: int = typer.prompt("보낼 인증서 번호 / number to send", type=click.IntRange(1, len(found)))
    return found[number - 1].path


def _list(found: list[StoredCertificate]) -> None:
    table = Table("#", "subject", "issuer", "valid until")
    for i, item in enumerate(found, 1):
        table.add_row(str(i), item.subject, item.issuer, f"{item.not_after:%Y-%m-%d}")
    console.print(table)


@copy_app.command("send")
def send(
    ctx: typer.Context,
    *,
    code: Annotated[str, typer.Option("--code", prompt="인증번호 / code", help="The code shown on the phone.")],
    server: ServerOption = None,
    npki_dir: NpkiOption = None,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="Certificate folder (absolute, or relative to the NPKI root).")
    ] = None,
    password: PasswordOption = None,
) -> None:
    """Send a certificate from the NPKI folder to the phone (PC → 휴대폰).

    Enter the code the phone shows on its 'PC에서 인증서 가져오기' screen. The key is opened here with the
    certificate password and travels encrypted under that password and under the code.
    """
    store = NpkiStore(npki_dir or default_npki_root())
    folder = _choose(store, cert)
    certificate, sign_pri = store.load(folder)
    km_files = store.load_km(folder)  # a sign + km pair travels whole
    km = None if km_files is None else (km_files[0].public_bytes(Encoding.DER), km_files[1])
    given = (
        password if password is not None else typer.prompt("인증서 비밀번호 / certificate password", hide_input=True)
    )
    with _client(ctx, server) as client:
        state = send_certificate(client, code, certificate.public_bytes(Encoding.DER), sign_pri, given, km=km)
    say(f"[green]보냈습니다[/] sent {certificate.subject.rfc4514_string()}")
    left = state.seconds_left
    say(f"휴대폰에서 받기를 완료하십시오 ({left}초 남음) / finish on the phone ({left} s left).")


def register(app: typer.Typer) -> None:
    """Attach ``jointcert copy``."""
    app.add_typer(copy_app, name="copy")
