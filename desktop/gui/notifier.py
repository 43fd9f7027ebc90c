"""Where the GUI tells the user about problems: message boxes, or a recorder in tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QMessageBox, QWidget


class Notifier:
    """Shows a modal error box; tests replace it with ``RecordingNotifier`` (never blocks)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def error(self, title: str, text: str, details: str = "") -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent
        )
        if details:
            box.setDetailedText(details)
        box.exec()


@dataclass
class RecordingNotifier(Notifier):
    """Keeps every message instead of showing it."""

    messages: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(None)

    def error(self, title: str, text: str, details: str = "") -> None:
        self.messages.append((title, text, details))
