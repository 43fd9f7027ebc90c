"""A date typed as YYYY-MM-DD and applied whole, on Enter or when the field loses focus.

``QDateEdit`` applies every keystroke: selecting all and typing 2027-06-01 passes through
2026-06-01 (and screens it) before the year is complete, and a half-typed date is fixed up into
some other valid date. Here the text is only a draft until Enter or focus loss; then it is
either applied as one date (``applied`` is emitted once, and only if the date changed) or
refused visibly: a red frame, ``refused`` with a message for the status bar, and the previous
date back in the field. Escape puts the applied date back. The calendar button applies the
picked date at once: a click is a whole date.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
    QWidgetAction,
)

DATE_FORMAT: Final = "%Y-%m-%d"
REFUSED_STYLE: Final = "QLineEdit { border: 2px solid #d62728; }"


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD`` as a date, or None when the text is not one (2027-02-30, 2027-6-1x)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


class DateField(QWidget):
    """A line edit for one date with a calendar button; see the module docstring."""

    applied = Signal(object)  # datetime.date, once per change the user made
    refused = Signal(str)  # why the typed text was not applied, naming the date kept

    def __init__(self, value: date, what: str, parent: QWidget | None = None) -> None:
        """``what`` names the field in messages, e.g. 'the as-of date'."""
        super().__init__(parent)
        self.what = what
        self._value = value
        self._in_force = True
        self._range: tuple[date, date] | None = None
        self.edit = QLineEdit(value.isoformat())
        self.edit.setPlaceholderText("YYYY-MM-DD")
        # Wide enough for the ten characters, and no wider: the toolbar is full at 1024 px.
        self.edit.setFixedWidth(self.edit.fontMetrics().horizontalAdvance("0000-00-00") + 22)
        self.edit.editingFinished.connect(self.commit)
        self.edit.textEdited.connect(lambda _text: self._mark_refused(False))
        self.edit.installEventFilter(self)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._on_calendar)
        menu = QMenu(self)
        picker = QWidgetAction(menu)
        picker.setDefaultWidget(self.calendar)
        menu.addAction(picker)
        menu.aboutToShow.connect(lambda: self.calendar.setSelectedDate(_qdate(self._value)))
        self.menu = menu
        self.button = QToolButton()
        self.button.setArrowType(Qt.ArrowType.DownArrow)
        self.button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.button.setToolTip("Pick the date on a calendar")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setMenu(menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.edit)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)
        # Its own width, not a share of the toolbar's.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def value(self) -> date:
        """The date applied last (not the text being typed)."""
        return self._value

    def set_value(self, value: date, *, in_force: bool = True) -> None:
        """Show ``value`` without emitting ``applied`` (the program's own change, e.g. the range
        of newly loaded tracks). ``in_force=False``: the date is shown but something else is
        applied (the as-of "Now"), so Enter on this same date applies it."""
        self._value = value
        self._in_force = in_force
        self.edit.setText(value.isoformat())
        self._mark_refused(False)

    def set_range(self, earliest: date, latest: date) -> None:
        """Dates outside ``earliest`` .. ``latest``: refused when typed, not offered to pick."""
        self._range = (earliest, latest)
        self.calendar.setDateRange(_qdate(earliest), _qdate(latest))

    def is_refused(self) -> bool:
        return bool(self.edit.styleSheet())

    def commit(self) -> None:
        """Apply the typed text (Enter, focus loss): once, whole, or refuse it."""
        text = self.edit.text()
        day = parse_date(text)
        if day is None:
            self._refuse(f"{text.strip() or 'An empty field'} is not a date (YYYY-MM-DD,"
                         " e.g. 2026-06-01)")
            return
        if self._range is not None and not self._range[0] <= day <= self._range[1]:
            self._refuse(f"{day.isoformat()} is outside the dates this program can screen"
                         f" ({self._range[0].isoformat()} to {self._range[1].isoformat()})")
            return
        self._mark_refused(False)
        self.edit.setText(day.isoformat())
        if day != self._value or not self._in_force:
            self._value, self._in_force = day, True
            self.applied.emit(day)

    def _refuse(self, why: str) -> None:
        """Put the date in force back in the field, framed red, and say why and what stays."""
        kept = self._value.isoformat()
        self.edit.setText(kept)
        self._mark_refused(True)
        self.refused.emit(f"{why}: {self.what} stays {kept}")

    def _on_calendar(self, qdate: QDate) -> None:
        self.menu.hide()
        self.edit.setText(date(qdate.year(), qdate.month(), qdate.day()).isoformat())
        self.commit()

    def _mark_refused(self, refused: bool) -> None:
        self.edit.setStyleSheet(REFUSED_STYLE if refused else "")
        self.edit.setToolTip(
            f"Not applied: {self.what} stays {self._value.isoformat()}" if refused else ""
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if (
            watched is self.edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            self.set_value(self._value, in_force=self._in_force)  # drop the draft
            return True
        return super().eventFilter(watched, event)


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)
