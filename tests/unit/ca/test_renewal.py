"""CertificateAuthority.renew (identifyData and holder copied) and confirm_later/confirm (deferred superseding)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.ca.authority import RenewalRequest, SignatureProof
from jointcert.ca.errors import AlreadyRevoked, BadProofOfPossession, CertificateExpired, CertificateNotFound, KeyReused
from jointcert.ca.ports import RecordStatus
from jointcert.npki.vid import identify_data_of, verify_vid
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import fresh_rrn, make_request, spki


def _renewal(old_serial: int, key: rsa.RSAPrivateKey, *, confirm_later: bool = False) -> RenewalRequest:
    message = b"renewal pop"
    proof = SignatureProof(message, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    return RenewalRequest(old_serial, spki(key), proof, "cmp", confirm_later=confirm_later)


def test_renew_copies_identify_data_and_supersedes(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    rrn, r = fresh_rrn(), os.urandom(20)
    old = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn, random_num=r))
    new = env.authority.renew(_renewal(old.serial, subscriber_keys[1]))
    identify = identify_data_of(new.certificate)
    assert identify == identify_data_of(old.certificate) and identify is not None
    verify_vid(identify, rrn, r)
    assert new.cert_type is old.cert_type and new.superseded_serial == old.serial
    assert env.authority.active_for_holder(rrn, old.cert_type).serial == new.serial  # type: ignore[union-attr]
    record = env.authority.certificate(old.serial)
    assert record is not None and record.revocation_reason is x509.ReasonFlags.superseded


def test_confirm_later_defers_superseding(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    old = env.authority.issue(make_request(subscriber_keys[0]))
    new = env.authority.renew(_renewal(old.serial, subscriber_keys[1], confirm_later=True))
    assert new.superseded_serial is None
    assert env.authority.certificate(old.serial).status is RecordStatus.ISSUED  # type: ignore[union-attr]
    assert env.authority.confirm(new.serial) == [old.serial]
    assert env.authority.certificate(old.serial).status is RecordStatus.REVOKED  # type: ignore[union-attr]
    assert env.authority.confirm(new.serial) == []


def test_renew_refusals(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    old = env.authority.issue(make_request(subscriber_keys[0]))
    with pytest.raises(KeyReused):
        env.authority.renew(_renewal(old.serial, subscriber_keys[0]))
    with pytest.raises(CertificateNotFound):
        env.authority.renew(_renewal(12345, subscriber_keys[1]))
    bad_pop = RenewalRequest(old.serial, spki(subscriber_keys[1]), SignatureProof(b"m", b"\x00" * 256), "cmp")
    with pytest.raises(BadProofOfPossession):
        env.authority.renew(bad_pop)
    env.clock.set(old.not_after + timedelta(seconds=1))
    with pytest.raises(CertificateExpired):
        env.authority.renew(_renewal(old.serial, subscriber_keys[1]))
    env.authority.revoke(old.serial, x509.ReasonFlags.key_compromise, actor="test")
    with pytest.raises(AlreadyRevoked):
        env.authority.renew(_renewal(old.serial, subscriber_keys[1]))
    assert env.counters.snapshot()["issuance_rejected"] == 5
