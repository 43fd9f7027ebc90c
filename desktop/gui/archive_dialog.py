"""File > Open archive…: which archive, which days, and optionally which vessels.

The dialog only collects the request (``ArchiveRequest``); the session reads the archive in
the background (``desktop.gui.session.load_archive``) with progress and Cancel like files.
The date range defaults to the days a screening as of the session's date needs
(``desktop.core.archive.day_range``: two windows and a day before it, up to it).

**Compute** (remembered by the main window in its settings): *This machine* reads the archive
here and screens it in this process, as ``exposure check --archive``; *A Dask scheduler* screens
it on that cluster (``--engine dask --scheduler ADDR``, DESIGN.md §8): the workers read the
archive, this machine gets the verdicts and never the fixes, so the map shows the events but
no tracks. The desktop bundle leaves Dask out (installer/exposure.spec); choosing a scheduler
there says so and opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.core.archive.read import day_range


@dataclass(frozen=True)
class ArchiveRequest:
    """An archive (folder or fsspec URL), the first and last UTC day to read (ISO dates), the
    path of a vessel list (None: every vessel of those days), and the Dask scheduler to screen
    on (None: this machine)."""

    archive: str
    first_day: str
    last_day: str
    vessels: str | None = None
    scheduler: str | None = None


THIS_MACHINE: Final = "This machine"
DASK_SCHEDULER: Final = "A Dask scheduler"
NO_DASK: Final = (
    "Dask is not available in this desktop bundle: screening on a cluster needs the Python "
    "install (pip install maritime-exposure). Choose This machine."
)


def dask_available() -> bool:
    """Whether this installation has Dask's distributed scheduler client (the desktop bundle
    leaves it out: installer/exposure.spec)."""
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


def _qdate(day: str) -> QDate:
    value = date.fromisoformat(day)
    return QDate(value.year, value.month, value.day)


def _iso(value: QDate) -> str:
    return date(value.year(), value.month(), value.day()).isoformat()


class ArchiveDialog(QDialog):
    """Asks for an ``ArchiveRequest``; ``request()`` gives it once accepted."""

    def __init__(self, parent: QWidget | None, as_of: datetime | None, window_days: float,
                 start_dir: str = "", *, scheduler: str = "", on_dask: bool = False
                 ) -> None:  # fmt: skip
        """``scheduler``, ``on_dask``: the Compute setting to start from (the address is kept
        even while This machine is chosen)."""
        super().__init__(parent)
        self.setWindowTitle("Open archive")
        self.start_dir = start_dir
        first, last = day_range(as_of or datetime.now(UTC), window_days)
        self.location = QLineEdit()
        self.location.setPlaceholderText("a folder, or a URL such as s3://bucket/ais")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_archive)
        self.first = QDateEdit(_qdate(first))
        self.last = QDateEdit(_qdate(last))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.vessels = QLineEdit()
        self.vessels.setPlaceholderText("optional: IMO/MMSI lines, or a CSV with imo/mmsi/name")
        pick = QPushButton("Browse…")
        pick.clicked.connect(self._browse_vessels)
        form = QFormLayout(self)
        form.addRow("Archive", _row(self.location, browse))
        form.addRow("From (UTC day)", self.first)
        form.addRow("To (UTC day)", self.last)
        form.addRow(QLabel(
            f"Default: the days a screening as of {last} needs ({window_days:g}-day window, "
            "two windows back)."
        ))  # fmt: skip
        form.addRow("Vessels", _row(self.vessels, pick))
        self.compute = QComboBox()
        self.compute.addItems([THIS_MACHINE, DASK_SCHEDULER])
        self.scheduler = QLineEdit(scheduler)
        self.scheduler.setPlaceholderText("tcp://host:8786")
        self.compute_note = QLabel("")
        self.compute_note.setWordWrap(True)
        form.addRow("Compute", _row(self.compute, self.scheduler))
        form.addRow(self.compute_note)
        self.compute.currentTextChanged.connect(self._on_compute)
        self.compute.setCurrentText(DASK_SCHEDULER if on_dask else THIS_MACHINE)
        self._on_compute()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        form.addRow(self.error)
        form.addRow(self.buttons)

    def _browse_archive(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Archive folder", self.start_dir)
        if folder:
            self.location.setText(folder)

    def _browse_vessels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Vessel list", self.start_dir, "Vessel lists (*.txt *.csv);;All files (*)"
        )
        if path:
            self.vessels.setText(path)

    @property
    def on_dask(self) -> bool:
        return self.compute.currentText() == DASK_SCHEDULER

    def _on_compute(self) -> None:
        self.scheduler.setEnabled(self.on_dask)
        if not self.on_dask:
            self.compute_note.setText("Read and screen the archive in this process.")
            self.compute_note.setStyleSheet("")
        elif not dask_available():
            self.compute_note.setText(NO_DASK)
            self.compute_note.setStyleSheet("color: #b00020")
        else:
            self.compute_note.setText(
                "The cluster's workers read the archive (a shared folder or an object store "
                "they can reach) and screen it; the map then shows the events, not the tracks."
            )
            self.compute_note.setStyleSheet("")

    def _accept(self) -> None:
        if not self.location.text().strip():
            self.error.setText("Name the archive: a folder or a URL.")
            return
        if self.first.date() > self.last.date():
            self.error.setText("The first day comes after the last day.")
            return
        if self.on_dask and not dask_available():
            self.error.setText(NO_DASK)
            return
        if self.on_dask and not self.scheduler.text().strip():
            self.error.setText("Give the Dask scheduler's address, such as tcp://host:8786.")
            return
        self.accept()

    def request(self) -> ArchiveRequest:
        vessels = self.vessels.text().strip() or None
        scheduler = self.scheduler.text().strip() if self.on_dask else None
        return ArchiveRequest(
            self.location.text().strip(), _iso(self.first.date()), _iso(self.last.date()), vessels,
            scheduler or None,
        )


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder
