"""Background work on a QThreadPool, with progress and cancellation the core understands.

The core takes plain callbacks (``progress(fraction, message)``, ``cancel() -> bool``) and raises
``Cancelled`` when asked to stop; this module turns them into Qt signals delivered on the GUI
thread. Progress is throttled: a reader may report every few lines, and a signal per call
would flood the event loop it is meant to keep responsive.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal

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


class Task(QRunnable):
    """Runs ``work(progress, cancel)`` once in a pool thread and reports by signals."""

    def __init__(self, work: Work, label: str) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Session keeps it until its signals have arrived
        self.work = work
        self.label = label
        self.signals = TaskSignals()
        self._cancel = threading.Event()
        self._last_progress = 0.0

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
            result = self.work(self._progress, self._should_cancel)
            if self._cancel.is_set():
                raise Cancelled(f"{self.label}: cancelled")
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 -- every failure becomes a dialog, never a crash
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.done.emit(result)
