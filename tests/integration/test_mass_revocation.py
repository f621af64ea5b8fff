"""Mass-revocation drill: a bulk revocation approved by a second operator while issuance continues; time until the
certificates are revoked in OCSP and in the published CRL, and the customers' revocation notices queued.

The CI variant revokes 50 certificates; ``@pytest.mark.slow`` runs the full drill (``JOINTCERT_DRILL_SIZE``,
default 100,000). The certificate records are inserted directly (the pipeline's speed is measured elsewhere), each
registered by the RA to one of the seeded sandbox customers; revocations go through dual control and
``CertificateAuthority.revoke``, the notices through the RA's notifier into the sandbox outbox. A watcher thread asks
OCSP for the last serial every half second. Figures are printed (docs/operators.md).
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from sqlalchemy import func, insert, select

from jointcert.admin.model import Role
from jointcert.app import Services, build_services, init_instance
from jointcert.bank.model import NotificationEvent
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.lint import PkixLinter
from jointcert.config import load_settings
from jointcert.storage.tables.bank import BankCustomer, BankOutboxMessage
from jointcert.storage.tables.ca import CaCertificate
from jointcert.storage.tables.ra import RaCertificate
from tests.unit.ca.factories import make_request

_BASE = 1 << 100
_KEY = rsa.generate_private_key(65537, 2048)


def _fill(services: Services, size: int) -> list[str]:
    now = services.clock.now()
    serials = [format(_BASE + i * 7919, "x") for i in range(size)]
    rows = [
        {
            "issuer": ISSUING, "serial_hex": s, "status": "issued", "profile": "limited", "subject": "cn=drill",
            "unique_id": None, "holder_hash": None, "channel": "cli", "not_before": now - timedelta(days=1),
            "not_after": now + timedelta(days=300), "tbs_sha256": b"\0" * 32, "created_at": now, "issued_at": now,
        }
        for s in serials
    ]  # fmt: skip
    with services.database.engine.begin() as connection:
        customers = list(connection.execute(select(BankCustomer.id).order_by(BankCustomer.id)).scalars())
        owners = [
            {"serial_hex": s, "customer_id": customers[i % len(customers)], "cert_type": "limited",
             "event": "issued", "session_id": None, "created_at": now}
            for i, s in enumerate(serials)
        ]  # fmt: skip
        for start in range(0, size, 20_000):
            connection.execute(insert(CaCertificate), rows[start : start + 20_000])
            connection.execute(insert(RaCertificate), owners[start : start + 20_000])
    return serials


def _progress(services: Services) -> str:
    query = select(func.count()).where(CaCertificate.status == "revoked")
    with services.database.engine.connect() as connection:
        revoked = int(connection.execute(query).scalar_one())
    return f"{revoked:,} revoked, {_revoked_notices(services):,} notices queued"


def _revoked_notices(services: Services) -> int:
    query = select(func.count()).where(
        BankOutboxMessage.event == NotificationEvent.REVOKED.value, BankOutboxMessage.channel == "sms"
    )
    with services.database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _ocsp_status(services: Services, serial: int) -> ocsp.OCSPCertStatus:
    issuer = services.signers[ISSUING]
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuer.name_hashes["sha1"], issuer.key_hashes["sha1"], serial, hashes.SHA1()
    )
    der = services.ocsp.respond(builder.build().public_bytes(serialization.Encoding.DER))
    return ocsp.load_der_ocsp_response(der).certificate_status


def _drill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linter: PkixLinter, size: int) -> None:
    for name in ("JOINTCERT_DATABASE_URL", "JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    init_instance(tmp_path / "data")
    services = build_services(load_settings(tmp_path / "data"), linter=linter, actor="test")
    services.bank.seed()
    try:
        serials = _fill(services, size)
        secrets = {
            n: services.operators.create(n, n, "drill password 1", frozenset({Role.CA_ADMIN}), actor="cli")[1]
            for n in ("alice", "bob")
        }
        logged = {
            n: services.operators.login(n, "drill password 1", pyotp.TOTP(s).now())[1] for n, s in secrets.items()
        }
        proposal = services.dual_control.propose(
            logged["alice"], "bulk_revocation", {"serials": serials, "reason": "cACompromise"}
        )
        issued_meanwhile: list[int] = []
        stop = threading.Event()

        def keep_issuing() -> None:
            while not stop.is_set():
                issued_meanwhile.append(services.authority.issue(make_request(_KEY)).serial)

        last = int(serials[-1], 16)
        seen_in_ocsp: list[float] = []

        def watch_ocsp() -> None:  # and, for long drills, progress once a minute
            reported = time.perf_counter()
            while not stop.is_set():
                if not seen_in_ocsp and _ocsp_status(services, last) is ocsp.OCSPCertStatus.REVOKED:
                    seen_in_ocsp.append(time.perf_counter() - start)
                if size > 1000 and time.perf_counter() - reported >= 60:
                    reported = time.perf_counter()
                    print(f"  {reported - start:.0f} s: {_progress(services)}, load {os.getloadavg()}", flush=True)
                stop.wait(0.5)

        worker, watcher = threading.Thread(target=keep_issuing), threading.Thread(target=watch_ocsp)
        start = time.perf_counter()
        worker.start()
        watcher.start()
        try:
            done = services.dual_control.approve(logged["bob"], proposal.id)
            approved_at = time.perf_counter() - start
        finally:
            stop.set()
            worker.join(timeout=120)
            watcher.join(timeout=120)
        assert done.result == {"revoked": size, "skipped": 0, "notified": size, "no_customer": 0, "notify_failed": 0}
        assert _revoked_notices(services) == size  # one SMS (and one e-mail) per revoked certificate
        assert _ocsp_status(services, last) is ocsp.OCSPCertStatus.REVOKED
        in_ocsp = seen_in_ocsp[0] if seen_in_ocsp else time.perf_counter() - start
        crl = x509.load_der_x509_crl(services.crl.current(ISSUING).der)
        in_crl = time.perf_counter() - start
        listed = {entry.serial_number for entry in crl}
        assert {int(s, 16) for s in serials} <= listed
        assert issued_meanwhile and all(_ocsp_status(services, s) is ocsp.OCSPCertStatus.GOOD for s in issued_meanwhile)
        print(
            f"mass revocation of {size:,}: last serial revoked in OCSP at {in_ocsp:.1f} s, "
            f"revoked and {size:,} notices queued when approval returned at {approved_at:.1f} s "
            f"({size / approved_at:,.0f}/s), in the published CRL at {in_crl:.1f} s, "
            f"{len(issued_meanwhile)} certificates issued meanwhile, load average {os.getloadavg()}"
        )
    finally:
        services.close()


def test_mass_revocation_drill_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_linter: PkixLinter) -> None:
    _drill(tmp_path, monkeypatch, shared_linter, 50)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="the 100,000-certificate drill: JOINTCERT_SLOW=1")
def test_mass_revocation_drill_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_linter: PkixLinter) -> None:
    _drill(tmp_path, monkeypatch, shared_linter, int(os.environ.get("JOINTCERT_DRILL_SIZE", "100000")))
