"""Group commit: the small writes of concurrent callers in one process go to the database in one transaction.

A caller hands its item to :meth:`GroupCommit.submit` and blocks until the item is written. The first caller to
arrive while no write is under way becomes the leader: it takes every item queued (up to ``limit``), writes them
with ``write`` in its own thread — one transaction for all — and wakes the others with their results; a caller
whose item was not in that batch leads the next. A lone caller writes at once (no window is waited), so a quiet
process pays nothing; under load the callers that queued while one transaction held the database share the next
one: fewer commits, and on SQLite fewer turns of the single write lock that every process of the node contends
for. When ``write`` raises, every caller of that batch gets the exception; the other batches are unaffected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Slot(Generic[T, R]):
    item: T
    done: bool = False
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Writes concurrent callers' items in shared transactions; ``write`` answers one result per item, in order."""

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R]], *, limit: int = 64) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self._write, self._limit = write, limit
        self._cond = threading.Condition()
        self._queue: list[_Slot[T, R]] = []
        self._writing = False
        self.batches = 0  # transactions written (the tests read them)
        self.items = 0

    def submit(self, item: T) -> R:
        """Write ``item`` (with whatever else is queued) and return its result, or raise the batch's error."""
        slot: _Slot[T, R] = _Slot(item)
        with self._cond:
            self._queue.append(slot)
            while self._writing and not slot.done:
                self._cond.wait()
            if slot.done:
                return _outcome(slot)
            self._writing = True
        try:
            while not slot.done:  # the leader: write batches until its own item is written
                with self._cond:
                    batch, self._queue = self._queue[: self._limit], self._queue[self._limit :]
                self._flush(batch)
        finally:
            with self._cond:
                self._writing = False  # the next queued caller leads
                self._cond.notify_all()
        return _outcome(slot)

    def _flush(self, batch: list[_Slot[T, R]]) -> None:
        results: Sequence[R] = ()
        error: BaseException | None = None
        try:
            results = self._write([slot.item for slot in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"group commit: {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # every caller of the batch gets it, raised in its own thread
            error = exc
        with self._cond:
            for index, slot in enumerate(batch):
                slot.result = results[index] if error is None else None
                slot.error, slot.done = error, True
            self.batches += 1
            self.items += len(batch)
            self._cond.notify_all()


def _outcome(slot: _Slot[T, R]) -> R:
    if slot.error is not None:
        raise slot.error
    return slot.result  # type: ignore[return-value]  # set with done when there is no error
