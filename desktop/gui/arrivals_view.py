"""The Arrivals tab: an arrivals list screened against the loaded tracks, each vessel as of its ETA.

Everything shown comes from ``desktop.core.arrivals.screen_arrivals`` over the session's current
result (``ScreeningResult.reapply`` per ETA, the path `exposure arrivals` takes), run off the GUI
thread. Selecting a row shows that vessel's details and its track as of its ETA. File > Save
clearance sheet writes ``desktop.core.clearance`` as HTML or as a PDF (A4 or US Letter).

The Open and Save dialogs are attributes (``ask_open_path``, ``ask_save_path``) so that tests
replace them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush
from PySide6.QtWidgets import (
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.arrivals import (
    OUTCOMES,
    ArrivalLine,
    ArrivalsResult,
    eta_text,
    last_ais,
    read_arrivals,
    result_source,
    screen_arrivals,
)
from desktop.core.clearance import to_clearance_html
from desktop.core.errors import ExposureError
from desktop.core.model import Verdict
from desktop.gui import style
from desktop.gui.export_actions import (
    ask_save_path,
    chosen_path,
    default_page_size,
    png_bytes,
    write_and_tell,
    write_document,
)
from desktop.gui.table_model import ColumnsModel
from desktop.gui.tasks import Task

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from desktop.gui.details import DetailsPanel
    from desktop.gui.map_view import MapView
    from desktop.gui.notifier import Notifier
    from desktop.gui.session import Session

COLUMNS: Final = (
    "ETA (UTC)",
    "Port",
    "Vessel as listed",
    "Match",
    "Verdict at ETA",
    "Earliest permitted arrival (UTC)",
    "Last AIS (UTC)",
)
COL_ETA, COL_PORT, COL_LISTED, COL_MATCH, COL_VERDICT, COL_EARLIEST, COL_LAST = range(
    len(COLUMNS)
)
SORT_ROLE: Final = Qt.ItemDataRole.UserRole + 11
LINE_ROLE: Final = Qt.ItemDataRole.UserRole + 12
LIST_FILTER: Final = "Arrivals lists (*.csv *.xlsx *.xlsm);;All files (*)"
SHEET_FILTER: Final = (
    "Clearance sheet, HTML (*.html);;Clearance sheet, PDF (*.pdf)"
)
_Index = QModelIndex | QPersistentModelIndex


def verdict_text(line: ArrivalLine) -> str:
    """'barred', 'clear (stale)', 'no data', ... as the table shows it."""
    cov = line.coverage
    if line.outcome == "clear" and cov is not None and cov.stale:
        return "clear (stale)"
    return line.outcome.replace("_", " ")


def match_text(line: ArrivalLine) -> str:
    if line.match is None:
        return "-"
    how = {"imo": "by IMO", "mmsi": "by MMSI", "name": "by name only"}[line.match.by]
    return f"{line.match.mmsi} {how}"


def earliest_text(line: ArrivalLine) -> str:
    if line.barred_until is not None:
        return line.barred_until.strftime("%Y-%m-%d %H:%M")
    if line.outcome in ("barred", "review", "clear"):
        return "at ETA"
    return "-"


class ArrivalsModel(ColumnsModel):
    """One row per arrival of an ``ArrivalsResult``, in the list's order."""

    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.result: ArrivalsResult | None = None
        self._lines: list[ArrivalLine] = []

    def set_result(self, result: ArrivalsResult | None) -> None:
        self.beginResetModel()
        self.result = result
        self._lines = [] if result is None else list(result.lines)
        self.endResetModel()

    def line(self, row: int) -> ArrivalLine:
        return self._lines[row]

    def _row_count(self) -> int:
        return len(self._lines)

    def display(self, line: ArrivalLine, col: int) -> str:
        a = line.arrival
        return {
            COL_ETA: eta_text(line),
            COL_PORT: a.port or "",
            COL_LISTED: a.as_listed,
            COL_MATCH: match_text(line),
            COL_VERDICT: verdict_text(line),
            COL_EARLIEST: earliest_text(line),
            COL_LAST: last_ais(line).replace(" stale", ""),
        }[col]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(line, col)
        if role == LINE_ROLE:
            return index.row()
        if role == SORT_ROLE:
            if col == COL_ETA:  # unusable rows without an ETA last, then the list's order
                eta = line.arrival.eta
                return (eta is None, eta.timestamp() if eta else 0.0, line.arrival.line)
            if col == COL_VERDICT:
                return (OUTCOMES.index(line.outcome), line.arrival.line)
            return (self.display(line, col).casefold(), line.arrival.line)
        stale = verdict_text(line) == "clear (stale)"
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_VERDICT:
            if stale:
                return QBrush(style.STALE_CLEAR)
            if line.outcome in ("barred", "review", "clear"):
                return QBrush(style.VERDICT_COLOURS[Verdict(line.outcome)].darker(120))
        if role == Qt.ItemDataRole.BackgroundRole:
            if line.outcome == "barred":
                return QBrush(style.VERDICT_COLOURS[Verdict.BARRED].lighter(190))
            if stale and col in (COL_VERDICT, COL_LAST):
                return QBrush(style.STALE_CLEAR_BACKGROUND)
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.reason_text()
        return None


