"""CA commands: ``issue``, ``revoke``, ``crl``, ``audit verify`` and ``audit checkpoint``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.app import Services, build_services
from jointcert.ca.audit import verify_store
from jointcert.ca.authority import IssuanceRequest, IssuedCertificate, SignatureProof
from jointcert.ca.errors import AuditChainBroken, UnknownProfile
from jointcert.ca.names import validate_rrn
from jointcert.ca.ports import CrlRecord
from jointcert.ca.presets import preset_for
from jointcert.cli.context import CliState, console
from jointcert.config import Settings, load_settings
from jointcert.errors import InvalidInput, JointcertError, Unavailable
from jointcert.npki.keyfile import PrivateKeyBundle, encrypt_sign_pri, generate_bundle
from jointcert.npki.password_policy import require_valid_password
from jointcert.npki.resident_number import parse as parse_resident_number
from jointcert.npki.store import NpkiStore, default_npki_root
from jointcert.types import CertType

__all__ = ["open_services", "parse_reason", "parse_serial", "register", "settings_of"]


def say(*parts: object) -> None:
    """Print to stdout without wrapping long values (serials, fingerprints, paths)."""
    console.print(*parts, soft_wrap=True)


audit_app = typer.Typer(help="Audit log (감사 로그).", no_args_is_help=True)

_REASONS = {flag.value.lower(): flag for flag in x509.ReasonFlags} | {
    flag.name.replace("_", "").lower(): flag for flag in x509.ReasonFlags
}


def settings_of(ctx: typer.Context) -> Settings:
    """Settings of the instance selected by ``--data-dir``."""
    state: CliState = ctx.obj
    return load_settings(state.data_dir)


def key_iterations(settings: Settings) -> int:
    """PBKDF iterations of the signPri.key files this instance's commands write (``[ca] preset``)."""
    return preset_for(settings.ca.preset).key_iterations


@contextlib.contextmanager
def open_services(settings: Settings, actor: str = "cli") -> Iterator[Services]:
    """Build the services; unexpected failures (database down, unreadable files) become a domain error."""
    try:
        services = build_services(settings, actor=actor)
    except JointcertError:
        raise
    except Exception as exc:
        raise Unavailable(
            f"Cannot open the instance: {type(exc).__name__}: {exc}", message_ko="인스턴스를 열 수 없습니다."
        ) from exc
    try:
        yield services
    finally:
        services.close()


def parse_serial(text: str) -> int:
    """A serial number in hex (``8ec9…``, ``0x8ec9…``, ``8E:C9:…``) as printed by this tool and openssl."""
    cleaned = text.strip().lower().removeprefix("0x").replace(":", "")
    try:
        return int(cleaned, 16)
    except ValueError as exc:
        raise InvalidInput("The serial number must be hexadecimal.", message_ko="일련번호는 16진수입니다.") from exc


def parse_reason(text: str) -> x509.ReasonFlags:
    """A revocation reason by RFC 5280 name (``keyCompromise``) or snake case (``key_compromise``)."""
    flag = _REASONS.get(text.replace("_", "").replace("-", "").lower())
    if flag is None:
        names = ", ".join(sorted(f.value for f in x509.ReasonFlags))
        raise InvalidInput(f"Unknown reason {text!r}; one of: {names}.", message_ko="알 수 없는 폐지 사유입니다.")
    return flag


def _cert_type(profile: str) -> CertType:
    try:
        return CertType(profile)
    except ValueError as exc:
        raise UnknownProfile(profile=profile) from exc


