"""``jointcert inspect PATH``: a readable view of a certificate, signPri.key, NPKI folder or root, or PFX."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from jointcert.cli.context import console
from jointcert.npki.inspect import (
    CertificateReport,
    InputKind,
    InspectReport,
    ItemReport,
    KeyReport,
    inspect_path,
)

__all__ = ["inspect_command", "register"]


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _yes_no(value: bool | None) -> str:
    return "yes / 예" if value else "NO / 아니오"


_USAGE = {
    "signing": "signing / 서명용 (digitalSignature, nonRepudiation)",
    "encryption": "encryption / 암호화용 km (keyEncipherment)",
}


def _certificate_rows(table: Table, cert: CertificateReport, prefix: str = "") -> None:
    policy = cert.policy
    kind = (
        f"{policy.label_ko} ({policy.cert_type.label_en}, {cert.ca_name}) [{policy.oid}]"
        if policy
        else ", ".join(cert.policy_oids) or "-"
    )
    vid = cert.vid.value + (f" (real name {cert.real_name})" if cert.real_name else "")
    for label, value in (
        ("subject", cert.subject),
        ("issuer", cert.issuer),
        ("serial (hex)", cert.serial_hex),
        ("valid from", _when(cert.not_before)),
        ("valid until", _when(cert.not_after)),
        ("type", kind),
        ("usage", _USAGE.get(cert.usage, cert.usage)),
        ("VID", vid),
    ):
        table.add_row(Text(prefix + label), Text(value))


def _key_rows(table: Table, key: KeyReport, prefix: str = "") -> None:
    enc = key.encryption
    if enc is not None:
        scheme = f"{enc.name}: {enc.kdf}, {enc.cipher}, salt {enc.salt.hex()}, {enc.iterations} iterations"
        table.add_row(Text(prefix + "key encryption"), Text(scheme))
    if key.error is not None:
        table.add_row(Text(prefix + "key"), Text(f"not opened: {key.error.text_en}", style="red"))
    elif key.opened:
        table.add_row(Text(prefix + "key"), Text(f"RSA {key.key_size} bits"))
        if key.matches_certificate is not None:
            table.add_row(Text(prefix + "key matches certificate"), Text(_yes_no(key.matches_certificate)))
        table.add_row(Text(prefix + "R (randomNum) present"), Text(_yes_no(key.random_num_present)))
    else:
        table.add_row(Text(prefix + "key"), Text("encrypted (give --password to open it)"))


def _item_table(report: InspectReport, item: ItemReport) -> Table:
    table = Table(title=Text(f"{report.kind.value}: {item.path}"), show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    if item.certificate is not None:
        _certificate_rows(table, item.certificate)
    if item.key is not None:
        _key_rows(table, item.key)
    if item.km is not None and item.km.certificate is not None:  # kmCert.der + kmPri.key of the folder
        _certificate_rows(table, item.km.certificate, prefix="km ")
        if item.km.key is not None:
            _key_rows(table, item.km.key, prefix="km ")
    for index, other in enumerate(item.chain, 1):
        _certificate_rows(table, other, prefix=f"chain {index} ")
    return table


def _key_state(key: KeyReport | None) -> str:
    if key is None:
        return "no signPri.key"
    if key.error is not None:
        return f"not opened ({key.error.code})"
    if not key.opened:
        return "encrypted"
    match = "matches" if key.matches_certificate else "DOES NOT MATCH"
    return f"{match}, R {'present' if key.random_num_present else 'absent'}"


def _root_table(report: InspectReport) -> Table:
    table = Table(title=Text(f"{report.kind.value}: {report.path} ({len(report.items)} certificates)"))
    for column in ("CA", "certificate (cn)", "type", "valid until", "key"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        cert = item.certificate
        if cert is None:
            continue
        kind = f"{cert.policy.label_ko} ({cert.policy.cert_type.value})" if cert.policy else "-"
        relative = item.path.relative_to(report.path).parts
        ca = relative[0] if len(relative) > 2 else "-"
        cn = item.path.name.split(",", 1)[0].removeprefix("cn=")
        key = _key_state(item.key) + ("" if item.km is None else "; + km pair (kmCert.der)")
        table.add_row(Text(ca), Text(cn), Text(kind), Text(cert.not_after.date().isoformat()), Text(key))
    return table


def render(report: InspectReport) -> None:
    """Print the report with Rich: one table per item, or one summary table for a whole NPKI root."""
    if report.kind is InputKind.NPKI_ROOT:
        if not report.items:
            console.print(Text(f"No certificates found under {report.path}."))
            return
        console.print(_root_table(report))
        return
    for item in report.items:
        console.print(_item_table(report, item))


def inspect_command(
    path: Annotated[Path, typer.Argument(help="Certificate (DER/PEM), signPri.key, NPKI folder or root, or PFX.")],
    password: Annotated[
        str | None, typer.Option("--password", "-p", help="Certificate password: opens key files and PFX.")
    ] = None,
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="Prompt for the password instead of passing it.")
    ] = False,
) -> None:
    """Show subject, issuer, serial, validity, type, VID, key encryption, key match and R."""
    if ask_password and password is None:
        password = typer.prompt("인증서 비밀번호 / certificate password", hide_input=True)
    report = inspect_path(path, password)
    render(report)
    if report.errors:
        raise report.errors[0]


def register(app: typer.Typer) -> None:
    """Add ``inspect`` to the root app."""
    app.command("inspect")(inspect_command)
