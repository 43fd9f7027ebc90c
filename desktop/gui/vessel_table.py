"""The vessel list: one row per VesselVerdict, sortable, searchable, filterable by verdict.

The model only shows what the core decided; "last KP call" and "main reason" are read from the
reasons the rule produced (newest first), never recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.core.coverage import is_stale_clear, stale_sentence
from desktop.core.model import Event, EventKind, Reason, Verdict, VesselVerdict
from desktop.core.review import Review
from desktop.core.rule import day, main_reason, no_main_reason_text
from desktop.gui import style
from desktop.gui.review_panel import review_icon, review_is_current, review_summary
from desktop.gui.table_model import ColumnsModel

# What the Review column says of a review made on another verdict than today's.
OUTDATED_REVIEW: Final = "verdict changed"

COLUMNS: Final = (
    "MMSI",
    "Name",
    "IMO",
    "Flag",
    "Verdict",
    "Review",
    "Barred until (UTC)",
    "Last KP call (UTC)",
    "Events",
    "Heard nearby",
    "Main reason",
)
(
    COL_MMSI,
    COL_NAME,
    COL_IMO,
    COL_FLAG,
    COL_VERDICT,
    COL_REVIEW,
    COL_BARRED,
    COL_LAST_KP,
    COL_EVENTS,
    COL_HEARD,
    COL_REASON,
) = range(len(COLUMNS))
SORT_ROLE: Final = Qt.ItemDataRole.UserRole + 1
MMSI_ROLE: Final = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex


def fmt_utc(moment: datetime | None) -> str:
    """A UTC time for tables: '2026-12-30 06:20'."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def last_kp_call(vessel: VesselVerdict) -> Reason | None:
    """The newest KP port call among the vessel's reasons (reasons are newest first)."""
    for reason in vessel.reasons:
        e = reason.event
        if e.kind == EventKind.PORT_CALL and e.country == "KP":
            return reason
    return None


def most_heard_gap(vessel: VesselVerdict) -> Reason | None:
    """The vessel's AIS gap in the window during which the most other ships were heard near it
    (the strongest sign that a receiver was listening while it was silent; issue 11), newest
    first on ties; None without such a gap or without the evidence."""
    best: Reason | None = None
    for reason in vessel.reasons:
        e = reason.event
        if e.kind != EventKind.AIS_GAP or not reason.in_window:
            continue
        if "others_heard_near" not in e.details:
            continue
        if best is None or e.details["others_heard_near"] > best.event.details["others_heard_near"]:
            best = reason
    return best


def heard_text(reason: Reason | None) -> str:
    """The Heard nearby cell: how many other ships were heard near the gap while it was silent."""
    if reason is None:
        return ""
    n = int(reason.event.details["others_heard_near"])
    return f"{n} ship{'' if n == 1 else 's'}"


def where_text(event: Event) -> str:
    """Where or with whom an event happened; for a watch-list hit, the list and the entry."""
    if event.kind == EventKind.WATCHLIST:
        d = event.details
        listed = d.get("sdn_name") or ""
        if "file" in d:  # a plain CSV list: its own reference, else the line in its file
            entry = f"ref {d['reference']}" if d.get("reference") else f"line {d.get('line')}"
        else:
            entry = f"entry {d['entry']}" if d.get("entry") is not None else ""
        return " ".join(str(p) for p in (d.get("list"), entry, listed) if p)
    where = event.zone or ""
    if event.locode:
        where += f" ({event.locode})"
    if event.with_mmsi:
        where = (where + " " if where else "") + f"with MMSI {event.with_mmsi}"
    return where


def reason_title(reason: Reason) -> str:
    e = reason.event
    kind = str(e.kind).replace("_", " ")
    if e.kind == EventKind.WATCHLIST:
        where = where_text(e)
    else:
        where = e.zone or (f"MMSI {e.with_mmsi}" if e.with_mmsi else "")
    return f"{kind}: {where}" if where else kind


