"""The CMP server on a test database (SQLite and PostgreSQL), and a small applicant that builds requests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from jointcert.ca.hierarchy import ROOT, Hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.ca.registration import RegistrationService, RegistrationTicket
from jointcert.clock import FakeClock
from jointcert.cmp.client import cert_conf, follow_up_header, new_cert_request, request_header
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import FailInfo
from jointcert.cmp.model import Body, BodyType, CertReqBody, ErrorBody, PkiHeader, PkiMessage
from jointcert.cmp.protection import PbmProtection, Protection
from jointcert.cmp.service import CmpService
from jointcert.config import CmpSettings
from jointcert.storage.db import Database
from jointcert.storage.repositories.cmp import SqlRegistrationStore, SqlTransactionStore
from jointcert.storage.tables.ca import CaAuditLog, CaCertificate
from jointcert.types import CertType
from tests.unit.ca.conftest import CA_SETTINGS, CaEnv, build_env

RRN = "9001011234568"
NAME = "홍길동"
SUBJECT = x509.Name.from_rfc4514_string("CN=applicant")


@dataclass
class CmpEnv:
    """The CA, the registrations and the CMP server wired on one database."""

    ca: CaEnv
    settings: CmpSettings
    registrations: RegistrationService
    cmp: CmpService

    @property
    def clock(self) -> FakeClock:
        return self.ca.clock

    @property
    def database(self) -> Database:
        return self.ca.database

    def register(self, rrn: str = RRN, cert_type: CertType = CertType.LIMITED, name: str = NAME) -> RegistrationTicket:
        return self.registrations.register(real_name=name, rrn=rrn, cert_type=cert_type, requested_by="test")

    def handle(self, der: bytes) -> PkiMessage:
        """Send to the server; parse the answer (which must always parse)."""
        return parse_message(self.cmp.handle(der))

    def subscriber_rows(self) -> int:
        with self.database.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(CaCertificate)
                    .where(CaCertificate.profile.in_(["limited", "general"]))
                )
                or 0
            )

    def audit_types(self) -> list[str]:
        with self.database.session() as session:
            return list(session.scalars(select(CaAuditLog.type).order_by(CaAuditLog.seq)))

    def audit_payloads(self) -> list[str]:
        with self.database.session() as session:
            return list(session.scalars(select(CaAuditLog.payload).order_by(CaAuditLog.seq)))


def build_cmp_env(
    database: Database,
    *,
    clock: FakeClock,
    hierarchy: Hierarchy,
    linter: PkixLinter,
    key_dir: Path,
    settings: CmpSettings | None = None,
) -> CmpEnv:
    """Install the hierarchy and wire registrations and the CMP server like ``app.build_services``."""
    ca = build_env(database, clock, hierarchy, linter, key_dir)
    return wire_cmp(ca, settings or CmpSettings())


def wire_cmp(ca: CaEnv, settings: CmpSettings) -> CmpEnv:
    """A new registration service and CMP server over an existing CA environment (a "restart")."""
    registrations = RegistrationService(
        store=SqlRegistrationStore(ca.database), pii=ca.pii, clock=ca.clock, settings=settings, ca_settings=CA_SETTINGS
    )
    cmp = CmpService(
        authority=ca.authority,
        registrations=registrations,
        transactions=SqlTransactionStore(ca.database),
        audit=ca.audit,
        pii=ca.pii,
        clock=ca.clock,
        settings=settings,
        issuer=ca.hierarchy.issuing,
        chain=(ca.hierarchy.signers()[ROOT].certificate,),
    )
    return CmpEnv(ca, settings, registrations, cmp)


@dataclass
class Applicant:
    """A client with a key pair and R, talking to the server directly (no HTTP)."""

    env: CmpEnv
    key: rsa.RSAPrivateKey
    random_num: bytes = field(default_factory=lambda: os.urandom(20))
    header: PkiHeader | None = None
    reply: PkiMessage | None = None

    def ir(
        self,
        ticket: RegistrationTicket,
        *,
        code: str | None = None,
        kid: bytes | None = None,
        random_num: bytes | bool | None = True,
        kind: BodyType = BodyType.IR,
        implicit_confirm: bool = False,
        transaction_id: bytes | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> bytes:
        """DER ir/cr for ``ticket`` (override the code, KID, R, transactionID to make it wrong)."""
        header = request_header(
            sender_kid=kid if kid is not None else ticket.reference_number.encode(),
            message_time=self.env.clock.now(),
            implicit_confirm=implicit_confirm,
        )
        if transaction_id is not None:
            header = replace(header, transaction_id=transaction_id)
        r = self.random_num if random_num is True else (random_num or None)
        request = new_cert_request(key or self.key, subject=SUBJECT, random_num=r)  # type: ignore[arg-type]
        self.header = header
        protection = PbmProtection((code or ticket.authorization_code).encode())
        return encode_message(header, CertReqBody(kind, (request,)), protection=protection)

    def send(self, der: bytes) -> PkiMessage:
        self.reply = self.env.handle(der)
        return self.reply

    def follow_up(self, body: Body, protection: Protection) -> bytes:
        assert self.header is not None and self.reply is not None
        header = follow_up_header(self.header, self.reply.header, message_time=self.env.clock.now())
        return encode_message(header, body, protection=protection)

    def confirm(self, certificate: x509.Certificate, code: str, **kwargs: object) -> PkiMessage:
        """certConf answering the last ip (the answer does not replace ``reply``)."""
        return self.env.handle(self.follow_up(cert_conf(certificate, **kwargs), PbmProtection(code.encode())))  # type: ignore[arg-type]


def fail_info(message: PkiMessage) -> frozenset[FailInfo]:
    """The failInfo bits of an error answer (asserting it is one)."""
    assert isinstance(message.body, ErrorBody), message.body
    return message.body.status.fail_info
