"""Reports and exports of a ScreeningResult: a printable HTML report and GeoJSON.

Both read only what the screening produced (verdicts, reasons, the fixes it read): nothing is
recomputed here, so a report says exactly what the CLI and the GUI say. Both are deterministic:
the same result, selection and reviews give the same text (no clock is read, vessels keep the
core's order, reasons stay newest first).

The HTML report is self-contained for locked-down machines: inline CSS, no script, no external
link; a map image, when given, is embedded as a ``data:`` URI. Every string that comes from the
data (names, call signs, notes, file paths, explanations) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np

from desktop import __version__
from desktop.core.coverage import coverage_sentence, is_stale_clear
from desktop.core.errors import ParameterError
from desktop.core.model import Reason, Verdict, VesselVerdict, iso_utc
from desktop.core.output import OUTSIDE_AIS, table_time
from desktop.core.review import Review
from desktop.core.rule import day, when
from desktop.core.screening import ScreeningResult

COORD_DECIMALS: Final = 6  # about 0.1 m: more than AIS positions carry
EFFECT_WORDS: Final = {
    "bars": "bars the vessel",
    "review": "calls for review",
    "none": "no effect on the verdict",
}
_BANNER_COLOURS: Final = {  # the GUI's verdict colours (desktop.gui.style), without Qt
    Verdict.BARRED: ("#d62728", "#ffffff"),
    Verdict.REVIEW: ("#f0a014", "#281e00"),
    Verdict.CLEAR: ("#787878", "#ffffff"),
}
_CSS: Final = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #222;
       margin: 1.5em; }
h1 { font-size: 16pt; margin: 0 0 0.3em 0; }
h2 { font-size: 13pt; border-bottom: 1px solid #999; margin-top: 1.4em; }
h3 { font-size: 11pt; margin: 0.8em 0 0.3em 0; }
table { border-collapse: collapse; margin: 0.3em 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; }
table.reasons { width: 100%; }
table.reasons th, table.reasons td { font-size: 9pt; }
.meta { color: #444; }
.banner { font-size: 13pt; font-weight: bold; padding: 6px 10px; margin: 0.4em 0; }
.vessel { margin-top: 1.2em; page-break-inside: avoid; }
.bars td { color: #8b0000; }
td.explanation { padding-bottom: 5px; }
.history td { color: #666; }
.review { background: #f4f4fa; border-left: 4px solid #557; padding: 4px 8px; }
.changed { color: #8b0000; font-weight: bold; }
.warning, .coverage.stale { background: #fff4d6; border-left: 4px solid #c08000;
                            padding: 4px 8px; }
.outside { color: #555; font-size: 9pt; }
img.map { width: 100%; height: auto; border: 1px solid #999; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } }
"""


def _e(value: object) -> str:
    """HTML-escaped text of a value from the data ('' for None)."""
    return "" if value is None else html.escape(str(value), quote=True)


def _selected(result: ScreeningResult, mmsis: Sequence[int] | None) -> list[VesselVerdict]:
    """The verdicts to report, in the core's order; an unknown MMSI is refused."""
    if mmsis is None:
        return list(result.verdicts)
    wanted = {int(m) for m in mmsis}
    known = {v.mmsi for v in result.verdicts}
    unknown = sorted(wanted - known)
    if unknown:
        raise ParameterError(
            f"MMSI {', '.join(str(m) for m in unknown)} not in this screening"
        )
    return [v for v in result.verdicts if v.mmsi in wanted]


def headline(vessel: VesselVerdict) -> str:
    """The verdict in one line, e.g. 'BARRED until 30 Dec 2026 06:20 UTC'."""
    if vessel.verdict == Verdict.BARRED and vessel.barred_until is not None:
        return f"BARRED until {when(vessel.barred_until)}"
    if vessel.verdict == Verdict.REVIEW:
        return "REVIEW: not barred, but an analyst should look"
    if is_stale_clear(vessel):
        assert vessel.coverage is not None
        since = vessel.coverage.last_fix
        return (
            "CLEAR, BUT STALE: nothing found, "
            + (f"but no AIS since {day(since)}" if since is not None else "but no AIS at all")
        )
    return "CLEAR: nothing in the window bars this vessel or calls for review"


def _position(reason: Reason) -> str:
    e = reason.event
    if e.lat is None or e.lon is None:
        return ""
    ns = "N" if e.lat >= 0 else "S"
    ew = "E" if e.lon >= 0 else "W"
    return f"{abs(e.lat):.5f}° {ns}, {abs(e.lon):.5f}° {ew}"


