"""Colours and pens shared by the map, the table and the details panel."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor

from desktop.core.model import Verdict

VERDICT_COLOURS: Final = {
    Verdict.BARRED: QColor(214, 39, 40),
    Verdict.REVIEW: QColor(240, 160, 20),
    Verdict.CLEAR: QColor(120, 120, 120),
}
VERDICT_BANNER_TEXT: Final = {
    Verdict.BARRED: QColor(255, 255, 255),
    Verdict.REVIEW: QColor(40, 30, 0),
    Verdict.CLEAR: QColor(255, 255, 255),
}
VERDICT_ORDER: Final = {Verdict.BARRED: 0, Verdict.REVIEW: 1, Verdict.CLEAR: 2}

SEA: Final = QColor(197, 219, 238)
LAND: Final = QColor(240, 236, 222)
COAST: Final = QColor(150, 150, 140)
KP_WATERS_FILL: Final = QColor(214, 39, 40, 30)
KP_WATERS_EDGE: Final = QColor(214, 39, 40, 110)
PORT_EDGE: Final = QColor(110, 40, 140)
PORT_FILL: Final = QColor(110, 40, 140, 50)
SELECTED_HALO: Final = QColor(20, 20, 60, 200)  # dark: the selected track stands out of red

# A clear that saw nothing recent (coverage stale): not the plain grey of a current clear.
STALE_CLEAR: Final = QColor(150, 110, 40)  # a muted ochre, between clear grey and review amber
STALE_CLEAR_BACKGROUND: Final = QColor(255, 244, 214)
STALE_CSS: Final = "background: #fff4d6; border-left: 4px solid #c08000; padding: 4px;"
