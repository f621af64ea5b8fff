"""The NPKI folder of a sign + km pair: four files written in one step, read back, inspected."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.npki.inspect import InputKind, inspect_path
from jointcert.npki.keyfile import NotAKeyFile, decrypt_sign_pri, encrypt_sign_pri
from jointcert.npki.store import KM_CERT_FILE, KM_KEY_FILE, NpkiStore
from tests.unit.npki import factories

PASSWORD = "Km-pair-pass1!"


def _write_pair(store: NpkiStore) -> Path:
    sign, km = factories.certificate(), factories.km_certificate()
    km_key = encrypt_sign_pri(factories.bundle(1, random_num=None), PASSWORD, iterations=5)
    return store.write(
        sign.public_bytes(Encoding.DER),
        encrypt_sign_pri(factories.bundle(), PASSWORD, iterations=5),
        km=(km.public_bytes(Encoding.DER), km_key),
    )


def test_the_folder_gets_four_files_and_loads_the_km_pair(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    folder = _write_pair(store)
    names = {p.name for p in folder.iterdir()}
    assert names == {"signCert.der", "signPri.key", KM_CERT_FILE, KM_KEY_FILE}
    assert stat.S_IMODE((folder / KM_KEY_FILE).stat().st_mode) == 0o600
    loaded = store.load_km(folder)
    assert loaded is not None and loaded[0] == factories.km_certificate()
    assert decrypt_sign_pri(loaded[1], PASSWORD).random_num is None
    assert len(store.list()) == 1  # one certificate folder, not two


def test_a_folder_without_km_files_has_no_pair(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    cert = factories.certificate()
    folder = store.write(cert.public_bytes(Encoding.DER), encrypt_sign_pri(factories.bundle(), PASSWORD, iterations=5))
    assert store.load_km(folder) is None


def test_a_bad_km_key_file_writes_nothing(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    sign, km = factories.certificate(), factories.km_certificate()
    with pytest.raises(NotAKeyFile):
        store.write(
            sign.public_bytes(Encoding.DER),
            encrypt_sign_pri(factories.bundle(), PASSWORD, iterations=5),
            km=(km.public_bytes(Encoding.DER), b"not a key file"),
        )
    assert store.list() == [] and not any(store.root.rglob("*.der"))


def test_inspect_shows_both_certificates_and_keys(tmp_path: Path) -> None:
    folder = _write_pair(NpkiStore(tmp_path / "NPKI"))
    report = inspect_path(folder, PASSWORD)
    assert report.kind is InputKind.NPKI_FOLDER and report.errors == []
    item = report.items[0]
    assert item.certificate is not None and item.certificate.usage == "signing"
    assert item.km is not None and item.km.certificate is not None and item.km.key is not None
    assert item.km.certificate.usage == "encryption" and item.km.certificate.vid.value == "absent"
    assert item.km.key.matches_certificate is True and item.km.key.random_num_present is False
    wrong = inspect_path(folder, "Wrong-pass1!")
    assert len(wrong.errors) == 2  # signPri.key and kmPri.key
    single = inspect_path(folder / KM_CERT_FILE)
    assert single.items[0].certificate is not None and single.items[0].certificate.usage == "encryption"