def _where(reason: Reason) -> str:
    e = reason.event
    parts = []
    if e.zone:
        parts.append(e.zone + (f" ({e.locode})" if e.locode else ""))
    if e.country:
        parts.append(e.country)
    if e.with_mmsi is not None:
        parts.append(f"with MMSI {e.with_mmsi}")
    return ", ".join(parts)


def reasons_html(vessel: VesselVerdict) -> list[str]:
    """Every reason of ``vessel`` as an HTML table (facts, then the explanation underneath)."""
    if not vessel.reasons:
        return ["<p>No event found for this vessel in the data read.</p>"]
    # The explanation gets a full-width row under its facts: it is what an official reads.
    out = [
        "<table class='reasons'><tr><th>#</th><th>Event</th><th>Start (UTC)</th>"
        "<th>End (UTC)</th><th>Where</th><th>Position</th><th>In window</th><th>Effect</th>"
        "</tr>"
    ]
    for i, r in enumerate(vessel.reasons, start=1):
        e = r.event
        cls = "bars" if r.bars else ("" if r.in_window else "history")
        end = table_time(e.end)
        if e.ongoing:
            end += " (ongoing)"
        effect = EFFECT_WORDS[r.effect]
        if r.barred_until is not None:
            effect += f" until {table_time(r.barred_until)} UTC"
        out.append(
            f"<tr class='{cls}'><td class='num' rowspan='2'>{i}</td>"
            f"<td>{_e(str(e.kind).replace('_', ' '))}</td><td>{_e(table_time(e.start))}</td>"
            f"<td>{_e(end)}</td><td>{_e(_where(r))}</td><td>{_e(_position(r))}</td>"
            f"<td>{'yes' if r.in_window else 'no'}</td><td>{_e(effect)}</td></tr>"
            f"<tr class='{cls}'><td colspan='7' class='explanation'>{_e(r.explanation)}</td></tr>"
        )
    out.append("</table>")
    return out


def _review_html(vessel: VesselVerdict, review: Review | None) -> list[str]:
    if review is None:
        return ["<p class='review'>Analyst review: none recorded.</p>"]
    lines = [
        "<div class='review'><b>Analyst review: "
        f"{_e(review.decision)}</b> by {_e(review.reviewer or 'unknown')} on "
        f"{_e(iso_utc(review.decided_at))}, when the verdict was {_e(review.verdict_at_review)} "
        f"as of {_e(iso_utc(review.as_of))}."
    ]
    if review.note:
        lines.append(f"<br>Note: {_e(review.note)}")
    if review.verdict_at_review != vessel.verdict:
        lines.append(
            f"<br><span class='changed'>The verdict has changed since the review "
            f"(now {_e(vessel.verdict)}).</span>"
        )
    lines.append("</div>")
    return lines


def _vessel_html(
    vessel: VesselVerdict, review: Review | None, as_of: datetime, window_days: float
) -> list[str]:
    background, text = _BANNER_COLOURS[vessel.verdict]
    name = vessel.name or "(no name)"
    out = [
        f"<div class='vessel' id='mmsi-{vessel.mmsi}'>",
        f"<h2>{_e(name)} · MMSI {vessel.mmsi}</h2>",
        f"<div class='banner' style='background:{background}; color:{text}'>"
        f"{_e(headline(vessel))}</div>",
        "<table class='identity'>"
        f"<tr><th>MMSI</th><td>{vessel.mmsi}</td></tr>"
        f"<tr><th>IMO</th><td>{_e(vessel.imo)}</td></tr>"
        f"<tr><th>Name</th><td>{_e(vessel.name)}</td></tr>"
        f"<tr><th>Call sign</th><td>{_e(vessel.callsign)}</td></tr>"
        f"<tr><th>Flag (from the MMSI)</th><td>{_e(vessel.flag)}</td></tr>"
        f"<tr><th>Verdict</th><td>{_e(vessel.verdict)}</td></tr>"
        f"<tr><th>Barred until (UTC)</th><td>{_e(iso_utc(vessel.barred_until) or '-')}</td></tr>"
        "</table>",
        f"<p class='coverage{' stale' if is_stale_clear(vessel) else ''}'>"
        f"<b>Coverage:</b> {_e(coverage_sentence(vessel.coverage, as_of, window_days))}</p>",
    ]
    if vessel.verdict == Verdict.BARRED and vessel.barred_until is not None:
        out.append(
            f"<p><b>May not call at a US port before {_e(when(vessel.barred_until))}</b> "
            "(EO 13810, 31 CFR 510.208(b)).</p>"
        )
    out.append("<h3>Reasons (newest first)</h3>")
    out += reasons_html(vessel)
    out += _review_html(vessel, review)
    out.append(f"<p class='outside'>{_e(OUTSIDE_AIS)}</p>")
    out.append("</div>")
    return out


