"""Expiry reminders (ra/reminders.py) on a real instance (SQLite) and a FakeClock: a certificate from the CA
pipeline registered to a sandbox customer gets the 30-day and the 7-day SMS and e-mail with the renew link,
each once, however often and on however many nodes the pass runs; revoked and expired certificates get none."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from jointcert.app import Services, build_services, init_instance
from jointcert.bank.model import NotificationChannel, NotificationEvent
from jointcert.clock import FakeClock
from jointcert.config import load_settings
from jointcert.npki.keyfile import generate_bundle
from jointcert.ra.ports import RegisteredCertificate
from jointcert.ra.reminders import ExpiryReminders, days_left
from jointcert.storage.repositories.ra import SqlCertificateRegistry
from jointcert.storage.repositories.reminders import SqlReminderStore
from jointcert.storage.tables.ra import RaExpiryReminder
from jointcert.types import CertType
from jointcert.web.app import run_expiry_reminders
from tests.unit.ca.factories import fresh_rrn
from tests.unit.relay.factories import issue_certificate

USER = "seoyeon91"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[Services, FakeClock]]:
    """An initialised instance on SQLite with the seeded sandbox bank, on a fake clock."""
    clock = FakeClock()
    clock.set(clock.now().replace(year=2026, month=12, day=5, hour=1))
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    try:
        init_instance(tmp_path / "data", clock)
        services = build_services(load_settings(tmp_path / "data"), clock, actor="test")
    finally:
        os.environ.update(saved)
    services.bank.seed()
    try:
        yield services, clock
    finally:
        services.close()


def _issue(services: Services, customer_id: str) -> x509.Certificate:
    """A certificate from the CA pipeline, registered by the RA to ``customer_id``."""
    bundle = generate_bundle()
    spki = bundle.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = issue_certificate(
        services.authority,
        spki,
        lambda m: bundle.key.sign(m, padding.PKCS1v15(), hashes.SHA256()),
        bundle.random_num or b"",
        rrn=fresh_rrn(),
    )
    cert = x509.load_der_x509_certificate(der)
    SqlCertificateRegistry(services.database).add(
        RegisteredCertificate(cert.serial_number, customer_id, CertType.LIMITED, "issued", None, services.clock.now())
    )
    return cert


def _expiring(services: Services, customer_id: str) -> list[str]:
    sms = services.bank.outbox.messages(customer_id, channel=NotificationChannel.SMS)
    return [m.body for m in sms if m.event is NotificationEvent.EXPIRING]


def _customer(services: Services) -> str:
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    return customer.id


def test_30_and_7_days_before_each_once(instance: tuple[Services, FakeClock]) -> None:
    services, clock = instance
    reminders = services.reminders
    assert reminders is not None
    customer = _customer(services)
    cert = _issue(services, customer)
    end = cert.not_valid_after_utc

    clock.set(end - timedelta(days=31))
    assert reminders.run() == [] and _expiring(services, customer) == []

    clock.set(end - timedelta(days=30) + timedelta(hours=1))
    [first] = reminders.run()
    assert (first.days_before, first.days_left, first.customer_id) == (30, 30, customer)
    assert reminders.run() == []  # the next pass: already sent
    other_node = ExpiryReminders(
        SqlReminderStore(services.database), services.bank.notifier, clock, base_url="http://node-2"
    )
    assert other_node.run() == []  # another node, same database: not sent twice

    clock.set(end - timedelta(days=10))
    assert reminders.run() == []
    clock.set(end - timedelta(days=7) + timedelta(minutes=5))
    [second] = reminders.run()
    assert (second.days_before, second.days_left) == (7, 7)
    assert reminders.run() == [] and other_node.run() == []

    clock.set(end + timedelta(seconds=1))
    assert reminders.run() == []  # expired: nothing more

    bodies = _expiring(services, customer)
    assert len(bodies) == 2
    assert "30일 뒤" in bodies[0] and "7일 뒤" in bodies[1]
    url = services.settings.server.public_url.rstrip("/") + "/bank/wallet"
    assert all(url in body and "갱신" in body for body in bodies)
    assert f"{end + timedelta(hours=9):%Y-%m-%d}" in bodies[0]  # the last day in Korean time
    mails = services.bank.outbox.messages(customer, channel=NotificationChannel.EMAIL)
    assert [m.subject for m in mails if m.event is NotificationEvent.EXPIRING] == [
        "[한빛은행] 공동인증서 만료 예정 안내"
    ] * 2


def test_a_missed_30_day_reminder_leaves_only_the_7_day_one(instance: tuple[Services, FakeClock]) -> None:
    services, clock = instance
    assert services.reminders is not None
    customer = _customer(services)
    cert = _issue(services, customer)
    clock.set(cert.not_valid_after_utc - timedelta(days=5))  # the service was down at 30 days
    run_expiry_reminders(services)  # what the scheduler leader's hourly loop runs
    assert services.reminders.run() == []  # the 7-day reminder is recorded; the 30-day one is never sent late
    [body] = _expiring(services, customer)
    assert "5일 뒤" in body
    with services.database.session() as db:
        assert [(r.days_before, r.customer_id) for r in db.scalars(select(RaExpiryReminder))] == [(7, customer)]


def test_revoked_certificates_get_no_reminder(instance: tuple[Services, FakeClock]) -> None:
    services, clock = instance
    assert services.reminders is not None
    customer = _customer(services)
    kept, revoked = _issue(services, customer), _issue(services, customer)
    services.authority.revoke(revoked.serial_number, x509.ReasonFlags.superseded, actor="test")
    clock.set(kept.not_valid_after_utc - timedelta(days=20))
    assert [s.serial_hex for s in services.reminders.run()] == [format(kept.serial_number, "x")]


def test_concurrent_claims_record_one(instance: tuple[Services, FakeClock]) -> None:
    """Two nodes claiming the same reminder at once: the primary key lets exactly one win."""
    services, clock = instance
    store = SqlReminderStore(services.database)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        results.append(store.claim("abc123", 30, "c1", clock.now()))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_days_left_rounds_up() -> None:
    clock = FakeClock()
    now = clock.now()
    assert days_left(now + timedelta(days=6, hours=3), now) == 7
    assert days_left(now + timedelta(days=7), now) == 7
    assert days_left(now - timedelta(hours=1), now) == 0
