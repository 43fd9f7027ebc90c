"""Names from AIS are untrusted: `check --format csv` neutralises cells a spreadsheet would run as
formulas (OWASP CSV injection), and the table format shows control characters instead of sending
them to the terminal."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.textsafe import csv_cell, terminal_text

FORMULA = '=HYPERLINK("http://evil.example","click")'


def _track(tmp_path: Path, rows: list[tuple[int, str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["mmsi", "time", "lat", "lon", "sog", "vessel_name", "callsign"])
    for mmsi, name, callsign in rows:
        for minute in ("00", "10"):
            writer.writerow([mmsi, f"2026-07-01T00:{minute}:00Z", 36.0, 124.0, 11.0, name,
                             callsign])
    path = tmp_path / "names.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_csv_output_neutralises_formula_names_and_call_signs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    track = _track(tmp_path, [(351000001, FORMULA, "+CMD"), (351000002, "-2+3", "=1+2"),
                              (351000003, "PLAIN NAME", "ABCD")])
    assert main(["check", str(track), "--as-of", "2026-07-02", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["mmsi"], r["name"], r["callsign"]) for r in rows] == [
        ("351000001", "'" + FORMULA, "'+CMD"),
        ("351000002", "'-2+3", "'=1+2"),
        ("351000003", "PLAIN NAME", "ABCD"),
    ]


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@A1", "'@A1"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("-12.5", "-12.5"), ("+3", "+3"), ("-1e5", "-1e5"),
     (-12.5, -12.5), (351000001, 351000001), ("", ""), ("NAMPO", "NAMPO"), ("a=b", "a=b")],
)
def test_csv_cell_prefixes_formula_starts_and_keeps_numbers(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def test_table_output_shows_escape_sequences_and_newlines_from_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    track = _track(tmp_path, [(351000001, "\x1b[31mRED\x1b[0m\nX", "C")])
    assert main(["check", str(track), "--as-of", "2026-07-02"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    [row] = [line for line in out.split("\n") if "351000001" in line]
    # the name shown with its escapes, cut at the column's 20 characters
    assert row == ("clear    -                     351000001  \\x1b[31mRED\\x1b[0m\\x  "
                   "2026-07-01 00:10        nothing found")  # the LAST AIS column, then the reason


def test_terminal_text_escapes_every_control_character() -> None:
    assert terminal_text("A\x00B\x07C\x7fD\x9bE\r\nF") == "A\\x00B\\x07C\\x7fD\\x9bE\\x0d\\x0aF"
    assert terminal_text("NAMPO ÄÖ 南浦") == "NAMPO ÄÖ 南浦"