def _spki(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _request(
    name: str,
    rrn: str,
    cert_type: CertType,
    key: rsa.RSAPrivateKey,
    random_num: bytes,
    *,
    km_key: rsa.RSAPrivateKey | None = None,
) -> IssuanceRequest:
    message = b"jointcert issue pop " + os.urandom(16)
    proof = SignatureProof(message, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    km_proof = (
        None if km_key is None else SignatureProof(message, km_key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    )
    km_spki = None if km_key is None else _spki(km_key)
    return IssuanceRequest(
        cert_type, name, rrn, random_num, _spki(key), proof, "cli", km_public_key_der=km_spki, km_pop=km_proof
    )


def _show_issued(issued: IssuedCertificate) -> None:
    say(f"[green]발급 완료[/] issued {issued.cert_type.label_ko} / {issued.cert_type.label_en}")
    say(f"  serial    {issued.serial:x}")
    say(f"  subject   {issued.certificate.subject.rfc4514_string()}")
    say(f"  validity  {issued.not_before.isoformat()} — {issued.not_after.isoformat()}")
    if issued.km is not None:
        say(f"  km serial {issued.km.serial:x} (암호화용 / encryption)")
    if issued.superseded_serial is not None:
        say(f"  superseded (폐지됨) {issued.superseded_serial:x}")


def issue(
    ctx: typer.Context,
    *,
    name: Annotated[str, typer.Option("--name", help="Real name (실명).")],
    rrn: Annotated[
        str,
        typer.Option(
            "--rrn", help="Resident registration number (주민등록번호), e.g. 900101-1234567 or 9001011234567."
        ),
    ],
    password: Annotated[
        str,
        typer.Option(
            "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Password for signPri.key."
        ),
    ],
    profile: Annotated[str, typer.Option("--profile", help="limited (용도제한) or general (범용).")] = "limited",
    npki_dir: Annotated[
        Path | None, typer.Option("--npki-dir", help="NPKI root to write into (default: the OS location).")
    ] = None,
    km: Annotated[
        bool, typer.Option("--km/--no-km", help="Also the encryption pair (kmCert.der + kmPri.key), as real NPKI.")
    ] = False,
) -> None:
    """Issue a certificate directly through the CA pipeline and write it to an NPKI folder (인증서 발급).

    The key pairs and R are made here; only the public keys, proofs of possession and the VID inputs reach the CA.
    With --km the CA issues the sign + km pair in one unit and the folder gets all four files.
    """
    cert_type = _cert_type(profile)
    rrn = parse_resident_number(rrn).digits  # dashed or plain, like every command
    require_valid_password(password, birth_date=validate_rrn(rrn))  # refuse before anything is issued
    root = npki_dir or default_npki_root()
    bundle = generate_bundle()
    km_bundle = PrivateKeyBundle(generate_bundle().key, None) if km else None  # kmPri.key carries no R
    km_key = None if km_bundle is None else km_bundle.key
    settings = settings_of(ctx)
    iterations = key_iterations(settings)
    with open_services(settings) as services:
        issued = services.authority.issue(
            _request(name, rrn, cert_type, bundle.key, bundle.random_num or b"", km_key=km_key)
        )
        km_files = None
        if issued.km is not None and km_bundle is not None:
            km_files = (issued.km.der, encrypt_sign_pri(km_bundle, password, iterations=iterations))
        try:
            key_file = encrypt_sign_pri(bundle, password, iterations=iterations)
            folder = NpkiStore(root).write(issued.der, key_file, km=km_files)
        except BaseException as exc:
            # the private key exists only in this process: a certificate nobody can use must not stay valid
            services.authority.revoke(issued.serial, x509.ReasonFlags.cessation_of_operation, actor="cli")
            if isinstance(exc, OSError):
                raise Unavailable(
                    f"Cannot write the NPKI folder under {root} ({exc.strerror}); the certificate was revoked.",
                    message_ko=f"NPKI 폴더({root})에 저장할 수 없어 발급한 인증서를 폐지했습니다.",
                ) from exc
            raise
    _show_issued(issued)
    say(f"  NPKI      {folder}")


def revoke(
    ctx: typer.Context,
    serial: Annotated[str | None, typer.Argument(help="Serial number in hex (operator revocation).")] = None,
    *,
    reason: Annotated[
        str | None, typer.Option("--reason", help="keyCompromise, superseded, cessationOfOperation …")
    ] = None,
    self_: Annotated[
        bool, typer.Option("--self", help="Revoke your own stored certificate over CMP (rr), signed with its key.")
    ] = False,
    server: Annotated[
        str | None, typer.Option("--server", help="--self: CMP endpoint (default: from the certificate).")
    ] = None,
    npki_dir: Annotated[Path | None, typer.Option("--npki-dir", help="--self: NPKI root.")] = None,
    cert: Annotated[Path | None, typer.Option("--cert", help="--self: certificate folder.")] = None,
    password: Annotated[str | None, typer.Option("--password", help="--self: certificate password.")] = None,
    keep_files: Annotated[bool, typer.Option("--keep-files", help="--self: keep the folder after revoking.")] = False,
) -> None:
    """Revoke a certificate (인증서 폐지): by serial on the CA (operator), or ``--self`` over CMP (holder).

    OCSP and every node's logins refuse it within a second; the scheduler leader reissues the CRL within seconds
    (a CRL fetched before that is reissued on the spot)."""
    if self_:
        if serial is not None:
            raise InvalidInput(
                "Give either a serial number or --self.", message_ko="일련번호와 --self 중 하나만 주세요."
            )
        from jointcert.cli.cmp import revoke_self  # noqa: PLC0415  (cli.cmp imports this module)

        revoke_self(
            reason=reason, server=server, npki_dir=npki_dir, cert=cert, password=password, keep_files=keep_files
        )
        return
    if serial is None:
        raise InvalidInput(
            "Give the serial number to revoke, or --self for your own certificate.",
            message_ko="폐지할 일련번호를 주거나 본인 인증서는 --self를 사용하세요.",
        )
    number, flag = parse_serial(serial), parse_reason(reason or "unspecified")
    with open_services(settings_of(ctx)) as services:
        services.authority.revoke(number, flag, actor="cli")
    say(f"[green]폐지 완료[/] revoked {number:x} ({flag.value}); the CRL is reissued within seconds")


def crl(
    ctx: typer.Context,
    ca: Annotated[str, typer.Option("--ca", help="class1, root or all.")] = "all",
) -> None:
    """Regenerate CRLs now (voiding stale unsigned records first) and write them under <data>/crl/: the full CRL
    as <ca>.crl, each partition as <ca>/p<N>.crl (the paths of their URLs)."""
    settings = settings_of(ctx)
    out_dir = settings.data_dir / "crl"
    written: list[tuple[str, CrlRecord]] = []
    with open_services(settings) as services:
        services.authority.recover_stale(actor="cli")
        slugs = services.crl.slugs if ca == "all" else (ca,)
        for slug in slugs:
            written.append((slug, services.crl.regenerate(slug, actor="cli")))  # reissues dirty partitions first
            numbers = services.crl.partition_numbers(slug)
            records = services.crl.regenerate_partitions(slug, numbers, actor="cli")
            written += [(f"{slug}/p{n}", record) for n, record in zip(numbers, records, strict=True)]
    for name, record in written:
        path = out_dir / f"{name}.crl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(record.der)
        say(f"CRL {name} #{record.number} → {path}  (next update {record.next_update.isoformat()})")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check every link of the audit log's hash chain, every entry's MAC and every checkpoint kept outside the
    database; report the first broken one (감사 로그 검증)."""
    with open_services(settings_of(ctx), actor="audit") as services:
        report = services.audit_anchor.verify() if services.audit_anchor else verify_store(services.audit)
    if not report.ok:
        raise AuditChainBroken(
            f"The audit chain is broken at entry {report.broken_seq}: {report.reason}.",
            message_ko=f"감사 로그가 {report.broken_seq}번 항목에서 손상되었습니다: {report.reason}",
            seq=report.broken_seq,
        )
    say(f"[green]감사 로그 정상[/] audit log intact: {report.checked} entries verified ({report.keyed} MACs)")


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Write a signed checkpoint of the audit log's head to the checkpoint file now (감사 로그 체크포인트)."""
    with open_services(settings_of(ctx), actor="audit") as services:
        written = services.audit_anchor.checkpoint() if services.audit_anchor else None
        path = services.settings.audit_checkpoint_path
    if written is None:
        say("nothing to checkpoint (the audit log is empty or not keyed)")
        return
    say(f"checkpoint of entry {written.seq} → {path}")


def register(app: typer.Typer) -> None:
    """Attach the CA commands."""
    app.command("issue")(issue)
    app.command("revoke")(revoke)
    app.command("crl")(crl)
    app.add_typer(audit_app, name="audit")
