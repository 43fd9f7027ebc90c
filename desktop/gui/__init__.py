"""PySide6 views over desktop.core; no domain logic lives here."""
