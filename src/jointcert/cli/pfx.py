"""``jointcert export --pfx`` and ``jointcert import``: an NPKI folder to a PFX (PKCS #12) file and back, R kept.

The PFX is what Korean software exchanges as "인증서 내보내기/가져오기": the certificate and its key (with the
randomNum attribute R inside the PKCS #8) under one password. Export opens signPri.key with the certificate
password and writes the PFX under the PFX password (default: the same); import does the reverse into the NPKI
folder (signCert.der + signPri.key, seedCBCWithSHA1 as real NPKI software writes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import serialization

from jointcert.cli.ca import key_iterations, settings_of
from jointcert.cli.context import console
from jointcert.client.wallet import select_certificate
from jointcert.errors import InvalidInput, Unavailable
from jointcert.npki.keyfile import decrypt_sign_pri, encrypt_sign_pri
from jointcert.npki.password_policy import require_valid_password
from jointcert.npki.pfx import export_pfx, import_pfx, is_pfx
from jointcert.npki.store import KEY_FILE, NpkiStore, default_npki_root

__all__ = ["export", "import_", "register"]

NpkiOption = Annotated[Path | None, typer.Option("--npki-dir", help="NPKI root (default: the OS location).")]


def _say(*parts: object) -> None:
    console.print(*parts, soft_wrap=True)


def _secret(given: str | None, prompt: str, *, confirm: bool = False) -> str:
    if given is not None:
        return given
    text: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return text


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
        path.chmod(0o600)
    except OSError as exc:
        raise Unavailable(f"Cannot write {path} ({exc.strerror}).", message_ko=f"{path}에 쓸 수 없습니다.") from exc


def export(
    *,
    pfx: Annotated[Path, typer.Option("--pfx", dir_okay=False, help="PFX file to write (.pfx / .p12).")],
    npki_dir: NpkiOption = None,
    cert: Annotated[Path | None, typer.Option("--cert", help="Certificate folder (default: the only one).")] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Certificate password (signPri.key; prompted if absent).")
    ] = None,
    pfx_password: Annotated[
        str | None, typer.Option("--pfx-password", help="Password of the PFX (default: the certificate password).")
    ] = None,
    legacy: Annotated[
        bool, typer.Option("--legacy", help="3DES/SHA-1 as older Korean software writes (default: AES/SHA-256).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Export a stored certificate and its key to a PFX file (인증서 내보내기), R kept."""
    if pfx.exists() and not force:
        raise InvalidInput(f"{pfx} exists (use --force).", message_ko=f"{pfx} 파일이 이미 있습니다 (--force).")
    entry = select_certificate(NpkiStore(npki_dir or default_npki_root()), cert)
    secret = _secret(password, "인증서 비밀번호 / certificate password")
    bundle = decrypt_sign_pri((entry.path / KEY_FILE).read_bytes(), secret)
    data = export_pfx(entry.certificate, bundle, pfx_password or secret, legacy=legacy)
    _write(pfx, data)
    _say(f"[green]내보내기 완료[/] exported {entry.certificate.subject.rfc4514_string()}")
    _say(f"  PFX       {pfx}  (R {'kept' if bundle.random_num else 'absent'})")


def import_(
    ctx: typer.Context,
    pfx: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="PFX file (.pfx / .p12).")],
    *,
    npki_dir: NpkiOption = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Password of the PFX (prompted if absent).")
    ] = None,
    new_password: Annotated[
        str | None,
        typer.Option("--new-password", help="Certificate password for signPri.key (default: the PFX password)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a folder of the same certificate.")] = False,
) -> None:
    """Import a PFX file into the NPKI folder (인증서 가져오기): signCert.der + signPri.key, R kept."""
    data = pfx.read_bytes()
    if not is_pfx(data):
        raise InvalidInput(f"{pfx} is not a PFX file.", message_ko=f"{pfx}은(는) PFX 파일이 아닙니다.")
    secret = _secret(password, "PFX 비밀번호 / PFX password")
    contents = import_pfx(data, secret)
    if new_password is not None:
        require_valid_password(new_password)
    key_file = encrypt_sign_pri(contents.bundle, new_password or secret, iterations=key_iterations(settings_of(ctx)))
    store = NpkiStore(npki_dir or default_npki_root())
    folder = store.write(contents.cert.public_bytes(serialization.Encoding.DER), key_file, overwrite=overwrite)
    _say(f"[green]가져오기 완료[/] imported {contents.cert.subject.rfc4514_string()}")
    _say(f"  NPKI      {folder}  (R {'kept' if contents.bundle.random_num else 'absent: no VID login'})")


def register(app: typer.Typer) -> None:
    """Attach ``export`` and ``import``."""
    app.command("export")(export)
    app.command("import")(import_)
