import base64
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.errors import InvalidInput
from jointcert.npki.keyfile import NotAKeyFile, encrypt_sign_pri
from jointcert.npki.store import (
    CertificateExists,
    CertificateNotFound,
    InvalidCertificate,
    NpkiStore,
    ca_folder_name,
    default_npki_root,
    dn_string,
    folder_name,
)
from tests.unit.npki import factories

YESSIGN_CERT = base64.b64decode(TEST_CERT["signCert"])
YESSIGN_KEY = base64.b64decode(TEST_CERT["signPri"])
YESSIGN_FOLDER = "cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr"


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", Path("/home/hong/NPKI")),
        ("win32", Path("/home/hong/AppData/LocalLow/NPKI")),
        ("darwin", Path("/home/hong/Library/Preferences/NPKI")),
        ("freebsd14", Path("/home/hong/NPKI")),
    ],
)
def test_default_roots(platform: str, expected: Path) -> None:
    assert default_npki_root(platform, Path("/home/hong")) == expected


def test_windows_root_uses_userprofile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USERPROFILE", "/users/hong")
    assert default_npki_root("win32") == Path("/users/hong/AppData/LocalLow/NPKI")


def test_folder_name_of_the_yessign_certificate() -> None:
    cert = x509.load_der_x509_certificate(YESSIGN_CERT)
    assert folder_name(cert) == YESSIGN_FOLDER
    assert ca_folder_name(cert) == "yessign"
    assert dn_string(cert.issuer) == "cn=yessignCA-Test Class 4,ou=AccreditedCA,o=yessign,c=kr"


def test_folder_name_keeps_korean_and_cannot_escape_its_folder() -> None:
    cert = factories.certificate(cn="홍길동()0081234520261125000001")
    assert folder_name(cert) == "cn=홍길동()0081234520261125000001,ou=HANBIT,ou=personal4IB,o=jointsign,c=kr"
    evil = factories.certificate(cn="../../x/..\\y:z*?\x01")
    name = folder_name(evil)
    assert "/" not in name and "\\" not in name and "\x01" not in name
    assert name.startswith("cn=.._.._x_.._y_z___,")


def test_write_list_load_delete(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    cert = factories.certificate()
    key = encrypt_sign_pri(factories.bundle(), "Cert-pass1!", iterations=2)
    folder = store.write(_der(cert), key)
    assert folder == tmp_path / "NPKI" / "jointsign" / "USER" / folder_name(cert)
    assert stat.S_IMODE((folder / "signPri.key").stat().st_mode) == 0o600
    assert (folder / "signCert.der").read_bytes() == _der(cert)
    listed = store.list()
    assert [s.path for s in listed] == [folder]
    assert listed[0].certificate == cert and listed[0].subject.startswith("cn=홍길동")
    assert listed[0].issuer == "cn=jointsignCA-Test Class 1,ou=AccreditedCA,o=jointsign,c=kr"
    assert listed[0].not_after == cert.not_valid_after_utc
    assert store.load(folder) == (cert, key)
    assert store.load(folder.relative_to(store.root)) == (cert, key)
    store.delete(folder)
    assert not folder.exists() and store.list() == []


def test_a_relative_root_gives_folders_that_stay_loadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `jointcert --npki-dir data/npki renew --self` listed a relative folder, then loaded root / folder (twice nested)
    monkeypatch.chdir(tmp_path)
    store = NpkiStore(Path("data") / "npki")
    cert = factories.certificate()
    key = encrypt_sign_pri(factories.bundle(), "Cert-pass1!", iterations=2)
    folder = store.write(_der(cert), key)
    listed = store.list()
    assert [s.path for s in listed] == [folder] and folder.is_absolute()
    assert store.load(listed[0].path) == (cert, key)
    store.delete(listed[0].path)
    assert store.list() == []


def test_write_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path)
    folder = store.write(YESSIGN_CERT, YESSIGN_KEY)
    with pytest.raises(CertificateExists):
        store.write(YESSIGN_CERT, YESSIGN_KEY)
    other_key = encrypt_sign_pri(factories.bundle(), "Cert-pass1!", iterations=2)
    assert store.write(YESSIGN_CERT, other_key, overwrite=True) == folder
    assert store.load(folder)[1] == other_key
    assert [p.name for p in folder.parent.iterdir()] == [YESSIGN_FOLDER]  # no staging or retired folders left


def test_write_checks_its_inputs_before_touching_the_disk(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    with pytest.raises(InvalidCertificate):
        store.write(b"not a certificate", YESSIGN_KEY)
    with pytest.raises(NotAKeyFile):
        store.write(YESSIGN_CERT, b"not a key")
    assert not (tmp_path / "NPKI").exists()


def test_list_skips_broken_and_hidden_folders(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path)
    good = store.write(YESSIGN_CERT, YESSIGN_KEY)
    broken = tmp_path / "yessign" / "USER" / "cn=broken"
    broken.mkdir()
    (broken / "signCert.der").write_bytes(b"junk")
    hidden = tmp_path / "yessign" / "USER" / ".staging-x"
    hidden.mkdir()
    (hidden / "signCert.der").write_bytes(YESSIGN_CERT)
    assert [s.path for s in store.list()] == [good]


def test_load_and_delete_stay_inside_the_store(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path / "NPKI")
    outside = tmp_path / "elsewhere" / "USER" / "cn=x"
    outside.mkdir(parents=True)
    (outside / "signCert.der").write_bytes(YESSIGN_CERT)
    for bad in (outside, tmp_path / "NPKI", Path("../elsewhere/USER/cn=x")):
        with pytest.raises(InvalidInput):
            store.delete(bad)
        with pytest.raises(InvalidInput):
            store.load(bad)
    assert outside.exists()


def test_missing_folder_is_not_found(tmp_path: Path) -> None:
    store = NpkiStore(tmp_path)
    missing = tmp_path / "yessign" / "USER" / "cn=gone"
    with pytest.raises(CertificateNotFound):
        store.load(missing)
    with pytest.raises(CertificateNotFound):
        store.delete(missing)
