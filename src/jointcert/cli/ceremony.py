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
A ceremony after the first instance runs with ``--approved-in <running instance> --proposal N``: a ``key_ceremony``
proposal for exactly this file, approved by two operators there (``admin/ceremony_control.py``).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.admin.ceremony_control import CeremonyAuthorisations
from jointcert.admin.model import Proposal
from jointcert.app import Services, init_instance
from jointcert.ca.ceremony import CeremonyPlan, ceremony_plan, ceremony_record, issuing_csr, record_bytes
from jointcert.ca.health import signers_usable
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.ports import AuditEvent
from jointcert.ca.token import TokenKey
from jointcert.cli.ca import open_services, say, settings_of
from jointcert.cli.context import CliState
from jointcert.config import Settings, load_settings
from jointcert.errors import InvalidInput

__all__ = ["ca_app", "register"]

ca_app = typer.Typer(help="CA keys: the key ceremony and key status (CA 키).", no_args_is_help=True)


def _read_config(path: Path) -> tuple[CeremonyPlan, Path]:
    try:
        plan = ceremony_plan(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc}", message_ko="세리머니 설정 파일을 읽을 수 없습니다.") from exc
    out = path.parent / plan.output
    if out.exists():
        raise InvalidInput(f"The output directory {out} already exists.", message_ko="출력 디렉터리가 이미 있습니다.")
    return plan, out


def _authorisation(
    stack: contextlib.ExitStack, config: Path, approved_in: Path | None, proposal: int | None
) -> tuple[Services | None, Proposal | None]:
    """Claim the approved proposal in the authorising instance (both options), or none (the first instance)."""
    if approved_in is None and proposal is None:
        return None, None
    if approved_in is None or proposal is None:
        raise InvalidInput(
            "--approved-in and --proposal go together.", message_ko="--approved-in 과 --proposal 을 함께 주세요."
        )
    authorising = stack.enter_context(open_services(load_settings(approved_in), actor="ceremony"))
    assert authorising.ceremonies is not None
    claimed = authorising.ceremonies.claim(proposal, config.read_bytes(), shell_user=getpass.getuser())
    return authorising, claimed


@ca_app.command("ceremony")
def ceremony(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option("--config", exists=True, dir_okay=False, help="ceremony.toml")],
    approved_in: Annotated[
        Path | None,
        typer.Option("--approved-in", help="Data dir of the instance whose operators approved this ceremony."),
    ] = None,
    proposal: Annotated[int | None, typer.Option("--proposal", help="The approved key_ceremony proposal.")] = None,
) -> None:
    """Generate the root, issuing and OCSP keys inside the token, create the instance, write CSR/certs/record.

    A ceremony after the first instance needs a key_ceremony proposal approved by two operators of a running
    instance (``--approved-in DIR --proposal N``) for exactly this ceremony.toml."""
    state: CliState = ctx.obj
    plan, out = _read_config(config)
    with contextlib.ExitStack() as stack:
        authorising, claimed = _authorisation(stack, config, approved_in, proposal)
        init_instance(state.data_dir, ca=plan.ca)
        settings = load_settings(state.data_dir)
        with open_services(settings, actor="ceremony") as services:
            record = _write_outputs(services, settings, out)
            data = record_bytes(record)
            digest = hashlib.sha256(data).hexdigest()
            key_ids = {slug: role["key"].get("key_id") for slug, role in record["roles"].items()}
            details: dict[str, object] = {"record_sha256": digest, "key_ids": key_ids, "config_sha256": plan.sha256}
            details["shell_user"] = getpass.getuser()
            actor = "ceremony"
            if authorising is not None and claimed is not None:
                actor = CeremonyAuthorisations.actor(claimed)
                details |= {"proposal": claimed.id, "authorised_in": str(approved_in)}
            entry = services.audit.append(AuditEvent("ca.ceremony", actor, services.clock.now(), details))
        if authorising is not None and authorising.ceremonies is not None and claimed is not None:
            authorising.ceremonies.performed(claimed, digest, str(state.data_dir))
    token = settings.ca.pkcs11.token_label
    say(f"[green]키 생성식 완료[/] key ceremony done: keys in token {token!r}, instance {state.data_dir}")
    if claimed is not None:
        say(f"  authorised by {actor} (proposal #{claimed.id} in {approved_in})")
    for slug, key_id in sorted(key_ids.items()):
        say(f"  {slug:<7} CKA_ID {key_id}")
    say(f"  record  {out / 'ceremony.json'} sha256 {digest} (audit #{entry.seq})")


def _write_outputs(services: Services, settings: Settings, out: Path) -> dict[str, Any]:
    """ceremony.json, the certificates and the issuing CA's CSR; the record."""
    signers = services.signers
    token = {"module": settings.ca.pkcs11.module, "label": settings.ca.pkcs11.token_label}
    attributes = {
        slug: s.key.source.attributes(s.key.label) for slug, s in signers.items() if isinstance(s.key, TokenKey)
    }
    record = ceremony_record(signers, token, attributes)
    out.mkdir(parents=True)
    (out / "ceremony.json").write_bytes(record_bytes(record))
    for slug, signer in sorted(signers.items()):
        (out / f"{slug}.crt.pem").write_bytes(signer.certificate.public_bytes(Encoding.PEM))
    (out / f"{ISSUING}.csr.pem").write_bytes(issuing_csr(signers[ISSUING]))
    return record


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
