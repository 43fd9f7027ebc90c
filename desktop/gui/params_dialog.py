"""A dialog with one field per ScreeningParams number, its unit and its documentation."""

from __future__ import annotations

from dataclasses import fields
from typing import Final

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import ParameterError
from desktop.core.params import ScreeningParams

# The unit is the suffix of the parameter name (STYLE: units in every name).
UNIT_SUFFIXES: Final = {
    "_days": "days",
    "_h": "h",
    "_min": "min",
    "_kn": "kn",
    "_km": "km",
    "_m": "m",
}


def unit_of(name: str) -> str:
    for suffix, unit in UNIT_SUFFIXES.items():
        if name.endswith(suffix):
            return unit
    return ""


class ParamsDialog(QDialog):
    """Edit a ScreeningParams; ``params()`` returns the edited copy."""

    def __init__(self, params: ScreeningParams, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Screening parameters")
        self.spins: dict[str, QDoubleSpinBox] = {}
        docs = ScreeningParams.describe()
        form = QFormLayout()
        for f in fields(ScreeningParams):
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setRange(0.01, 1_000_000.0)
            spin.setValue(float(getattr(params, f.name)))
            unit = unit_of(f.name)
            if unit:
                spin.setSuffix(f" {unit}")
            spin.setToolTip(docs[f.name])
            label = QLabel(f.name)
            label.setToolTip(docs[f.name])
            self.spins[f.name] = spin
            form.addRow(label, spin)
            hint = QLabel(docs[f.name])
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #666; font-size: small;")
            form.addRow("", hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        reset = QPushButton("Defaults")
        buttons.addButton(reset, QDialogButtonBox.ButtonRole.ResetRole)
        reset.clicked.connect(lambda: self.set_params(ScreeningParams()))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def set_params(self, params: ScreeningParams) -> None:
        for name, spin in self.spins.items():
            spin.setValue(float(getattr(params, name)))

    def params(self) -> ScreeningParams:
        """The parameters as edited; raises ParameterError if the core refuses them."""
        values = {name: spin.value() for name, spin in self.spins.items()}
        try:
            return ScreeningParams(**values)
        except TypeError as exc:  # pragma: no cover - fields come from the dataclass itself
            raise ParameterError(str(exc)) from exc
