"""``jointcert ra unlock`` leaves an audit entry naming who lifted the lock: once operators exist, an RA officer's
console identity (refused for an unknown name or a missing note, nothing lifted); before, the name given on the
command line; the shell user in both."""

from __future__ import annotations

import contextlib
import getpass
import json
import sys

import pytest

from jointcert.admin.model import Role
from jointcert.app import Services
from jointcert.cli import main as cli_main
from jointcert.cli.context import run_safely
from jointcert.errors import JointcertError
from jointcert.ra.ports import Credential
from tests.integration.issuance_flow import http, ra_services

__all__ = ["http", "ra_services"]
USER = "seoyeon91"


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(sys, "argv", ["jointcert", *args])
    if not any(g.name == "ra" for g in cli_main.app.registered_groups):
        cli_main._register()
    code = run_safely(cli_main.app)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _lock(services: Services) -> str:
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    lockouts = services.ra.ctx.lockouts
    for _ in range(lockouts.limit(Credential.OTP)):
        with contextlib.suppress(JointcertError):
            lockouts.check(Credential.OTP, customer.id, customer.id, lambda: False)
    assert lockouts.is_locked(Credential.OTP, customer.id)
    return customer.id


def _unlocks(services: Services) -> list[tuple[str, dict[str, object]]]:
    entries = services.audit.entries()
    return [(e.actor, json.loads(e.payload)["data"]) for e in entries if e.type == "ra.credential_unlocked"]


def test_cli_unlock_is_audited_with_the_operator(
    ra_services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services, data_dir = ra_services, str(ra_services.settings.data_dir)
    base = ["--data-dir", data_dir, "ra", "unlock", USER, "--credential", "otp"]
    customer_id = _lock(services)
    code, out = _cli([*base, "--operator", "branch-0081"], monkeypatch, capsys)
    assert code == 0 and "unlocked by shell:branch-0081" in out, out
    [(actor, data)] = _unlocks(services)
    assert actor == "shell:branch-0081" and data["lifted"] is True and data["via"] == f"cli:{getpass.getuser()}"

    services.operators.create("kim", "김담당", "operator password 1", frozenset({Role.RA_OFFICER}), actor="t")
    services.operators.create("lee", "이감사", "operator password 1", frozenset({Role.AUDITOR}), actor="t")
    _lock(services)
    refused = [
        (["--operator", "branch-0081", "--note", "ID checked at branch"], "not an operator of this instance"),
        (["--operator", "lee", "--note", "ID checked at branch"], "이 작업을 수행할 권한이 없습니다"),
        (["--operator", "kim"], "5 to 500 characters"),
        (["--operator", "kim", "--verification", "guess", "--note", "ID checked"], "--verification"),
    ]
    for extra, text in refused:
        code, out = _cli([*base, *extra], monkeypatch, capsys)
        assert code != 0 and text in out, out
    assert services.ra.ctx.lockouts.is_locked(Credential.OTP, customer_id) and len(_unlocks(services)) == 1
    note = ["--verification", "video_call", "--note", "영상통화로 신분증 확인"]
    code, out = _cli([*base, "--operator", "kim", *note], monkeypatch, capsys)
    assert code == 0 and "unlocked by operator:kim" in out, out
    actor, data = _unlocks(services)[-1]
    assert actor == "operator:kim" and data["customer_id"] == customer_id and data["verification"] == "video_call"
    assert data["via"] == f"cli:{getpass.getuser()}" and data["note"] == "영상통화로 신분증 확인"
    assert not services.ra.ctx.lockouts.is_locked(Credential.OTP, customer_id)
