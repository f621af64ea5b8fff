import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.errors import NotFound
from jointcert.npki.inspect import (
    InputKind,
    PasswordRequired,
    UnrecognisedFile,
    VidStatus,
    certificate_report,
    inspect_path,
)
from jointcert.npki.keyfile import KeyFileUnreadable, KeyScheme, NotAKeyFile, encrypt_sign_pri
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL
from jointcert.npki.pfx import export_pfx
from jointcert.npki.store import NpkiStore
from tests.unit.npki import factories

PASSWORD = TEST_CERT["signPw"].decode()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    store = NpkiStore(tmp_path / "NPKI")
    store.write(base64.b64decode(TEST_CERT["signCert"]), base64.b64decode(TEST_CERT["signPri"]))
    cert = factories.certificate(policy=POLICY_GENERAL_PERSONAL)
    key = encrypt_sign_pri(factories.bundle(), PASSWORD, scheme=KeyScheme.PBES2_SEED, iterations=5)
    store.write(cert.public_bytes(serialization.Encoding.DER), key)
    return store.root


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_certificate_report_of_the_yessign_certificate(tmp_path: Path) -> None:
    report = inspect_path(_write(tmp_path / "signCert.der", base64.b64decode(TEST_CERT["signCert"])))
    assert report.kind is InputKind.CERTIFICATE and report.errors == []
    cert = report.items[0].certificate
    assert cert is not None and report.items[0].key is None
    assert cert.serial_hex == "459C75" and int(cert.serial_hex, 16) == TEST_CERT["serialnum"]
    assert cert.subject.startswith("cn=HKD(KILDONG.HONG)")
    assert (cert.not_before, cert.not_after) == (TEST_CERT["notValidBefore"], TEST_CERT["notValidAfter"])
    assert cert.policy_oids == (TEST_CERT["typeOid"],)
    assert cert.policy is not None and cert.policy.ca == "yessign"
    assert (cert.vid, cert.real_name) == (VidStatus.PRESENT, "HKD")


def test_pem_certificate_and_unknown_policy(tmp_path: Path) -> None:
    cert = factories.certificate(policy="1.2.3.4", owner=factories.bundle(random_num=None))
    report = inspect_path(_write(tmp_path / "c.pem", cert.public_bytes(serialization.Encoding.PEM)))
    item = report.items[0].certificate
    assert item is not None and item.policy is None and item.policy_oids == ("1.2.3.4",)
    assert item.vid is VidStatus.ABSENT


def test_key_file_without_password_shows_only_its_encryption(tmp_path: Path) -> None:
    report = inspect_path(_write(tmp_path / "signPri.key", base64.b64decode(TEST_CERT["signPri"])))
    key = report.items[0].key
    assert report.kind is InputKind.KEY_FILE and key is not None
    assert key.encryption is not None and key.encryption.iterations == 2048
    assert not key.opened and key.key_size is None and key.random_num_present is None


def test_key_file_with_password_and_with_a_wrong_one(tmp_path: Path) -> None:
    path = _write(tmp_path / "signPri.key", base64.b64decode(TEST_CERT["signPri"]))
    key = inspect_path(path, PASSWORD).items[0].key
    assert key is not None and key.opened and key.key_size == 2048 and key.random_num_present
    assert key.matches_certificate is None
    wrong = inspect_path(path, "wrong-password")
    assert len(wrong.errors) == 1 and isinstance(wrong.errors[0], KeyFileUnreadable)


def test_npki_folder_reports_certificate_and_key(root: Path) -> None:
    folder = next((root / "yessign" / "USER").iterdir())
    report = inspect_path(folder, PASSWORD)
    item = report.items[0]
    assert report.kind is InputKind.NPKI_FOLDER and item.certificate is not None and item.key is not None
    assert item.key.matches_certificate is True and item.key.random_num_present is True


def test_npki_root_lists_every_certificate(root: Path) -> None:
    report = inspect_path(root)
    assert report.kind is InputKind.NPKI_ROOT
    assert [p.path.parent.parent.name for p in report.items] == ["jointsign", "yessign"]
    assert all(i.key is not None and not i.key.opened for i in report.items)
    opened = inspect_path(root, PASSWORD)
    assert opened.errors == [] and all(i.key is not None and i.key.opened for i in opened.items)
    general = opened.items[0].certificate
    assert general is not None and general.policy is not None and general.policy.oid == POLICY_GENERAL_PERSONAL


def test_npki_root_skips_broken_certificates_and_records_wrong_passwords(root: Path) -> None:
    broken = root / "yessign" / "USER" / "cn=broken"
    broken.mkdir()
    (broken / "signCert.der").write_bytes(b"junk")
    report = inspect_path(root, "wrong-password")
    assert len(report.items) == 2 and len(report.errors) == 2


def test_pfx_needs_its_password(tmp_path: Path) -> None:
    ca = factories.ca_certificate()
    data = export_pfx(factories.certificate(), factories.bundle(), "Pfx-pass1!", chain=[ca], iterations=5)
    path = _write(tmp_path / "cert.pfx", data)
    with pytest.raises(PasswordRequired):
        inspect_path(path)
    with pytest.raises(KeyFileUnreadable):
        inspect_path(path, "wrong")
    report = inspect_path(path, "Pfx-pass1!")
    item = report.items[0]
    assert report.kind is InputKind.PFX and item.key is not None and item.key.random_num_present
    assert item.key.matches_certificate and [c.subject for c in item.chain] == [certificate_report(ca).subject]


def test_unknown_inputs(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        inspect_path(tmp_path / "missing")
    with pytest.raises(UnrecognisedFile):
        inspect_path(_write(tmp_path / "notes.txt", b"hello"))
    assert inspect_path(tmp_path).items == ()
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "signCert.der").write_bytes(base64.b64decode(TEST_CERT["signCert"]))
    (folder / "signPri.key").write_bytes(b"not a key")
    report = inspect_path(folder, PASSWORD)
    assert isinstance(report.errors[0], NotAKeyFile)
