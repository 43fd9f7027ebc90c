"""The details of the selected vessel: verdict banner, the reasons in plain words, the timeline."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.coverage import coverage_sentence, is_stale_clear, stale_sentence
from desktop.core.export import headline
from desktop.core.model import Event, Verdict, VesselVerdict
from desktop.core.output import OUTSIDE_AIS
from desktop.core.rule import when
from desktop.gui import style
from desktop.gui.review_panel import ReviewPanel
from desktop.gui.vessel_table import fmt_utc, where_text

STALE_STYLE = style.STALE_CSS
TIMELINE_COLUMNS = ("Start (UTC)", "End (UTC)", "Event", "In window", "Bars", "Where / with")


class DetailsPanel(QWidget):
    """Shows one VesselVerdict; double-clicking a timeline row emits ``event_activated``."""

    event_activated = Signal(object)  # Event

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vessel: VesselVerdict | None = None
        self.window_days = 180.0  # the result's window (ScreeningParams.window_days)
        self._events: list[Event] = []
        # Says when the selected vessel is hidden from the list by the search or the verdict
        # filter: the details still show it, and the review buttons still apply to it.
        self.hidden_note = QLabel("")
        self.hidden_note.setWordWrap(True)
        self.hidden_note.setMargin(4)
        self.hidden_note.setStyleSheet("background: #fff3c4; color: #4a3b00;")
        self.hidden_note.setVisible(False)
        self.banner = QLabel("No vessel selected")
        self.banner.setWordWrap(True)
        self.banner.setMargin(8)
        font = self.banner.font()
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setBold(True)
        self.banner.setFont(font)
        self.identity = QLabel("")
        self.identity.setWordWrap(True)
        self.identity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        self.timeline = QTableWidget(0, len(TIMELINE_COLUMNS))
        self.timeline.setHorizontalHeaderLabels(TIMELINE_COLUMNS)
        self.timeline.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline.verticalHeader().setVisible(False)
        self.timeline.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.timeline.horizontalHeader().setStretchLastSection(True)
        self.timeline.setToolTip("Double-click an event to centre the map on it")
        self.timeline.cellDoubleClicked.connect(self._on_double_click)
        # Filled by the window's ReviewKeeper, which holds the stored reviews.
        self.review = ReviewPanel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.hidden_note)
        layout.addWidget(self.banner)
        layout.addWidget(self.identity)
        layout.addWidget(self.explanation, 3)
        layout.addWidget(self.review)
        layout.addWidget(QLabel("Timeline (double-click to show on the map)"))
        layout.addWidget(self.timeline, 2)
        self.show_vessel(None)

    def set_hidden_note(self, text: str) -> None:
        """'' when the selected vessel is listed; else why it is not."""
        self.hidden_note.setText(text)
        self.hidden_note.setVisible(bool(text))

    def show_vessel(self, vessel: VesselVerdict | None) -> None:
        """Show ``vessel`` (the window named is ``window_days``, set by the window per result)."""
        self.vessel = vessel
        if vessel is None:
            self.banner.setText("No vessel selected: click a track or a row")
            self.banner.setStyleSheet("background: #e8e8e8; color: #333;")
            self.identity.setText("")
            self.explanation.setHtml("")
            self._events = []
            self.timeline.setRowCount(0)
            return
        colour = style.VERDICT_COLOURS[vessel.verdict]
        text = style.VERDICT_BANNER_TEXT[vessel.verdict]
        self.banner.setText(headline(vessel))
        self.banner.setStyleSheet(f"background: {colour.name()}; color: {text.name()};")
        parts = [f"MMSI {vessel.mmsi}"]
        if vessel.name:
            parts.insert(0, f"<b>{html.escape(vessel.name)}</b>")
        if vessel.imo:
            parts.append(f"IMO {vessel.imo}")
        if vessel.callsign:
            parts.append(f"call sign {html.escape(vessel.callsign)}")
        if vessel.flag:
            parts.append(f"flag {vessel.flag}")
        self.identity.setText(" · ".join(parts))
        self.explanation.setHtml(self._explanation_html(vessel))
        self._fill_timeline(vessel)

    def _explanation_html(self, vessel: VesselVerdict) -> str:
        # The official reads what bars first, then what calls for review; events without
        # effect and history follow. Within each group the core's order (newest first) stays.
        barring = [r for r in vessel.reasons if r.effect == "bars"]
        review = [r for r in vessel.reasons if r.effect == "review"]
        no_effect = [r for r in vessel.reasons if r.effect == "none" and r.in_window]
        history = [r for r in vessel.reasons if not r.in_window]
        out: list[str] = []
        if vessel.verdict == Verdict.BARRED and vessel.barred_until is not None:
            out.append(
                f"<p><b>May not call at a US port before {when(vessel.barred_until)}</b> "
                f"(EO 13810, {self.window_days:g}-day window).</p>"
            )
        if barring or review:
            out.append("<p><b>Why</b></p><ul>")
            for r in barring + review:
                mark = " style='color:#b00000'" if r.bars else ""
                out.append(f"<li{mark}>{html.escape(r.explanation)}</li>")
            out.append("</ul>")
        elif is_stale_clear(vessel):
            assert vessel.coverage is not None
            out.append(
                f"<p style='{STALE_STYLE}'><b>Nothing found, but the data are stale.</b> "
                f"{html.escape(stale_sentence(vessel.coverage))}</p>"
            )
        elif vessel.verdict == Verdict.CLEAR:
            out.append("<p>Nothing in the window bars this vessel or calls for review.</p>")
        for title, group in (
            ("Also in the window, without effect", no_effect),
            ("Earlier (outside the window)", history),
        ):
            if group:
                out.append(f"<p><b>{title}</b></p><ul style='color:#666'>")
                out.extend(f"<li>{html.escape(r.explanation)}</li>" for r in group)
                out.append("</ul>")
        if vessel.coverage is not None:  # how much was seen, for every verdict
            words = coverage_sentence(vessel.coverage, None, self.window_days)
            out.append(f"<p><b>Coverage:</b> {html.escape(words)}</p>")
        out.append(f"<p style='color:#777; font-size:small'>{html.escape(OUTSIDE_AIS)}</p>")
        return "".join(out)

    def _fill_timeline(self, vessel: VesselVerdict) -> None:
        self._events = [r.event for r in vessel.reasons]
        self.timeline.setRowCount(len(vessel.reasons))
        for row, reason in enumerate(vessel.reasons):
            e = reason.event
            where = where_text(e)
            cells = (
                fmt_utc(e.start),
                fmt_utc(e.end) + (" (ongoing)" if e.ongoing else ""),
                str(e.kind).replace("_", " "),
                "yes" if reason.in_window else "no",
                "yes" if reason.bars else "",
                where,
            )
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(reason.explanation)
                if reason.bars:
                    item.setForeground(style.VERDICT_COLOURS[Verdict.BARRED].darker(130))
                self.timeline.setItem(row, col, item)

    def _on_double_click(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._events):
            self.event_activated.emit(self._events[row])
