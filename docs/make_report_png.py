"""Draw docs/report.png: the first page of the PDF report of the sample's first barred vessel.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_report_png.py [OUT.png] [--letter]

Runs the app as ``exposure gui --screenshot`` does (fresh settings, no reviews), saves the
report through File > Save report as PDF, then renders page 1 with ``pdftoppm`` (poppler-utils)
at 100 dpi.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QPageSize  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.gui import app as gui_app  # noqa: E402
from desktop.gui import export_actions  # noqa: E402
from desktop.gui.main_window import MainWindow  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "report.png")
    ap.add_argument("--letter", action="store_true", help="US Letter instead of A4")
    args = ap.parse_args(argv)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="exposure-report-"))
    try:
        settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, review_folder=scratch)
        window.resize(*gui_app.SCREENSHOT_SIZE)
        window.show()
        window.load_background_layers()
        window.open_tracks(gui_app.default_tracks())
        gui_app._wait_until_idle(window)  # noqa: SLF001 -- the screenshot's own wait
        barred = window.first_barred()
        if barred is None:
            print("no barred vessel in the sample", file=sys.stderr)
            return 2
        window.select_vessel(barred)
        qapp.processEvents()
        page = QPageSize.PageSizeId.Letter if args.letter else QPageSize.PageSizeId.A4
        real_write_pdf = export_actions.write_pdf
        export_actions.write_pdf = lambda text, path: real_write_pdf(text, path, page)
        pdf = scratch / "report.pdf"
        window.exports.ask_save_path = lambda *_: str(pdf)
        window.exports.save_report()
        subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(scratch / "page")], check=True)
        shutil.copyfile(scratch / "page.png", args.out)
        window.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
