"""``prefetched``: the streaming reader's read-ahead thread keeps order, errors and bounds."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from desktop.core.errors import ParameterError
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
    taken = threading.Event()

    def items() -> Iterator[int]:
        for k in range(100):
            made.append(k)
            yield k

    stream = prefetched(items(), depth=2, name="test-prefetch-depth")
    assert next(stream) == 0
    # The worker fills the queue (2) and holds one more item waiting to be put: 0 + 3.
    for _ in range(200):
        if len(made) >= 4:
            break
        taken.wait(0.01)
    taken.wait(0.2)  # time to overrun the bound, if it could
    assert len(made) == 4
    stream.close()


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
