"""A real ``jointcert serve`` subprocess that SIGKILLs itself at a named fault point, customers that keep going
through the crashes, and the invariants that must hold afterwards (docs/crash-safety.md)."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlalchemy import select

from jointcert.app import Services
from jointcert.ca.ports import RecordStatus
from jointcert.client.cmp import CmpClient
from jointcert.client.issuance import Delivered, IssuanceClient
from jointcert.errors import JointcertError
from jointcert.ra.workflow import SAGA_STATES
from jointcert.storage.tables.bank import BankAccount
from jointcert.storage.tables.ca import CaCertificate
from jointcert.storage.tables.ra import RaFeeEntry, RaSession
from jointcert.types import CertType
from tests.integration.issuance_flow import UNTHROTTLED, Flow, rsa_key

CONFIRM_WAIT = 30  # seconds (ra and cmp confirm waits): long enough for a retry on a loaded machine, waited out once
GRACE = 1  # ra.saga_grace_seconds
START_TIMEOUT = 90.0
JSON_POINTS = (
    "after_claim", "after_record", "after_sign", "after_store", "after_charge", "before_response",
    "after_confirm_claim", "after_supersede", "after_fee_final",
)  # fmt: skip
CMP_POINTS = ("after_record", "after_sign", "after_store", "cmp_before_ip", "cmp_after_conf")
JSON_USERS = (("minjun88", "app_cert", "general"), ("jihopark", "security_card", "general"))
CMP_USERS = ("yujin93", "seoa99")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """``jointcert serve`` on ``port`` for the instance in ``data_dir``, restartable with a fault armed."""

    data_dir: Path
    database_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, fault: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
        env.update(
            JOINTCERT_DATA_DIR=str(self.data_dir),
            JOINTCERT_DATABASE_URL=self.database_url,
            JOINTCERT_SERVER__PUBLIC_URL=self.url,
            JOINTCERT_RA__CONFIRM_WAIT_SECONDS=str(CONFIRM_WAIT),
            JOINTCERT_CMP__CONFIRM_WAIT_SECONDS=str(CONFIRM_WAIT),
            JOINTCERT_RA__SAGA_GRACE_SECONDS=str(GRACE),
            JOINTCERT_RA__RECONCILE_INTERVAL_SECONDS="3600",  # only the pass at start: the test reconciles
            JOINTCERT_LOG_LEVEL="WARNING",
            JOINTCERT_SANDBOX__ENABLED="true",  # the customers' ARS calls ring on the sandbox phone
            **UNTHROTTLED,  # every simulated customer comes from 127.0.0.1
        )
        if fault is not None:
            env["JOINTCERT_FAULT_POINT"] = fault
        return env

    def start(self, fault: str | None = None) -> None:
        assert self.process is None or self.process.poll() is not None
        with self.log.open("ab") as out:
            out.write(f"\n--- start #{self.starts + 1} fault={fault}\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jointcert", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(fault),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start (code {self.process.returncode}); see {self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def killed_itself(self) -> bool:
        """Wait for the process to end; True if it died of SIGKILL (the fault point)."""
        assert self.process is not None
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            return False
        return code == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``jointcert <args>`` against the same instance (another process)."""
        return subprocess.run(
            [sys.executable, "-m", "jointcert", *args],
            env=self.env() | {"COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


class Crashed(Exception):
    """The server went away in the middle of a call."""


def calling(action: Any) -> Any:
    """Run ``action``; a lost connection (the server killed itself) becomes :class:`Crashed`."""
    try:
        return action()
    except httpx.TransportError as exc:
        raise Crashed() from exc
    except JointcertError as exc:
        if "cannot be reached" in exc.text_en:  # the CMP client's wording for a transport error
            raise Crashed() from exc
        raise


@dataclass
class JsonJourney:
    """One customer through the JSON flow: walk to READY, enroll, (save,) confirm; ``abandon``: after the crash
    the app never comes back."""

    http: Any  # httpx.Client or TestClient: the node the load balancer picks
    user: str
    method: str
    cert_type: str
    key_index: int
    abandon: bool
    session: tuple[str, str] = ("", "")
    delivered: Delivered | None = None

    def begin(self) -> None:
        flow = Flow(self.http)
        flow.to_contact_confirmed(self.user, self.method)
        flow.ok("/certificate-type", {"cert_type": self.cert_type})
        self.session = (flow.session_id, flow.token)

    def step(self) -> bool:
        """Do the next thing; True when the journey is over."""
        client = IssuanceClient(self.http, *self.session, lost_answers=0)
        key = rsa_key(self.key_index)
        if self.delivered is None:
            self.delivered = client.enroll(key, os.urandom(20))
            return False
        client.confirm(key, self.delivered)
        return True


@dataclass
class CmpJourney:
    """One applicant through CMP: a registration (CA side), ``ir``, ``certConf``."""

    services: Services
    http: Any
    cmp_url: str
    user: str
    abandon: bool
    pending: Any = None
    reference: tuple[str, str] | None = None
    client: CmpClient | None = None

    def begin(self) -> None:
        from jointcert.bank.seed import demo_customer

        spec = demo_customer(self.user).spec
        ticket = self.services.registrations.register(
            real_name=spec.name, rrn=spec.rrn.replace("-", ""), cert_type=CertType.LIMITED, requested_by="test"
        )
        self.reference = (ticket.reference_number, ticket.authorization_code)

    def step(self) -> bool:
        assert self.reference is not None
        if self.pending is None:
            try:
                self.client = CmpClient(self.cmp_url, http=self.http)
                self.pending = self.client.enroll(*self.reference)
            except JointcertError as exc:
                if "cannot be reached" in exc.text_en:
                    raise
                self.begin()  # the registration was used up by the crashed request: the bank makes a new one
            return False
        if self.client is not None:  # the certConf goes where the load balancer sends it now (the other node)
            self.client.url = self.cmp_url
            self.client._http = self.http  # a test standing in for the failover
        try:
            self.pending.confirm()
        except JointcertError as exc:
            if "cannot be reached" in exc.text_en:
                raise
            # a repeated certConf after a lost pkiConf is refused once the transaction is final: ask the CA
            record = self.services.authority.certificate(self.pending.certificate.serial_number)
            assert record is not None and record.status is RecordStatus.ISSUED, exc
        return True


# --- invariants ---------------------------------------------------------------------------------------------------
def _tbs_ok(row: CaCertificate) -> bool:
    assert row.der is not None
    tbs = x509.load_der_x509_certificate(row.der).tbs_certificate_bytes
    return hashlib.sha256(tbs).digest() == row.tbs_sha256


def check_invariants(services: Services, server_url: str, balances: dict[str, int]) -> dict[str, int]:
    """Assert the invariants of docs/crash-safety.md on the database (and OCSP over HTTP); return counts."""
    with services.database.session() as db:
        certs = list(db.scalars(select(CaCertificate).where(CaCertificate.channel.in_(["api", "cmp"]))))
        sessions = list(db.scalars(select(RaSession)))
        fees = list(db.scalars(select(RaFeeEntry)))
        accounts = {a.number: a.balance_krw for a in db.scalars(select(BankAccount))}
        db.expunge_all()
    signed = [c for c in certs if c.der is not None]
    assert all(_tbs_ok(c) for c in signed), "a signature without a record of the identical TBS"
    assert not [c for c in certs if c.status == RecordStatus.PENDING.value], "a pending CA record left"
    valid = Counter((c.holder_hash, c.profile) for c in certs if c.status == RecordStatus.ISSUED.value)
    assert max(valid.values(), default=0) <= 1, f"two valid certificates of one holder and type: {valid}"
    stuck = [s.state for s in sessions if s.state in {x.value for x in SAGA_STATES}]
    assert not stuck, f"sessions stuck in {stuck}"
    _check_fees(fees, sessions, accounts, balances)
    unconfirmed = [s for s in sessions if s.state == "unconfirmed"]
    der_of = {int(c.serial_hex, 16): c.der for c in signed}
    for session in unconfirmed:
        der = der_of[_serial_of(session)]
        assert der is not None and _ocsp_status(services, server_url, der) is ocsp.OCSPCertStatus.REVOKED
    return {
        "certificates": len(signed),
        "issued": sum(1 for c in certs if c.status == RecordStatus.ISSUED.value),
        "void": sum(1 for c in certs if c.status == RecordStatus.VOID.value),
        "revoked": sum(1 for c in certs if c.status == RecordStatus.REVOKED.value),
        "sessions_issued": sum(1 for s in sessions if s.state == "issued"),
        "sessions_unconfirmed": len(unconfirmed),
    }


def _serial_of(session: RaSession) -> int:
    import json

    return int(json.loads(session.data)["serial"], 16)


def _check_fees(
    fees: list[RaFeeEntry], sessions: list[RaSession], accounts: dict[str, int], balances: dict[str, int]
) -> None:
    by_serial: dict[str, set[str]] = {}
    for entry in fees:
        by_serial.setdefault(entry.serial_hex, set()).add(entry.kind)
    state = {s.id: s.state for s in sessions}
    final_charges: Counter[str] = Counter()
    for entry in fees:
        if entry.kind != "charge":
            continue
        kinds = by_serial[entry.serial_hex]
        assert ("final" in kinds) != ("reversal" in kinds), f"charge {entry.serial_hex} neither final nor reversed"
        if "final" in kinds:
            assert state[entry.session_id] == "issued", "a fee kept without a confirmed certificate"
            final_charges[entry.account_number] -= entry.amount_krw
    for number, start in balances.items():
        assert accounts[number] == start - final_charges[number], f"account {number}: charged without a certificate"


def _ocsp_status(services: Services, url: str, der: bytes) -> ocsp.OCSPCertStatus:
    issuer = services.signers["class1"].certificate
    builder = ocsp.OCSPRequestBuilder().add_certificate(x509.load_der_x509_certificate(der), issuer, hashes.SHA1())
    request = builder.build().public_bytes(serialization.Encoding.DER)
    path = base64.b64encode(request).decode()
    answer = ocsp.load_der_ocsp_response(httpx.get(f"{url}/ocsp/{path}", timeout=30).content)
    return answer.certificate_status


Journey = JsonJourney | CmpJourney


def drive(journey: Journey, *, begun: bool = False) -> bool:
    """Run the journey to its end; True if the server crashed on the way (the journey can go on later)."""
    try:
        if not begun:
            calling(journey.begin)
        while not calling(journey.step):
            pass
    except Crashed:
        return True
    return False
