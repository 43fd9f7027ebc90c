"""Items of an iterator made ahead of their consumer: in a worker thread (``prefetched``) or
in a forked child process (``forked``).

The streaming reader reads and splits the next piece of a file while the current one is
decoded, and scans pieces while the rows of the one before are spilled. A thread overlaps only
what lets go of the GIL (zlib, long numpy calls); a child process overlaps all of it, at the
cost of moving the items through a pipe. Order, exceptions and memory stay those of the plain
iterator: items come in order, a bounded number wait at a time, an exception raised by the
producer is raised by the consumer at the same item, and a consumer that stops early stops
the producer.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Final, Generic, TypeVar

from desktop.core.errors import ParameterError

T = TypeVar("T")
R = TypeVar("R")

_DONE: Final = object()
_POLL_S: Final = 0.1  # how often a blocked producer looks whether the consumer has gone


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], depth: int = 1, name: str = "prefetch", *,
               later_depth: int | None = None) -> Iterator[T]:  # fmt: skip
    """The items of ``items``, produced in a worker thread up to ``depth`` ahead of the
    consumer; from its second item on, ``later_depth`` ahead when given (a lead built up
    while the consumer was busy elsewhere is then used up, not kept). ``items`` must not
    share mutable state with the consumer's work on an item (the producer runs meanwhile)."""
    if depth < 1:
        raise ParameterError(f"depth must be at least 1, got {depth}")
    if later_depth is not None and later_depth < 1:
        raise ParameterError(f"later_depth must be at least 1, got {later_depth}")
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
            if later_depth is not None:
                with waiting.mutex:  # a put waiting on a full queue checks the size again
                    waiting.maxsize = later_depth
                later_depth = None
    finally:
        gone.set()
        while worker.is_alive():  # unblock a producer waiting to put, then let it end
            try:
                waiting.get(timeout=_POLL_S)
            except queue.Empty:
                pass
        worker.join()


def can_fork() -> bool:
    """Whether ``forked`` runs its producer in a child process here: on Linux, where ``fork``
    is cheap and the child starts with every module imported, and not in a daemonic process
    (a Dask worker's, which may have no children). Elsewhere it uses a thread."""
    return (sys.platform.startswith("linux") and not multiprocessing.current_process().daemon
            and "fork" in multiprocessing.get_all_start_methods())  # fmt: skip


def forked(make: Callable[[], Iterable[T]], finish: Callable[[], R], *,
           name: str = "prefetch", depth: int = 1) -> Iterator[T | Finished[R]]:  # fmt: skip
    """The items of ``make()``, produced in a forked child process ahead of the consumer,
    then a ``Finished`` holding ``finish()`` as the child computed it after the last item
    (the producer's state, which the child's copy alone has seen).

    The child starts at once, not at the first ``next``: a consumer may do its own share of
    some work before it takes the child's. Unlike a thread, the child holds no GIL the
    consumer needs: work in Python and in short numpy calls overlaps too. Items cross a
    pipe: numpy arrays out of band, as raw bytes (an 8 MB text piece and its line arrays
    take some milliseconds). The pipe bounds how far the child runs ahead (one item made and
    waiting, and what fits in ``PIPE_BYTES``; with ``depth`` above one, a thread of the
    child makes up to ``depth`` items ahead, held in the child, until the consumer has taken
    the first: then one, so that a lead made while the consumer was busy elsewhere does not
    stay in memory to the end). An exception in the child
    is raised by the consumer at the same item; ``close()`` (or a consumer that stops early)
    kills the child. Where fork is not available (``can_fork``), the same in a thread.
    """
    if depth < 1:
        raise ParameterError(f"depth must be at least 1, got {depth}")
    if not can_fork():
        return _threaded(make, finish, name)
    return _ChildItems(make, finish, name, depth)


class _ChildItems(Iterator[Any]):
    """``forked``'s iterator: the child process started, its items read from the pipe."""

    def __init__(self, make: Callable[[], Iterable[Any]], finish: Callable[[], Any],
                 name: str, depth: int) -> None:  # fmt: skip
        self._closed = True  # until the child is running: nothing for ``close`` to do
        context = multiprocessing.get_context("fork")
        self._name = name
        self._receive, send = context.Pipe(duplex=False)
        _widen(send)
        self._child = context.Process(target=_produce_in_child, name=name, daemon=True,
                                      args=(send, make, finish, os.getpid(), depth))  # fmt: skip
        _give_back_free_memory()
        self._child.start()
        send.close()  # the child's end: EOF here when the child is gone
        self._finished = False
        self._closed = False

    def __iter__(self) -> _ChildItems:
        return self

    def __next__(self) -> Any:
        if self._closed:
            raise StopIteration
        try:
            kind, value = _receive(self._receive)
        except EOFError:
            self.close()
            raise ChildLost(f"{self._name}: the worker process ended without a result "
                            f"(exit code {self._child.exitcode})") from None  # fmt: skip
        except BaseException:
            self.close()
            raise
        if kind == "item":
            return value
        if kind == "end":
            self._finished = True
            self.close()
            return Finished(value)
        self.close()
        raise value

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._receive.close()
        if not self._finished and self._child.is_alive():
            self._child.kill()  # blocked on a full pipe, or still working: not wanted any more
        self._child.join()

    def __del__(self) -> None:
        self.close()


