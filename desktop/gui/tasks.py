"""Background work in Python threads, with progress and cancellation the core understands.

Python threads, not a QThreadPool: pyproj 3.7 keeps its per-thread PROJ context in OS-thread
storage but frees it with the Python thread state, which PySide creates and drops around each
QRunnable.run on a pooled Qt thread; the next CRS built on that thread crashes (pyproj issues
1509 and 1622). A thread made by ``threading`` keeps one thread state for its whole life.

The core takes plain callbacks (``progress(fraction, message)``, ``cancel() -> bool``) and raises
``Cancelled`` when asked to stop; this module turns them into Qt signals delivered on the GUI
thread. Progress is throttled: a reader may report every few lines, and a signal per call
would flood the event loop it is meant to keep responsive.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import Cancelled

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]
Work = Callable[[ProgressFn, CancelFn], Any]

_PROGRESS_INTERVAL_S = 0.05


class TaskSignals(QObject):
    progress = Signal(float, str)
    done = Signal(object)
    failed = Signal(object, str)  # the exception, its formatted traceback
    cancelled = Signal()


class Task:
    """Runs ``work(progress, cancel)`` once in its own thread and reports by signals."""

    def __init__(
        self,
        work: Work,
        label: str,
        *,
        in_child: bool = False,
    ) -> None:
        """``in_child`` runs ``work`` in a child process (``run_in_child``)."""
        self.in_child = in_child
        self.work = work
        self.label = label
        self.signals = TaskSignals()
        self._cancel = threading.Event()
        self._last_progress = 0.0

    def start(self) -> None:
        """Run in a new daemon thread (a daemon: closing the window never waits on the core)."""
        threading.Thread(target=self.run, name=f"exposure: {self.label}", daemon=True).start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last_progress >= _PROGRESS_INTERVAL_S or fraction >= 1.0:
            self._last_progress = now
            self.signals.progress.emit(float(fraction), str(message))

    def _should_cancel(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            if self._cancel.is_set():
                raise Cancelled(f"{self.label}: cancelled")
            if self.in_child:
                result = run_in_child(self.work, self._progress, self._should_cancel)
            else:
                result = self.work(self._progress, self._should_cancel)
            if self._cancel.is_set():
                raise Cancelled(f"{self.label}: cancelled")
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 -- every failure becomes a dialog, never a crash
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.done.emit(result)


def _send_value(sender: Any, value: Any) -> None:
    """Pickle ``value`` with its arrays out of band (protocol 5), each sent on its own."""
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    sender.send(("done", [len(payload), *[r.nbytes for r in raws]]))
    sender.send_bytes(payload)
    for raw in raws:
        sender.send_bytes(raw)


def _receive_value(receiver: Any, sizes: list[int]) -> Any:
    """The inverse of ``_send_value``. Arrays land in writable buffers read straight from the
    pipe, so no step copies a whole table while holding the GIL (one big unpickle did, ~70 ms
    for a million fixes, long enough to stall the window)."""
    parts = []
    for size in sizes:
        buffer = bytearray(size)
        receiver.recv_bytes_into(buffer)
        parts.append(buffer)
    return pickle.loads(parts[0], buffers=parts[1:])


_CHILD_PRELOAD: Final = [
    "desktop.core.ingest",
    "desktop.core.screening",
    "desktop.core.zones",
    "desktop.core.ports",
    "desktop.gui.session",
]


def _child_context() -> Any:
    """The forkserver context, preloaded with the core: a new child is a fork of that small,
    idle server, so starting one costs the GUI process nothing (a fork of the GUI itself
    copies its page tables while holding the GIL, tens of ms once data is loaded)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_CHILD_PRELOAD)
    return ctx


def warm_child_processes(*, wait: bool = False) -> None:
    """Start the fork server now (it imports the core, ~1-2 s) rather than at the first big
    load; ``wait`` returns only once a child has run."""
    _child_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()
    if wait:
        run_in_child(_ready, lambda fraction, message: None, lambda: False)


def _ready(progress: ProgressFn, cancel: CancelFn) -> bool:
    return True


def _child_main(sender: Any) -> None:
    # The work comes through the pipe, arrays out of band, rather than as a Process argument
    # (pickled in band: a million fixes copied while the GUI process holds the GIL).
    header = sender.recv()
    work = _receive_value(sender, header[1])
    last = [0.0]

    def child_progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= _PROGRESS_INTERVAL_S:
            last[0] = now
            sender.send(("progress", float(fraction), str(message)))

    try:
        value = work(child_progress, lambda: False)
        _send_value(sender, value)
    except BaseException as exc:  # noqa: BLE001 -- everything goes back to the parent
        details = traceback.format_exc()
        try:
            sender.send(("error", exc, details))
        except Exception:  # noqa: BLE001 -- an exception that does not pickle
            sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), details))
    finally:
        sender.close()


def run_in_child(
    work: Work,
    progress: ProgressFn,
    cancel: CancelFn,
) -> Any:
    """Run ``work`` in a child process and return its value; Cancel kills the process.

    A thread is not enough for big inputs: the core's numpy/pandas/pyarrow steps hold the GIL
    for 100 ms and more on a million fixes, and the GUI thread cannot run meanwhile. ``work``
    must pickle (a module-level function, or a ``functools.partial`` of one).
    """
    ctx = _child_context()
    receiver, sender = ctx.Pipe(duplex=True)
    process = ctx.Process(target=_child_main, args=(sender,), name="exposure-worker", daemon=True)
    process.start()
    sender.close()
    try:
        _send_value(receiver, work)
        while True:
            if cancel():
                raise Cancelled("cancelled")
            if not receiver.poll(0.05):
                if not process.is_alive() and not receiver.poll(0):
                    raise RuntimeError(f"the worker process ended (exit code {process.exitcode})")
                continue
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError(
                    f"the worker process ended (exit code {process.exitcode})"
                ) from None
            if message[0] == "progress":
                progress(message[1], message[2])
            elif message[0] == "done":
                return _receive_value(receiver, message[1])
            else:
                raise message[1]
    finally:
        if process.is_alive():
            process.terminate()
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join(1)
        receiver.close()
