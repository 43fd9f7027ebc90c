"""The clearance sheet of an arrivals list (DESIGN.md §9): what a port official signs.

One self-contained HTML document (inline CSS, images as ``data:`` URIs, no script, no link
outside): the rule it applies, every arrival on one line (ETA and the as-of instant it was
screened at, vessel as listed, the match, the verdict at the ETA, the earliest permitted
arrival, the last AIS), then one section per barred or review arrival with its reasons and a map,
then the parameters, the inputs with their SHA-256, the statement of what AIS cannot tell and a
signature block. The GUI lays the same HTML out as a PDF on A4 or US Letter.

Every text size is at least 9 pt (the CSS below; ``MIN_BODY_PT``), so that the printed sheet
reads without a lens; the GUI's test renders the PDF and measures it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Final

from desktop import __version__
from desktop.core.arrivals import (
    NO_DATA,
    OUTCOMES,
    UNUSABLE,
    ArrivalLine,
    ArrivalsResult,
    eta_text,
    last_ais,
)
from desktop.core.coverage import coverage_sentence
from desktop.core.export import headline, reasons_html
from desktop.core.model import iso_utc
from desktop.core.output import OUTSIDE_AIS
from desktop.core.rule import when

MIN_BODY_PT: Final = 9.0
RULE_TEXT: Final = (
    "US Executive Order 13810 §2, implemented as 31 CFR 510.208(b): no vessel in which a "
    "foreign person has an interest that has called at a port in North Korea within the "
    "previous 180 days, and no vessel in which a foreign person has an interest that has "
    "engaged in a ship-to-ship transfer with such a vessel within the previous 180 days, may "
    "call at a port in the United States."
)
_CSS: Final = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4pt 0; }
h2 { font-size: 12.5pt; margin: 12pt 0 4pt 0; border-bottom: 1px solid #888; }
h3 { font-size: 11pt; margin: 8pt 0 3pt 0; }
p { margin: 3pt 0; }
table { border-collapse: collapse; margin: 3pt 0; }
th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top;
         font-size: 9.5pt; }
th { background: #e8e8e8; }
.rule { font-size: 9.5pt; border-left: 3pt solid #555; padding-left: 6pt; }
.barred { color: #8b0000; font-weight: bold; }
.review { color: #6b4a00; font-weight: bold; }
.stale { background: #fff4d6; }
.outside { font-size: 9pt; color: #333; }
.banner { font-size: 11pt; font-weight: bold; }
img.map { width: 100%; border: 1px solid #999; }
.sign td { height: 26pt; min-width: 150pt; font-size: 10pt; }
"""


def _e(value: object) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def _verdict_cell(line: ArrivalLine) -> str:
    text = line.outcome.replace("_", " ")
    cov = line.coverage
    if line.outcome == "clear" and cov is not None and cov.stale:
        return "<td class='stale'>clear, <b>stale</b></td>"
    cls = line.outcome if line.outcome in ("barred", "review") else ""
    return f"<td class='{cls}'>{_e(text)}</td>"


def _match_text(line: ArrivalLine) -> str:
    if line.match is None:
        return "-"
    return f"MMSI {line.match.mmsi}, {line.match.words()}"


def _earliest(line: ArrivalLine) -> str:
    if line.barred_until is not None:
        return when(line.barred_until)
    if line.outcome in (NO_DATA, UNUSABLE):
        return "not established"
    return "at its ETA"


def _summary_rows(result: ArrivalsResult) -> list[str]:
    out = [
        "<table class='arrivals'><tr><th>Line</th><th>ETA = as of (UTC)</th><th>Port</th>"
        "<th>Vessel as listed</th><th>Matched</th><th>Verdict at ETA</th>"
        "<th>Earliest permitted arrival</th><th>Last AIS (UTC)</th><th>Main reason</th></tr>"
    ]
    for line in result.lines:
        a = line.arrival
        out.append(
            f"<tr><td>{a.line}</td><td>{_e(eta_text(line))}</td><td>{_e(a.port or '')}</td>"
            f"<td>{_e(a.as_listed)}</td><td>{_e(_match_text(line))}</td>{_verdict_cell(line)}"
            f"<td>{_e(_earliest(line))}</td><td>{_e(last_ais(line))}</td>"
            f"<td>{_e(line.reason_text())}</td></tr>"
        )
    out.append("</table>")
    return out


