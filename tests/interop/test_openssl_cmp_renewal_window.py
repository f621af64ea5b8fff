"""CMP kur obeys the bank's renewal window like the wallet: ``openssl cmp -cmd kur`` and ``jointcert renew`` on a
certificate enrolled a moment ago are refused with notAuthorized and a Korean + English text; nothing changes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jointcert.ca.ports import RecordStatus
from jointcert.cli.main import main
from jointcert.client.cmp import CmpClient
from jointcert.client.wallet import enroll_into_store
from jointcert.npki.store import NpkiStore
from jointcert.types import CertType
from tests.interop.conftest import LiveInstance
from tests.interop.test_openssl_cmp_server import PASSWORD, _cert, _key, _openssl, _openssl_ir, _status


def test_kur_before_the_window_is_refused(
    live_bank_window: LiveInstance, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    live = live_bank_window
    enrolled, failure = _openssl_ir(live, tmp_path, "8503032345672")
    assert not failure, failure
    new_cert = tmp_path / "cert2.pem"
    kur = _openssl(
        "cmp", "-cmd", "kur", "-server", f"{live.url}/cmp", "-cert", enrolled.cert, "-key", enrolled.key,
        "-newkey", _key(tmp_path / "key2.pem"), "-trusted", live.pem("root"), "-certout", new_cert,
    )  # fmt: skip
    said = kur.stdout + kur.stderr
    assert kur.returncode != 0 and "notAuthorized" in said, said
    assert "renewed only within 30 days before it expires" in said, said
    assert not new_cert.exists() and _status(live, _cert(enrolled.cert)) is RecordStatus.ISSUED

    ticket = live.services.registrations.register(
        real_name="김민준", rrn="8804042345673", cert_type=CertType.LIMITED, requested_by="interop"
    )
    npki = tmp_path / "NPKI"
    with CmpClient(f"{live.url}/cmp") as client:
        enroll_into_store(client, ticket.reference_number, ticket.authorization_code, PASSWORD, NpkiStore(npki))
    monkeypatch.setattr(sys, "argv", ["jointcert", "renew", "--npki-dir", str(npki), "--password", PASSWORD])
    with pytest.raises(SystemExit) as done:
        main()
    said = " ".join(capsys.readouterr())
    assert done.value.code not in (0, None) and "Traceback" not in said, said
    assert "만료 30일 전부터" in said and "within 30 days" in said, said
