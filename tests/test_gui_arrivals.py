"""Arrivals, coverage and the as-of trap in the window (pytest-qt, offscreen):

- the sample arrivals list in the app gives the table of sample_arrivals/README.md, sorted by
  ETA, and a row shows its vessel's details and track as of its ETA;
- a file that ends long before now opens with the data-end banner, whose button screens as of
  the data's end; its vessels are stale clears, marked in the list and said in the details;
- the clearance sheet: HTML with every part, and PDFs on A4 and US Letter whose smallest body
  text, rendered to PNG by pdftoppm, is as tall as 9 pt text drawn by Qt at the same resolution.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageSize, QPainter
from test_gui_support import BARRED, CLEAR, REVIEW, make_window, wait_idle
from test_sample_arrivals import LIST_CSV, TRACKS, readme_rows

from desktop.core.clearance import RULE_TEXT
from desktop.core.model import Verdict
from desktop.core.output import OUTSIDE_AIS
from desktop.gui import style
from desktop.gui.arrivals_view import COLUMNS
from desktop.gui.main_window import MainWindow
from desktop.gui.notifier import RecordingNotifier
from desktop.gui.vessel_table import COL_MMSI, COL_REASON, COL_VERDICT


def _open_arrivals(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.arrivals.screened, timeout=120_000):
        assert window.arrivals.open(path) is not None


def _expected_gui_rows() -> list[list[str]]:
    """The README's table as the Arrivals tab shows it, in ETA order (no ETA last)."""
    rows = []
    for r in readme_rows():
        last = r["last ais"]
        verdict = r["verdict"].replace("_", " ")
        if verdict == "clear" and last.endswith(" stale"):
            verdict = "clear (stale)"
        if r["barred until"] != "-":
            earliest = r["barred until"][:16].replace("T", " ")
        else:
            earliest = "at ETA" if r["verdict"] in ("barred", "review", "clear") else "-"
        port = ""  # filled from the list below
        rows.append([r["eta"], port, r["vessel as listed"], r["match"], verdict, earliest,
                     last.replace(" stale", "")])
    ports = [line.split(",")[-1].strip()
             for line in LIST_CSV.read_text(encoding="utf-8").splitlines()[1:]]
    for row, port in zip(rows, ports, strict=True):
        row[1] = port
    return sorted(rows, key=lambda r: (not r[0][:4].isdigit(), r[0]))


@pytest.mark.slow
def test_sample_arrivals_in_the_app_give_the_readme_table_and_a_row_shows_its_eta(
        qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, notifier=RecordingNotifier())
    qtbot.addWidget(window)
    window.session.as_of = datetime(2026, 11, 1, tzinfo=UTC)
    with qtbot.waitSignal(window.session.loaded, timeout=60_000):
        window.open_tracks([str(TRACKS)])
    qtbot.waitUntil(lambda: not window.session.busy, timeout=10_000)
    _open_arrivals(qtbot, window, LIST_CSV)

    assert window.notifier.messages == []
    assert window.tabs.currentWidget() is window.arrivals.panel
    panel = window.arrivals.panel
    assert [panel.model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)] == list(
        COLUMNS)
    assert panel.rows() == _expected_gui_rows()
    assert panel.summary.text().endswith(
        "11 arrivals, 2 barred, 3 review, 2 clear, 1 no data, 3 unusable. Each vessel screened "
        "as of its ETA.")

    # SEA PIONEER arrives 20 Oct 08:00: its details and track as of then
    row = next(i for i, r in enumerate(panel.rows()) if r[2].startswith("SEA PIONEER"))
    panel.select_row(row)
    assert window.details.banner.text() == "BARRED until 11 Dec 2026 08:00 UTC"
    assert window.map.selected_mmsi == 667001101
    eta_ns = int(datetime(2026, 10, 20, 8, tzinfo=UTC).timestamp()) * 10**9
    assert window.map.t_range_ns is not None and window.map.t_range_ns[1] == eta_ns
    assert window.map._verdict_of[667001101] == Verdict.BARRED  # noqa: SLF001
    # JIN HUI 6 on 20 Sep: clear, its one-hop bar having ended on 16 Sep
    row = next(i for i, r in enumerate(panel.rows()) if r[0] == "2026-09-20 00:00")
    panel.select_row(row)
    assert window.details.banner.text().startswith("CLEAR: nothing in the window")
    assert window.map._verdict_of[414000310] == Verdict.CLEAR  # noqa: SLF001
    # JIN HUI 6 on 15 Sep: barred at its ETA, drawn red although clear as of 1 Nov
    row = next(i for i, r in enumerate(panel.rows()) if r[0] == "2026-09-15 00:00")
    panel.select_row(row)
    assert window.map._verdict_of[414000310] == Verdict.BARRED  # noqa: SLF001
    row = next(i for i, r in enumerate(panel.rows()) if r[2].startswith("MORNING STAR"))
    panel.select_row(row)
    assert window.details.banner.text() == (
        "NO DATA: no AIS for IMO 9074729 or name 'MORNING STAR' in the data")
    # back to the vessel list: the window's own as-of again, the time filter put back
    window.tabs.setCurrentWidget(window.vessel_panel)
    assert window.map.t_range_ns is None
    assert window.map._verdict_of[414000310] == Verdict.CLEAR  # noqa: SLF001


