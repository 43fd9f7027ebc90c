"""The PDF report as printed: rendered with poppler's pdftoppm at a known resolution, its text
measured in pixels (at least 9 pt on A4 and US Letter) and its map the full text width."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPageSize
from test_gui_support import BARRED, make_window, wait_idle

from desktop.core.export import to_html_report
from desktop.gui import style
from desktop.gui.export_actions import REPORT_MAP_SIZE_PX, write_pdf

DPI = 150
PT_PX = DPI / 72  # pixels per point at DPI
MARGIN_MM = 15  # write_pdf's page margins
# DejaVu Sans (the report's first font): capitals and ascenders reach 0.73 em above the
# baseline, so a line of 9 pt text is at least 0.73 * 9 pt tall, however few descenders it has.
CAP_HEIGHT_EM = 0.73
PAGES = {
    "A4": (QPageSize.PageSizeId.A4, (210.0, 297.0)),
    "Letter": (QPageSize.PageSizeId.Letter, (215.9, 279.4)),
}


def _pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    assert found, "pdftoppm is missing: install poppler-utils (Debian), as .ci/run does"
    return found


def _first_page(pdf: Path) -> np.ndarray:
    """Page 1 of ``pdf`` as an (h, w, 4) array of B, G, R, A bytes."""
    subprocess.run([_pdftoppm(), "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(pdf.with_suffix(""))], check=True)
    image = QImage(str(pdf.with_suffix(".png"))).convertToFormat(QImage.Format.Format_RGB32)
    rgba = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()]
    return rgba.copy()  # the QImage's memory goes with it


def _text_line_heights_px(rgba: np.ndarray, skip_rows: np.ndarray) -> list[int]:
    """Heights of the runs of rows that hold dark (text) pixels, rows in ``skip_rows`` left out:
    each run is one line of text (table borders and backgrounds are lighter than text)."""
    grey = rgba[:, :, :3].mean(axis=2)
    dark_rows = (grey < 110).sum(axis=1) > 0
    dark_rows[skip_rows] = False
    edges = np.flatnonzero(np.diff(np.r_[0, dark_rows.astype(int), 0]))
    return [int(b - a) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _colour_mask(rgba: np.ndarray, colour) -> np.ndarray:
    # The PNG's bytes are B, G, R, A.
    return ((np.abs(rgba[:, :, 2].astype(int) - colour.red()) <= 2)
            & (np.abs(rgba[:, :, 1].astype(int) - colour.green()) <= 2)
            & (np.abs(rgba[:, :, 0].astype(int) - colour.blue()) <= 2))


def _map_box(rgba: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the map: the rows and columns mostly sea or land."""
    ground = _colour_mask(rgba, style.SEA) | _colour_mask(rgba, style.LAND)
    rows = np.flatnonzero(ground.sum(axis=1) > 0.3 * rgba.shape[1])
    cols = np.flatnonzero(ground[rows].sum(axis=0) > 0.3 * len(rows))
    return int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())


def _report_text(qtbot, tmp_path, monkeypatch) -> str:
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    window.select_vessel(BARRED)
    png = window.exports._map_png("selected")  # noqa: SLF001 -- the report's own map
    return to_html_report(window.session.current.result, [BARRED], {}, png)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_pdf_report_text_is_at_least_9_pt_and_the_map_full_width(
        qtbot, tmp_path, monkeypatch, page):
    page_id, (width_mm, height_mm) = PAGES[page]
    pdf = tmp_path / f"report-{page}.pdf"
    write_pdf(_report_text(qtbot, tmp_path, monkeypatch), pdf, page_id)
    rgba = _first_page(pdf)
    px_per_mm = DPI / 25.4
    assert rgba.shape[0] == pytest.approx(height_mm * px_per_mm, abs=1.5)
    assert rgba.shape[1] == pytest.approx(width_mm * px_per_mm, abs=1.5)

    # The map spans the text width (the page less its margins; it was about half of it), and
    # its height follows the aspect ratio of the map image.
    left, top, right, bottom = _map_box(rgba)
    text_width_px = (width_mm - 2 * MARGIN_MM) * px_per_mm
    assert right - left >= 0.96 * text_width_px
    map_w, map_h = REPORT_MAP_SIZE_PX
    assert bottom - top == pytest.approx((right - left) * map_h / map_w, rel=0.02)
    map_rows = np.arange(top - 2, bottom + 3)

    lines = _text_line_heights_px(rgba, map_rows)
    assert len(lines) >= 15  # title, meta, banner, identity table, reasons...
    smallest_9pt_line_px = CAP_HEIGHT_EM * 9 * PT_PX - 0.5  # 13.2 px; 8.5 pt would give 12.9
    # Every line of text, not just most: the smallest is the 9 pt of the tables.
    assert min(lines) >= smallest_9pt_line_px, sorted(lines)
