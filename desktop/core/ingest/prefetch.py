"""Items of an iterator made one step ahead, in a worker thread.

The streaming reader reads and splits the next piece of a file while the current one is
decoded: most of that work is in numpy and zlib, which let go of the GIL, so on two cores the
two overlap. Order, exceptions and memory stay those of the plain iterator: items come in
order, at most ``depth`` are waiting at a time, an exception raised by the producer is raised
by the consumer at the same item, and a consumer that stops early stops the producer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Final, TypeVar

from desktop.core.errors import ParameterError

T = TypeVar("T")

_DONE: Final = object()
_POLL_S: Final = 0.1  # how often a blocked producer looks whether the consumer has gone


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], depth: int = 1, name: str = "prefetch") -> Iterator[T]:
    """The items of ``items``, produced in a worker thread up to ``depth`` ahead of the
    consumer. ``items`` must not share mutable state with the consumer's work on an item
    (the producer runs meanwhile)."""
    if depth < 1:
        raise ParameterError(f"depth must be at least 1, got {depth}")
    waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
    gone = threading.Event()

    def put(item: object) -> bool:
        while not gone.is_set():
            try:
                waiting.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Raised(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        gone.set()
        while worker.is_alive():  # unblock a producer waiting to put, then let it end
            try:
                waiting.get(timeout=_POLL_S)
            except queue.Empty:
                pass
        worker.join()