class VesselTableModel(ColumnsModel):
    """One row per vessel, in the order the core gave (barred, review, clear, then MMSI)."""

    columns = COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[VesselVerdict] = []
        self._row_of: dict[int, int] = {}
        self._reviews: dict[int, Review] = {}

    def set_verdicts(self, verdicts: Sequence[VesselVerdict]) -> None:
        self.beginResetModel()
        self._rows = list(verdicts)
        self._row_of = {v.mmsi: i for i, v in enumerate(self._rows)}
        self.endResetModel()

    def set_reviews(self, reviews: Mapping[int, Review]) -> None:
        """The analyst's reviews by MMSI: a tick or cross in the Review column, the note as tip."""
        self._reviews = dict(reviews)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_REVIEW),
                self.index(len(self._rows) - 1, COL_REVIEW),
                [
                    Qt.ItemDataRole.DisplayRole,
                    Qt.ItemDataRole.DecorationRole,
                    Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.ForegroundRole,
                ],
            )

    def review_of(self, mmsi: int) -> Review | None:
        return self._reviews.get(mmsi)

    def vessel(self, row: int) -> VesselVerdict:
        return self._rows[row]

    def row_of(self, mmsi: int) -> int | None:
        return self._row_of.get(mmsi)

    def counts(self) -> dict[Verdict, int]:
        out = {v: 0 for v in Verdict}
        for vessel in self._rows:
            out[vessel.verdict] += 1
        return out

    def _row_count(self) -> int:
        return len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        vessel = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(vessel, col)
        if role == SORT_ROLE:
            return self._sort_key(vessel, col)
        if role == MMSI_ROLE:
            return vessel.mmsi
        stale = is_stale_clear(vessel)
        if stale and col in (COL_VERDICT, COL_REASON):
            # A clear that saw nothing recent is not the plain grey of a current clear.
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(style.STALE_CLEAR)
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(style.STALE_CLEAR_BACKGROUND)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            # (the verdict cell's tip is kept for the analyst's review)
            if role == Qt.ItemDataRole.ToolTipRole and col == COL_REASON and vessel.coverage:
                return stale_sentence(vessel.coverage)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_VERDICT:
            return QBrush(style.VERDICT_COLOURS[vessel.verdict].darker(120))
        if role == Qt.ItemDataRole.BackgroundRole and vessel.verdict == Verdict.BARRED:
            return QBrush(QColor(214, 39, 40, 28))
        if col == COL_REVIEW:
            return self._review_data(vessel, role)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_REASON:
            reason = main_reason(vessel)
            return reason.explanation if reason else None
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_HEARD:
            gap = most_heard_gap(vessel)
            return gap.explanation if gap else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            COL_MMSI, COL_IMO, COL_EVENTS, COL_HEARD
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _review_data(self, vessel: VesselVerdict, role: int) -> Any:
        review = self._reviews.get(vessel.mmsi)
        if review is None:
            return None
        current = review_is_current(review, vessel)
        if role == Qt.ItemDataRole.DisplayRole:
            return str(review.decision) if current else OUTDATED_REVIEW
        if role == Qt.ItemDataRole.DecorationRole:
            return review_icon(review.decision) if current else None
        if role == Qt.ItemDataRole.ToolTipRole:
            summary = review_summary(review)
            if current:
                return summary
            return f"{summary}. The verdict is now {vessel.verdict}: review it again."
        if role == Qt.ItemDataRole.ForegroundRole and not current:
            return QBrush(QColor(120, 120, 120))
        return None

    def _display(self, vessel: VesselVerdict, col: int) -> str:
        if col == COL_MMSI:
            return str(vessel.mmsi)
        if col == COL_NAME:
            return vessel.name or ""
        if col == COL_IMO:
            return "" if vessel.imo is None else str(vessel.imo)
        if col == COL_FLAG:
            return vessel.flag or ""
        if col == COL_VERDICT:
            return str(vessel.verdict)
        if col == COL_REVIEW:
            return str(self._review_data(vessel, Qt.ItemDataRole.DisplayRole) or "")
        if col == COL_BARRED:
            return fmt_utc(vessel.barred_until)
        if col == COL_LAST_KP:
            call = last_kp_call(vessel)
            return (
                "" if call is None else f"{fmt_utc(call.event.end)} {call.event.zone or ''}".strip()
            )
        if col == COL_EVENTS:
            return str(len(vessel.reasons))
        if col == COL_HEARD:
            return heard_text(most_heard_gap(vessel))
        if col == COL_REASON:
            if is_stale_clear(vessel) and vessel.coverage is not None:
                since = vessel.coverage.last_fix
                return f"stale: no AIS since {day(since)}" if since else "stale: no AIS"
            reason = main_reason(vessel)
            return no_main_reason_text(vessel) if reason is None else reason_title(reason)
        return ""

    def _sort_key(self, vessel: VesselVerdict, col: int) -> Any:
        # Empty values sort last in ascending order: a tuple (missing, value).
        if col == COL_MMSI:
            return vessel.mmsi
        if col == COL_IMO:
            return (vessel.imo is None, vessel.imo or 0)
        if col == COL_VERDICT:
            return (style.VERDICT_ORDER[vessel.verdict], vessel.mmsi)
        if col == COL_BARRED:
            t = vessel.barred_until
            return (t is None, t.timestamp() if t else 0.0)
        if col == COL_LAST_KP:
            call = last_kp_call(vessel)
            return (call is None, call.event.end.timestamp() if call else 0.0)
        if col == COL_EVENTS:
            return len(vessel.reasons)
        if col == COL_HEARD:  # vessels without a gap last; then by ships heard
            gap = most_heard_gap(vessel)
            return (gap is None, gap.event.details["others_heard_near"] if gap else 0)
        text = self._display(vessel, col)
        return (text == "", text.casefold())


class VesselFilterProxy(QSortFilterProxyModel):
    """Search text over MMSI, IMO and name, plus a set of verdicts to show."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._verdicts: set[Verdict] = set(Verdict)
        self.setSortRole(SORT_ROLE)

    def set_search(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_text", text.strip().casefold()))

    def set_verdicts(self, verdicts: set[Verdict]) -> None:
        self._refilter(lambda: setattr(self, "_verdicts", set(verdicts)))

    def _refilter(self, change: Callable[[], None]) -> None:
        # Qt 6.10 deprecates invalidateFilter() for the begin/endFilterChange pair.
        if hasattr(self, "beginFilterChange") and hasattr(self, "endFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, VesselTableModel):
            return True
        vessel = model.vessel(source_row)
        if vessel.verdict not in self._verdicts:
            return False
        if not self._text:
            return True
        haystack = (
            str(vessel.mmsi),
            "" if vessel.imo is None else str(vessel.imo),
            vessel.name or "",
        )
        return any(self._text in field.casefold() for field in haystack)

    def lessThan(self, left: _Index, right: _Index) -> bool:  # noqa: N802
        a = left.data(SORT_ROLE)
        b = right.data(SORT_ROLE)
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)
