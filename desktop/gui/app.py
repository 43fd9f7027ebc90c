"""Start-up of the desktop app: arguments, Qt application, excepthook, window, first load.

``run_app(files, screenshot)`` is what ``exposure gui`` calls. With ``screenshot`` it loads and
screens the files, selects the first barred vessel, saves the window as PNG and returns,
so the documentation image is made by the program itself.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop import __version__
from desktop.core.errors import ResourceError
from desktop.core.resources import resource_path, sample_tracks
from desktop.gui.main_window import MainWindow
from desktop.gui.notifier import Notifier
from desktop.gui.tasks import warm_child_processes

SCREENSHOT_SIZE = (1600, 1000)
_SCREENSHOT_TIMEOUT_MS = 600_000


def default_tracks() -> list[str]:
    """The bundled sample tracks (empty when this installation has none)."""
    try:
        sample = sample_tracks()
    except ResourceError:  # no resources at all: start empty rather than fail
        return []
    return [str(sample)] if sample else []


def install_excepthook(notifier: Notifier) -> None:
    """Show unexpected errors in a dialog (with the traceback) instead of dying."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        print(details, file=sys.stderr)
        try:
            notifier.error("Unexpected error", f"{kind.__name__}: {value}", details)
        except Exception:  # noqa: BLE001 -- never recurse out of the hook
            pass

    sys.excepthook = hook


def _wait_until_idle(window: MainWindow) -> None:
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(50)

    def check() -> None:
        if not window.session.busy and window.layers_task is None:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    QTimer.singleShot(_SCREENSHOT_TIMEOUT_MS, loop.quit)
    loop.exec()
    timer.stop()


class _PrintingNotifier(Notifier):
    """In screenshot mode problems go to stderr: nobody is there to close a dialog."""

    def __init__(self) -> None:
        super().__init__(None)
        self.messages: list[str] = []

    def error(self, title: str, text: str, details: str = "") -> None:
        self.messages.append(f"{title}: {text}")
        print(f"exposure: {title}: {text}", file=sys.stderr)


def run_app(files: list[str], screenshot: str | None) -> int:
    """Run the desktop app on ``files`` (default: the sample tracks); 0 on success."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Maritime Exposure Check")
    app.setOrganizationName("MaritimeExposure")
    app.setApplicationVersion(__version__)
    try:
        app.setWindowIcon(QIcon(str(resource_path("icons/exposure.png"))))
    except ResourceError:
        pass  # an installation without the icon still works
    paths = list(files) or default_tracks()
    if screenshot:
        notifier: Notifier = _PrintingNotifier()
        # Fresh settings: the picture must not depend on how the user left the window.
        scratch = tempfile.mkdtemp(prefix="exposure-screenshot-")
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        # ...and no review the user made: the picture shows only what the data say.
        window = MainWindow(settings=settings, notifier=notifier, review_folder=Path(scratch))
        window.resize(*SCREENSHOT_SIZE)
    else:
        window = MainWindow()
        notifier = window.notifier
    install_excepthook(notifier)
    window.show()
    window.load_background_layers()
    # In the bundle too: the fork server is the frozen executable re-entered (desktop/__main__.py)
    warm_child_processes()
    if paths:
        window.open_tracks(paths)
    if not screenshot:
        return int(app.exec())
    _wait_until_idle(window)
    if window.session.current is None:
        print("exposure: --screenshot: nothing could be loaded", file=sys.stderr)
        return 2
    window.fit_all()
    barred = window.first_barred()
    if barred is not None:
        window.select_vessel(barred)
    app.processEvents()
    image = window.grab()
    if not image.save(screenshot, "PNG"):
        print(f"exposure: cannot write {screenshot}", file=sys.stderr)
        return 2
    window.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0
