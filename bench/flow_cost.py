"""What one issuance-flow step costs: SQL statements, commits and CPU (in-process), and server CPU (over HTTP).

Statements and commits are counted with SQLAlchemy's engine events (``before_cursor_execute``, ``commit``) while
one bench customer walks the flow in this process through the same
:class:`~jointcert.ra.service.RegistrationAuthority` the served workers run (the web layer adds no statement to an
issuance step). Server CPU is the user + system time of the served process tree (``/proc/<pid>/stat``).
"""

from __future__ import annotations

import base64
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.instance import BENCH_PIN, Instance, bench_customer

__all__ = ["StepCost", "server_cpu_seconds", "step_costs"]

_CLIENT = "127.0.0.1"  # in-process calls name a client address so the anti-automation guard runs as served


@dataclass
class StepCost:
    """Totals of one step over the walks (divide by ``walks``)."""

    statements: int = 0
    commits: int = 0
    cpu_seconds: float = 0.0
    walks: int = 0


@dataclass
class _Counter:
    statements: int = 0
    commits: int = 0
    costs: dict[str, StepCost] = field(default_factory=lambda: defaultdict(StepCost))

    def on_statement(self, *_: Any) -> None:
        self.statements += 1

    def on_commit(self, *_: Any) -> None:
        self.commits += 1

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        statements, commits, cpu = self.statements, self.commits, time.process_time()
        yield
        cost = self.costs[name]
        cost.cpu_seconds += time.process_time() - cpu
        cost.statements += self.statements - statements
        cost.commits += self.commits - commits
        cost.walks += 1


def step_costs(
    instance: Instance, terms: list[str], enrollment_body: Callable[[int, str], dict[str, str]], walks: int
) -> dict[str, StepCost]:
    """Walk customer 0 through the flow ``walks`` times in this process; the cost of each step (STEPS names)."""
    counter = _Counter()
    with instance.services() as services:
        engine = services.database.engine
        event.listen(engine, "before_cursor_execute", counter.on_statement)
        event.listen(engine, "commit", counter.on_commit)
        try:
            for _ in range(walks):
                _walk(services.ra, counter, terms, enrollment_body)
        finally:
            event.remove(engine, "before_cursor_execute", counter.on_statement)
            event.remove(engine, "commit", counter.on_commit)
    return dict(counter.costs)


def _walk(ra: Any, counter: _Counter, terms: list[str], enrollment_body: Callable[[int, str], dict[str, str]]) -> None:
    spec = bench_customer(0)
    with counter.step("session"):
        created = ra.start(app_logged_in=False)
    sid, token = created.session.id, created.token
    with counter.step("terms"):
        ra.agree_terms(sid, token, terms)
    with counter.step("identity"):
        ra.identify(sid, token, spec.user_id, spec.rrn, client=_CLIENT)
    with counter.step("abroad"):
        ra.abroad_check(sid, token)
    with counter.step("account"):
        ra.verify_account(sid, token, spec.accounts[0].number, BENCH_PIN, client=_CLIENT)
    with counter.step("security-card/challenge"):
        prompt = ra.card_challenge(sid, token).value
    card = spec.security_card
    assert card is not None

    def part(cell: int, which: str) -> str:
        digits = card.cells[cell - 1]
        return digits[:2] if which == "first_two" else digits[2:]

    answer = part(prompt.cell_a, prompt.part_a) + part(prompt.cell_b, prompt.part_b)
    with counter.step("security-card"):
        ra.answer_security_card(sid, token, answer, client=_CLIENT)
    with counter.step("contact (show)"):
        ra.show_contact(sid, token)
    with counter.step("contact (confirm)"):
        ra.confirm_contact(sid, token)
    with counter.step("certificate-type"):
        ra.choose_type(sid, token, "limited")
    with counter.step("enrollment/challenge"):
        challenge = ra.enrollment_challenge(sid, token).value.challenge
    body = {k: base64.b64decode(v) for k, v in enrollment_body(0, challenge).items()}
    with counter.step("enrollment"):
        ra.enroll(
            sid, token, public_key_der=body["public_key"], random_num=body["random_num"], signature=body["signature"]
        )


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(port: int) -> float:
    """CPU seconds used so far by the bench server serving ``port`` and every process under it."""
    stats: dict[int, tuple[int, float]] = {}
    roots = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(entry)
        if stat is None:
            continue
        stats[int(entry)] = stat
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"bench.server" in command and str(port).encode() in command:
            roots.append(int(entry))
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _) in stats.items():
        children[parent].append(pid)
    total, todo, seen = 0.0, list(roots), Counter[int]()
    while todo:
        pid = todo.pop()
        if seen[pid]:
            continue
        seen[pid] += 1
        total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total
