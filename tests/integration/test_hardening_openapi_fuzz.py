"""schemathesis over /openapi.json (in-process app, sandbox mounted), stateless and stateful.

Every response is checked against the served schema: never a 5xx, the status code documented, the content type
documented, the body and the headers as declared (``web/openapi_schema.py`` makes every error a problem body).

* stateless: every operation gets generated requests, valid and invalid;
* stateful: schemathesis's state machine follows the OpenAPI links — ``POST /api/v1/issuance/sessions`` hands the
  session id and the ``X-Issuance-Token`` to every session step, ``POST /api/v1/relay/transfers`` the transfer id
  and the receiver's bearer token to the transfer's calls — so the token-gated steps are reached and answer for
  themselves (mostly ``ra_step_out_of_order``, ``ra_terms_required``, ``throttled``), not "no such session".

Each run prints its request count, the status tally, the share of 401/403 answers and the share of "gate"
refusals (401/403/404 from an operation that needs a session or transfer id). CI runs seconds (4 examples per
operation; 25 scenarios of up to 10 steps); the ``slow`` ones (``JOINTCERT_SLOW=1``) run 200 examples per
operation and 1,000 scenarios of up to 20 steps (``JOINTCERT_OPENAPI_EXAMPLES``, ``JOINTCERT_OPENAPI_SCENARIOS``).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.config._phases import InferenceConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jointcert.app import Services
from jointcert.web.app import create_app
from tests.integration.issuance_flow import REQUIRED_TERMS, TOKEN, UNTHROTTLED, Flow, http, ra_services

__all__ = ["http", "ra_services"]  # the seeded instance of the deep run (fixtures)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
GATES = ("{session_id}", "{transfer_id}")
SLOW = pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="long fuzz run: set JOINTCERT_SLOW=1")
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@dataclass
class Tally:
    """What the fuzzer sent and got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    gated: Counter[int] = field(default_factory=Counter)
    reached: set[str] = field(default_factory=set)  # gated operations that answered past the gate
    failures: list[str] = field(default_factory=list)
    replays_given_up: int = 0  # state-machine runs Hypothesis abandoned (FlakyStrategyDefinition)

    def record(self, case: schemathesis.Case, response: Any) -> None:
        status = response.status_code
        self.statuses[status] += 1
        label = f"{case.method} {case.operation.path}"
        if any(gate in case.operation.path for gate in GATES):
            self.gated[status] += 1
            if status not in (401, 403, 404):
                self.reached.add(label)
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseException as exc:  # a FailureGroup (an ExceptionGroup) of every failed check
            for failure in getattr(exc, "exceptions", [exc]):
                lines = " | ".join(line for line in str(failure).splitlines()[:6] if line.strip())
                self.failures.append(f"{label} → {status}: {lines}")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def share_401_403(self) -> float:
        return (self.statuses[401] + self.statuses[403]) / max(1, self.requests)

    def gate_share(self) -> float:
        return (self.gated[401] + self.gated[403] + self.gated[404]) / max(1, sum(self.gated.values()))

    def report(self, name: str, seconds: float) -> str:
        return (
            f"{name}: {self.requests} requests in {seconds:.1f} s, {len(self.failures)} failures; "
            f"401/403 {self.share_401_403():.1%}; gated operations: {sum(self.gated.values())} requests, "
            f"{self.gate_share():.1%} refused at the gate (401/403/404), {len(self.reached)} reached; "
            f"statuses {dict(sorted(self.statuses.items()))}; state-machine runs given up: {self.replays_given_up}"
        )


def _schema(services: Services) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(services, sandbox=True))


def _stateless(services: Services, examples: int) -> Tally:
    schema, tally = _schema(services), Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @settings(max_examples=examples, suppress_health_check=list(HealthCheck), database=None, deadline=None)
        @given(operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            tally.record(case, case.call())

        run()
    assert len(operations) > 30
    return tally


_STATEFUL_ATTEMPTS = 3  # Hypothesis runs of the state machine at most (see the FlakyStrategyDefinition below)


def _stateful(services: Services, scenarios: int, steps: int) -> Tally:
    schema, tally = _schema(services), Tally()
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])  # the flow, not the validation (stateless)
    schema.config.phases.stateful.inference = InferenceConfig(algorithms=[])  # only the declared links
    workflow = schema.as_state_machine()
    assert {"RANDOM__POST_api_v1_issuance_sessions", "RANDOM__POST_api_v1_relay_transfers"} <= workflow.root_rules

    class Workflow(workflow):  # type: ignore[misc, valid-type]
        def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
            tally.record(case, response)

    for _ in range(_STATEFUL_ATTEMPTS):
        try:
            Workflow.run(
                settings=settings(
                    max_examples=scenarios,
                    stateful_step_count=steps,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                    deadline=None,
                )
            )
        except FlakyStrategyDefinition:
            # The server is stateful (sessions, throttle counters): a replayed prefix can meet other answers, so
            # other links are enabled and Hypothesis gives up on its own bookkeeping. Not a server failure — the
            # answers so far are in the tally (and checked); the run goes on with fresh draws.
            tally.replays_given_up += 1
            continue
        break
    return tally


