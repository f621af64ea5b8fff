"""Bulk revocation (``CertificateAuthority.revoke_many``): one transaction per chunk with an audit entry per
certificate, pairs revoked with their partner, unknown and already revoked serials skipped, the revocation
listeners told once per chunk, and OCSP answering "revoked" at once although the pre-signed responses of a large
chunk are left to the leader's refresh batches."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.ca.errors import CompromisedKey
from jointcert.ca.ports import RecordStatus
from jointcert.errors import InvalidInput
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request
from tests.unit.ca.test_ocsp_presign import _response


def _status(env: CaEnv, serial: int) -> RecordStatus:
    record = env.authority.certificate(serial)
    assert record is not None
    return record.status


def test_chunks_pairs_skips_audit_and_listeners(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    a, b, c = (env.authority.issue(make_request(subscriber_keys[0])).serial for _ in range(3))
    pair = env.authority.issue(make_request(subscriber_keys[1], km_key=subscriber_keys[2]))
    assert pair.km is not None
    p, q = pair.serial, pair.km.serial
    env.authority.revoke(c, x509.ReasonFlags.superseded, actor="earlier")
    told: list[list[int]] = []
    env.authority.add_revocation_listener(lambda serials: told.append(list(serials)))
    unknown = 0x7E57
    entries_before = len(env.audit.entries())

    done = env.authority.revoke_many([a, b, c, p, q, unknown], x509.ReasonFlags.key_compromise, actor="op", chunk=2)

    assert sorted(done.revoked) == sorted([a, b, p, q]) and done.skipped == 2  # c already revoked, one unknown
    assert told == [[a, b], [p, q]]  # per chunk: [a, b], [c, p] (+ q as p's pair), [q (done), unknown]: nothing
    assert all(_status(env, s) is RecordStatus.REVOKED for s in (a, b, p, q))
    entries = [e for e in env.audit.entries()[entries_before:] if e.type == "certificate.revoked"]
    assert [(e.actor, json.loads(e.payload)["data"]["serial"]) for e in entries] == [
        ("op", format(s, "x")) for s in (a, b, p, q)
    ]
    assert json.loads(entries[-1].payload)["data"]["pair_of"] == format(p, "x")
    assert {a, b, p, q} <= {e.serial for e in env.store.revoked("class1")}
    with pytest.raises(CompromisedKey):  # keyCompromise put the keys on the blocklist, as a single revocation does
        env.authority.issue(make_request(subscriber_keys[1]))


def test_hold_is_refused_and_nothing_changes(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    serial = env.authority.issue(make_request(subscriber_keys[0])).serial
    head = env.audit.head()
    with pytest.raises(InvalidInput):
        env.authority.revoke_many([serial], x509.ReasonFlags.certificate_hold, actor="op")
    assert _status(env, serial) is RecordStatus.ISSUED and env.audit.head() == head


def test_ocsp_says_revoked_at_once_and_the_refresh_re_signs_a_large_chunk(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    serials: Sequence[int] = [env.authority.issue(make_request(subscriber_keys[3])).serial for _ in range(20)]
    assert _response(env, serials[0]).certificate_status is ocsp.OCSPCertStatus.GOOD  # pre-signed, from memory
    env.authority.revoke_many(serials, x509.ReasonFlags.cessation_of_operation, actor="op")
    stale = env.ocsp_store.load("class1", serials[-1])
    assert stale is None  # the stored "good" response is never handed out for a revoked certificate
    assert all(_response(env, s).certificate_status is ocsp.OCSPCertStatus.REVOKED for s in serials)
    assert env.ocsp.presigned is not None
    env.ocsp.presigned.refresh()  # the leader's batch
    rows = [env.ocsp_store.load("class1", s) for s in serials]
    assert all(row is not None and row.status is RecordStatus.REVOKED for row in rows)
