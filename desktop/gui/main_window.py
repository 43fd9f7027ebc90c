"""The main window: map on the left, vessel list and details on the right, status at the bottom."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import ParameterError
from desktop.core.model import Event, Verdict, VesselVerdict
from desktop.core.screening import AS_OF_MAX, AS_OF_MIN
from desktop.gui import help as help_pages
from desktop.gui import style
from desktop.gui.arrivals_view import ArrivalsController
from desktop.gui.banner import DataEndBanner, VerdictLegend
from desktop.gui.date_field import DateField
from desktop.gui.details import DetailsPanel
from desktop.gui.export_actions import ExportActions
from desktop.gui.map_view import MapView
from desktop.gui.notifier import Notifier
from desktop.gui.params_dialog import ParamsDialog
from desktop.gui.review_panel import ReviewKeeper, vessel_label
from desktop.gui.session import Loaded, Problem, Session
from desktop.gui.tasks import Task
from desktop.gui.vessel_table import (
    MMSI_ROLE,
    VesselFilterProxy,
    VesselTableModel,
)

MAX_RECENT: Final = 8
COLUMN_SAMPLES: Final = (
    "999999999",
    "EXAMPLE SHIP NAME",
    "9999999",
    "WW",
    "review",
    "verdict changed",
    "2026-12-30 06:20",
    "2026-07-03 06:20 Chongjin",
    "99",
    "sts transfer: MMSI 999999999",
)
TRACK_FILTER: Final = (
    "AIS tracks (*.nmea *.nmea.gz *.txt *.log *.ais *.csv *.csv.gz *.zip *.parquet *.geoparquet "
    "*.gpkg *.json *.jsonl *.gz);;All files (*)"
)
ZONE_FILTER: Final = "GeoJSON zones (*.geojson *.json);;All files (*)"
WATCHLIST_FILTER: Final = (
    "Watch list: OFAC SDN, UN 1718, UK, EU or in-house CSV (*.csv *.CSV);;All files (*)"
)
CANCELLED_MESSAGE: Final = "Cancelled; the data on screen is unchanged"

AskOpenPaths = Callable[[QWidget, str], list[str]]


def ask_watchlist_paths(parent: QWidget, start_dir: str) -> list[str]:
    """The platform's Open dialog for a watch list; [] when cancelled."""
    paths, _ = QFileDialog.getOpenFileNames(
        parent,
        "Open watch list (OFAC SDN sdn.csv with alt.csv, or a CSV list with a header)",
        start_dir,
        WATCHLIST_FILTER,
    )
    return [str(p) for p in paths]


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def watchlist_text(watchlist: Any, paths: Sequence[str]) -> str:
    """What the status bar says of the loaded lists, e.g. 'Watch list: sdn.csv (OFAC SDN, 3
    vessels)' or 'Watch lists: sdn.csv, un.csv (OFAC SDN, UN 1718, 9 vessels; 2 rows not
    used)'; '' for none."""
    if watchlist is None:
        return ""
    names = ", ".join(Path(p).name or p for p in paths)
    label = "Watch list" if len(paths) <= 1 else "Watch lists"
    bad = watchlist.bad_rows()
    tail = f"; {_counted(bad, 'row', 'rows')} not used" if bad else ""
    vessels = _counted(len(watchlist), "vessel", "vessels")
    return f"{label}: {names} ({watchlist.name}, {vessels}{tail})"


def watchlist_path_text(watchlist: Any, path: str) -> str:
    """One loaded path in File > Watch lists: 'un1718.csv (UN 1718, 3 vessels, 1 row not
    used)'. A folder counts the files read in it."""
    inside = Path(path)

    def of_path(file: str) -> bool:
        return file == path or Path(file).parent == inside

    entries = [e for e in watchlist.entries if of_path(e.source)]
    lists = ", ".join(dict.fromkeys(e.list_name for e in entries)) or "no vessel"
    bad = sum(r.bad_rows for r in watchlist.reports if of_path(r.path))
    text = f"{inside.name or path} ({lists}, {_counted(len(entries), 'vessel', 'vessels')}"
    return text + (f", {_counted(bad, 'row', 'rows')} not used)" if bad else ")")


