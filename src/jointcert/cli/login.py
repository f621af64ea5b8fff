"""``jointcert login``: log in at a relying party's site with a certificate from the NPKI folder of this PC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from cryptography.hazmat.primitives.serialization import Encoding
from rich.table import Table

from jointcert.cli.context import console, err_console
from jointcert.cli.verify import refusal, show
from jointcert.client.login import SiteAnswer, SiteClient
from jointcert.errors import InvalidInput
from jointcert.npki.keyfile import decrypt_sign_pri
from jointcert.npki.oids import policy_info
from jointcert.npki.resident_number import parse as parse_resident_number
from jointcert.npki.store import CertificateNotFound, NpkiStore, StoredCertificate, default_npki_root
from jointcert.npki.vid import InvalidIdentifyData, identify_data_of
from jointcert.rp import Reason
from jointcert.rp.certinfo import policy_oids

__all__ = ["login", "register"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _kind(entry: StoredCertificate) -> str:
    for oid in policy_oids(entry.certificate):
        info = policy_info(oid)
        if info is not None:
            return info.cert_type.label_ko
    return "알 수 없음"


def _holder_name(entry: StoredCertificate) -> str:
    try:
        ident = identify_data_of(entry.certificate)
    except InvalidIdentifyData:
        ident = None
    if ident is not None and ident.real_name:
        return ident.real_name
    cn = entry.subject.split(",", 1)[0].removeprefix("cn=")
    return cn.split("(", 1)[0] or cn


def _table(found: list[StoredCertificate]) -> Table:
    table = Table(title="인증서 목록 / certificates")
    for column in ("#", "이름 name", "종류 type", "발급자 issuer", "만료일 valid until", "폴더 folder"):
        table.add_column(column, overflow="fold")
    for number, entry in enumerate(found, 1):
        issuer = entry.issuer.split(",", 1)[0]
        table.add_row(
            str(number),
            _holder_name(entry),
            _kind(entry),
            issuer,
            f"{entry.not_after:%Y-%m-%d}",
            entry.path.name,
        )
    return table


def _matches(entry: StoredCertificate, wanted: Path, root: Path) -> bool:
    """``wanted`` names the entry: a path (absolute, from here, or under the NPKI root) or the folder's name."""
    targets = {wanted.resolve(), (root / wanted).resolve()}
    return entry.path.resolve() in targets or entry.path.name == str(wanted)


def choose_certificate(store: NpkiStore, wanted: Path | None) -> StoredCertificate:
    """The certificate named by ``--cert`` (a folder, a folder name or a list number), the only one, or the one the
    user picks from the printed list."""
    found = store.list()
    if not found:
        raise CertificateNotFound(
            f"No certificate under {store.root}.", message_ko=f"{store.root}에 인증서가 없습니다.", path=str(store.root)
        )
    if wanted is not None:
        text = str(wanted)
        if text.isdigit() and 1 <= int(text) <= len(found):
            return found[int(text) - 1]
        for entry in found:
            if _matches(entry, wanted, store.root):
                return entry
        raise CertificateNotFound(f"No certificate in {wanted}.", message_ko=f"{wanted}에 인증서가 없습니다.")
    if len(found) == 1:
        return found[0]
    console.print(_table(found))
    number = int(typer.prompt("사용할 인증서 번호 / number of the certificate", type=int))
    if not 1 <= number <= len(found):
        raise InvalidInput(f"Choose 1 to {len(found)}.", message_ko=f"1부터 {len(found)} 사이에서 고르십시오.")
    return found[number - 1]


def _rrn(register: bool, rrn: str | None) -> str | None:
    if rrn is None:
        if register:
            raise InvalidInput("--register needs --rrn.", message_ko="--register에는 --rrn(주민등록번호)이 필요합니다.")
        return None
    if not register:
        raise InvalidInput("--rrn is only for --register.", message_ko="--rrn은 --register와 함께 씁니다.")
    return parse_resident_number(rrn).digits


def _warn_plain_http(site: str) -> None:
    parts = urlsplit(site)
    if parts.scheme == "http" and (parts.hostname or "") not in _LOOPBACK:
        err_console.print("[yellow]주의[/] HTTPS가 아닌 주소입니다 / warning: the site is not on HTTPS")


def _report(answer: SiteAnswer, entry: StoredCertificate) -> None:
    institution = answer.institution
    if institution:
        console.print(
            f"[bold]기관 institution[/] {institution.get('name')} ({institution.get('name_en')})", soft_wrap=True
        )
    console.print(f"[bold]인증서 folder[/] {entry.path}", soft_wrap=True)
    show(answer.verdict)
    verdict = answer.verdict
    if verdict.accepted:
        name = answer.customer_name or ""
        console.print(
            f"[bold green]환영합니다, {name} 님[/] / Welcome, {name} (고객번호 customer {verdict.customer_id})"
        )
    elif verdict.reason_code is Reason.NOT_REGISTERED:
        console.print(
            "처음 이용하는 기관입니다: [bold]--register --rrn <주민등록번호>[/]로 타기관 인증서 등록을 하십시오.\n"
            "First time here: register the certificate with --register --rrn <resident number>.",
            soft_wrap=True,
        )


def login(
    *,
    site: Annotated[str, typer.Option("--site", help="The site, e.g. http://127.0.0.1:8000/rp/saebit-bank")],
    npki_dir: Annotated[
        Path | None, typer.Option("--npki-dir", help="NPKI root (default: this OS's location, e.g. ~/NPKI).")
    ] = None,
    cert: Annotated[
        Path | None,
        typer.Option("--cert", help="Certificate folder (path, folder name or list number); asked when several."),
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", "-p", help="Certificate password (asked when missing).")
    ] = None,
    do_register: Annotated[
        bool, typer.Option("--register", help="타기관 인증서 등록: register the certificate at the site first.")
    ] = False,
    rrn: Annotated[str | None, typer.Option("--rrn", help="Resident registration number, for --register.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Your name for --register (default: the certificate's).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the site's verdict as JSON.")] = False,
) -> None:
    """Log in at a relying party with a certificate from the NPKI folder (공동인증서 로그인): the key signs the
    site's challenge here; only the certificate and the signature (and R, name and resident number with
    --register) are sent. Exit 0 when accepted, otherwise the code of the refusal (7 refused, 6 VID mismatch …)."""
    resident = _rrn(do_register, rrn)
    store = NpkiStore((npki_dir or default_npki_root()).expanduser().absolute())
    entry = choose_certificate(store, cert)
    certificate, key_file = store.load(entry.path)
    cert_der = certificate.public_bytes(Encoding.DER)
    if password is None:
        password = typer.prompt("인증서 비밀번호 / certificate password", hide_input=True)
    bundle = decrypt_sign_pri(key_file, password)
    _warn_plain_http(site)
    with SiteClient(site) as client:
        if resident is not None:
            answer = client.register(cert_der, bundle, name=name or _holder_name(entry), rrn=resident)
        else:
            answer = client.login(cert_der, bundle)
    if as_json:
        console.print_json(json.dumps(answer.raw, ensure_ascii=False))
    else:
        _report(answer, entry)
    if not answer.verdict.accepted:
        raise refusal(answer.verdict)


def register(app: typer.Typer) -> None:
    """Attach ``login``."""
    app.command("login")(login)
