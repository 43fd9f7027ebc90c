"""File > Save report and File > Export: the window's result written as files.

Every text comes from the core (``desktop.core.export``, ``desktop.core.output``,
``desktop.core.review``); this module picks the vessels (the selected one, the ones listed after
the search and verdict filters, or all), grabs the map as PNG, asks for a path and writes. A PDF
is the same HTML laid out by Qt's text engine (no browser needed on a locked-down machine).
A one-vessel report shows the map fitted to that vessel's track, the other tracks faint; the
others, the map as shown. The map is drawn for paper (``MapView.render_report_image``), not
grabbed from the screen, so no cursor read-out or other on-screen state gets into a report.

The file dialog is ``ExportActions.ask_save_path`` so that tests replace it. It starts in the
folder of the last export, else the user's documents folder: never in the app's own folders.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QLocale,
    QMarginsF,
    QObject,
    QSettings,
    QSizeF,
)
from PySide6.QtGui import (
    QAction,
    QImage,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextCursor,
    QTextDocument,
    QTextImageFormat,
)
from PySide6.QtWidgets import QFileDialog, QMenu, QStatusBar, QWidget

from desktop.core.errors import ExposureError
from desktop.core.export import to_geojson_text, to_html_report
from desktop.core.output import to_csv_text, to_json_text
from desktop.core.review import Review, reviews_csv_text
from desktop.gui.map_view import MapView
from desktop.gui.notifier import Notifier
from desktop.gui.session import Session

REPORT_FILTER: Final = "HTML report (*.html);;PDF report (*.pdf)"
CSV_FILTER: Final = "CSV (*.csv)"
JSON_FILTER: Final = "JSON (*.json)"
GEOJSON_FILTER: Final = "GeoJSON (*.geojson)"
SELECTED, LISTED, ALL = "selected", "listed", "all"

AskSavePath = Callable[[QWidget, str, str, str], str]


def documents_folder() -> Path:
    """The user's documents folder (home when the platform has none)."""
    import platformdirs

    try:
        folder = Path(platformdirs.user_documents_dir())
    except Exception:  # noqa: BLE001 -- a locked-down profile may have no such folder
        return Path.home()
    return folder if folder.is_dir() else Path.home()


def ask_save_path(parent: QWidget, title: str, suggested: str, name_filter: str) -> str:
    """The platform's Save dialog; '' when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, name_filter)
    return str(path)


# The report map's logical size: about the text width of A4 and US Letter at 96 px per inch,
# so that the map's own labels print near their point size.
REPORT_MAP_SIZE_PX: Final = (680, 440)
_PDF_DPI: Final = 300
_CSS_DPI: Final = 96  # QTextDocument sizes images in CSS pixels, scaled by the device's dpi


def png_bytes(image: QImage | QWidget) -> bytes:
    """An image (or a widget as it is on screen) as PNG."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    (image if isinstance(image, QImage) else image.grab()).save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def default_page_size() -> QPageSize.PageSizeId:
    """US Letter where the locale measures in US units, else A4 (the report and the
    clearance sheet alike)."""
    imperial = QLocale.system().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    return QPageSize.PageSizeId.Letter if imperial else QPageSize.PageSizeId.A4


def write_pdf(
    html_text: str,
    path: str | Path,
    page_size: QPageSize.PageSizeId | None = None,
    title: str = "Maritime Exposure Check report",
) -> None:
    """Lay ``html_text`` out on pages (A4 or US Letter, by default from the locale) and write a
    PDF (Qt's rich text, no browser; it decodes the report's ``data:`` image itself). The
    report and the clearance sheet are both written here.

    The document is laid out at the writer's resolution, so 10 pt in the CSS prints as 10 pt:
    laid out at screen resolution and painted at 200 dpi it came out at about 5 pt. Images are
    widened to the text width (Qt's rich text ignores CSS ``max-width``).
    """
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(page_size if page_size is not None else default_page_size()))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(_PDF_DPI)
    writer.setTitle(title)
    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setHtml(html_text)
    page = writer.pageLayout().paintRectPixels(_PDF_DPI).size()
    document.setPageSize(QSizeF(page))
    text_width_css = (page.width() - 2 * document.documentMargin()) * _CSS_DPI / _PDF_DPI - 4
    _fit_images_to_width(document, text_width_css)
    document.print_(writer)


def chosen_path(chosen: str, suffix: str) -> Path | None:
    """The path a Save dialog answered, given ``suffix`` when it has none; None when the
    dialog was cancelled."""
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix else path.with_suffix(suffix)