def start_of_day_utc(d: date) -> datetime:
    """DESIGN §1: a date means 00:00 UTC of that day."""
    return datetime.combine(d, time(0, 0), tzinfo=UTC)


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: Session | None = None,
        settings: QSettings | None = None,
        notifier: Notifier | None = None,
        review_folder: str | Path | None = None,
    ) -> None:
        """``review_folder``: where reviews are kept (None: the user data folder)."""
        super().__init__()
        self.setWindowTitle("Maritime Exposure Check: EO 13810 180-day rule")
        self.setAcceptDrops(True)
        self.session = session or Session(parent=self)
        self.settings = settings or QSettings("MaritimeExposure", "ExposureCheck")
        self.notifier = notifier or Notifier(self)
        # The watch-list Open dialog; tests replace it (as ``exports.ask_save_path``).
        self.ask_watchlist_paths: AskOpenPaths = ask_watchlist_paths
        self.selected_mmsi: int | None = None
        self._verdict_of: dict[int, VesselVerdict] = {}
        self._syncing = False

        self.map = MapView()
        self.model = VesselTableModel(self)
        self.proxy = VesselFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the core's order first
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.details = DetailsPanel()
        self._columns_sized = False
        self.review_keeper = ReviewKeeper(
            self.details.review, self.notifier, self._as_of_on_screen, review_folder,
            inputs=self._inputs_on_screen, parent=self,
        )
        self.review_keeper.reviews_changed.connect(self.model.set_reviews)
        self.review_keeper.saved.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.exports = ExportActions(
            self,
            self.session,
            self.map,
            self.settings,
            self.notifier,
            self.statusBar(),
            selected_mmsi=lambda: self.selected_mmsi,
            listed_mmsis=self.listed_mmsis,
            reviews=self.review_keeper.reviews,
        )
        self.help_dialogs: dict[str, help_pages.HelpDialog] = {}
        self.banner = DataEndBanner()
        self.banner.use_data_end.connect(self.set_as_of_instant)
        self.arrivals = ArrivalsController(
            self,
            self.session,
            self.notifier,
            self.map,
            self.details,
            self.statusBar(),
            start_dir=self._last_dir,
            restore_map=self._apply_time_filter,
        )

        self._build_vessel_panel()
        self._build_toolbar()
        self._build_menus()
        self._build_status()

        # The vessel list and the arrivals list share the place above the details.
        self.tabs = QTabWidget()
        self.tabs.addTab(self.vessel_panel, "Vessels")
        self.tabs.addTab(self.arrivals.panel, "Arrivals")
        self.tabs.currentChanged.connect(self._on_tab)
        self.arrivals.screened.connect(lambda _r: self.tabs.setCurrentWidget(self.arrivals.panel))
        self.arrivals.panel.line_selected.connect(self._on_arrival_line)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.tabs)
        right.addWidget(self.details)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        # The as-of trap banner sits over the map, where the user reads the colours.
        self.map_panel = QWidget()
        map_layout = QVBoxLayout(self.map_panel)
        map_layout.setContentsMargins(0, 0, 0, 0)
        map_layout.setSpacing(0)
        map_layout.addWidget(self.banner)
        map_layout.addWidget(self.map, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.map_panel)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.right_splitter = right
        self.setCentralWidget(self.splitter)

        self.table.selectionModel().currentRowChanged.connect(self._on_table_row)
        self.map.vessel_clicked.connect(self.select_vessel)
        self.map.cursor_moved.connect(self._on_cursor)
        self.details.event_activated.connect(self.centre_on_event)
        self.session.loaded.connect(self._on_loaded)
        self.session.rescreened.connect(self._on_rescreened)
        self.session.zones_changed.connect(lambda zones: self.map.set_zones(zones.frame))
        self.session.watchlist_changed.connect(self._on_watchlist)
        self.session.problem.connect(self._on_problem)
        self.session.busy_changed.connect(self._on_busy)
        self.session.progress.connect(self._on_progress)
        self.resize(1500, 950)
        self.splitter.setSizes([880, 620])
        self.right_splitter.setSizes([380, 520])
        self._restore_settings()
        self.layers_task: Task | None = None

    def load_background_layers(self) -> Task:
        """Load the basemap and the default zones in a thread; the map repaints when they arrive."""
        task = Task(_load_background_layers, "Loading the basemap")
        task.signals.done.connect(self._on_layers)
        self.layers_task = task
        task.start()
        return task

    def _on_layers(self, value: tuple[Any, Any, list[str]]) -> None:
        land, zones, notes = value
        if land:
            self.map.set_land(land)
        if zones is not None and self.session.current is None:
            self.map.set_zones(zones.frame)
        if notes:
            self.statusBar().showMessage("; ".join(notes), 10_000)
        self.layers_task = None

    # ---- construction -------------------------------------------------------------------

    def _build_vessel_panel(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search MMSI, IMO or name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(
            lambda text: self._refilter(lambda: self.proxy.set_search(text))
        )
        self.verdict_boxes: dict[Verdict, QCheckBox] = {}
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        for verdict in Verdict:
            box = QCheckBox(str(verdict))
            box.setChecked(True)
            box.setStyleSheet(f"color: {style.VERDICT_COLOURS[verdict].darker(120).name()};")
            box.toggled.connect(self._on_verdict_filter)
            self.verdict_boxes[verdict] = box
            filters.addWidget(box)
        self.vessel_panel = QWidget()
        layout = QVBoxLayout(self.vessel_panel)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        self.legend = VerdictLegend()
        layout.addWidget(self.legend)
        # The legend and the tab bar take a few lines: let the list shrink for them in a small
        # window rather than grow the window's minimum height.
        self.table.setMinimumHeight(24)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Screening")
        bar.setObjectName("screening_toolbar")
        self.addToolBar(bar)
        self.screening_bar = bar
        self.act_open = QAction("Open tracks…", self)
        self.act_open.setShortcut(QKeySequence.StandardKey.Open)
        self.act_open.triggered.connect(self.ask_open_tracks)
        self.act_zones = QAction("Open zones…", self)
        self.act_zones.triggered.connect(self.ask_open_zones)
        self.act_archive = QAction("Open archive…", self)
        self.act_archive.setToolTip("Read days of an AIS archive (exposure archive add)")
        self.act_archive.triggered.connect(self.ask_open_archive)
        self.act_watchlist = QAction("Open watch list…", self)
        self.act_watchlist.setToolTip(
            "Check the vessels against a watch list: OFAC's SDN list (sdn.csv, with alt.csv)"
        )
        self.act_watchlist.triggered.connect(self.ask_open_watchlist)
        self.act_clear_watchlist = QAction("Clear watch lists", self)
        self.act_clear_watchlist.setEnabled(False)
        self.act_clear_watchlist.triggered.connect(self.clear_watchlist)
        self.act_params = QAction("Parameters…", self)
        self.act_params.triggered.connect(self.edit_params)
        self.act_fit = QAction("Fit to selection", self)
        self.act_fit.setIconText("Fit")
        self.act_fit.setToolTip("Fit the map to the selected vessel's track (F)")
        self.act_fit.setShortcut(QKeySequence("F"))
        self.act_fit.triggered.connect(self.map.fit_selection)
        bar.addAction(self.act_open)
        bar.addAction(self.act_zones)
        bar.addAction(self.exports.act_report)
        bar.addSeparator()
        # Short labels, so that the toolbars take little room (the tooltips say the rest).
        as_of_label = QLabel(" As of: ")
        as_of_label.setToolTip("The rule is applied as of 00:00 UTC of this date")
        bar.addWidget(as_of_label)
        self.as_of_edit = DateField(datetime.now(UTC).date(), "the as-of date")
        self.as_of_edit.setToolTip(
            "Apply the rule as of this date, 00:00 UTC: type YYYY-MM-DD and press Enter, "
            "or pick it on the calendar"
        )
        # the core's range (nanosecond times): dates outside it are refused
        self.as_of_edit.set_range(AS_OF_MIN.date(), AS_OF_MAX.date())
        self.as_of_edit.applied.connect(self._on_as_of_date)
        self.as_of_edit.refused.connect(self._on_date_refused)
        bar.addWidget(self.as_of_edit)
        # An action, not a push button: a toolbar button is as narrow as its text.
        self.act_now = QAction("Now", self)
        self.act_now.setToolTip("Apply the rule as of this moment (UTC)")
        self.act_now.triggered.connect(self.set_as_of_now)
        bar.addAction(self.act_now)
        bar.addAction(self.act_params)
        # The map's tools in a toolbar of their own, which moves to a second row when the
        # window is too narrow for both (see resizeEvent): nothing hides behind a "»".
        bar = QToolBar("Map")
        bar.setObjectName("map_toolbar")
        self.addToolBar(bar)
        self.map_bar = bar
        bar.addAction(self.act_fit)
        bar.addSeparator()
        self.time_filter = QCheckBox("Fixes from")
        self.time_filter.setToolTip("Limit the tracks on the map to a date range (UTC)")
        today = datetime.now(UTC).date()
        self.time_from = DateField(today, "the first day shown")
        self.time_to = DateField(today, "the last day shown")
        for edit in (self.time_from, self.time_to):
            edit.applied.connect(self._apply_time_filter)
            edit.refused.connect(self._on_date_refused)
        self.time_filter.toggled.connect(self._apply_time_filter)
        bar.addWidget(self.time_filter)
        bar.addWidget(self.time_from)
        bar.addWidget(QLabel(" to "))
        bar.addWidget(self.time_to)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_toolbars()

    def _fit_toolbars(self) -> None:
        """The map toolbar on a row of its own when both toolbars do not fit in one."""
        # Counted with the longest Save report text, so that selecting a vessel does not make
        # the rows jump.
        metrics = self.screening_bar.fontMetrics()
        longest = metrics.horizontalAdvance("Save report of 999999999…")
        shown = metrics.horizontalAdvance(self.exports.act_report.text())
        needed = (
            self.screening_bar.sizeHint().width()
            + self.map_bar.sizeHint().width()
            + max(0, longest - shown)
        )
        two_rows = self.toolBarBreak(self.map_bar)
        if needed > self.width() and not two_rows:
            self.insertToolBarBreak(self.map_bar)
        elif needed <= self.width() and two_rows:
            self.removeToolBarBreak(self.map_bar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.act_open)
        file_menu.addAction(self.act_archive)
        file_menu.addAction(self.act_zones)
        file_menu.addAction(self.act_watchlist)
        self.watchlist_menu = QMenu("Watch lists", self)  # one Remove per loaded path
        self.watchlist_menu.setEnabled(False)
        file_menu.addMenu(self.watchlist_menu)
        file_menu.addAction(self.act_clear_watchlist)
        file_menu.addAction(self.arrivals.act_open)
        self.recent_menu = QMenu("Recent files", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        self.exports.add_to(file_menu)
        file_menu.addAction(self.arrivals.act_sheet)
        file_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.act_fit)
        fit_all = QAction("Fit all tracks", self)
        fit_all.triggered.connect(self.fit_all)
        view_menu.addAction(fit_all)
        screening_menu = self.menuBar().addMenu("&Screening")
        screening_menu.addAction(self.act_params)
        self._build_help_menu()
        self._refresh_recent_menu()

    def _build_help_menu(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        self.act_guide = QAction("User guide", self)
        self.act_guide.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.act_guide.triggered.connect(self.show_user_guide)
        self.act_shortcuts = QAction("Keyboard shortcuts", self)
        self.act_shortcuts.triggered.connect(self.show_shortcuts)
        self.act_about = QAction("About", self)
        self.act_about.triggered.connect(self.show_about)
        for action in (self.act_guide, self.act_shortcuts, self.act_about):
            help_menu.addAction(action)
        self.help_menu = help_menu

    def _build_status(self) -> None:
        status = self.statusBar()
        self.counts_label = QLabel("No tracks loaded")
        self.as_of_label = QLabel("")
        self.watchlist_label = QLabel("")
        self.watchlist_label.setVisible(False)
        self.cursor_label = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setFormat("%p%")
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_work)
        status.addWidget(self.counts_label)
        status.addWidget(self.as_of_label)
        status.addWidget(self.watchlist_label)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        status.addPermanentWidget(self.cursor_label)
        # A status bar that grows when the progress bar appears would relayout and repaint the
        # whole window at the start of every job: fix its height once.
        status.setFixedHeight(
            max(self.progress_bar.sizeHint().height(), self.cancel_button.sizeHint().height()) + 6
        )
        self._on_busy(False, "")

    # ---- files ----------------------------------------------------------------------------

    def ask_open_tracks(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open AIS tracks", self._last_dir(), TRACK_FILTER
        )
        if paths:
            self.open_tracks(paths)

    def ask_open_archive(self) -> None:
        from desktop.gui.archive_dialog import ArchiveDialog

        dialog = ArchiveDialog(
            self, self.session.as_of, self.session.params.window_days, self._last_dir(),
            scheduler=str(self.settings.value("compute_scheduler", "") or ""),
            on_dask=str(self.settings.value("compute", "local")) == "dask",
        )
        if dialog.exec():
            # the Compute setting: where the next archive is screened too
            self.settings.setValue("compute", "dask" if dialog.on_dask else "local")
            self.settings.setValue("compute_scheduler", dialog.scheduler.text().strip())
            self.session.open_archive(dialog.request())

    def ask_open_zones(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open zones", self._last_dir(), ZONE_FILTER)
        if paths:
            self.open_zones(paths)

    def ask_open_watchlist(self) -> None:
        paths = self.ask_watchlist_paths(self, self._last_dir())
        if paths:
            self.open_watchlist(paths)

    def open_watchlist(self, paths: Sequence[str | Path]) -> None:
        """Add watch lists to those loaded, off the GUI thread; the loaded tracks are screened
        again with them all. A list already loaded is read again (it may have changed)."""
        names = [str(p) for p in paths]
        if names:
            self._remember(names, watchlists=True)
        held = [p for p in self.session.watchlist_paths if p not in names]
        self.session.open_watchlist(held + names)

    def remove_watchlist(self, path: str) -> None:
        """Check the other lists only (none left: as Clear watch lists)."""
        rest = [p for p in self.session.watchlist_paths if p != path]
        if rest:
            self.session.open_watchlist(rest)
        else:
            self.session.clear_watchlist()

    def clear_watchlist(self) -> None:
        self.session.clear_watchlist()

    def _on_watchlist(self, watchlist: Any) -> None:
        paths = self.session.watchlist_paths
        text = watchlist_text(watchlist, paths)
        self.watchlist_label.setText(text)
        # the paths, then what could not be used in them (file, line, why)
        problems = watchlist.problem_lines() if watchlist is not None else []
        self.watchlist_label.setToolTip("\n".join(paths + problems))
        self.watchlist_label.setVisible(bool(text))
        self.act_clear_watchlist.setEnabled(watchlist is not None)
        self.watchlist_menu.clear()
        for path in paths if watchlist is not None else []:
            action = self.watchlist_menu.addAction(
                f"Remove {watchlist_path_text(watchlist, path)}"
            )
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.remove_watchlist(p))
        self.watchlist_menu.setEnabled(watchlist is not None)

    def open_tracks(self, paths: Sequence[str | Path]) -> None:
        names = [str(p) for p in paths]
        self._remember(names)
        self.session.open_tracks(names)

    def open_zones(self, paths: Sequence[str | Path]) -> None:
        names = [str(p) for p in paths]
        self._remember(names)
        self.session.open_zones(names)

    def _remember(self, names: list[str], watchlists: bool = False) -> None:
        if not names:
            return
        first = Path(names[0])
        self.settings.setValue("last_dir", str(first if first.is_dir() else first.parent))
        recent = [n for n in self._recent() if n not in names]
        self.settings.setValue("recent_files", (names + recent)[:MAX_RECENT])
        # which recent files are watch lists: a CSV could be tracks or a list
        marked = [n for n in self._recent_watchlists() if n not in names]
        marked = (names if watchlists else []) + marked
        self.settings.setValue("recent_watchlists", [n for n in marked if n in self._recent()])
        self._refresh_recent_menu()

    def _recent_watchlists(self) -> list[str]:
        value: Any = self.settings.value("recent_watchlists", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _recent(self) -> list[str]:
        value: Any = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        watchlists = set(self._recent_watchlists())
        for name in self._recent():
            if name in watchlists:
                action = self.recent_menu.addAction(f"{name} (watch list)")
                action.triggered.connect(lambda _=False, n=name: self.open_watchlist([n]))
                continue
            action = self.recent_menu.addAction(name)
            if name.lower().endswith(".geojson"):
                action.triggered.connect(lambda _=False, n=name: self.open_zones([n]))
            else:
                action.triggered.connect(lambda _=False, n=name: self.open_tracks([n]))
        self.recent_menu.setEnabled(bool(self._recent()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        zones = [p for p in paths if p.lower().endswith(".geojson")]
        tracks = [p for p in paths if p not in zones]
        if zones:
            self.open_zones(zones)
        if tracks:
            self.open_tracks(tracks)
        event.acceptProposedAction()

    # ---- settings -------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window_state")
        if state is not None:
            self.restoreState(state)
        for key, splitter in (("splitter", self.splitter), ("right_splitter", self.right_splitter)):
            value = self.settings.value(key)
            if value is not None:
                splitter.restoreState(value)

    def save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("right_splitter", self.right_splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.session.cancel()
        self.save_settings()
        super().closeEvent(event)

    # ---- results --------------------------------------------------------------------------

    def _on_loaded(self, loaded: Loaded) -> None:
        self._show_result(loaded, new_tracks=True)

    def _on_rescreened(self, loaded: Loaded) -> None:
        self._show_result(loaded, new_tracks=False)

    def _show_result(self, loaded: Loaded, *, new_tracks: bool) -> None:
        result = loaded.result
        verdicts: list[VesselVerdict] = list(result.verdicts)
        self._verdict_of = {v.mmsi: v for v in verdicts}
        self.map.window_days = self.details.window_days = result.params.window_days
        colour_of = {v.mmsi: v.verdict for v in verdicts}
        if new_tracks:
            self.map.set_tracks(loaded.tracks, colour_of)
        else:
            self.map.set_verdicts(colour_of)
        self.map.set_events(list(result.events))
        zones = getattr(result, "zones", None)
        if zones is not None:
            self.map.set_zones(zones.frame)
        self._syncing = True
        try:
            self.model.set_verdicts(verdicts)
        finally:
            self._syncing = False
        self.review_keeper.open()  # the table's review marks, before any selection
        self.banner.show_for(result)
        self.legend.set_stale_after_h(result.params.stale_after_h)
        self.arrivals.refresh()
        if not self._columns_sized:
            self._size_columns()
        if new_tracks:
            self._reset_time_filter(loaded)
            self.map.fit_bounds(loaded.tracks.bounds_m())
        keep = self.selected_mmsi if self.selected_mmsi in self._verdict_of else None
        self.selected_mmsi = None
        self.select_vessel(keep)
        self._update_counts()

    def _size_columns(self) -> None:
        """Widths from typical contents: measuring every row of a big load blocks the GUI."""
        metrics = self.table.fontMetrics()
        for col, sample in enumerate(COLUMN_SAMPLES):
            header = self.model.headerData(col, Qt.Orientation.Horizontal)
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(header))
            self.table.setColumnWidth(col, width + 18)
        self._columns_sized = True

    def _update_counts(self) -> None:
        counts = self.model.counts()
        self.counts_label.setText(
            f"{len(self._verdict_of)} vessels: "
            f"<b style='color:{style.VERDICT_COLOURS[Verdict.BARRED].name()}'>"
            f"{counts[Verdict.BARRED]} barred</b> · "
            f"<b style='color:{style.VERDICT_COLOURS[Verdict.REVIEW].darker(120).name()}'>"
            f"{counts[Verdict.REVIEW]} review</b> · {counts[Verdict.CLEAR]} clear"
        )
        current = self.session.current
        if current is not None:
            as_of = current.result.as_of
            params = current.result.params
            self.as_of_label.setText(
                f"as of {as_of.strftime('%Y-%m-%d %H:%M')} UTC, window {params.window_days:g} days"
            )

    def _on_problem(self, problem: Problem) -> None:
        self.notifier.error(problem.title, problem.text, problem.details)

    def cancel_work(self) -> None:
        """Cancel: the job ends at once and the result on screen stays (Session.cancel)."""
        if not self.session.busy:
            return
        self.session.cancel()
        self.statusBar().showMessage(CANCELLED_MESSAGE, 10_000)

    def _on_busy(self, busy: bool, label: str) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress_label.setText(label)
        self.progress_label.setVisible(busy)
        self.progress_bar.setValue(0)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if message:
            self.progress_label.setText(message)

    def _on_cursor(self, lon: float, lat: float) -> None:
        self.cursor_label.setText(f"{lat:.4f}, {lon:.4f}")

    # ---- selection ------------------------------------------------------------------------

    def select_vessel(self, mmsi: int | None) -> None:
        """Select one vessel everywhere: map, table row, details, review, Save report.

        Only the user's act (a row, a track, a new result keeping the same vessel) calls this:
        the search and the verdict filter never change the selection (see ``_refilter``).
        """
        if self._syncing:
            return
        vessel = self._verdict_of.get(mmsi) if mmsi is not None else None
        self.selected_mmsi = vessel.mmsi if vessel else None
        self.map.set_selected(self.selected_mmsi)
        self.details.show_vessel(vessel)
        self.review_keeper.show_vessel(vessel)
        self._name_report_action(vessel)
        self._syncing = True
        try:
            self._select_row(self.selected_mmsi)
        finally:
            self._syncing = False
        self._update_hidden_note()

    def _name_report_action(self, vessel: VesselVerdict | None) -> None:
        """Save report names the vessel it will report on."""
        action = self.exports.act_report
        if vessel is None:
            action.setText("Save report…")
            action.setToolTip("Select a vessel (a row or its track) to save its report")
        else:
            action.setText(f"Save report of {vessel.mmsi}…")
            action.setToolTip(
                f"Save a printable report (HTML or PDF) of {vessel_label(vessel)}, with the map"
            )

    def _refilter(self, change: Callable[[], None]) -> None:
        """Apply a new search or verdict filter without touching the selection.

        Qt moves the table's current row to a neighbour when the current one is filtered out;
        that move is not the user's choice, so it is ignored here and the row of the selected
        vessel is marked again if it is still listed.
        """
        self._syncing = True
        try:
            change()
            self._select_row(self.selected_mmsi)
        finally:
            self._syncing = False
        self._update_hidden_note()

    def is_listed(self, mmsi: int) -> bool:
        """The vessel has a row in the table as filtered now."""
        row = self.model.row_of(mmsi)
        return row is not None and self.proxy.mapFromSource(self.model.index(row, 0)).isValid()

    def listed_mmsis(self) -> list[int]:
        """The vessels in the table as shown (search and verdict filters applied), in order."""
        proxy = self.proxy
        return [int(proxy.index(row, 0).data(MMSI_ROLE)) for row in range(proxy.rowCount())]

    def _update_hidden_note(self) -> None:
        vessel = self._verdict_of.get(self.selected_mmsi) if self.selected_mmsi else None
        if vessel is None or self.is_listed(vessel.mmsi):
            self.details.set_hidden_note("")
            return
        why = []
        text = self.search.text().strip()
        if text:
            why.append(f"the search \u201c{text}\u201d")
        if not self.verdict_boxes[vessel.verdict].isChecked():
            why.append(f"the unticked verdict \u201c{vessel.verdict}\u201d")
        self.details.set_hidden_note(
            f"{vessel_label(vessel)} is not in the list ({' and '.join(why) or 'filtered'} "
            "hides it). It stays selected: the details, Confirm, Dismiss and Save report apply "
            "to it."
        )

    def _select_row(self, mmsi: int | None) -> None:
        selection = self.table.selectionModel()
        if mmsi is None:
            selection.clearSelection()
            return
        row = self.model.row_of(mmsi)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            # Hidden by the search or the verdict filter: no row stands for it, and no other
            # row may look selected (the details say why it is not listed).
            selection.clearCurrentIndex()
            selection.clearSelection()
            return
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _on_table_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        self.select_vessel(int(current.data(MMSI_ROLE)))

    def _on_verdict_filter(self) -> None:
        shown = {v for v, box in self.verdict_boxes.items() if box.isChecked()}
        self._refilter(lambda: self.proxy.set_verdicts(shown))
        self.map.set_visible_verdicts(shown)  # the map hides what the list hides

    def first_barred(self) -> int | None:
        for vessel in self.model._rows:  # noqa: SLF001 -- same package, core order
            if vessel.verdict == Verdict.BARRED:
                return vessel.mmsi
        return None

    # ---- map ------------------------------------------------------------------------------

    def centre_on_event(self, event: Event) -> None:
        if event.lat is None or event.lon is None:
            return
        self.map.centre_on(event.lon, event.lat, min(self.map.m_per_px, 150.0))

    def fit_all(self) -> None:
        if self.map.tracks is not None:
            self.map.fit_bounds(self.map.tracks.bounds_m())

    def _reset_time_filter(self, loaded: Loaded) -> None:
        times = loaded.tracks.t_ns
        if not len(times):
            return
        lo = datetime.fromtimestamp(int(times.min()) / 1e9, UTC).date()
        hi = datetime.fromtimestamp(int(times.max()) / 1e9, UTC).date()
        self.time_from.set_value(lo)
        self.time_to.set_value(hi)
        self.time_filter.setChecked(False)
        self._apply_time_filter()

    def _apply_time_filter(self) -> None:
        if not self.time_filter.isChecked():
            self.map.set_time_range(None, None)
            return
        start = start_of_day_utc(self.time_from.value())
        end = start_of_day_utc(self.time_to.value()) + timedelta(days=1)
        self.map.set_time_range(start, end)

    # ---- as-of and parameters -------------------------------------------------------------

    def _on_as_of_date(self, day: date) -> None:
        self.session.set_as_of(start_of_day_utc(day))

    def _on_date_refused(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)

    def set_as_of_date(self, day: date) -> None:
        """Apply the as-of date (00:00 UTC of ``day``) as the date field does on Enter."""
        if day != self.as_of_edit.value():
            self.as_of_edit.set_value(day)
            self._on_as_of_date(day)

    def set_as_of_instant(self, moment: datetime) -> None:
        """Screen as of ``moment`` exactly (the banner's "data's end"); the date picker shows
        its day without applying 00:00 of it."""
        # the day is shown, the instant applied (as "now" shows today): Enter applies 00:00
        self.as_of_edit.set_value(moment.astimezone(UTC).date(), in_force=False)
        self.session.set_as_of(moment)

    def _on_tab(self, index: int) -> None:
        if self.tabs.widget(index) is self.vessel_panel:
            # back from an arrival: the vessel as of the window's as-of, the user's time filter
            self._apply_time_filter()
            self.map.set_verdicts({m: v.verdict for m, v in self._verdict_of.items()})
            self.select_vessel(self.selected_mmsi)

    def _on_arrival_line(self, line: Any) -> None:
        """The arrival's vessel drawn in its verdict at the ETA (the details say the same)."""
        colours = {m: v.verdict for m, v in self._verdict_of.items()}
        if line.vessel is not None:
            colours[line.vessel.mmsi] = line.vessel.verdict
        self.map.set_verdicts(colours)

    def set_as_of_now(self) -> None:
        # Today is shown, but "now" is applied: Enter on today's date applies 00:00 UTC today.
        self.as_of_edit.set_value(datetime.now(UTC).date(), in_force=False)
        self.session.set_as_of(None)

    def _inputs_on_screen(self) -> list[str]:
        """The track files of the result on screen (recorded with each review decision)."""
        current = self.session.current
        return [] if current is None else list(current.paths)

    def _as_of_on_screen(self) -> datetime | None:
        """The as-of instant of the result on screen (None: nothing loaded)."""
        current = self.session.current
        return None if current is None else current.result.as_of

    # ---- help -----------------------------------------------------------------------------

    def _show_help(self, title: str, *, markdown: str = "", html_text: str = "") -> None:
        """Open (or raise) one help page; non-modal, so that the user can follow it."""
        dialog = self.help_dialogs.get(title)
        if dialog is None:
            dialog = help_pages.HelpDialog(title, markdown=markdown, html_text=html_text,
                                           parent=self)
            self.help_dialogs[title] = dialog
        elif html_text:
            dialog.browser.setHtml(html_text)  # About names the window in use now
        dialog.show()
        dialog.raise_()

    def show_user_guide(self) -> None:
        self._show_help("User guide", markdown=help_pages.user_guide_text())

    def show_about(self) -> None:
        self._show_help("About", html_text=help_pages.about_html(self.session.params.window_days))

    def show_shortcuts(self) -> None:
        actions = [
            (action.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
             action.text().replace("&", ""))
            for action in self.findChildren(QAction)
            if not action.shortcut().isEmpty()
        ]
        self._show_help("Keyboard shortcuts", html_text=help_pages.shortcuts_html(actions))

    def edit_params(self) -> None:
        dialog = ParamsDialog(self.session.params, self)
        if dialog.exec() != ParamsDialog.DialogCode.Accepted:
            return
        try:
            params = dialog.params()
        except ParameterError as exc:
            self.notifier.error("Invalid parameter", str(exc))
            return
        self.session.set_params(params)


def _load_background_layers(progress: Any, cancel: Any) -> tuple[Any, Any, list[str]]:
    """The basemap land and the default zones, for the map before any track is loaded."""
    import importlib

    notes: list[str] = []
    land: Any = []
    zones = None
    try:
        whole_world = importlib.import_module("desktop.core.basemap").load_land(None)
        # Projected here, off the GUI thread: ~0.4 s for Natural Earth 1:10m.
        land = importlib.import_module("desktop.gui.map_view").project_land(whole_world)
    except Exception as exc:  # noqa: BLE001 -- a missing basemap leaves a plain sea, not a crash
        notes.append(f"basemap not available: {exc}")
    try:
        zones = importlib.import_module("desktop.core.zones").load_zones()
    except Exception as exc:  # noqa: BLE001
        notes.append(f"default zones not available: {exc}")
    try:
        # Warm the core's cache of known ports now, so that the first screening does not
        # hold the GIL reading them while the window waits.
        importlib.import_module("desktop.core.ports").known_port_points()
    except Exception as exc:  # noqa: BLE001
        notes.append(f"known ports not available: {exc}")
    return land, zones, notes