def _give_back_free_memory() -> None:
    """Return the memory the allocators keep for reuse (Arrow's pool, glibc's heap) to the
    system before a fork. Pages the parent still holds at the fork are shared with the child
    copy-on-write: each one the parent reuses afterwards is copied first, a fault and 4 KB
    each, and counts in both processes until then."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _libc() -> Any:
    global _LIBC  # noqa: PLW0603 - loaded once
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            _LIBC.malloc_trim  # noqa: B018 - glibc's; other C libraries may lack it
        except (OSError, AttributeError):
            _LIBC = False
    return _LIBC or None


_LIBC: Any = None


# Bytes a pipe holds (Linux's ceiling for unprivileged processes): with the default 64 KB,
# moving 200 MB took 1.2 s and 0.7 s of the consumer's CPU; with 1 MB, 0.25 s.
PIPE_BYTES: Final = 1 << 20


def _widen(conn: Connection) -> None:
    try:
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # a lower ceiling set on this machine: the default size works, slower
        pass


class ChildLost(RuntimeError):
    """The worker process of ``forked`` died without saying why (killed, out of memory)."""


@dataclass
class Finished(Generic[R]):
    """The last item of ``forked``: what ``finish()`` returned once the items had ended."""

    value: R


def _threaded(make: Callable[[], Iterable[T]], finish: Callable[[], R], name: str
              ) -> Iterator[T | Finished[R]]:  # fmt: skip
    yield from prefetched(make(), name=name)
    yield Finished(finish())


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (``PR_SET_PDEATHSIG``): a parent
    killed with SIGKILL leaves no worker running on. Linux only, as ``forked``'s children."""
    libc = _libc()
    try:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except AttributeError:  # no prctl: the child ends at its next send instead
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


_PR_SET_PDEATHSIG: Final = 1


def _produce_in_child(send: Connection, make: Callable[[], Iterable[Any]],
                      finish: Callable[[], Any], parent: int, depth: int) -> None:  # fmt: skip
    _die_with_parent(parent)
    try:
        items = make()
        if depth > 1:  # made ahead in a thread while this one waits on the pipe
            items = prefetched(items, depth=depth - 1, name="ahead", later_depth=1)
        for item in items:
            _send(send, "item", item)
        _send(send, "end", finish())
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
        try:
            _send(send, "error", exc)
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            _send(send, "error", RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _send(conn: Connection, kind: str, value: object) -> None:
    """One item on the pipe: the count and sizes of its parts, its pickle, then the raw
    bytes of its numpy arrays (and other out-of-band buffers), each written as it is."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps((kind, value), protocol=5, buffer_callback=buffers.append)
    views = [memoryview(head), *(b.raw() for b in buffers)]
    fd = conn.fileno()
    _write_all(fd, struct.pack(f"<{len(views) + 1}Q", len(views), *(v.nbytes for v in views)))
    for view in views:
        _write_all(fd, view)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view):]


def _receive(conn: Connection) -> tuple[str, Any]:
    # Read straight into the buffers the arrays are made from, with plain reads of the
    # pipe: ``Connection.recv_bytes`` copied each message three times (a fifth of the
    # parent's time in the first pass of an NMEA add). Bytearrays: the arrays are writable.
    fd = conn.fileno()
    (count,) = struct.unpack("<Q", _read_exact(fd, 8))
    sizes = struct.unpack(f"<{count}Q", _read_exact(fd, 8 * count))
    head = _read_exact(fd, sizes[0])
    buffers = [_read_exact(fd, size) for size in sizes[1:]]
    return pickle.loads(head, buffers=buffers)


def _read_exact(fd: int, size: int) -> bytearray:
    """``size`` bytes from ``fd``; ``EOFError`` when the writer is gone before."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    while view:
        got = os.readv(fd, [view])
        if got == 0:
            raise EOFError
        view = view[got:]
    return buffer
