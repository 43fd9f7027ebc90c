"""The as-of trap banner over the map, and the vessel list's legend of verdict colours.

A user who opens a 2022 file and screens it as of today sees every vessel "clear": the banner
says that the data end long before the as-of date (the core's ``ScreeningResult.warning``, the
same sentence as the CLI's) and offers to screen as of the data's end instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.core.model import Verdict
from desktop.core.rule import when
from desktop.gui import style


class DataEndBanner(QFrame):
    """Shown while the result's ``warning`` is set; the button emits ``use_data_end`` with the
    data's last fix."""

    use_data_end = Signal(object)  # datetime (UTC)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("data_end_banner")
        self.setStyleSheet(
            "#data_end_banner { background: #fff4d6; border: 1px solid #c08000; }"
            "QLabel { color: #4a3400; }"
        )
        self.data_end: datetime | None = None
        self.label = QLabel("")
        self.label.setWordWrap(True)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        self.button = QPushButton("Screen as of the data's end")
        self.button.clicked.connect(self._on_click)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.setVisible(False)

    def show_for(self, result: Any) -> None:
        """Show the warning of ``result`` (a ScreeningResult), or hide when it has none."""
        warning = None if result is None else result.warning
        self.data_end = None if result is None else result.data_end
        if warning is None:
            self.setVisible(False)
            return
        self.label.setText(warning)
        self.button.setVisible(self.data_end is not None)
        if self.data_end is not None:
            self.button.setToolTip(f"Apply the rule as of {when(self.data_end)}, the last fix")
        self.setVisible(True)

    def _on_click(self) -> None:
        if self.data_end is not None:
            self.use_data_end.emit(self.data_end)


def legend_html(stale_after_h: float = 24.0) -> str:
    """The vessel list's colours in words, stale clear included."""

    def swatch(colour: str, text: str, extra: str = "") -> str:
        return (
            f"<span style='color:{colour}; {extra}'>&#9632; {text}</span>"
        )

    return " &nbsp; ".join(
        [
            swatch(style.VERDICT_COLOURS[Verdict.BARRED].name(), "barred"),
            swatch(style.VERDICT_COLOURS[Verdict.REVIEW].darker(120).name(), "review"),
            swatch(style.VERDICT_COLOURS[Verdict.CLEAR].name(), "clear"),
            swatch(
                style.STALE_CLEAR.name(),
                f"<i>clear, stale</i> (no AIS in the {stale_after_h:g} h before as of)",
                f"background:{style.STALE_CLEAR_BACKGROUND.name()};",
            ),
        ]
    )


class VerdictLegend(QLabel):
    """The legend under the vessel list; ``set_stale_after_h`` follows the parameters."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(legend_html(), parent)
        self.setWordWrap(True)
        self.setToolTip(
            "A stale clear found nothing, but the data hold no recent AIS of the vessel: a North "
            "Korean call since its last fix cannot be ruled out. The hours are the parameter "
            "stale_after_h (Screening > Parameters)."
        )

    def set_stale_after_h(self, hours: float) -> None:
        self.setText(legend_html(hours))