def _old_tracks(folder: Path) -> Path:
    """Two vessels in the Yellow Sea, 1-3 Jan 2022; the last fix is 3 Jan 2022 12:00 UTC."""
    rows = ["mmsi,timestamp_utc,lat,lon,sog_kn"]
    for mmsi, lat in ((412000001, 35.0), (412000002, 35.5)):
        for hour in range(0, 61, 6):
            day, h = divmod(hour, 24)
            rows.append(f"{mmsi},2022-01-{1 + day:02d}T{h:02d}:00:00Z,{lat},{123 + hour / 100},10")
    path = folder / "old.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_file_ending_long_before_now_opens_with_the_banner_and_its_button_screens_at_its_end(
        qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, notifier=RecordingNotifier())
    qtbot.addWidget(window)
    window.show()
    assert not window.banner.isVisible()
    with qtbot.waitSignal(window.session.loaded, timeout=30_000):
        window.open_tracks([str(_old_tracks(tmp_path))])  # as of now, the default
    qtbot.waitUntil(lambda: not window.session.busy, timeout=10_000)

    days = (window.session.current.result.as_of.date() - date(2022, 1, 3)).days
    assert window.banner.isVisible()
    assert window.banner.label.text() == (
        f"The data ends 3 Jan 2022, {days:,} days before the as-of date: verdicts reflect "
        "nothing after that.")
    # every vessel is a stale clear: marked in the list, said in the details
    model = window.model
    for row in range(model.rowCount()):
        assert model.index(row, COL_VERDICT).data() == "clear"
        assert model.index(row, COL_VERDICT).data(Qt.ItemDataRole.ForegroundRole).color() == (
            style.STALE_CLEAR)
        assert model.index(row, COL_REASON).data() == "stale: no AIS since 3 Jan 2022"
    assert style.STALE_CLEAR != style.VERDICT_COLOURS[next(iter(style.VERDICT_COLOURS))]
    assert "clear, stale" in window.legend.text()
    window.select_vessel(int(model.index(0, COL_MMSI).data()))
    text = window.details.explanation.toPlainText()
    assert (f"No AIS since 3 Jan 2022 ({days:,} days before the as-of date): a North Korean "
            "call since then cannot be ruled out from this data.") in text
    assert window.details.banner.text() == (
        "CLEAR, BUT STALE: nothing found, but no AIS since 3 Jan 2022")

    with qtbot.waitSignal(window.session.rescreened, timeout=30_000):
        qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    end = datetime(2022, 1, 3, 12, tzinfo=UTC)
    assert window.session.as_of == end
    assert window.session.current.result.as_of == end
    assert window.as_of_edit.value() == date(2022, 1, 3)
    assert not window.banner.isVisible()
    # as of the data's end the first vessel was heard at that very instant: a current clear
    assert model.index(0, COL_VERDICT).data(Qt.ItemDataRole.ForegroundRole).color() != (
        style.STALE_CLEAR)


class FakeSave:
    def __init__(self, answers: list[Path]) -> None:
        self.answers = list(answers)

    def __call__(self, parent, title, suggested, name_filter) -> str:
        return str(self.answers.pop(0))


