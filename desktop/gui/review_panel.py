"""The analyst's review of the selected vessel: Confirm / Dismiss with a note.

``ReviewPanel`` is the widget under the details (a note field and the buttons); ``ReviewKeeper``
holds the ``desktop.core.review.ReviewStore`` and ties the panel, the vessel table's marker and
the selection together. The decision itself (what a review records, how it is kept on disk) is
the core's; this module only collects the analyst's input and shows what is stored.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.core.errors import ExposureError
from desktop.core.model import VesselVerdict
from desktop.core.review import CONFIRMED, DISMISSED, Review, ReviewStore
from desktop.gui.notifier import Notifier

DATA_DIR_ENV: Final = "EXPOSURE_DATA_DIR"  # development and test override of the data folder
APP_NAME: Final = "ExposureCheck"
APP_AUTHOR: Final = "MaritimeExposure"


def default_review_folder() -> Path:
    """Where reviews are kept: ``$EXPOSURE_DATA_DIR`` if set, else platformdirs' user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def current_user() -> str:
    """The login name for ``Review.reviewer`` ('' when the system cannot tell)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 -- no user name on some locked-down machines: leave it empty
        return ""


def review_summary(review: Review) -> str:
    """One line: 'Confirmed by ana on 2026-11-28 09:15 UTC (verdict then: barred): note'."""
    who = f" by {review.reviewer}" if review.reviewer else ""
    text = (
        f"{review.decision.capitalize()}{who} on {review.decided_at.strftime('%Y-%m-%d %H:%M')} "
        f"UTC (verdict then: {review.verdict_at_review})"
    )
    return f"{text}: {review.note}" if review.note else text


def vessel_label(vessel: VesselVerdict) -> str:
    """How buttons and messages name a vessel: 'MMSI 351000001 EAST STAR'."""
    return f"MMSI {vessel.mmsi} {vessel.name}" if vessel.name else f"MMSI {vessel.mmsi}"


def review_is_current(review: Review, vessel: VesselVerdict) -> bool:
    """The review was made on the verdict the vessel has now: a Confirm of 'barred' says
    nothing about a later 'clear', so the table shows it as outdated, not as a tick."""
    return review.verdict_at_review == vessel.verdict


@cache
def review_icon(decision: str) -> QIcon:
    """A small tick (confirmed) or cross (dismissed) for the vessel table."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if decision == CONFIRMED:
        painter.setPen(QPen(QColor(30, 90, 160), 2.4))
        painter.drawPolyline([QPointF(2.5, 7.5), QPointF(5.5, 11), QPointF(11.5, 3)])
    else:
        painter.setPen(QPen(QColor(110, 110, 110), 2.0))
        painter.drawLine(QPointF(3, 3), QPointF(11, 11))
        painter.drawLine(QPointF(11, 3), QPointF(3, 11))
    painter.setPen(QPen(QColor(0, 0, 0, 60), 1.0))
    painter.drawEllipse(QRectF(0.5, 0.5, 13, 13))
    painter.end()
    return QIcon(pixmap)


class ReviewPanel(QWidget):
    """The review of one vessel: status line, note, Confirm / Dismiss / Clear.

    Emits ``decided(decision, note)`` and ``cleared()``; it stores nothing itself.
    """

    decided = Signal(str, str)  # decision, note
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note for the review (why confirmed or dismissed)")
        self.note.setClearButtonEnabled(True)
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("The flag stands: record it with the note")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip("A false alarm: record it with the note saying why")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget the review of this vessel")
        self.confirm_button.clicked.connect(lambda: self._decide(CONFIRMED))
        self.dismiss_button.clicked.connect(lambda: self._decide(DISMISSED))
        self.clear_button.clicked.connect(self.cleared.emit)
        # Two rows so that the panel adds no width to the window's minimum.
        note_row = QHBoxLayout()
        note_row.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Review:")
        note_row.addWidget(self.title)
        note_row.addWidget(self.note, 1)
        button_row = QHBoxLayout()
        button_row.setContentsMargins(0, 0, 0, 0)
        button_row.addWidget(self.confirm_button)
        button_row.addWidget(self.dismiss_button)
        button_row.addWidget(self.clear_button)
        button_row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(note_row)
        layout.addLayout(button_row)
        self.show_review(None, None)

    def _decide(self, decision: str) -> None:
        self.decided.emit(decision, self.note.text().strip())

    def show_review(
        self, vessel: VesselVerdict | None, review: Review | None, problem: str = ""
    ) -> None:
        """Show the stored review of ``vessel`` (its note back in the field), or none."""
        usable = vessel is not None and not problem
        if vessel is None:
            self.confirm_button.setText("Confirm")
            self.dismiss_button.setText("Dismiss")
            self.title.setToolTip("")
        else:
            # The MMSI on the buttons (short: the panel must fit a 1024 px window); the name
            # is in the banner above and in the tooltips.
            label = vessel_label(vessel)
            self.confirm_button.setText(f"Confirm {vessel.mmsi}")
            self.dismiss_button.setText(f"Dismiss {vessel.mmsi}")
            self.confirm_button.setToolTip(f"The flag on {label} stands: record it with the note")
            self.dismiss_button.setToolTip(
                f"{label} is a false alarm: record it with the note saying why"
            )
            self.title.setToolTip(f"The review of {label}")
        for button in (self.confirm_button, self.dismiss_button):
            button.setEnabled(usable)
        self.note.setEnabled(usable)
        self.clear_button.setEnabled(usable and review is not None)
        self.note.setText(review.note if review is not None else "")
        if problem:
            self.status.setText(f"Reviews unavailable: {problem}")
            self.status.setStyleSheet("color: #8b0000;")
        elif vessel is None:
            self.status.setText("")
            self.status.setStyleSheet("")
        elif review is None:
            self.status.setText("Not reviewed yet.")
            self.status.setStyleSheet("color: #555;")
        else:
            text = review_summary(review)
            if review.verdict_at_review != vessel.verdict:
                text += f". The verdict is now {vessel.verdict}."
            self.status.setText(text)
            self.status.setStyleSheet("color: #223366;")


