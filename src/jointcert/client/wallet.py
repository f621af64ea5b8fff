"""Enrollment, renewal and self-revocation into and out of an NPKI folder tree (signCert.der + signPri.key, and
kmCert.der + kmPri.key for a sign + km pair).

- enroll: the new certificate and its signPri.key (SEED, carrying R) are written first and confirmed (certConf)
  only once they are on disk; if writing fails the certificate is rejected, so the CA revokes it.
- renew: the current key file is opened with the password, the new key keeps the same R (the CA copies the VID)
  and is written under the same password; once the CA confirmed, the old folder is deleted — the old certificate
  is revoked as superseded at that moment, so keeping it would only leave a dead certificate behind.
- revoke: ``rr`` signed with the certificate itself; its folder is deleted afterwards (the CA revokes the km
  certificate of a pair with it).
- A folder holding kmCert.der is renewed as a pair (a new km key too).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID

from jointcert.client.cmp import CmpClient, PendingCertificate
from jointcert.cmp.model import CrlReason
from jointcert.errors import InvalidInput, NotFound
from jointcert.npki.keyfile import DEFAULT_ITERATIONS, decrypt_sign_pri, encrypt_sign_pri
from jointcert.npki.password_policy import require_valid_password
from jointcert.npki.store import NpkiStore, StoredCertificate

__all__ = [
    "Stored",
    "cmp_url_for",
    "enroll_into_store",
    "renew_in_store",
    "revoke_from_store",
    "select_certificate",
]


@dataclass(frozen=True)
class Stored:
    """A certificate written to the store and where."""

    certificate: x509.Certificate
    folder: Path


def cmp_url_for(certificate: x509.Certificate) -> str:
    """The CMP endpoint of the CA that issued ``certificate``: its AIA OCSP URL with the path ``/cmp``."""
    try:
        aia = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        aia = x509.AuthorityInformationAccess([])
    for description in aia:
        if description.access_method == AuthorityInformationAccessOID.OCSP:
            parts = urlsplit(str(description.access_location.value))
            return urlunsplit((parts.scheme, parts.netloc, "/cmp", "", ""))
    raise InvalidInput(
        "The certificate does not say where its CA is; give --server.",
        message_ko="인증서에 인증기관 주소가 없습니다. --server를 지정하세요.",
    )


def select_certificate(store: NpkiStore, folder: Path | None) -> StoredCertificate:
    """The certificate in ``folder``, or the only one in the store; an error naming the choices otherwise."""
    found = store.list()
    if folder is not None:
        target = (folder if folder.is_absolute() else store.root / folder).resolve()
        for entry in found:
            if entry.path.resolve() == target:
                return entry
        raise NotFound(f"No certificate in {folder}.", message_ko=f"{folder}에 인증서가 없습니다.")
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"No certificate under {store.root}.", message_ko=f"{store.root}에 인증서가 없습니다.")
    names = "; ".join(str(entry.path) for entry in found)
    raise InvalidInput(
        f"Several certificates are stored; choose one with --cert: {names}",
        message_ko="인증서가 여러 개입니다. --cert로 선택하세요.",
        folders=[str(entry.path) for entry in found],
    )


def _km_files(pending: PendingCertificate, password: str, iterations: int) -> tuple[bytes, bytes] | None:
    if pending.km_certificate is None or pending.km_bundle is None:
        return None
    return pending.km_certificate.public_bytes(Encoding.DER), encrypt_sign_pri(
        pending.km_bundle, password, iterations=iterations
    )


def _store_and_confirm(
    store: NpkiStore, pending: PendingCertificate, password: str, *, overwrite: bool, iterations: int
) -> Path:
    try:
        folder = store.write(
            pending.certificate.public_bytes(Encoding.DER),
            encrypt_sign_pri(pending.bundle, password, iterations=iterations),
            overwrite=overwrite,
            km=_km_files(pending, password, iterations),
        )
    except BaseException:
        with contextlib.suppress(Exception):
            pending.reject()  # the CA revokes a certificate nobody could store
        raise
    try:
        pending.confirm()
    except BaseException:
        with contextlib.suppress(Exception):
            store.delete(folder)  # unconfirmed, it will be revoked: do not leave it looking usable
        raise
    return folder


def enroll_into_store(
    client: CmpClient,
    reference_number: str,
    authorization_code: str,
    password: str,
    store: NpkiStore,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    km: bool = False,
) -> Stored:
    """Enroll with the ticket and write the NPKI folder (signPri.key with ``iterations``: the instance's preset;
    with ``km``: the sign + km pair, four files); the password policy is checked before anything else."""
    require_valid_password(password)
    pending = client.enroll(reference_number, authorization_code, km=km)
    folder = _store_and_confirm(store, pending, password, overwrite=False, iterations=iterations)
    return Stored(pending.certificate, folder)


def renew_in_store(
    client: CmpClient,
    store: NpkiStore,
    entry: StoredCertificate,
    password: str,
    *,
    iterations: int = DEFAULT_ITERATIONS,
) -> Stored:
    """Renew the stored certificate (same password, same R) and replace its folder."""
    certificate, key_file = store.load(entry.path)
    bundle = decrypt_sign_pri(key_file, password)
    pending = client.renew(certificate, bundle, km=store.load_km(entry.path) is not None)
    new_folder = store.folder_for(pending.certificate)
    same = new_folder.resolve() == entry.path.resolve()
    folder = _store_and_confirm(store, pending, password, overwrite=same, iterations=iterations)
    if not same:
        store.delete(entry.path)
    return Stored(pending.certificate, folder)


def revoke_from_store(
    client: CmpClient,
    store: NpkiStore,
    entry: StoredCertificate,
    password: str,
    reason: CrlReason | None = None,
    *,
    keep_files: bool = False,
) -> x509.Certificate:
    """Revoke the stored certificate with its own key (``rr``); delete its folder unless ``keep_files``."""
    certificate, key_file = store.load(entry.path)
    bundle = decrypt_sign_pri(key_file, password)
    client.revoke(certificate, bundle.key, reason)
    if not keep_files:
        store.delete(entry.path)
    return certificate
