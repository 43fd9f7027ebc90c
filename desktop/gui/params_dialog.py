"""A dialog with one field per ScreeningParams number, its unit and its documentation."""

from __future__ import annotations

from dataclasses import fields
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QScrollArea,
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
    "_nm": "nm",
    "_m": "m",
}


# What the dialog calls each parameter: the user reads words, not code names (the code name
# stays in the tooltip, for matching the CLI's JSON ``parameters``).
LABELS: Final = {
    "window_days": "Look-back window",
    "port_stop_min_h": "Shortest stop that makes a port call",
    "stop_sog_kn": "Stopped at or below",
    "silent_stay_min_h": "Silent stay in port counted as a stop",
    "sts_max_distance_m": "Ship-to-ship: largest distance",
    "sts_max_sog_kn": "Ship-to-ship: highest speed",
    "sts_min_duration_h": "Ship-to-ship: shortest transfer",
    "sts_grid_min": "Ship-to-ship: time grid step",
    "sts_max_interp_gap_h": "Ship-to-ship: longest gap interpolated",
    "sts_min_port_distance_km": "Ship-to-ship: least distance from any port",
    "sts_merge_gap_h": "Ship-to-ship: merge encounters closer than",
    "gap_min_h": "AIS gap: shortest",
    "gap_speed_kn": "AIS gap: speed to reach a North Korean port",
    "gap_port_time_h": "AIS gap: time allowed for the call",
    "max_speed_kn": "Implausible jump above",
    "loiter_max_sog_kn": "Loitering: highest speed",
    "loiter_min_duration_h": "Loitering: shortest",
    "loiter_max_fix_gap_h": "Loitering: longest silence inside one",
    "loiter_min_port_distance_km": "Loitering: least distance from any port",
    "loiter_kp_waters_nm": "Loitering: review within this distance of North Korean waters",
}
UNIT_WORDS: Final = {"days": "days", "h": "hours", "min": "minutes", "kn": "knots", "km": "km",
                     "nm": "nautical miles", "m": "metres"}


def label_of(name: str) -> str:
    """'Look-back window (days)': the human label with its unit."""
    unit = unit_of(name)
    text = LABELS.get(name, name.replace("_", " "))
    return f"{text} ({UNIT_WORDS.get(unit, unit)})" if unit else text


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
        self.labels: dict[str, QLabel] = {}
        self.hints: dict[str, QLabel] = {}
        docs = ScreeningParams.describe()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in fields(ScreeningParams):
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setRange(0.01, 1_000_000.0)
            spin.setValue(float(getattr(params, f.name)))
            unit = unit_of(f.name)
            if unit:
                spin.setSuffix(f" {unit}")
            spin.setToolTip(f"{docs[f.name]} ({f.name})")
            label = QLabel(label_of(f.name))
            label.setToolTip(f.name)
            label.setBuddy(spin)
            self.spins[f.name] = spin
            self.labels[f.name] = label
            form.addRow(label, spin)
            # Under the field across the whole row, wrapped: the help is read, not hovered.
            hint = QLabel(docs[f.name])
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #555;")
            self.hints[f.name] = hint
            form.addRow(hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        reset = QPushButton("Defaults")
        buttons.addButton(reset, QDialogButtonBox.ButtonRole.ResetRole)
        reset.clicked.connect(lambda: self.set_params(ScreeningParams()))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # Fifteen parameters with their help are taller than a laptop screen: scroll them.
        body = QWidget()
        body.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        self.resize(620, 640)

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