def write_document(
    html_text: str, path: Path, page_size: QPageSize.PageSizeId | None = None, title: str = ""
) -> None:
    """A report or a sheet to ``path``: laid out as a PDF for a ``.pdf`` path, else the HTML."""
    if path.suffix.lower() == ".pdf":
        write_pdf(html_text, path, page_size, title or "Maritime Exposure Check report")
    else:
        path.write_text(html_text, encoding="utf-8")


def write_and_tell(
    path: Path, write: Callable[[Path], None], notifier: Notifier, status: QStatusBar
) -> bool:
    """Run ``write(path)``; an error is shown naming the file, a success in the status bar."""
    try:
        write(path)
    except (OSError, ExposureError) as exc:
        notifier.error("Could not save", f"{path}: {exc}")
        return False
    status.showMessage(f"Saved {path}", 8000)
    return True


def _data_uri_image(uri: str) -> QImage:
    """The image of a ``data:...;base64,`` URI (a null image for anything else)."""
    head, _, payload = uri.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        return QImage()
    return QImage.fromData(base64.b64decode(payload))


def _fit_images_to_width(document: QTextDocument, width_css_px: float) -> None:
    """Give every image of ``document`` the text width, keeping its aspect ratio."""
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.isImageFormat():
                image_fmt = fmt.toImageFormat()
                size = _data_uri_image(image_fmt.name()).size()
                if size.width() > 0:
                    resized = QTextImageFormat(image_fmt)
                    resized.setWidth(width_css_px)
                    resized.setHeight(width_css_px * size.height() / size.width())
                    cursor = QTextCursor(document)
                    cursor.setPosition(fragment.position())
                    cursor.setPosition(
                        fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                    )
                    cursor.setCharFormat(resized)
            it += 1
        block = block.next()


