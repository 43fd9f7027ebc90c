"""Text written for other programs: spreadsheet cells and terminal lines.

A name, call sign or note comes from AIS messages or from an analyst; neither may run as a
formula in a spreadsheet nor move the cursor of a terminal.
"""

from __future__ import annotations

import os
import re
from typing import Final

# OWASP "CSV Injection": a cell starting with one of these is a formula (or turns into one) in
# Excel, LibreOffice and Google Sheets; a leading apostrophe makes it text.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# C0 and C1 controls and DEL: ESC sequences recolour or rewrite the terminal, CR/LF break lines.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def csv_cell(value: object) -> object:
    """``value`` for a CSV cell: text that a spreadsheet would take as a formula gets a leading
    ``'``; numbers (also negative ones such as ``-12.5``, and numeric text) stay as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def terminal_text(text: str) -> str:
    r"""``text`` with every control character shown as ``\xNN`` (``\x1b`` for ESC), so that it
    prints on one line and cannot send escape sequences to the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def printable_path(path: str | os.PathLike[str]) -> str:
    r"""``path`` as text that can be printed and written as UTF-8: bytes of a file name that are
    not UTF-8 (kept by Python as lone surrogates) become ``\xNN``; other names are unchanged."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")