def _inputs_html(result: ScreeningResult) -> list[str]:
    reports = list(result.ingest.reports)
    if not reports:
        return ["<p>Fixes built in memory (no file).</p>"]
    out = [
        "<table class='inputs'><tr><th>File</th><th>Format</th><th>Lines</th><th>Fixes</th>"
        "<th>Rejected by reason</th></tr>"
    ]
    for report in reports:
        rejected = ", ".join(
            f"{_e(k)} {int(report.rejected[k])}" for k in sorted(report.rejected)
            if int(report.rejected[k])
        )
        out.append(
            f"<tr><td>{_e(report.path)}</td><td>{_e(report.format)}</td>"
            f"<td class='num'>{int(report.lines)}</td><td class='num'>{int(report.fixes)}</td>"
            f"<td>{rejected or 'none'}</td></tr>"
        )
    out.append("</table>")
    return out


def _params_html(result: ScreeningResult) -> list[str]:
    docs = result.params.describe()
    out = ["<table class='parameters'><tr><th>Parameter</th><th>Value</th><th>Meaning</th></tr>"]
    for name, value in result.params.as_dict().items():
        out.append(
            f"<tr><td>{_e(name)}</td><td class='num'>{value:g}</td>"
            f"<td>{_e(docs.get(name, ''))}</td></tr>"
        )
    out.append("</table>")
    return out


def to_html_report(
    result: ScreeningResult,
    mmsis: Sequence[int] | None = None,
    reviews: Mapping[int, Review] | None = None,
    map_png: bytes | None = None,
) -> str:
    """A self-contained printable HTML report of the vessels ``mmsis`` (default: all).

    It holds the screening instant and window, every parameter, the inputs (format, lines,
    fixes, rejections by reason), and per vessel the verdict banner, barred-until, identity,
    every reason (times, place, position, in window, effect, explanation), the analyst's review
    from ``reviews`` (by MMSI) if any, and the statement of what AIS cannot tell. ``map_png``
    (PNG bytes) is embedded as a ``data:`` URI.
    """
    vessels = _selected(result, mmsis)
    reviews = reviews or {}
    window = timedelta(days=result.params.window_days)
    counts = {v: sum(1 for x in vessels if x.verdict == v) for v in Verdict}
    title = "Maritime Exposure Check: EO 13810 180-day rule"
    out = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}: screening as of {_e(iso_utc(result.as_of))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='meta'>Screening as of <b>{_e(when(result.as_of))}</b> "
        f"({_e(iso_utc(result.as_of))}); window {result.params.window_days:g} days, from "
        f"{_e(when(result.as_of - window))} to {_e(when(result.as_of))}.<br>"
        f"{len(vessels)} of {len(result.verdicts)} vessels in this report: "
        f"{counts[Verdict.BARRED]} barred, {counts[Verdict.REVIEW]} review, "
        f"{counts[Verdict.CLEAR]} clear.</p>",
        f"<p class='outside'>{_e(OUTSIDE_AIS)}</p>",
    ]
    if result.warning is not None:
        out.insert(-1, f"<p class='warning'><b>Warning:</b> {_e(result.warning)}</p>")
    if map_png:
        data = base64.b64encode(map_png).decode("ascii")
        out.append(
            f"<p><img class='map' alt='Map of the tracks' src='data:image/png;base64,{data}'></p>"
        )
    if len(vessels) > 1:
        out.append(
            "<h2>Summary</h2><table class='summary'><tr><th>MMSI</th><th>Name</th>"
            "<th>Verdict</th><th>Barred until (UTC)</th><th>Review</th></tr>"
        )
        for v in vessels:
            review = reviews.get(v.mmsi)
            out.append(
                f"<tr><td><a href='#mmsi-{v.mmsi}'>{v.mmsi}</a></td><td>{_e(v.name)}</td>"
                f"<td>{_e(v.verdict)}</td><td>{_e(iso_utc(v.barred_until) or '')}</td>"
                f"<td>{_e(review.decision if review else '')}</td></tr>"
            )
        out.append("</table>")
    for v in vessels:
        out += _vessel_html(v, reviews.get(v.mmsi), result.as_of, result.params.window_days)
    out.append("<h2>Inputs</h2>")
    out += _inputs_html(result)
    out.append("<h2>Parameters</h2>")
    out += _params_html(result)
    out.append(
        f"<p class='outside'>Made by Maritime Exposure Check {_e(__version__)} from AIS "
        "data only.</p></body></html>"
    )
    return "\n".join(out) + "\n"


