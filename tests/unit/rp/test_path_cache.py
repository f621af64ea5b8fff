"""The path cache: the CA part of a validated path (issuing CA … anchor) is reused for the issuer's next
certificates, with the same verdicts as a full validation; a new CA certificate under the same name replaces it;
failures are always reported by the full validation; the cache is bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509

from jointcert.rp import TrustAnchors
from jointcert.rp import path as path_module
from jointcert.rp.checks import Reason
from jointcert.rp.path import PathCache, PathValidation, validate_path
from tests.unit.rp.pki import NOW, TestPki, key


def _same(a: PathValidation, b: PathValidation) -> None:
    assert (a.chain, a.validity, a.path) == (b.chain, b.validity, b.path)


def _no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> list[x509.Certificate] | None:
        raise AssertionError("the path was built in full")

    monkeypatch.setattr(path_module._Builder, "build", refuse)


def test_the_next_certificate_of_a_cached_ca_is_validated_without_building(
    pki: TestPki, anchors: TrustAnchors, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = PathCache()
    first, second = pki.issue(), pki.issue(name="김철수")
    full = validate_path(second.cert, anchors, NOW)
    assert validate_path(first.cert, anchors, NOW, cache=cache).trusted and len(cache) == 1
    _no_building(monkeypatch)
    cached = validate_path(second.cert, anchors, NOW, cache=cache)
    _same(cached, full)
    assert cached.trusted and cached.path == (second.cert, pki.ca, pki.root)


def test_failures_are_those_of_the_full_validation(pki: TestPki, anchors: TrustAnchors) -> None:
    cache = PathCache()
    assert validate_path(pki.issue().cert, anchors, NOW, cache=cache).trusted
    forged = pki.issue(issuer_key=key(6)).cert  # names the cached CA, signed by another key
    expired = pki.issue(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1)).cert
    for cert in (forged, expired):
        _same(validate_path(cert, anchors, NOW, cache=cache), validate_path(cert, anchors, NOW))
    assert validate_path(forged, anchors, NOW, cache=cache).chain.code is Reason.CHAIN_INVALID
    assert validate_path(expired, anchors, NOW, cache=cache).validity.code is Reason.EXPIRED


def test_a_new_ca_certificate_under_the_same_name_replaces_the_cached_one(
    pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewed = TestPki(ca_key=key(5))  # the same root key and names, a new issuing CA key and certificate
    anchors = TrustAnchors(roots=(pki.root,), intermediates=(pki.ca, renewed.ca))
    cache = PathCache()
    old_ee = pki.issue().cert
    new_ee = renewed.issue(name="이영희").cert
    assert validate_path(old_ee, anchors, NOW, cache=cache).path[1] == pki.ca
    full = validate_path(new_ee, anchors, NOW)
    _same(validate_path(new_ee, anchors, NOW, cache=cache), full)  # the old CA's key does not verify it
    assert len(cache) == 1
    _no_building(monkeypatch)
    assert validate_path(new_ee, anchors, NOW, cache=cache).path[1] == renewed.ca  # now the cached one


def test_the_cache_is_bounded_and_can_be_cleared(pki: TestPki) -> None:
    other = TestPki(ca_key=key(5), ca_cn="jointsignCA Class 2")
    anchors = TrustAnchors(roots=(pki.root,), intermediates=(pki.ca, other.ca))
    cache = PathCache(limit=1)
    for ee in (pki.issue().cert, other.issue().cert):
        assert validate_path(ee, anchors, NOW, cache=cache).trusted
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0


def test_an_end_entity_seen_before_is_checked_for_validity_only(
    pki: TestPki, anchors: TrustAnchors, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = PathCache()
    ee = pki.issue(not_after=NOW + timedelta(days=1)).cert
    first = validate_path(ee, anchors, NOW, cache=cache)
    assert first.trusted and validate_path(ee, anchors, NOW, cache=cache).trusted  # its own part remembered now
    _no_building(monkeypatch)

    def refuse(*_: object) -> None:
        raise AssertionError("the end entity's part was checked again")

    monkeypatch.setattr(path_module, "check_end_entity", refuse)
    _same(validate_path(ee, anchors, NOW, cache=cache), first)
    later = validate_path(ee, anchors, NOW + timedelta(days=2), cache=cache)
    assert later.validity.code is Reason.EXPIRED  # the validity is checked at every call
