"""Background re-linting of a sample of issued certificates (``[ca] lint_sample_rate``, template linting).

Template linting proves a certificate equal to its linted template outside fields checked one by one; the sampler
keeps pkilint and the KISA checks looking at real, signed certificates too. A worker thread starts when there is
work and ends when the queue is empty (so ``drain`` can wait for it); a finding is reported (logged, counted,
audited: see ``ca/lint_gate.py``), never dropped; a sample that does not fit the queue is counted as skipped.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from jointcert.ca.profiles import Profile
from jointcert.ca.stats import Counters

__all__ = ["SAMPLER_THREAD", "LintSampler", "Sample"]

log = logging.getLogger(__name__)
SAMPLER_THREAD = "jointcert-lint-sample"  # tests wait for these threads by name


@dataclass(frozen=True)
class Sample:
    """One issued certificate to re-lint."""

    serial: int
    der: bytes
    profile: Profile


class LintSampler:
    """Picks ``rate`` of the offered certificates and runs ``check`` on them in a background thread; ``report``
    gets each sample with findings."""

    def __init__(
        self,
        check: Callable[[Sample], list[str]],
        report: Callable[[Sample, list[str]], None],
        *,
        rate: float,
        counters: Counters,
        max_pending: int = 1000,
        pick: Callable[[], float] | None = None,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("lint_sample_rate must be between 0 and 1")
        self._check, self._report, self.rate, self._counters = check, report, rate, counters
        self._max_pending = max_pending
        self._pick = pick or (lambda: secrets.randbelow(1 << 30) / (1 << 30))
        self._lock = threading.Lock()
        self._queue: deque[Sample] = deque()
        self._thread: threading.Thread | None = None

    def offer(self, sample: Sample) -> bool:
        """Queue ``sample`` if it is picked; True if it was."""
        if self.rate <= 0.0 or (self.rate < 1.0 and self._pick() >= self.rate):
            return False
        with self._lock:
            if len(self._queue) >= self._max_pending:
                self._counters.inc("lint_samples_skipped")
                log.warning("lint sample queue full: serial %x not re-linted", sample.serial)
                return False
            self._queue.append(sample)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=SAMPLER_THREAD)
                self._thread.start()
        return True

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every queued sample was re-linted (tests, shutdown)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _next(self) -> Sample | None:
        with self._lock:
            if not self._queue:
                self._thread = None
                return None
            return self._queue.popleft()

    def _work(self) -> None:
        while (sample := self._next()) is not None:
            try:
                findings = self._check(sample)
                self._counters.inc("lint_samples")
                if findings:
                    self._report(sample, findings)
            except Exception:  # a broken check must show, not kill the thread
                self._counters.inc("lint_sample_findings")
                log.exception("re-linting serial %x failed", sample.serial)
