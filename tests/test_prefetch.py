"""``prefetched`` and ``forked``: the streaming reader's read-ahead (thread, child process)
keeps order, errors and bounds."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop.core.errors import InputError, ParameterError
from desktop.core.ingest import prefetch
from desktop.core.ingest.prefetch import prefetched


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("test-prefetch")]


def test_items_come_in_order_and_the_worker_ends() -> None:
    assert list(prefetched(range(1000), name="test-prefetch-order")) == list(range(1000))
    assert _workers() == []


def test_an_error_of_the_producer_is_raised_at_its_item() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone at item 3")

    got = []
    with pytest.raises(OSError, match="disk gone at item 3"):
        for item in prefetched(items(), name="test-prefetch-error"):
            got.append(item)
    assert got == [1, 2]
    assert _workers() == []


def test_at_most_depth_items_are_made_ahead_of_the_consumer() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for k in range(100):
            made.append(k)
            yield k

    stream = prefetched(items(), depth=2, name="test-prefetch-depth")
    assert next(stream) == 0
    # The worker fills the queue (2) and holds one more item waiting to be put: 0 + 3.
    assert _settled(made, 4) == 4
    stream.close()


def _settled(made: list[int], count: int) -> int:
    """How many items were made once the producer stopped (at ``count``, or else later)."""
    pause = threading.Event()
    for _ in range(200):
        if len(made) >= count:
            break
        pause.wait(0.01)
    pause.wait(0.2)  # time to overrun the bound, if it could
    return len(made)


def test_a_lead_made_before_the_first_item_is_used_up_to_later_depth() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for k in range(100):
            made.append(k)
            yield k

    stream = prefetched(items(), depth=5, name="test-prefetch-lead", later_depth=1)
    assert next(stream) == 0
    # While the consumer holds its first item: the queue (5) and one more waiting to be put.
    assert _settled(made, 7) == 7
    taken = [next(stream) for _ in range(6)]
    assert taken == [1, 2, 3, 4, 5, 6]
    # The lead is used up, not rebuilt: 7 taken, then one queued and one waiting (not 7 + 6).
    assert _settled(made, 9) == 9
    stream.close()


def test_a_later_depth_below_one_is_refused() -> None:
    with pytest.raises(ParameterError, match="later_depth must be at least 1, got 0"):
        next(prefetched([1], depth=2, later_depth=0))


def test_a_consumer_that_stops_early_stops_the_producer_and_closes_its_source() -> None:
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            k = 0
            while True:
                yield k
                k += 1
        finally:
            closed.set()

    for item in prefetched(items(), name="test-prefetch-stop"):
        if item == 5:
            break
    assert closed.is_set()
    assert _workers() == []


def test_depth_below_one_is_refused() -> None:
    with pytest.raises(ParameterError, match="depth must be at least 1, got 0"):
        next(prefetched([1], depth=0))


# ``forked``: the producer in a child process (a thread where fork is not available).


class _Counter:
    """A producer with state: what it saw is known to the child's copy only."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.sum = 0

    def items(self) -> Iterator[tuple[int, np.ndarray, bytes]]:
        for k in range(self.count):
            self.sum += k
            yield k, np.arange(k * 1000, dtype=np.int64), bytes([k % 256]) * k

    def state(self) -> int:
        return self.sum


def _children() -> list[multiprocessing.process.BaseProcess]:
    return multiprocessing.active_children()


@pytest.mark.parametrize("fork", [True, False], ids=["child-process", "thread-fallback"])
def test_forked_items_arrive_whole_in_order_then_the_producers_final_state(
    fork: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fork:
        monkeypatch.setattr(prefetch, "can_fork", lambda: False)
    elif not prefetch.can_fork():
        pytest.skip("fork is not available on this platform (the thread fallback is tested)")
    producer = _Counter(40)
    got = list(prefetch.forked(producer.items, producer.state, name="test-forked-order"))
    assert isinstance(got[-1], prefetch.Finished)
    assert got[-1].value == sum(range(40))
    for k, (number, array, text) in enumerate(got[:-1]):
        assert number == k
        assert array.dtype == np.int64
        np.testing.assert_array_equal(array, np.arange(k * 1000))
        array[:1] = -1  # writable, as the parse's arrays must be for the scan
        assert text == bytes([k % 256]) * k
    assert _children() == []


needs_fork = pytest.mark.skipif(not prefetch.can_fork(), reason="fork is not available here")


@needs_fork
def test_forked_runs_the_producer_in_another_process() -> None:
    def pids() -> Iterator[int]:
        yield os.getpid()

    items = list(prefetch.forked(pids, lambda: os.getpid(), name="test-forked-pid"))
    assert items[0] != os.getpid()
    assert items[1].value == items[0]


@needs_fork
def test_forked_an_error_in_the_child_is_raised_at_its_item_with_its_message() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise InputError("feed.nmea: cannot read the file (Permission denied)")

    got = []
    with pytest.raises(InputError, match=r"feed\.nmea: cannot read the file"):
        for item in prefetch.forked(items, lambda: None, name="test-forked-error"):
            got.append(item)
    assert got == [1]
    assert _children() == []


@needs_fork
def test_forked_a_consumer_that_stops_early_kills_the_child_blocked_on_the_pipe() -> None:
    def endless() -> Iterator[np.ndarray]:
        while True:
            yield np.zeros(1 << 20, dtype=np.uint8)  # fills the pipe: the child blocks

    stream = prefetch.forked(endless, lambda: None, name="test-forked-early")
    assert len(next(stream)) == 1 << 20
    assert len(_children()) == 1
    stream.close()
    assert _children() == []


@needs_fork
def test_forked_a_child_killed_by_a_signal_is_reported_not_waited_for() -> None:
    def pid_then_wait() -> Iterator[int]:
        yield os.getpid()
        time.sleep(60)
        yield 0

    stream = prefetch.forked(pid_then_wait, lambda: None, name="test-forked-killed")
    child_pid = next(stream)
    os.kill(child_pid, signal.SIGKILL)
    began = time.monotonic()
    with pytest.raises(prefetch.ChildLost, match=r"exit code -9"):
        next(stream)
    assert time.monotonic() - began < 10
    assert _children() == []


def test_forked_is_not_used_in_a_daemonic_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Dask worker is a daemonic process, which multiprocessing forbids to have children.
    class Daemonic:
        daemon = True

    monkeypatch.setattr(multiprocessing, "current_process", lambda: Daemonic())
    assert not prefetch.can_fork()
    got = list(prefetch.forked(lambda: iter([1, 2]), lambda: "state", name="test-forked-daemon"))
    assert got[:2] == [1, 2] and got[2].value == "state"


@needs_fork
def test_forked_the_child_dies_with_its_parent_killed_by_sigkill(tmp_path: Path) -> None:
    # The parent is a process forked here; its forked worker writes its pid and waits.
    pid_file = tmp_path / "worker.pid"
    parent = os.fork()
    if parent == 0:  # the parent-to-be: start a worker, then wait to be killed
        try:
            def wait_forever() -> Iterator[int]:
                pid_file.write_text(str(os.getpid()))
                yield 1
                time.sleep(600)
                yield 2

            stream = prefetch.forked(wait_forever, lambda: None, name="test-forked-orphan")
            next(stream)
            time.sleep(600)
        finally:
            os._exit(0)
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.01)
    worker = int(pid_file.read_text())
    os.kill(parent, signal.SIGKILL)
    os.waitpid(parent, 0)
    for _ in range(500):  # the worker is re-parented, then killed by the kernel
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its parent by 5 s")