def _round(values: np.ndarray) -> list[float]:
    return [float(x) for x in np.round(values.astype("float64"), COORD_DECIMALS).tolist()]


def _track_features(result: ScreeningResult, vessels: list[VesselVerdict]) -> list[dict[str, Any]]:
    fixes = result.ingest.fixes
    mmsi = fixes["mmsi"].to_numpy().astype("int64")
    t = fixes["time"]
    # As the screening: only fixes at or before as_of (the data "ends" there).
    keep = (t <= result.as_of).to_numpy()
    lon_all = fixes["lon"].to_numpy()
    lat_all = fixes["lat"].to_numpy()
    features = []
    for v in vessels:
        lo, hi = np.searchsorted(mmsi, [v.mmsi, v.mmsi + 1])
        rows = np.arange(lo, hi)[keep[lo:hi]]
        coords = [list(p) for p in zip(_round(lon_all[rows]), _round(lat_all[rows]), strict=True)]
        geometry: dict[str, Any] | None
        if len(coords) >= 2:
            geometry = {"type": "LineString", "coordinates": coords}
        elif len(coords) == 1:  # a LineString needs two positions (RFC 7946 §3.1.4)
            geometry = {"type": "Point", "coordinates": coords[0]}
        else:
            geometry = None
        times = t.iloc[rows] if len(rows) else None
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "feature": "track",
                    "mmsi": v.mmsi,
                    "imo": v.imo,
                    "name": v.name,
                    "flag": v.flag,
                    "verdict": str(v.verdict),
                    "barred_until": iso_utc(v.barred_until),
                    "fixes": len(coords),
                    "start": None if times is None else iso_utc(times.iloc[0].to_pydatetime()),
                    "end": None if times is None else iso_utc(times.iloc[-1].to_pydatetime()),
                    # how much was seen, for a GIS user filtering out stale clears
                    "coverage": None if v.coverage is None else str(v.coverage.status),
                    "coverage_note": coverage_sentence(
                        v.coverage, result.as_of, result.params.window_days
                    ),
                },
            }
        )
    return features


def _reason_feature(vessel: VesselVerdict, r: Reason) -> dict[str, Any]:
    e = r.event
    geometry = None
    if e.lat is not None and e.lon is not None:
        geometry = {
            "type": "Point",
            "coordinates": [
                round(float(e.lon), COORD_DECIMALS),
                round(float(e.lat), COORD_DECIMALS),
            ],
        }
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "feature": "event",
            "mmsi": vessel.mmsi,
            "kind": str(e.kind),
            "start": iso_utc(e.start),
            "end": iso_utc(e.end),
            "ongoing": e.ongoing,
            "zone": e.zone,
            "locode": e.locode,
            "country": e.country,
            "with_mmsi": e.with_mmsi,
            "in_window": r.in_window,
            "effect": r.effect,
            "barred_until": iso_utc(r.barred_until),
            "explanation": r.explanation,
        },
    }


def to_geojson(result: ScreeningResult, mmsis: Sequence[int] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (EPSG:4326, lon/lat) of the vessels ``mmsis`` (default: all).

    First one feature per vessel (``feature: track``): a LineString of its fixes at or before
    ``as_of`` (a Point for a single fix, no geometry when it has none), with mmsi, name,
    verdict, barred_until. Then one feature per reason (``feature: event``), in the vessels'
    order and each vessel's reasons newest first: a Point at the event's position (no geometry
    for a reason without one, such as a KP flag) with kind, times, zone, with_mmsi,
    explanation and effect. Coordinates are rounded to ``COORD_DECIMALS``.
    """
    vessels = _selected(result, mmsis)
    features = _track_features(result, vessels)
    for v in vessels:
        features += [_reason_feature(v, r) for r in v.reasons]
    return {
        "type": "FeatureCollection",
        "name": f"exposure-check as of {iso_utc(result.as_of)}",
        "as_of": iso_utc(result.as_of),
        "window_days": result.params.window_days,
        "features": features,
    }


def to_geojson_text(result: ScreeningResult, mmsis: Sequence[int] | None = None) -> str:
    """``to_geojson`` as compact JSON text ending with a newline."""
    return json.dumps(to_geojson(result, mmsis), ensure_ascii=False, allow_nan=False) + "\n"