class ArrivalsProxy(QSortFilterProxyModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: _Index, right: _Index) -> bool:  # noqa: N802
        return bool(left.data(SORT_ROLE) < right.data(SORT_ROLE))


class ArrivalsPanel(QWidget):
    """The Arrivals tab: the list's name and counts, and the table sorted by ETA."""

    line_selected = Signal(object)  # ArrivalLine

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ArrivalsModel(self)
        self.proxy = ArrivalsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_ETA, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(24)
        self.summary = QLabel("No arrivals list: File > Open arrivals list…")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)

    def set_result(self, result: ArrivalsResult | None) -> None:
        self.model.set_result(result)
        if result is None:
            self.summary.setText("No arrivals list: File > Open arrivals list…")
            return
        counts = result.counts()
        self.summary.setText(
            f"<b>{Path(result.list.path).name}</b>: {len(result.lines)} arrivals, "
            + ", ".join(f"{counts[o]} {o.replace('_', ' ')}" for o in OUTCOMES)
            + ". Each vessel screened as of its ETA."
        )
        self.table.resizeColumnsToContents()

    def rows(self) -> list[list[str]]:
        """The table as shown (sorted), one list of cell texts per row."""
        return [
            [str(self.proxy.index(r, c).data()) for c in range(len(COLUMNS))]
            for r in range(self.proxy.rowCount())
        ]

    def select_row(self, row: int) -> None:
        """Select the row ``row`` of the table as shown."""
        self.table.selectRow(row)

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.line_selected.emit(self.model.line(int(current.data(LINE_ROLE))))


AskPath = Callable[[QWidget, str, str, str], str]


def _ask_open(parent: QWidget, title: str, start: str, name_filter: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, title, start, name_filter)
    return str(path)


