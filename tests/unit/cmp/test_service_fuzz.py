"""Fuzzing CmpService.handle: random bytes and mutations of valid requests always get a well-formed CMP ``error``
answer — never an exception, never a certificate. Short runs in CI; the long one with JOINTCERT_SLOW=1, for
JOINTCERT_FUZZ_SECONDS (600: 10 minutes)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.clock import FakeClock
from jointcert.cmp.client import cert_conf, new_cert_request, request_header, revocation_request
from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.model import BodyType, CertReqBody, ErrorBody
from jointcert.cmp.protection import PbmProtection, SignatureProtection
from jointcert.storage.db import Database
from tests.fuzz.budget import FUZZ_SECONDS, run_for

from .factories import Pki
from .service_env import SUBJECT, Applicant, CmpEnv, build_cmp_env

SLOW = pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="long fuzz run: set JOINTCERT_SLOW=1")
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def fuzz_env(
    tmp_path_factory: pytest.TempPathFactory, cmp_hierarchy: Hierarchy, cmp_linter: PkixLinter
) -> Iterator[CmpEnv]:
    """One server on SQLite for the whole module (hypothesis runs many examples against it)."""
    base = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{base / 'fuzz.db'}")
    database.migrate()
    clock = FakeClock()
    try:
        yield build_cmp_env(database, clock=clock, hierarchy=cmp_hierarchy, linter=cmp_linter, key_dir=base / "k")
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def seeds(fuzz_env: CmpEnv, pki: Pki) -> list[bytes]:
    """Valid requests of every kind (PBM with a live registration; signatures by a certificate not ours)."""
    key = rsa.generate_private_key(65537, 2048)
    applicant = Applicant(fuzz_env, key)
    ticket = fuzz_env.register()
    ir = applicant.ir(ticket)
    header = request_header(sender_kid=ticket.reference_number.encode(), message_time=fuzz_env.clock.now())
    pbm = PbmProtection(ticket.authorization_code.encode())
    signed = SignatureProtection(pki.user_key, pki.user_cert)
    kur = CertReqBody(BodyType.KUR, (new_cert_request(key, subject=SUBJECT, old_certificate=pki.user_cert),))
    return [
        ir,
        applicant.ir(ticket, kind=BodyType.CR),
        encode_message(header, cert_conf(pki.user_cert), protection=pbm),
        encode_message(request_header(message_time=fuzz_env.clock.now()), kur, protection=signed),
        encode_message(
            request_header(message_time=fuzz_env.clock.now()), revocation_request(pki.user_cert), protection=signed
        ),
    ]


def _answer_is_an_error(env: CmpEnv, data: bytes) -> None:
    answer = parse_message(env.cmp.handle(data))
    assert isinstance(answer.body, ErrorBody)
    assert answer.body.status.fail_info


@st.composite
def mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
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
        elif op == "length" and data:
            data[pos] = draw(st.sampled_from([0x80, 0x81, 0x84, 0x89, 0xFF, 0x00, 0x7F]))
    return bytes(data)


@settings(FUZZ, max_examples=150)
@given(data=st.binary(max_size=2048))
def test_random_bytes_get_an_error(fuzz_env: CmpEnv, data: bytes) -> None:
    _answer_is_an_error(fuzz_env, data)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_mutated_requests_get_an_error(fuzz_env: CmpEnv, seeds: list[bytes], data: st.DataObject) -> None:
    mutated = data.draw(mutations(seeds))
    if mutated in seeds:
        return
    _answer_is_an_error(fuzz_env, mutated)


def test_nothing_was_issued_by_the_fuzzing(fuzz_env: CmpEnv) -> None:
    assert fuzz_env.subscriber_rows() == 0


@SLOW
@pytest.mark.slow
def test_long_fuzz(fuzz_env: CmpEnv, seeds: list[bytes]) -> None:
    """JOINTCERT_FUZZ_SECONDS (600) of mutated and random requests."""

    def harness(mutated: bytes) -> None:
        if mutated not in seeds:
            _answer_is_an_error(fuzz_env, mutated)

    inputs = run_for(FUZZ_SECONDS, st.one_of(mutations(seeds), st.binary(max_size=4096)), harness)
    print(f"CmpService.handle: {inputs} inputs, 0 uncaught exceptions")
    assert fuzz_env.subscriber_rows() == 0