def _section(line: ArrivalLine, window_days: float, map_png: bytes | None) -> list[str]:
    vessel = line.vessel
    assert vessel is not None and line.as_of is not None
    a = line.arrival
    title = f"Line {a.line}: {a.as_listed} · MMSI {vessel.mmsi}"
    if vessel.name:
        title += f" ({vessel.name})"
    out = [
        f"<h2>{_e(title)}</h2>",
        f"<p class='banner {line.outcome}'>At its ETA {_e(when(line.as_of))}: "
        f"{_e(headline(vessel))}</p>",
        f"<p>Matched {_e(_match_text(line))}. Port {_e(a.port or 'not given')}. "
        f"Screened as of {_e(iso_utc(line.as_of))}.</p>",
        f"<p><b>Coverage:</b> {_e(coverage_sentence(vessel.coverage, line.as_of, window_days))}"
        "</p>",
    ]
    notes = [n for n in (line.match.note if line.match else None, line.note) if n]
    if notes:
        out.append(f"<p>Note: {_e('; '.join(notes))}</p>")
    out += reasons_html(vessel)
    if map_png:
        data = base64.b64encode(map_png).decode("ascii")
        out.append(
            f"<p><img class='map' alt='Map of MMSI {vessel.mmsi} as of its ETA' "
            f"src='data:image/png;base64,{data}'></p>"
        )
    return out


def _params_rows(result: ArrivalsResult) -> list[str]:
    docs = result.params.describe()
    out = ["<table class='parameters'><tr><th>Parameter</th><th>Value</th><th>Meaning</th></tr>"]
    for name, value in result.params.as_dict().items():
        out.append(f"<tr><td>{_e(name)}</td><td>{value:g}</td><td>{_e(docs.get(name))}</td></tr>")
    out.append("</table>")
    return out


def _inputs_rows(result: ArrivalsResult) -> list[str]:
    out = [
        "<table class='inputs'><tr><th>File</th><th>What</th><th>SHA-256</th></tr>",
        f"<tr><td>{_e(result.list.path)}</td><td>arrivals list, {len(result.lines)} rows</td>"
        f"<td><code>{_e(result.list.sha256)}</code></td></tr>",
    ]
    for entry in result.inputs:
        what = f"{entry.get('format') or 'tracks'}, {entry.get('fixes', 0)} fixes"
        out.append(
            f"<tr><td>{_e(entry.get('path'))}</td><td>{_e(what)}</td>"
            f"<td><code>{_e(entry.get('sha256') or 'not a file')}</code></td></tr>"
        )
    out.append("</table>")
    return out


def to_clearance_html(
    result: ArrivalsResult, maps: Mapping[int, bytes] | None = None
) -> str:
    """The clearance sheet of ``result``; ``maps`` gives a PNG per list line number (the map
    of that vessel as of its ETA) for the barred and review sections."""
    maps = maps or {}
    counts = result.counts()
    window = result.params.window_days
    out = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>Clearance sheet: {_e(result.list.path)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Clearance sheet: arrivals checked against the 180-day rule</h1>",
        f"<p class='rule'>{_e(RULE_TEXT)}</p>",
        f"<p>Arrivals list <b>{_e(result.list.path)}</b>: {len(result.lines)} lines, "
        + ", ".join(f"{counts[o]} {o.replace('_', ' ')}" for o in OUTCOMES)
        + f". Each vessel is screened as of its own ETA, window {window:g} days; the AIS data "
        f"end {_e(when(result.data_end) if result.data_end else 'nowhere: no fix')}.</p>",
        "<h2>Arrivals</h2>",
    ]
    out += _summary_rows(result)
    flagged = [line for line in result.lines if line.outcome in ("barred", "review")]
    if flagged:
        out.append("<h2>Barred and review arrivals</h2>")
        for line in flagged:
            out += _section(line, window, maps.get(line.arrival.line))
    out.append("<h2>Parameters</h2>")
    out += _params_rows(result)
    out.append("<h2>Inputs</h2>")
    out += _inputs_rows(result)
    out += [
        f"<p class='outside'>{_e(OUTSIDE_AIS)}</p>",
        "<h2>Signature</h2>",
        "<table class='sign'><tr><th>Checked by (name)</th><td></td></tr>"
        "<tr><th>Position, port</th><td></td></tr>"
        "<tr><th>Date and time</th><td></td></tr>"
        "<tr><th>Signature</th><td></td></tr></table>",
        f"<p class='outside'>Made by Maritime Exposure Check {_e(__version__)} from AIS data "
        "only.</p></body></html>",
    ]
    return "\n".join(out) + "\n"