class ArrivalsController(QObject):
    """Opens an arrivals list for the window, keeps it screened, and saves its clearance sheet.

    It takes what it needs, not the window: the session (the data screened), the notifier, the
    map and the details (a selected arrival shows there as of its ETA), the status bar, the
    folder to start dialogs in, and ``restore_map`` to put the user's time filter back.
    """

    screened = Signal(object)  # ArrivalsResult

    def __init__(
        self,
        parent: QWidget,
        session: Session,
        notifier: Notifier,
        map_view: MapView,
        details: DetailsPanel,
        status: QStatusBar,
        *,
        start_dir: Callable[[], str],
        restore_map: Callable[[], None],
    ) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.session = session
        self.notifier = notifier
        self.map = map_view
        self.details = details
        self.status = status
        self._start_dir = start_dir
        self._restore_map = restore_map
        self.panel = ArrivalsPanel()
        self.ask_open_path: AskPath = _ask_open
        self.ask_save_path: AskPath = ask_save_path
        self.page_size = default_page_size()
        self.list_path: str | None = None
        self.result: ArrivalsResult | None = None
        self.task: Task | None = None
        self._screened_with: tuple[Any, ...] | None = None
        self.last_written: Path | None = None
        self.act_open = QAction("Open arrivals list…", parent)
        self.act_open.setToolTip(
            "Screen the vessels of an arrivals list (CSV or XLSX), each as of its ETA"
        )
        self.act_open.triggered.connect(self.ask_open)
        self.act_sheet = QAction("Save clearance sheet…", parent)
        self.act_sheet.setEnabled(False)
        self.act_sheet.triggered.connect(self.save_sheet)
        self.panel.line_selected.connect(self.show_line)

    # ---- opening and screening ------------------------------------------------------------

    def ask_open(self) -> None:
        path = self.ask_open_path(
            self.parent_widget, "Open arrivals list", self._start_dir(), LIST_FILTER
        )
        if path:
            self.open(path)

    def open(self, path: str | Path) -> Task | None:
        """Read the list and screen it against the loaded tracks (off the GUI thread)."""
        current = self.session.current
        if current is None or current.result is None:
            self.notifier.error(
                "No tracks loaded", "Open the AIS tracks first: arrivals are screened against them."
            )
            return None
        self.list_path = str(path)
        return self._run(current.result)

    def _key(self, result: Any) -> tuple[Any, ...]:
        # What a screening depends on, except the as-of instant: every arrival has its own.
        return (id(result.ingest), result.params, id(result.zones), id(result.watchlist))

    def refresh(self) -> None:
        """Screen the open list again when the data, parameters, zones or watch list changed."""
        current = self.session.current
        if self.list_path is None or current is None or current.result is None:
            return
        if self._key(current.result) != self._screened_with:
            self._run(current.result)

    def _run(self, base: Any) -> Task:
        path = self.list_path
        assert path is not None

        request = self.session.current.archive if self.session.current else None
        cluster = bool(getattr(request, "scheduler", None))

        def work(progress: Any, cancel: Any) -> ArrivalsResult:
            progress(0.0, "reading the arrivals list")
            listed = read_arrivals(path)
            if cluster:
                return _arrivals_on_cluster(listed, request, base)
            return screen_arrivals(listed, result_source(base), base.params, _inputs_of(base))

        if self.task is not None:
            self.task.cancel()
        task = Task(work, "Screening the arrivals")
        key = self._key(base)
        task.signals.done.connect(lambda value, t=task: self._on_done(t, value, key))
        task.signals.failed.connect(lambda exc, tb, t=task: self._on_failed(t, exc, tb))
        self.task = task
        task.start()
        return task

    def _on_done(self, task: Task, result: ArrivalsResult, key: tuple[Any, ...]) -> None:
        if task is not self.task:
            return
        self.task = None
        self.result = result
        self._screened_with = key
        self.panel.set_result(result)
        self.act_sheet.setEnabled(True)
        self.screened.emit(result)

    def _on_failed(self, task: Task, exc: BaseException, tb: str) -> None:
        if task is not self.task:
            return
        self.task = None
        if isinstance(exc, ExposureError):
            self.notifier.error("Could not open the arrivals list", str(exc))
        else:
            self.notifier.error(
                "Could not open the arrivals list", f"{type(exc).__name__}: {exc}", tb
            )

    # ---- showing a line --------------------------------------------------------------------

    def show_line(self, line: ArrivalLine) -> None:
        """The vessel's details and its track as of the arrival's ETA."""
        self.details.show_vessel(line.vessel)
        if line.vessel is None:  # no data or an unusable row: say why, not "no vessel selected"
            self.details.banner.setText(
                f"{line.outcome.replace('_', ' ').upper()}: {line.reason_text()}"
            )
        mmsi = line.match.mmsi if line.match is not None else None
        self.map.set_selected(mmsi)
        eta = line.arrival.eta
        if line.match is not None and eta is not None:
            self.map.set_time_range(None, eta)  # the track as the screening saw it
            self.map.fit_selection()

    # ---- the clearance sheet ---------------------------------------------------------------

    def _maps(self, result: ArrivalsResult) -> dict[int, bytes]:
        """A PNG of each barred or review vessel's track as of its ETA (the user's view is put
        back after)."""

        view = self.map
        saved = (view.center_m, view.m_per_px, view.selected_mmsi)
        maps: dict[int, bytes] = {}
        try:
            for line in result.lines:
                if line.outcome not in ("barred", "review") or line.match is None:
                    continue
                view.set_selected(line.match.mmsi)
                view.set_time_range(None, line.arrival.eta)
                view.fit_selection()
                maps[line.arrival.line] = png_bytes(view)
        finally:
            view.center_m, view.m_per_px = saved[0], saved[1]
            view.set_selected(saved[2])
            self._restore_map()
            view.update()
        return maps

    def save_sheet(self) -> Path | None:
        result = self.result
        if result is None:
            self.notifier.error("No arrivals list", "Open an arrivals list first.")
            return None
        stem = f"clearance-{Path(result.list.path).stem}"
        start = str(Path(self._start_dir()) / f"{stem}.pdf")
        chosen = self.ask_save_path(
            self.parent_widget, "Save clearance sheet", start, SHEET_FILTER
        )
        path = chosen_path(chosen, ".pdf")
        if path is None:
            return None
        text = to_clearance_html(result, self._maps(result))
        page, title = self.page_size, "Clearance sheet"
        if not write_and_tell(
            path, lambda p: write_document(text, p, page, title), self.notifier, self.status
        ):
            return None
        self.last_written = path
        return path


def _arrivals_on_cluster(listed: Any, request: Any, base: Any) -> ArrivalsResult:
    """The list screened on the Dask cluster the data were screened on (its workers keep the
    fixes, so ``result_source`` has nothing to re-screen): each ETA as
    ``exposure arrivals LIST --archive ARCHIVE --engine dask`` screens it."""
    from desktop.core.arrivals import archive_source
    from desktop.core.scaleout.archive import screen_archive_on_dask
    from desktop.core.scaleout.engine import dask_client

    with dask_client(request.scheduler) as client:
        source, inputs = archive_source(
            request.archive, listed, base.zones, base.params, base.watchlist,
            screen_archive=partial(screen_archive_on_dask, client),
        )
        return screen_arrivals(listed, source, base.params, inputs)


def _inputs_of(result: Any) -> list[dict[str, Any]]:
    """The track files of ``result`` with their SHA-256 (None for what is not a file)."""
    from desktop.core.arrivals import sha256_of

    out = []
    for report in getattr(result.ingest, "reports", []) or []:
        try:
            digest: str | None = sha256_of(report.path)
        except ExposureError:
            digest = None
        out.append({"path": report.path, "format": report.format, "lines": int(report.lines),
                    "fixes": int(report.fixes), "sha256": digest})
    return out
