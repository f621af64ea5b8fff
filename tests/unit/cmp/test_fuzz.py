"""Fuzzing the parser: random bytes and mutations of valid messages raise CmpError and nothing else.

The short variants run in CI (~200 examples each); the ``slow`` one runs with JOINTCERT_SLOW=1 for
JOINTCERT_FUZZ_SECONDS (600: 10 minutes). The atheris harness of the same: tests/fuzz/ (``pkimessage``).
"""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcert.cmp.client import cert_conf, genm_ca_certs, new_cert_request, request_header, revocation_request
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.errors import CmpError
from jointcert.cmp.model import BodyType, CertReqBody, PkiMessage
from jointcert.cmp.pop import verify_pop
from jointcert.cmp.protection import (
    PbmProtection,
    ProtectionKind,
    SignatureProtection,
    protection_kind,
    verify_pbm,
    verify_signature,
)
from jointcert.cmp.random_num import extract_random_num
from jointcert.cmp.server import cert_rep_body, cert_response, error_response_for, response_header
from tests.fuzz.budget import FUZZ_SECONDS, run_for

from .factories import ALL_VECTORS, SECRET, make_pki, vector

SLOW = pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="long fuzz run: set JOINTCERT_SLOW=1")


def _seeds() -> list[bytes]:
    pki = make_pki()
    header = request_header(sender=pki.user_name, recipient=pki.ca_cert.subject, sender_kid=b"REF")
    request = new_cert_request(pki.new_key, subject=pki.user_name, random_num=bytes(20))
    pbm = PbmProtection(SECRET, iterations=100)
    ours = [
        encode_message(header, CertReqBody(BodyType.IR, (request,)), protection=pbm),
        encode_message(header, cert_conf(pki.user_cert), protection=pbm),
        encode_message(header, genm_ca_certs(), protection=pbm),
        encode_message(
            header, revocation_request(pki.user_cert), protection=SignatureProtection(pki.user_key, pki.user_cert)
        ),
        encode_message(
            response_header(header),
            cert_rep_body(BodyType.IP, [cert_response(0, pki.user_cert)], ca_pubs=[pki.ca_cert]),
        ),
    ]
    return ours + [vector(name) for name in ALL_VECTORS]


SEEDS = _seeds()


def _exercise(der: bytes) -> None:
    """Parse and run what a server would run next; only CmpError may come out."""
    try:
        message = parse_message(der)
    except CmpError as exc:
        error_response_for(exc)  # the answer can always be built
        return
    _after_parse(message)


def _after_parse(message: PkiMessage) -> None:
    for step in (_protection, _requests):
        with contextlib.suppress(CmpError):
            step(message)


def _protection(message: PkiMessage) -> None:
    kind = protection_kind(message)
    if kind is ProtectionKind.PBM:
        verify_pbm(message, SECRET)
    elif kind is ProtectionKind.SIGNATURE:
        verify_signature(message)


def _requests(message: PkiMessage) -> None:
    if isinstance(message.body, CertReqBody):
        for request in message.body.requests:
            extract_random_num(request.template)
            verify_pop(request)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "length"]))
        pos = draw(st.integers(0, len(data) - 1)) if data else 0
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[pos:]
        elif op == "length" and data:  # aim at length octets: a big or long-form value
            data[pos] = draw(st.sampled_from([0x80, 0x81, 0x84, 0x89, 0xFF, 0x00, 0x7F]))
    return bytes(data)


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(FUZZ, max_examples=200)
@given(st.binary(max_size=2048))
def test_random_bytes_raise_only_cmp_error(data: bytes) -> None:
    _exercise(data)


@settings(FUZZ, max_examples=200)
@given(mutated())
def test_mutated_messages_raise_only_cmp_error(data: bytes) -> None:
    _exercise(data)


@SLOW
@pytest.mark.slow
def test_long_fuzz() -> None:
    """JOINTCERT_FUZZ_SECONDS (600) of mutated and random messages."""
    inputs = run_for(FUZZ_SECONDS, st.one_of(mutated(), st.binary(max_size=4096)), _exercise)
    print(f"PKIMessage decoding: {inputs} inputs, 0 uncaught exceptions")


def test_non_bytes_and_oversize_input() -> None:
    for bad in ("text", None, 42, b"\x30" + b"\x84\x7f\xff\xff\xff", b"\x30\x80\x00\x00", b"", b"\x30\x00" + b"\x00"):
        with pytest.raises(CmpError):
            parse_message(bad)  # type: ignore[arg-type]
    with pytest.raises(CmpError):
        parse_message(b"\x30\x83\x01\x00\x00" + bytes(65536))


def test_seeds_parse() -> None:
    for seed in SEEDS:
        parse_message(seed)
