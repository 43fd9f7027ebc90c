"""`exposure --self-test`, the part that needs Qt: the main window renders, the worker process runs.

The window is rendered offscreen (``QT_QPA_PLATFORM=offscreen`` unless the caller chose a
platform), on the bundled sample, as ``exposure gui --screenshot`` does: a bundle that lacks a
Qt plugin or a library fails here rather than on the user's desktop. The worker check starts
the same child process a big load uses (``tasks.run_in_child``; in the bundle, the frozen
executable re-entered) and cancels a job in it: the process must be gone at once.
"""

from __future__ import annotations

import os
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Final

from desktop.core.errors import Cancelled
from desktop.core.selftest import CheckFailed, CheckResult, run_check, sample_files

WINDOW_SIZE: Final = (1280, 800)
_CANCEL_WITHIN_S: Final = 5.0


def _has_colour_near(image: object, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    """Whether some pixel of the QImage is within ``tolerance`` of ``rgb`` (sampled every
    2 px: a track line is at least 2 px wide)."""
    width, height = image.width(), image.height()  # type: ignore[attr-defined]
    for y in range(0, height, 2):
        for x in range(0, width, 2):
            c = image.pixelColor(x, y)  # type: ignore[attr-defined]
            if (abs(c.red() - rgb[0]) <= tolerance and abs(c.green() - rgb[1]) <= tolerance
                    and abs(c.blue() - rgb[2]) <= tolerance):
                return True
    return False


def check_window() -> str:
    """Open the main window offscreen on the sample, wait for the screening, grab it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.core.model import Verdict
    from desktop.gui.app import _PrintingNotifier, _wait_until_idle
    from desktop.gui.main_window import MainWindow
    from desktop.gui.style import VERDICT_COLOURS

    sample, _ = sample_files()
    app = QApplication.instance() or QApplication(["exposure"])
    with tempfile.TemporaryDirectory(prefix="exposure-selftest ") as scratch:
        notifier = _PrintingNotifier()
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, notifier=notifier, review_folder=Path(scratch))
        try:
            window.resize(*WINDOW_SIZE)
            window.show()
            window.load_background_layers()
            window.open_tracks([str(sample)])
            _wait_until_idle(window)
            if window.session.current is None:
                raise CheckFailed("the sample did not load: " + "; ".join(notifier.messages))
            window.fit_all()
            app.processEvents()
            image = window.grab().toImage()
            map_image = window.map.grab().toImage()
            rows = window.table.model().rowCount()
        finally:
            window.close()
            app.processEvents()
    if image.isNull() or (image.width(), image.height()) != WINDOW_SIZE:
        raise CheckFailed(f"grabbed a {image.width()}x{image.height()} picture")
    if notifier.messages:
        raise CheckFailed("; ".join(notifier.messages))
    barred = VERDICT_COLOURS[Verdict.BARRED]
    if not _has_colour_near(map_image, (barred.red(), barred.green(), barred.blue())):
        raise CheckFailed("no barred track drawn on the map")
    return (f"{image.width()}x{image.height()} on {os.environ['QT_QPA_PLATFORM']}, "
            f"{rows} vessels listed, barred tracks drawn")


def _work_until_killed(progress: object, cancel: object) -> None:
    """Says its process id, then works (sleeps) for far longer than any check waits."""
    progress(0.0, f"pid {os.getpid()}")  # type: ignore[operator]
    for _ in range(600):
        time.sleep(0.1)
        progress(0.5, "working")  # type: ignore[operator]


def check_worker() -> str:
    """The sample loads in a child process as a big file does in the app (``load_tracks`` via
    ``run_in_child``: in the bundle, the frozen executable re-entered), and Cancel ends a job
    there at once."""
    from datetime import UTC, datetime

    from desktop.core.params import ScreeningParams
    from desktop.gui.session import load_tracks
    from desktop.gui.tasks import run_in_child

    sample, _ = sample_files()
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    work = partial(load_tracks, [str(sample)], None, ScreeningParams(), as_of)
    loaded = run_in_child(work, lambda fraction, message: None, lambda: False)
    barred = sum(1 for v in loaded.result.verdicts if str(v.verdict) == "barred")
    if len(loaded.result.verdicts) != 47 or barred != 7:
        raise CheckFailed(f"the child process screened {len(loaded.result.verdicts)} vessels, "
                          f"{barred} barred; expected 47, 7 barred")
    said: list[str] = []

    def progress(fraction: float, message: str) -> None:
        said.append(message)

    started = time.monotonic()
    try:
        run_in_child(_work_until_killed, progress, lambda: bool(said))
    except Cancelled:
        pass
    else:
        raise CheckFailed("the cancelled job returned instead of stopping")
    took_s = time.monotonic() - started
    child = int(said[0].split()[1])
    if child == os.getpid():
        raise CheckFailed("the job ran in this process, not a child")
    try:
        os.kill(child, 0)
    except ProcessLookupError:
        pass
    else:
        raise CheckFailed(f"the cancelled worker (pid {child}) is still running")
    if took_s > _CANCEL_WITHIN_S:
        raise CheckFailed(f"cancel took {took_s:.1f} s")
    return (f"the sample loaded in a child process (47 vessels, 7 barred); Cancel ended "
            f"the next job in {took_s:.1f} s")


GUI_CHECKS: Final = [
    ("main window", check_window),
    ("worker process", check_worker),
]


def run_gui_checks() -> list[CheckResult]:
    """The checks that need Qt, in order."""
    return [run_check(name, check) for name, check in GUI_CHECKS]
