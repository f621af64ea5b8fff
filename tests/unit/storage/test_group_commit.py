"""storage/group_commit.py: concurrent callers share writes; each gets its own result or its batch's error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest

from jointcert.storage.group_commit import GroupCommit


def _together(count: int, call: Callable[[int], object]) -> list[object]:
    """``count`` threads released at once, each calling ``call(index)``; their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call(index)
        except Exception as exc:  # the caller's outcome, compared below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_lone_caller_writes_at_once_in_its_own_batch() -> None:
    writes: list[list[int]] = []

    def write(items: Sequence[int]) -> list[int]:
        writes.append(list(items))
        return [item * 2 for item in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    assert [group.submit(1), group.submit(2)] == [2, 4]
    assert writes == [[1], [2]] and group.batches == 2 and group.items == 2


def test_concurrent_callers_share_writes_and_each_gets_its_own_result() -> None:
    lock = threading.Lock()
    sizes: list[int] = []

    def write(items: Sequence[int]) -> list[int]:
        with lock:
            sizes.append(len(items))
        time.sleep(0.01)  # a transaction's time: callers arriving meanwhile queue for the next batch
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(write, limit=8)
    results = _together(40, group.submit)
    assert results == [index * 10 for index in range(40)]
    assert sum(sizes) == group.items == 40
    assert group.batches < 40 and max(sizes) <= 8  # shared, within the limit


def test_a_failed_write_fails_only_the_callers_of_its_batch() -> None:
    def write(items: Sequence[int]) -> list[int]:
        time.sleep(0.005)
        if any(item % 7 == 0 for item in items):
            raise RuntimeError(f"refused {sorted(items)}")
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(write, limit=4)
    results = _together(24, group.submit)
    for index, result in enumerate(results):
        if isinstance(result, RuntimeError):
            assert str(index) in str(result)  # failed with a batch that held it
        else:
            assert result == index
    assert any(isinstance(r, RuntimeError) for r in results) and any(not isinstance(r, Exception) for r in results)
    assert group.submit(1) == 1  # the group still works after failures


def test_a_write_must_answer_every_item() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        group.submit(1)
    with pytest.raises(ValueError):
        GroupCommit(list, limit=0)
