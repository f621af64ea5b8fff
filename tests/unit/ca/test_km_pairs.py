"""Sign + km certificate pairs: one recorded unit, record before sign for both, recovery, revocation, renewal."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID

from jointcert.ca.authority import RenewalRequest, SignatureProof
from jointcert.ca.errors import AlreadyRevoked, BadProofOfPossession, KeyReused
from jointcert.ca.lint import kisa_findings
from jointcert.ca.ports import RecordStatus
from jointcert.ca.profiles import ALL_PROFILES, KM_PROFILES
from jointcert.errors import InvalidInput
from jointcert.types import CertType
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import fresh_rrn, make_request, spki


class _Crash(Exception):
    """Stands for the process dying between the two signatures of a pair."""


def _status(env: CaEnv, serial: int) -> RecordStatus:
    record = env.authority.certificate(serial)
    assert record is not None
    return record.status


def test_a_pair_is_issued_with_the_km_profile(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[1]))
    assert issued.km is not None
    sign, km = issued.certificate, issued.km.certificate
    assert km.subject == sign.subject and km.issuer == sign.issuer and km.serial_number != sign.serial_number
    assert km.not_valid_after_utc == sign.not_valid_after_utc
    usage = km.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_encipherment
    assert not (usage.value.digital_signature or usage.value.content_commitment)
    with pytest.raises(x509.ExtensionNotFound):
        km.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    sign.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)  # the signing one keeps its VID
    km_profile = KM_PROFILES[CertType.LIMITED]
    assert kisa_findings(km, km_profile, env.hierarchy.issuing) == []
    assert [f for f in env.authority._linter.certificate(issued.km.der) if f.is_error] == []
    sign_record, km_record = env.authority.certificate(issued.serial), env.authority.certificate(issued.km.serial)
    assert sign_record is not None and km_record is not None
    assert (sign_record.pair_serial, km_record.pair_serial) == (issued.km.serial, issued.serial)
    assert km_record.profile == "limited-km" and km_record.is_km and km_record.cert_type is None
    assert km_record.holder_hash == sign_record.holder_hash


def test_the_km_profile_fails_the_signing_checks_and_vice_versa(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[1]))
    assert issued.km is not None
    sign_profile = next(p for p in ALL_PROFILES if p.name == "limited")
    assert any("keyUsage" in p for p in kisa_findings(issued.km.certificate, sign_profile, env.hierarchy.issuing))
    km_findings = kisa_findings(issued.certificate, KM_PROFILES[CertType.LIMITED], env.hierarchy.issuing)
    assert any("subjectAltName present" in p for p in km_findings)


def test_both_are_recorded_in_one_unit_before_either_is_signed(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    seen: list[int] = []
    inner = env.hierarchy.issuing

    class Checking:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def sign_tbs(self, tbs: bytes) -> bytes:
            seen.append(env.store.counts().get("pending", 0))  # read through another session: committed
            return inner.sign_tbs(tbs)

    object.__setattr__(env.authority, "issuing", Checking())
    issued = env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[1]))
    assert seen == [2, 2]
    assert issued.km is not None
    types = [(e.type, json.loads(e.payload)["data"].get("serial")) for e in env.audit.entries()]
    recorded = [s for t, s in types if t == "certificate.recorded"]
    issued_entries = [s for t, s in types if t == "certificate.issued"]
    pair = {format(issued.serial, "x"), format(issued.km.serial, "x")}
    assert pair <= set(recorded) and pair <= set(issued_entries)
    last_record = max(i for i, (t, s) in enumerate(types) if t == "certificate.recorded" and s in pair)
    first_issue = min(i for i, (t, s) in enumerate(types) if t == "certificate.issued" and s in pair)
    assert last_record < first_issue


def test_a_crash_between_the_two_signatures_leaves_a_unit_recovery_voids(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    inner, signed = env.hierarchy.issuing, []

    class CrashSecond:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def sign_tbs(self, tbs: bytes) -> bytes:
            if signed:
                raise _Crash()
            signed.append(tbs)
            return inner.sign_tbs(tbs)

    object.__setattr__(env.authority, "issuing", CrashSecond())
    with pytest.raises(_Crash):
        env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[1]))
    assert env.store.counts().get("pending") == 2
    env.clock.advance(timedelta(minutes=6))
    voided = env.authority.recover_stale()
    assert len(voided) == 2
    pair = {r.serial for r in env.store.revoked("class1")}
    assert set(voided) <= pair
    assert env.store.counts().get("pending", 0) == 0


def test_a_voided_unit_cannot_be_stored_half(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    """Recovery voided the unit while it was being signed: storing fails for both, nothing becomes issued."""
    inner = env.hierarchy.issuing

    class SlowSigner:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def sign_tbs(self, tbs: bytes) -> bytes:
            if env.store.counts().get("pending") == 2 and not getattr(self, "voided", False):
                self.voided = True
                env.clock.advance(timedelta(minutes=6))
                env.authority.recover_stale()
            return inner.sign_tbs(tbs)

    object.__setattr__(env.authority, "issuing", SlowSigner())
    with pytest.raises(AlreadyRevoked):
        env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[1]))
    counts = env.store.counts()
    assert counts.get("void") == 2 and counts.get("issued") == 2  # only the CA's own class1 + OCSP signer


@pytest.mark.parametrize("which", ["sign", "km"])
def test_revoking_either_revokes_the_pair(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], which: str) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[1]))
    assert issued.km is not None
    target, other = (issued.serial, issued.km.serial) if which == "sign" else (issued.km.serial, issued.serial)
    env.authority.revoke(target, x509.ReasonFlags.key_compromise, actor="test")
    for serial in (target, other):
        record = env.authority.certificate(serial)
        assert record is not None and record.status is RecordStatus.REVOKED
        assert record.revocation_reason is x509.ReasonFlags.key_compromise
    with pytest.raises(AlreadyRevoked):
        env.authority.revoke(other, x509.ReasonFlags.key_compromise, actor="test")
    payloads = [json.loads(e.payload)["data"] for e in env.audit.entries() if e.type == "certificate.revoked"]
    assert {"serial": format(other, "x"), "pair_of": format(target, "x")}.items() <= payloads[-1].items()
    listed = {e.serial for e in env.store.revoked("class1")}
    assert {target, other} <= listed


def test_a_new_pair_supersedes_the_old_pair(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    rrn = fresh_rrn()
    old = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn, km_key=subscriber_keys[1]))
    new = env.authority.issue(make_request(subscriber_keys[2], rrn=rrn, km_key=subscriber_keys[3]))
    assert old.km is not None and new.km is not None and new.superseded_serial == old.serial
    assert _status(env, old.serial) is RecordStatus.REVOKED and _status(env, old.km.serial) is RecordStatus.REVOKED
    assert _status(env, new.serial) is RecordStatus.ISSUED and _status(env, new.km.serial) is RecordStatus.ISSUED


def test_a_single_key_request_supersedes_an_old_pair_whole(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    rrn = fresh_rrn()
    old = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn, km_key=subscriber_keys[1]))
    new = env.authority.issue(make_request(subscriber_keys[2], rrn=rrn))
    assert old.km is not None and new.km is None
    assert _status(env, old.km.serial) is RecordStatus.REVOKED  # no orphaned km certificate stays valid


def test_bad_km_keys_are_refused_and_nothing_is_recorded(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    before = env.store.counts()
    with pytest.raises(InvalidInput):
        env.authority.issue(make_request(subscriber_keys[0], km_key=subscriber_keys[0]))  # same key twice
    request = make_request(subscriber_keys[0], km_key=subscriber_keys[1])
    bad = SignatureProof(request.pop.message, b"\x00" * 256)
    with pytest.raises(BadProofOfPossession):
        env.authority.issue(type(request)(**{**request.__dict__, "km_pop": bad}))
    with pytest.raises(BadProofOfPossession):
        env.authority.issue(type(request)(**{**request.__dict__, "km_pop": None}))
    assert env.store.counts() == before


def _renewal(old: int, key: rsa.RSAPrivateKey, km: rsa.RSAPrivateKey | None, *, later: bool = False) -> RenewalRequest:
    message = b"renewal pop"

    def proof(k: rsa.RSAPrivateKey) -> SignatureProof:
        return SignatureProof(message, k.sign(message, padding.PKCS1v15(), hashes.SHA256()))

    km_der, km_pop = (None, None) if km is None else (spki(km), proof(km))
    return RenewalRequest(old, spki(key), proof(key), "cmp", later, km_public_key_der=km_der, km_pop=km_pop)


def test_renewal_renews_both(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    rrn = fresh_rrn()
    old = env.authority.issue(
        make_request(subscriber_keys[0], rrn=rrn, random_num=os.urandom(20), km_key=subscriber_keys[1])
    )
    with pytest.raises(KeyReused):
        env.authority.renew(_renewal(old.serial, subscriber_keys[2], subscriber_keys[1]))
    new = env.authority.renew(_renewal(old.serial, subscriber_keys[2], subscriber_keys[3], later=True))
    assert old.km is not None and new.km is not None
    assert _status(env, old.km.serial) is RecordStatus.ISSUED  # confirm_later: nothing superseded yet
    superseded = env.authority.confirm(new.serial)
    assert set(superseded) == {old.serial, old.km.serial}
    assert _status(env, new.km.serial) is RecordStatus.ISSUED


def test_the_idempotency_key_returns_the_pair(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    request = make_request(subscriber_keys[0], km_key=subscriber_keys[1])
    keyed = type(request)(**{**request.__dict__, "request_key": "session-1:1"})
    first = env.authority.issue(keyed)
    again = env.authority.issue(keyed)
    assert first.km is not None and again.km is not None
    assert (again.serial, again.km.serial, again.km.der) == (first.serial, first.km.serial, first.km.der)