class ExportActions(QObject):
    """The Save report and Export actions of one window.

    It takes what it reads, not the window: the session (the result), the map (grabbed into
    reports), the settings (the last export folder), and callables for the selected vessel,
    the vessels listed after the filters and the stored reviews.
    """

    def __init__(
        self,
        parent: QWidget,
        session: Session,
        map_view: MapView,
        settings: QSettings,
        notifier: Notifier,
        status: QStatusBar,
        *,
        selected_mmsi: Callable[[], int | None],
        listed_mmsis: Callable[[], list[int]],
        reviews: Callable[[], Mapping[int, Review]],
    ) -> None:
        super().__init__(parent)
        window = parent  # the owner of the actions and the parent of the dialogs
        self.parent_widget = parent
        self.session = session
        self.map = map_view
        self.settings = settings
        self.notifier = notifier
        self.status = status
        self._selected_mmsi = selected_mmsi
        self._listed_mmsis = listed_mmsis
        self._reviews = reviews
        self.ask_save_path: AskSavePath = ask_save_path
        self.last_written: Path | None = None
        self.act_report = QAction("Save report…", window)
        self.act_report.setShortcut(QKeySequence.StandardKey.Save)
        self.act_report.setToolTip(
            "Save a printable report (HTML or PDF) of the selected vessel, with the map"
        )
        self.act_report.triggered.connect(lambda: self.save_report(SELECTED))
        self.act_report_listed = QAction("Report of the listed vessels…", window)
        self.act_report_listed.triggered.connect(lambda: self.save_report(LISTED))
        self.act_report_all = QAction("Report of all vessels…", window)
        self.act_report_all.triggered.connect(lambda: self.save_report(ALL))
        self.act_csv = QAction("Verdicts CSV…", window)
        self.act_csv.triggered.connect(self.export_csv)
        self.act_json = QAction("Verdicts JSON…", window)
        self.act_json.triggered.connect(self.export_json)
        self.act_geojson = QAction("GeoJSON of the listed vessels (tracks and events)…", window)
        self.act_geojson.triggered.connect(self.export_geojson)
        self.act_reviews = QAction("Reviews CSV…", window)
        self.act_reviews.triggered.connect(self.export_reviews)

    def add_to(self, file_menu: QMenu, before: QAction | None = None) -> None:
        """Put Save report…, the report variants and the Export submenu into ``file_menu``."""
        report_menu = QMenu("Save report of", file_menu)
        report_menu.addAction(self.act_report_listed)
        report_menu.addAction(self.act_report_all)
        export_menu = QMenu("Export", file_menu)
        for action in (self.act_csv, self.act_json, self.act_geojson, self.act_reviews):
            export_menu.addAction(action)
        self.report_menu, self.export_menu = report_menu, export_menu
        if before is None:
            file_menu.addAction(self.act_report)
            file_menu.addMenu(report_menu)
            file_menu.addMenu(export_menu)
        else:
            file_menu.insertAction(before, self.act_report)
            file_menu.insertMenu(before, report_menu)
            file_menu.insertMenu(before, export_menu)

    # ---- what to write -----------------------------------------------------------------

    def _result(self) -> Any:
        current = self.session.current
        if current is None or current.result is None:
            self.notifier.error("Nothing to save", "Open AIS tracks first.")
            return None
        return current.result

    def listed_mmsis(self) -> list[int]:
        """The vessels in the table as shown (search and verdict filters applied), in order."""
        return self._listed_mmsis()

    def _mmsis(self, scope: str) -> Sequence[int] | None:
        if scope == SELECTED:
            mmsi = self._selected_mmsi()
            if mmsi is None:
                self.notifier.error(
                    "No vessel selected", "Select a vessel (a row or its track) to report on it."
                )
                return []
            return [mmsi]
        if scope == LISTED:
            return self.listed_mmsis()
        return None

    def _suggest(self, stem: str, suffix: str) -> str:
        last = str(self.settings.value("export_dir", "") or "")
        folder = Path(last) if last and Path(last).is_dir() else documents_folder()
        return str(folder / f"{stem}{suffix}")

    def _ask(self, title: str, stem: str, suffix: str, name_filter: str) -> Path | None:
        chosen = self.ask_save_path(
            self.parent_widget, title, self._suggest(stem, suffix), name_filter
        )
        return chosen_path(chosen, suffix)

    def _write(self, path: Path, write: Callable[[Path], None]) -> bool:
        if not write_and_tell(path, write, self.notifier, self.status):
            return False
        self.settings.setValue("export_dir", str(path.parent))
        self.last_written = path
        return True

    def _stem(self, result: Any, what: str) -> str:
        return f"exposure-{what}-{result.as_of.strftime('%Y%m%d')}"

    # ---- actions -------------------------------------------------------------------------

    def save_report(self, scope: str = SELECTED) -> Path | None:
        """Ask for a path and write the report of ``scope`` (selected, listed, all vessels)."""
        result = self._result()
        if result is None:
            return None
        mmsis = self._mmsis(scope)
        if mmsis is not None and not mmsis:
            if scope == LISTED:
                self.notifier.error("No vessel listed", "The filters hide every vessel.")
            return None
        what = f"report-{mmsis[0]}" if scope == SELECTED and mmsis else f"report-{scope}"
        path = self._ask("Save report", self._stem(result, what), ".html", REPORT_FILTER)
        if path is None:
            return None
        map_png = self._map_png(scope)
        text = to_html_report(result, mmsis, dict(self._reviews()), map_png)
        return path if self._write(path, lambda p: write_document(text, p)) else None

    def _map_png(self, scope: str) -> bytes:
        """The map as PNG: fitted to the vessel for a one-vessel report, as the user left it
        for a report of several vessels (the view on screen is not changed)."""
        view = self.map
        mmsi = self._selected_mmsi() if scope == SELECTED else None
        return png_bytes(view.render_report_image(*REPORT_MAP_SIZE_PX, mmsi=mmsi))

    def _export_text(self, title: str, what: str, suffix: str, name_filter: str,
                     make: Callable[[Any], str]) -> Path | None:
        result = self._result()
        if result is None:
            return None
        path = self._ask(title, self._stem(result, what), suffix, name_filter)
        if path is None:
            return None
        text = make(result)
        return path if self._write(path, lambda p: p.write_text(text, encoding="utf-8")) else None

    def export_csv(self) -> Path | None:
        return self._export_text("Export verdicts (CSV)", "verdicts", ".csv", CSV_FILTER,
                                 to_csv_text)

    def export_json(self) -> Path | None:
        return self._export_text("Export verdicts (JSON)", "verdicts", ".json", JSON_FILTER,
                                 to_json_text)

    def export_geojson(self) -> Path | None:
        listed = self.listed_mmsis()
        return self._export_text("Export tracks and events (GeoJSON)", "tracks", ".geojson",
                                 GEOJSON_FILTER, lambda r: to_geojson_text(r, listed))

    def export_reviews(self) -> Path | None:
        reviews = self._reviews()
        return self._export_text("Export reviews (CSV)", "reviews", ".csv", CSV_FILTER,
                                 lambda r: reviews_csv_text(reviews.values(), r))