def _sheet_window(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    listed = tmp_path / "arrivals.csv"
    listed.write_text(
        "mmsi,name,eta,port\n"
        f"{BARRED},,2026-11-28,USLAX\n{REVIEW},,2026-11-28T06:00:00Z,USLGB\n"
        f"{CLEAR},,2026-11-29,USSEA\n,NOBODY,2026-11-29,USSEA\n", encoding="utf-8")
    _open_arrivals(qtbot, window, listed)
    return window


def _ink_rows(gray: np.ndarray) -> int:
    dark = np.flatnonzero((gray < 128).any(axis=1))
    return int(dark[-1] - dark[0] + 1) if len(dark) else 0


def _qt_ink_px(word: str, point_size: float, dpi: int) -> int:
    """The ink height of ``word`` in the sheet's font at ``point_size``, drawn by Qt at ``dpi``."""
    image = QImage(1600, 400, QImage.Format.Format_Grayscale8)
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    image.fill(QColor("white"))
    painter = QPainter(image)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(point_size)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(20, 300, word)
    painter.end()
    bits = image.constBits()
    gray = np.frombuffer(bits, dtype=np.uint8).reshape(400, image.bytesPerLine())[:, :1600]
    return _ink_rows(gray)


def _pdf_word_ink_px(pdf: Path, word: str, dpi: int, tmp: Path) -> list[int]:
    """Ink height in pixels of every occurrence of ``word`` in ``pdf`` rendered at ``dpi``."""
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                            capture_output=True, text=True).stdout
    heights = []
    page_no = 0
    for chunk in re.split(r"<page ", layout)[1:]:
        page_no += 1
        boxes = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
            + re.escape(word) + "</word>", chunk)
        if not boxes:
            continue
        stem = tmp / f"page{page_no}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page_no), "-l",
                        str(page_no), "-singlefile", str(pdf), str(stem)], check=True)
        gray = _read_pgm(stem.with_suffix(".pgm"))
        scale = dpi / 72.0
        for x0, y0, x1, y1 in (tuple(map(float, b)) for b in boxes):
            crop = gray[int(y0 * scale) - 2:int(y1 * scale) + 3,
                        int(x0 * scale) - 1:int(x1 * scale) + 2]
            heights.append(_ink_rows(crop))
    return heights


def _read_pgm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    magic, width, height, maxval, rest = data.split(maxsplit=4)
    assert magic == b"P5" and maxval == b"255"
    return np.frombuffer(rest[: int(width) * int(height)], dtype=np.uint8).reshape(
        int(height), int(width))


@pytest.mark.skipif(shutil.which("pdftoppm") is None and not os.environ.get("CI"),
                    reason="poppler-utils not installed (CI installs it: .ci/run)")
def test_clearance_sheet_html_has_every_part_and_pdf_text_is_at_least_9_pt(
        qtbot, tmp_path, monkeypatch):
    window = _sheet_window(qtbot, tmp_path, monkeypatch)
    result = window.arrivals.result
    assert [line.outcome for line in result.lines] == ["barred", "review", "clear", "no_data"]
    html_path, a4, letter = tmp_path / "sheet.html", tmp_path / "a4.pdf", tmp_path / "us.pdf"
    window.arrivals.ask_save_path = FakeSave([html_path, a4, letter])
    assert window.arrivals.save_sheet() == html_path
    text = html_path.read_text(encoding="utf-8")
    for part in (RULE_TEXT, OUTSIDE_AIS, "Line 2: MMSI 351000001", "Line 3: MMSI 445000003",
                 "<th>Signature</th>", "stale_after_h", "BARRED until 30 Dec 2026 06:20 UTC",
                 "Screened as of 2026-11-28T00:00:00Z", "Screened as of 2026-11-28T06:00:00Z"):
        assert part in text, part
    assert "Line 4: MMSI 352000002" not in text  # clear lines have no section
    assert text.count("src='data:image/png;base64,") == 2  # a map per barred/review line
    assert result.list.sha256 in text

    window.arrivals.page_size = QPageSize.PageSizeId.A4
    assert window.arrivals.save_sheet() == a4
    window.arrivals.page_size = QPageSize.PageSizeId.Letter
    assert window.arrivals.save_sheet() == letter
    dpi = 300
    reference = _qt_ink_px("judged", 9.0, dpi)  # 'j' and 'd': descender to ascender
    assert reference >= 35  # about 1 em of 9 pt at 300 dpi (37.5 px): the ruler itself works
    for pdf, points in ((a4, (595, 842)), (letter, (612, 792))):
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                              text=True).stdout
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert size and (round(float(size.group(1))), round(float(size.group(2)))) == points
        # "judged" is in the statement of what AIS cannot tell: the smallest text (9 pt)
        heights = _pdf_word_ink_px(pdf, "judged", dpi, tmp_path)
        assert heights, pdf
        assert min(heights) >= reference - 1, (pdf, heights, reference)