def _check_stateless(services: Services, examples: int) -> None:
    started = time.monotonic()
    tally = _stateless(services, examples)
    print(tally.report("stateless", time.monotonic() - started))
    assert tally.requests >= 60
    assert tally.failures == [], "\n".join(tally.failures[:20])


def _check_stateful(services: Services, scenarios: int, steps: int) -> None:
    started = time.monotonic()
    tally = _stateful(services, scenarios, steps)
    print(tally.report("stateful", time.monotonic() - started))
    assert tally.failures == [], "\n".join(tally.failures[:20])
    assert tally.statuses[201] >= 3  # sessions and transfers were created and their links followed
    assert sum(tally.gated.values()) >= scenarios
    assert tally.gate_share() < 0.35  # the stateless run: ~89 % (made-up session ids and tokens)
    assert len(tally.reached) >= 10  # session and transfer operations answered for themselves


def test_stateless_conformance(services: Services) -> None:
    _check_stateless(services, 4)


def test_stateful_links_reach_the_gated_steps(services: Services) -> None:
    _check_stateful(services, 25, 10)


def _typed(flow: Flow) -> dict[str, Any]:
    flow.to_contact_confirmed(USER, "app_cert")
    return flow.ok("/certificate-type", {"cert_type": "limited"})


USER = "minjun88"  # app certificate as second factor
STAGES: list[tuple[str, Any]] = [  # deepest first: fuzzing a shallow stage may lock a credential a deeper one needs
    ("enrollment challenge", lambda flow: _typed(flow) and flow.ok("/enrollment/challenge")),
    ("type chosen", _typed),
    ("contact confirmed", lambda flow: flow.to_contact_confirmed(USER, "app_cert")),
    ("account verified", lambda flow: flow.to_account_verified(USER)),
    ("identity confirmed", lambda flow: flow.to_identity_confirmed(USER)),
    ("identified", lambda flow: flow.to_identified(USER)),
    ("terms agreed", lambda flow: flow.start() and flow.ok("/terms", {"accepted": REQUIRED_TERMS})),
    ("started", lambda flow: flow.start()),
]


def _deep(services: Services, client: Any, examples: int) -> Tally:
    """A real session driven to each stage (sandbox customer), then generated requests — valid and invalid — to
    every session step with that session's id and token."""
    schema, tally = _schema(services), Tally()
    steps = [op.ok() for op in schema.get_all_operations() if "{session_id}" in op.ok().path]
    for _, drive in STAGES:
        flow = Flow(client)
        drive(flow)
        for operation in steps:
            _in_session(operation, flow, examples, tally)
    return tally


def _in_session(operation: Any, flow: Flow, examples: int, tally: Tally) -> None:
    @settings(max_examples=examples, suppress_health_check=list(HealthCheck), database=None, deadline=None)
    @given(operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        case.path_parameters = {**(case.path_parameters or {}), "session_id": flow.session_id}
        case.headers = {**(case.headers or {}), TOKEN: flow.token}
        tally.record(case, case.call())

    run()


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deep run walks one customer through the flow eight times from one address."""
    for name, value in UNTHROTTLED.items():
        monkeypatch.setenv(name, value)


def _check_deep(services: Services, client: Any, examples: int) -> None:
    started = time.monotonic()
    tally = _deep(services, client, examples)
    print(tally.report("deep", time.monotonic() - started))
    assert tally.failures == [], "\n".join(tally.failures[:20])
    assert tally.gate_share() < 0.15
    assert len(tally.reached) >= 20


@pytest.mark.usefixtures("unthrottled")
def test_steps_at_every_stage_of_a_real_session(ra_services: Services, http: Any) -> None:
    _check_deep(ra_services, http, 2)


@SLOW
@pytest.mark.slow
@pytest.mark.usefixtures("unthrottled")
def test_steps_at_every_stage_long(ra_services: Services, http: Any) -> None:
    _check_deep(ra_services, http, int(os.environ.get("JOINTCERT_OPENAPI_EXAMPLES", "200")) // 4)


@SLOW
@pytest.mark.slow
def test_stateless_conformance_long(services: Services) -> None:
    _check_stateless(services, int(os.environ.get("JOINTCERT_OPENAPI_EXAMPLES", "200")))


@SLOW
@pytest.mark.slow
def test_stateful_long(services: Services) -> None:
    _check_stateful(services, int(os.environ.get("JOINTCERT_OPENAPI_SCENARIOS", "1000")), 20)
