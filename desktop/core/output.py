"""Formatting a ScreeningResult for the command line: JSON (DESIGN.md §6), a table, CSV.

Every format is deterministic: the same inputs and ``as_of`` give the same bytes (vessels are
already sorted by verdict then MMSI, reasons newest first; no clock is read here).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Final

from desktop.core.coverage import is_stale_clear, stale_sentence
from desktop.core.ingest.result import inputs_summary
from desktop.core.model import Verdict, VesselVerdict, iso_utc
from desktop.core.rule import main_reason, no_main_reason_text, when
from desktop.core.screening import ScreeningResult
from desktop.core.textsafe import csv_cell, terminal_text

OUTSIDE_AIS: Final = (
    "Not judged from AIS: exceptions (vessels in distress, 31 CFR 510.518; OFAC general "
    "licences) and ownership (whether a foreign person has an interest in the vessel)."
)
CSV_COLUMNS: Final = (
    "mmsi",
    "imo",
    "name",
    "callsign",
    "flag",
    "verdict",
    "barred_until",
    "reasons",
    "reasons_in_window",
    "main_reason_kind",
    "main_reason",
    "first_fix",
    "last_fix",
    "silent_h",
    "covered_fraction",
    "coverage",
)


def to_json_text(result: ScreeningResult) -> str:
    """The JSON of DESIGN.md §6, indented, ending with a newline."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def summary(v: VesselVerdict, as_of: datetime) -> str:
    """The main reason in words, for one line; a stale clear says what it could not see."""
    if is_stale_clear(v):  # what was not seen matters more than what no longer counts
        assert v.coverage is not None
        n = len(v.reasons)
        more = f" (+{n} event{'s' if n > 1 else ''} without effect)" if n else ""
        return stale_sentence(v.coverage, as_of) + more
    reason = main_reason(v)
    if reason is None:
        return no_main_reason_text(v)
    text = reason.explanation
    others = len(v.reasons) - 1
    if others:
        text += f" (+{others} more)"
    return text


def last_ais_cell(v: VesselVerdict) -> str:
    """The table's LAST AIS cell: '2026-10-31 23:40', with ' stale' when the vessel's coverage
    is stale, '-' when it has no fix at or before as_of."""
    cov = v.coverage
    if cov is None or cov.last_fix is None:
        return "-"
    text = f"{cov.last_fix:%Y-%m-%d %H:%M}"  # the minute is enough to judge a silence
    return text + " stale" if cov.stale else text


def table_time(moment: datetime) -> str:
    """A UTC time for a table cell: '2026-07-03 06:20' (':SS' added when not zero)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return text + (f":{moment.second:02d}" if moment.second else "")


def to_table_text(result: ScreeningResult) -> str:
    """One line per vessel: verdict, barred until, MMSI, name, last AIS (with 'stale'), the
    main reason in words; the data-end warning, if any, under the heading."""
    counts = {verdict: 0 for verdict in Verdict}
    for v in result.verdicts:
        counts[v.verdict] += 1
    lines = [
        f"Screening as of {when(result.as_of)}, window {result.params.window_days:g} days: "
        f"{len(result.verdicts)} vessels, {counts[Verdict.BARRED]} barred, "
        f"{counts[Verdict.REVIEW]} review, {counts[Verdict.CLEAR]} clear",
    ]
    reports = result.ingest.reports
    if reports:  # an archive screening reads no files here
        lines.append(terminal_text(inputs_summary(reports)))
    if result.warning is not None:
        lines.append(f"Warning: {result.warning}")
    lines += [
        "",
        f"{'VERDICT':<7}  {'BARRED UNTIL':<20}  {'MMSI':<9}  {'NAME':<20}  {'LAST AIS':<22}  "
        "REASON",
    ]
    for v in result.verdicts:
        until = iso_utc(v.barred_until) or "-"
        # AIS names are untrusted text: no escape sequence or line break reaches the terminal.
        name = terminal_text(v.name or "-")[:20]
        lines.append(
            f"{v.verdict!s:<7}  {until:<20}  {v.mmsi:<9}  {name:<20}  {last_ais_cell(v):<22}  "
            f"{terminal_text(summary(v, result.as_of))}"
        )
    lines += ["", OUTSIDE_AIS]
    return "\n".join(lines) + "\n"


def to_csv_text(result: ScreeningResult) -> str:
    """One row per vessel (``CSV_COLUMNS``), RFC 4180 quoting, ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in result.verdicts:
        reason = main_reason(v)
        row: list[object] = [
            v.mmsi,
            "" if v.imo is None else v.imo,
            v.name or "",
            v.callsign or "",
            v.flag or "",
            str(v.verdict),
            iso_utc(v.barred_until) or "",
            len(v.reasons),
            sum(1 for r in v.reasons if r.in_window),
            "" if reason is None else str(reason.event.kind),
            "" if reason is None else reason.explanation,
            *coverage_cells(v),
        ]
        # A name such as '=HYPERLINK(...)' from a type 5 message must not run in a spreadsheet.
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def coverage_cells(v: VesselVerdict) -> list[str]:
    """first_fix, last_fix, silent_h, covered_fraction, coverage status ('' when unknown)."""
    cov = v.coverage
    if cov is None:
        return ["", "", "", "", ""]
    return [
        iso_utc(cov.first_fix) or "",
        iso_utc(cov.last_fix) or "",
        "" if cov.silent_h is None else f"{cov.silent_h:.4f}".rstrip("0").rstrip("."),
        f"{cov.covered_fraction:.6f}".rstrip("0").rstrip("."),
        str(cov.status),
    ]


def render(result: ScreeningResult, fmt: str) -> str:
    """``fmt`` is ``table``, ``json`` or ``csv``."""
    return {"table": to_table_text, "json": to_json_text, "csv": to_csv_text}[fmt](result)