class ReviewKeeper(QObject):
    """The review store: opened on first use, saved on every decision.

    It knows the panel it fills, the notifier and a callable giving the as-of instant of the
    result on screen, not the window: the table follows ``reviews_changed`` and the status bar
    ``saved``. A store that cannot be opened (a corrupt file) is reported once through the
    notifier, naming the file; the buttons stay disabled so that nothing overwrites it.
    """

    reviews_changed = Signal(object)  # dict[int, Review] by MMSI: every stored review
    saved = Signal(str)  # a one-line message for the status bar

    def __init__(
        self,
        panel: ReviewPanel,
        notifier: Notifier,
        as_of: Callable[[], datetime | None],
        folder: str | Path | None = None,
        inputs: Callable[[], Sequence[str]] = tuple,
        clock: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``as_of``: the as-of instant of the screening on screen (None: nothing loaded);
        ``inputs``: the input files of that screening, recorded with each decision."""
        super().__init__(parent)
        self.panel = panel
        self.notifier = notifier
        self.as_of = as_of
        self.inputs = inputs
        self.folder = None if folder is None else Path(folder)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.vessel: VesselVerdict | None = None
        self._store: ReviewStore | None = None
        self.problem = ""
        self.panel.decided.connect(self.decide)
        self.panel.cleared.connect(self.clear)

    @property
    def store(self) -> ReviewStore | None:
        if self._store is None and not self.problem:
            try:
                self._store = ReviewStore(self.folder or default_review_folder())
            except ExposureError as exc:
                self.problem = str(exc)
                self.notifier.error("Reviews not loaded", str(exc))
            else:
                if self._store.import_problem:  # a damaged reviews.json: named, left alone
                    self.notifier.error("Older reviews not imported", self._store.import_problem)
                self.reviews_changed.emit(self._store.as_mapping())
        return self._store

    def open(self) -> None:
        """Open the store now if it is not open (the table shows its marks)."""
        _ = self.store

    def use_store(self, store: ReviewStore) -> None:
        """Replace the store (another folder); the table and the panel follow."""
        self._store, self.problem = store, ""
        self.reviews_changed.emit(store.as_mapping())
        self.show_vessel(self.vessel)

    def reviews(self) -> dict[int, Review]:
        store = self.store
        return {} if store is None else store.as_mapping()

    def show_vessel(self, vessel: VesselVerdict | None) -> None:
        """The vessel the panel's buttons apply to (None: no selection)."""
        self.vessel = vessel
        store = self.store if vessel is not None else self._store
        review = None if store is None or vessel is None else store.get(vessel.mmsi)
        self.panel.show_review(vessel, review, self.problem)

    def decide(self, decision: str, note: str) -> None:
        vessel = self.vessel
        store = self.store
        as_of = self.as_of()
        if vessel is None or store is None or as_of is None:
            return
        try:
            review = Review(
                mmsi=vessel.mmsi,
                decision=decision,
                note=note,
                reviewer=current_user(),
                decided_at=self.clock(),
                verdict_at_review=vessel.verdict,
                as_of=as_of,
                imo=vessel.imo,
                inputs=tuple(self.inputs()),
            )
            store.put(review)
        except ExposureError as exc:
            self.notifier.error("Review not saved", str(exc))
            return
        self.reviews_changed.emit(store.as_mapping())
        self.show_vessel(vessel)
        self.saved.emit(f"{vessel_label(vessel)} {decision}; saved in {store.path}")

    def clear(self) -> None:
        vessel = self.vessel
        store = self.store
        if vessel is None or store is None:
            return
        try:
            store.remove(vessel.mmsi, reviewer=current_user())
        except ExposureError as exc:
            self.notifier.error("Review not removed", str(exc))
            return
        self.reviews_changed.emit(store.as_mapping())
        self.show_vessel(vessel)
        self.saved.emit(f"Review of {vessel_label(vessel)} removed")
