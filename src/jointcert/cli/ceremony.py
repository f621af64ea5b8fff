"""``jointcert ca ceremony --config ceremony.toml`` (CA keys generated in a PKCS#11 token) and ``jointcert ca keys``.

ceremony.toml::

    [token]
    module = "/usr/lib/softhsm/libsofthsm2.so"   # the PKCS#11 module
    label = "jointcert-ca"                       # the token's label
    [output]
    directory = "ceremony"                        # relative to this file; must not exist yet
    [ca]                                          # optional: names of the CA (CaSettings fields)
    organization = "jointsign"

The user PIN comes from ``JOINTCERT_CA__PKCS11__PIN`` (or ``[ca.pkcs11] pin`` in the instance's secrets.toml).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.app import init_instance
from jointcert.ca.ceremony import ceremony_record, issuing_csr, record_bytes
from jointcert.ca.health import signers_usable
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.ports import AuditEvent
from jointcert.ca.token import TokenKey
from jointcert.cli.ca import open_services, say, settings_of
from jointcert.cli.context import CliState
from jointcert.config import Pkcs11Settings, load_settings
from jointcert.errors import InvalidInput

__all__ = ["ca_app", "register"]

ca_app = typer.Typer(help="CA keys: the key ceremony and key status (CA 키).", no_args_is_help=True)
_NAME_FIELDS = {"organization", "unit", "issuing_name", "root_name", "bank_unit", "bank_code", "validity_days"}


def _read_config(path: Path) -> tuple[dict[str, Any], Path]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read {path}: {exc}", message_ko="세리머니 설정 파일을 읽을 수 없습니다.") from exc
    token, output, names = document.get("token", {}), document.get("output", {}), document.get("ca", {})
    unknown = (set(document) - {"token", "output", "ca"}) | (set(names) - _NAME_FIELDS)
    unknown |= (set(token) - {"module", "label"}) | (set(output) - {"directory"})
    if unknown or not isinstance(token.get("label"), str):
        raise InvalidInput(
            f"ceremony.toml needs [token] label; unknown keys: {sorted(unknown)}",
            message_ko="세리머니 설정이 올바르지 않습니다 ([token] label 필요).",
        )
    pkcs11 = {"module": token.get("module", Pkcs11Settings().module), "token_label": token["label"]}
    out = path.parent / str(output.get("directory", "ceremony"))
    if out.exists():
        raise InvalidInput(f"The output directory {out} already exists.", message_ko="출력 디렉터리가 이미 있습니다.")
    return dict(names) | {"key_source": "pkcs11", "pkcs11": pkcs11}, out


@ca_app.command("ceremony")
def ceremony(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option("--config", exists=True, dir_okay=False, help="ceremony.toml")],
) -> None:
    """Generate the root, issuing and OCSP keys inside the token, create the instance, write CSR/certs/record."""
    state: CliState = ctx.obj
    overrides, out = _read_config(config)
    init_instance(state.data_dir, ca=overrides)
    settings = load_settings(state.data_dir)
    with open_services(settings, actor="ceremony") as services:
        signers = services.signers
        token = {"module": settings.ca.pkcs11.module, "label": settings.ca.pkcs11.token_label}
        attributes = {
            slug: s.key.source.attributes(s.key.label) for slug, s in signers.items() if isinstance(s.key, TokenKey)
        }
        record = ceremony_record(signers, token, attributes)
        data = record_bytes(record)
        out.mkdir(parents=True)
        (out / "ceremony.json").write_bytes(data)
        for slug, signer in sorted(signers.items()):
            (out / f"{slug}.crt.pem").write_bytes(signer.certificate.public_bytes(Encoding.PEM))
        (out / f"{ISSUING}.csr.pem").write_bytes(issuing_csr(signers[ISSUING]))
        digest = hashlib.sha256(data).hexdigest()
        key_ids = {slug: role["key"].get("key_id") for slug, role in record["roles"].items()}
        entry = services.audit.append(
            AuditEvent("ca.ceremony", "ceremony", services.clock.now(), {"record_sha256": digest, "key_ids": key_ids})
        )
    say(f"[green]키 생성식 완료[/] key ceremony done: keys in token {token['label']!r}, instance {state.data_dir}")
    for slug, key_id in sorted(key_ids.items()):
        say(f"  {slug:<7} CKA_ID {key_id}")
    say(f"  record  {out / 'ceremony.json'} sha256 {digest} (audit #{entry.seq})")


@ca_app.command("keys")
def keys(ctx: typer.Context) -> None:
    """Where each CA key lives and whether it signs right now (a test signature, verified)."""
    with open_services(settings_of(ctx), actor="cli") as services:
        statuses = signers_usable(services.signers)
    for status in statuses:
        state = "[green]usable[/]" if status.usable else f"[red]UNUSABLE ({status.error})[/]"
        say(f"{status.slug:<7} {status.source:<7} key id {status.key_id}  {state}")
    if not all(s.usable for s in statuses):
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Attach the ``ca`` command group."""
    app.add_typer(ca_app, name="ca")
