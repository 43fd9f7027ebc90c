"""Arrivals (DESIGN.md §9): a port's list of expected vessels, each screened as of its own ETA.

A list is a CSV or XLSX (first sheet) whose header row names any of ``imo``, ``mmsi``,
``name`` and ``eta``, optionally ``port``; header aliases (``ARRIVAL``, ``Vessel name``,
``IMO number``, ``UN/LOCODE`` ...) are matched case-insensitively, ignoring spaces and
punctuation. The ETA is ISO 8601: a date alone is 00:00 UTC, a time without a zone is UTC (as
``--as-of``); an XLSX date cell counts as UTC too.

Bad data policy: a row that cannot be screened (no IMO, MMSI or name; no ETA or one that is not a
date; an IMO whose check digit fails; an MMSI that is not 9 digits) is kept as an ``unusable``
line with its reason and counted; it never stops the run. A blank row is not an arrival. A file
that cannot be read, or whose header names no identifier or no ETA column, raises
``InputError`` naming the file.

Matching, in this order: by IMO (check digit validated) against every IMO the data report, else
by MMSI, else by exact name (case and repeated spaces ignored) against every name the data report
("matched by name only"). When several MMSIs fit, the one heard last at or before the ETA is
taken and the others are named. A listed vessel the data do not hold, or that has no fix at or
before its ETA, is ``no_data``: never ``clear``.

Screening goes through a ``ScreeningSource``: a callable giving the ``ScreeningResult`` as of an
instant (``files_source`` ingests files once and re-screens per ETA; the archive supplies its own).
Each distinct ETA is screened once, with the same ``screen`` as ``exposure check``.

The seam for ``exposure arrivals LIST --archive ARCHIVE`` (DESIGN.md §8-§9): a source that reads
the archive's days for each ETA, with the list's vessels as the selection so that their
counterparts come along, e.g. ``lambda eta: screen_archive(archive, zones, as_of=eta,
vessels=..., watchlist=...)``; matching then runs against what each screening read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from desktop.core.coverage import moment_of_ns
from desktop.core.detect.geo import time_ns, to_ns
from desktop.core.errors import ExposureError, InputError
from desktop.core.model import Coverage, VesselVerdict, iso_utc
from desktop.core.output import OUTSIDE_AIS, coverage_cells, summary
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.rule import main_reason, when
from desktop.core.screening import ScreeningResult, screen
from desktop.core.textsafe import csv_cell, terminal_text
from desktop.core.watchlist import Watchlist, imo_is_valid
from desktop.core.zones import ZoneSet

SCHEMA: Final = "exposure-arrivals/1"
NO_DATA: Final = "no_data"
UNUSABLE: Final = "unusable"
OUTCOMES: Final = ("barred", "review", "clear", NO_DATA, UNUSABLE)
FIELDS: Final = ("imo", "mmsi", "name", "eta", "port")
# Header cells (lower case, letters and digits only) that mean each field.
ALIASES: Final = {
    "imo": ("imo", "imono", "imonumber", "imonr", "lloydsnumber"),
    "mmsi": ("mmsi", "mmsino", "mmsinumber"),
    "name": ("name", "vessel", "vesselname", "ship", "shipname", "vesselasnamed"),
    "eta": ("eta", "etautc", "arrival", "arrivalutc", "expectedarrival", "estimatedarrival",
            "etadate", "arrivaldate"),
    "port": ("port", "portofcall", "arrivalport", "destination", "locode", "unlocode"),
}
CSV_COLUMNS: Final = (
    "line", "imo_listed", "mmsi_listed", "name_listed", "eta", "port", "match", "mmsi", "imo",
    "name", "verdict", "barred_until", "main_reason_kind", "main_reason", "first_fix",
    "last_fix", "silent_h", "covered_fraction", "coverage", "note",
)

ScreeningSource = Callable[[datetime], ScreeningResult]
"""The screening as of an instant: the seam between arrivals and where the AIS data live."""


def _key(header: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header or "").lower())


_FIELD_OF: Final = {alias: f for f, names in ALIASES.items() for alias in names}


@dataclass(frozen=True)
class Arrival:
    """One row of an arrivals list. ``listed`` holds the cells as written (by field);
    ``problem`` says why the row cannot be screened (None when it can)."""

    line: int  # the row's number in the file (the header is row 1 when it comes first)
    listed: dict[str, str]
    imo: int | None = None
    mmsi: int | None = None
    name: str | None = None
    eta: datetime | None = None
    port: str | None = None
    problem: str | None = None

    @property
    def as_listed(self) -> str:
        """The vessel as the list names it: 'SEA PIONEER (IMO 9123453)'."""
        ids = [f"{k.upper()} {self.listed[k]}" for k in ("imo", "mmsi") if self.listed.get(k)]
        name = self.listed.get("name") or ""
        if name and ids:
            return f"{name} ({', '.join(ids)})"
        return name or ", ".join(ids) or "(no identifier)"


@dataclass(frozen=True)
class ArrivalsList:
    path: str
    sha256: str
    arrivals: tuple[Arrival, ...]
    columns: dict[str, str]  # field -> the header cell it was read from


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file, hex; InputError naming it when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _rows_csv(path: Path) -> list[list[object]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # spreadsheets on Windows save CSV in their code page
        text = raw.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _rows_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors ... on bad files
        raise InputError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep="T")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an IMO typed in a spreadsheet cell comes back as 9123453.0
    return str(value).strip()


def _parse_eta(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = _cell_text(value).replace(" UTC", "").strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_row(line: int, cells: dict[str, object]) -> Arrival:
    listed = {f: _cell_text(cells.get(f)) for f in FIELDS if f in cells}
    problems: list[str] = []
    imo = mmsi = None
    imo_text = re.sub(r"^imo\s*", "", listed.get("imo", ""), flags=re.IGNORECASE)
    if imo_text:
        if imo_text.isdigit() and imo_is_valid(int(imo_text)):
            imo = int(imo_text)
        else:
            problems.append(f"IMO {imo_text!r} is not a valid IMO number (7 digits, check digit)")
    mmsi_text = listed.get("mmsi", "")
    if mmsi_text:
        if mmsi_text.isdigit() and len(mmsi_text) == 9:
            mmsi = int(mmsi_text)
        else:
            problems.append(f"MMSI {mmsi_text!r} is not 9 digits")
    name = " ".join(listed.get("name", "").split()) or None
    if not (imo_text or mmsi_text or name):
        problems.append("no IMO, MMSI or name")
    eta = None
    if not listed.get("eta"):
        problems.append("no ETA")
    else:
        eta = _parse_eta(cells.get("eta"))
        if eta is None:
            problems.append(
                f"ETA {listed['eta']!r} is not an ISO 8601 date (YYYY-MM-DD) or date and time"
            )
    return Arrival(
        line=line,
        listed=listed,
        imo=imo,
        mmsi=mmsi,
        name=name,
        eta=eta,
        port=listed.get("port") or None,
        problem="; ".join(problems) or None,
    )


def read_arrivals(path: str | Path) -> ArrivalsList:
    """Read an arrivals list (CSV, or XLSX by its ``.xlsx``/``.xlsm`` suffix); see the module
    docstring for what is accepted and what makes a row unusable."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such arrivals list")
    try:
        rows = _rows_xlsx(p) if p.suffix.lower() in (".xlsx", ".xlsm") else _rows_csv(p)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc
    header_at = next(
        (i for i, r in enumerate(rows) if any(_cell_text(c) for c in r)), None
    )
    if header_at is None:
        raise InputError(f"{p}: the arrivals list is empty")
    header = rows[header_at]
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for index, cell in enumerate(header):
        found = _FIELD_OF.get(_key(cell))
        if found is not None and found not in columns:
            columns[found] = index
            names[found] = _cell_text(cell)
    if not {"imo", "mmsi", "name"} & set(columns) or "eta" not in columns:
        missing = "an ETA column" if "eta" not in columns else "an IMO, MMSI or name column"
        raise InputError(
            f"{p}: the header row (line {header_at + 1}) has no {missing}; it reads "
            f"{', '.join(repr(_cell_text(c)) for c in header if _cell_text(c)) or 'nothing'}"
        )
    arrivals = []
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        if not any(_cell_text(c) for c in row):
            continue
        cells = {f: (row[c] if c < len(row) else None) for f, c in columns.items()}
        arrivals.append(_parse_row(i + 1, cells))
    return ArrivalsList(str(p), sha256_of(p), tuple(arrivals), names)


@dataclass(frozen=True)
class Match:
    by: str  # "imo", "mmsi" or "name"
    mmsi: int
    note: str | None = None

    def words(self) -> str:
        head = {"imo": "by IMO", "mmsi": "by MMSI", "name": "matched by name only"}[self.by]
        return head + (f"; {self.note}" if self.note else "")


@dataclass(frozen=True)
class ArrivalLine:
    """One arrival and what screening as of its ETA said."""

    arrival: Arrival
    outcome: str  # barred, review, clear, no_data, unusable
    match: Match | None = None
    vessel: VesselVerdict | None = None
    note: str | None = None
    as_of: datetime | None = None

    @property
    def barred_until(self) -> datetime | None:
        return self.vessel.barred_until if self.vessel is not None else None

    @property
    def coverage(self) -> Coverage | None:
        return self.vessel.coverage if self.vessel is not None else None

    def reason_text(self) -> str:
        """The main reason in words (the stale sentence for a stale clear), or why there is no
        verdict."""
        if self.outcome == UNUSABLE:
            return f"unusable row: {self.arrival.problem}"
        if self.outcome == NO_DATA:
            return self.note or "no AIS for this vessel in the data"
        assert self.vessel is not None and self.as_of is not None
        return summary(self.vessel, self.as_of)

    def to_json(self) -> dict[str, Any]:
        a = self.arrival
        reason = main_reason(self.vessel) if self.vessel is not None else None
        return {
            "line": a.line,
            "listed": a.listed,
            "eta": iso_utc(a.eta),
            "as_of": iso_utc(self.as_of),
            "port": a.port,
            "problem": a.problem,
            "match": None if self.match is None else {
                "by": self.match.by, "mmsi": self.match.mmsi, "note": self.match.note,
            },
            "verdict": self.outcome,
            "barred_until": iso_utc(self.barred_until),
            "coverage": None if self.coverage is None else self.coverage.to_json(),
            "main_reason_kind": None if reason is None else str(reason.event.kind),
            "main_reason": self.reason_text(),
            "note": self.note,
            "vessel": None if self.vessel is None else self.vessel.to_json(),
        }


@dataclass
class ArrivalsResult:
    """Every line of one list, in the list's order, and what they were screened against."""

    list: ArrivalsList
    lines: list[ArrivalLine]
    params: ScreeningParams
    inputs: list[dict[str, Any]] = field(default_factory=list)
    data_end: datetime | None = None  # the latest fix of the data, whatever the ETAs
    results: dict[datetime, ScreeningResult] = field(default_factory=dict, repr=False)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(OUTCOMES, 0)
        for line in self.lines:
            out[line.outcome] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "list": {
                "path": self.list.path,
                "sha256": self.list.sha256,
                "columns": self.list.columns,
                "rows": len(self.lines),
            },
            "parameters": self.params.as_dict(),
            "inputs": self.inputs,
            "data_end": iso_utc(self.data_end),
            "counts": self.counts(),
            "arrivals": [line.to_json() for line in self.lines],
        }


def heard_of(result: ScreeningResult) -> pd.DataFrame:
    """The fixes (mmsi, time, sorted) matching reads: all of them, or on a cluster, which
    keeps the fixes, the last ones of each vessel that matching needs
    (``desktop.core.scaleout.engine.ClusterIngest.heard``)."""
    heard = getattr(result.ingest, "heard", None)
    return result.ingest.fixes if heard is None else heard


class _Identities:
    """Every IMO and name the data report, per MMSI, and each MMSI's fix times."""

    def __init__(self, result: ScreeningResult) -> None:
        ingest = result.ingest
        fixes = heard_of(result)
        self.mmsi = fixes["mmsi"].to_numpy().astype("int64")
        self.t_ns = time_ns(fixes)
        self.known = set(np.unique(self.mmsi).tolist())
        self.by_imo: dict[int, set[int]] = {}
        self.by_name: dict[str, set[int]] = {}
        self.imos: dict[int, set[int]] = {}
        for frame in (ingest.vessels, ingest.statics):
            if frame is None or not len(frame) or "mmsi" not in frame:
                continue
            mmsis = frame["mmsi"].to_numpy().astype("int64")
            if "imo" in frame:
                for m, imo in zip(mmsis.tolist(), frame["imo"].tolist(), strict=True):
                    if imo is not None and not pd.isna(imo):
                        self.by_imo.setdefault(int(imo), set()).add(m)
                        self.imos.setdefault(m, set()).add(int(imo))
            if "name" in frame:
                for m, name in zip(mmsis.tolist(), frame["name"].tolist(), strict=True):
                    if isinstance(name, str) and name.strip():
                        self.by_name.setdefault(_name_key(name), set()).add(m)

    def last_heard_ns(self, mmsi: int, as_of: datetime) -> int | None:
        lo, hi = np.searchsorted(self.mmsi, [mmsi, mmsi + 1])
        t = self.t_ns[lo:hi]
        t = t[t <= to_ns(as_of)]
        return int(t.max()) if len(t) else None

    def pick(self, mmsis: set[int], eta: datetime) -> tuple[int, str | None]:
        """The candidate heard last at or before the ETA (the lowest MMSI when none was)."""
        ordered = sorted(mmsis, key=lambda m: (-(self.last_heard_ns(m, eta) or -1), m))
        chosen = ordered[0]
        if len(ordered) == 1:
            return chosen, None
        others = ", ".join(str(m) for m in ordered[1:])
        return chosen, f"also reported by MMSI {others}; MMSI {chosen} was heard last"

    def match(self, a: Arrival) -> tuple[Match | None, str | None]:
        assert a.eta is not None
        if a.imo is not None and a.imo in self.by_imo:
            mmsi, note = self.pick(self.by_imo[a.imo] & self.known or self.by_imo[a.imo], a.eta)
            return Match("imo", mmsi, note), None
        if a.mmsi is not None and a.mmsi in self.known:
            note = None
            if a.imo is not None:
                reported = sorted(self.imos.get(a.mmsi, ()))
                note = f"listed IMO {a.imo} is not in the data" + (
                    f" (this MMSI reports IMO {', '.join(map(str, reported))})" if reported else ""
                )
            return Match("mmsi", a.mmsi, note), None
        if a.name is not None and _name_key(a.name) in self.by_name:
            mmsi, note = self.pick(self.by_name[_name_key(a.name)], a.eta)
            return Match("name", mmsi, note), None
        tried = [f"IMO {a.imo}" if a.imo else "", f"MMSI {a.mmsi}" if a.mmsi else "",
                 f"name {a.name!r}" if a.name else ""]
        return None, "no AIS for " + " or ".join(t for t in tried if t) + " in the data"


def _name_key(name: str) -> str:
    return " ".join(name.upper().split())


def screen_arrivals(
    arrivals: ArrivalsList,
    source: ScreeningSource,
    params: ScreeningParams = DEFAULT_PARAMS,
    inputs: Sequence[dict[str, Any]] = (),
) -> ArrivalsResult:
    """Match and screen every arrival as of its own ETA (module docstring); ``inputs`` are
    recorded as given (path, format, SHA-256 ...)."""
    results: dict[datetime, ScreeningResult] = {}

    def at(eta: datetime) -> ScreeningResult:
        if eta not in results:
            results[eta] = source(eta)
        return results[eta]

    # Per screening, not once: a source such as the archive reads only the days an ETA needs.
    identities: dict[int, _Identities] = {}
    lines: list[ArrivalLine] = []
    for a in arrivals.arrivals:
        if a.problem is not None or a.eta is None:
            lines.append(ArrivalLine(a, UNUSABLE))
            continue
        result = at(a.eta)
        ids = identities.get(id(result.ingest))
        if ids is None:
            ids = identities[id(result.ingest)] = _Identities(result)
        found, why = ids.match(a)
        if found is None:
            lines.append(ArrivalLine(a, NO_DATA, note=why, as_of=a.eta))
            continue
        try:
            vessel = result.verdict_of(found.mmsi)
        except KeyError:
            vessel = None
        if vessel is None or vessel.coverage is None or vessel.coverage.last_fix is None:
            note = f"MMSI {found.mmsi} has no AIS at or before the ETA ({when(a.eta)})"
            lines.append(ArrivalLine(a, NO_DATA, found, None, note, a.eta))
            continue
        lines.append(ArrivalLine(a, str(vessel.verdict), found, vessel, None, a.eta))
    # The data's own end (not truncated at any ETA): what the list was checked against.
    ends = [int(time_ns(heard_of(r)).max()) for r in results.values() if len(heard_of(r))]
    data_end = moment_of_ns(max(ends)) if ends else None
    return ArrivalsResult(arrivals, lines, params, list(inputs), data_end, results)


def files_source(
    files: Sequence[str | Path],
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    watchlist: Watchlist | None = None,
) -> tuple[ScreeningSource, list[dict[str, Any]]]:
    """A screening source over track files, read once, and the inputs to record (each file's
    path, format, lines, fixes and SHA-256)."""
    from desktop.core.ingest import ingest
    from desktop.core.zones import default_zones  # type: ignore[attr-defined]

    ingested = ingest(list(files), max_speed_kn=params.max_speed_kn)
    zone_set = zones if zones is not None else default_zones()
    inputs = []
    for report in ingested.reports:
        entry: dict[str, Any] = {
            "path": report.path,
            "format": report.format,
            "lines": int(report.lines),
            "fixes": int(report.fixes),
            "rejected": {k: int(v) for k, v in sorted(report.rejected.items())},
        }
        try:
            entry["sha256"] = sha256_of(report.path)
        except ExposureError:
            entry["sha256"] = None
        inputs.append(entry)

    def source(as_of: datetime) -> ScreeningResult:
        return screen(ingested, zone_set, params, as_of, watchlist=watchlist)

    return source, inputs


def archive_source(
    archive: str,
    arrivals: ArrivalsList,
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    watchlist: Watchlist | None = None,
    storage_options: dict[str, Any] | None = None,
    screen_archive: Callable[..., ScreeningResult] | None = None,
) -> tuple[ScreeningSource, list[dict[str, Any]]]:
    """A screening source over an archive (DESIGN.md §8), and the inputs to record.

    Each ETA reads only the days its screening needs, and only the listed vessels with the
    whole archive as context (their counterparts, and those counterparts' calls), exactly as
    ``exposure check --archive ARCHIVE --vessels LIST`` does. The inputs are the archive's files
    (from its manifest) whose fixes overlap the days read for some ETA, each once.
    ``screen_archive``: what screens the archive (the signature of
    ``desktop.core.archive.screen.screen_archive``, its default; the Dask engine gives its
    twin, ``screen_archive_on_dask`` bound to a client)."""
    from desktop.core.archive.read import VesselList

    if screen_archive is None:
        from desktop.core.archive.screen import screen_archive as local

        screen_archive = local

    usable = [a for a in arrivals.arrivals if a.problem is None]
    selection = VesselList(
        mmsis={a.mmsi for a in usable if a.mmsi is not None},
        imos={a.imo for a in usable if a.imo is not None},
        names={a.name.strip().upper() for a in usable if a.name},
        source=arrivals.path,
    )
    inputs: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def source(as_of: datetime) -> ScreeningResult:
        result = screen_archive(
            archive, zones, params, as_of, vessels=selection, watchlist=watchlist,
            storage_options=storage_options,
        )
        for report in result.ingest.reports:
            key = (report.path, report.format)
            if key not in seen:
                seen.add(key)
                inputs.append({
                    "path": report.path,
                    "format": report.format,
                    "lines": int(report.lines),
                    "fixes": int(report.fixes),
                    "rejected": {k: int(v) for k, v in sorted(report.rejected.items())},
                })
        return result

    return source, inputs


def result_source(result: ScreeningResult) -> ScreeningSource:
    """A screening source over data already screened once (the GUI): ``reapply`` per ETA."""
    return result.reapply


# ---- formats -------------------------------------------------------------------------------


def last_ais(line: ArrivalLine) -> str:
    cov = line.coverage
    if cov is None or cov.last_fix is None:
        return "-"
    text = f"{cov.last_fix:%Y-%m-%d %H:%M}"
    return text + " stale" if cov.stale else text


def eta_text(line: ArrivalLine) -> str:
    eta = line.arrival.eta
    if eta is None:
        return line.arrival.listed.get("eta") or "-"
    return f"{eta:%Y-%m-%d %H:%M}"


def match_text(line: ArrivalLine) -> str:
    if line.match is None:
        return "-"
    return f"{line.match.mmsi} {line.match.words()}"


def to_table_text(result: ArrivalsResult) -> str:
    """One line per arrival in the list's order: line, ETA, vessel as listed, verdict at the
    ETA, barred until, matched MMSI and how, last AIS, the reason in words."""
    counts = result.counts()
    head = (
        f"Arrivals {result.list.path}: {len(result.lines)} arrivals, "
        + ", ".join(f"{counts[o]} {o.replace('_', ' ')}" for o in OUTCOMES)
        + f"; each screened as of its ETA, window {result.params.window_days:g} days"
    )
    lines = [head, ""]
    lines.append(
        f"{'LINE':<4}  {'ETA':<16}  {'VESSEL AS LISTED':<34}  {'VERDICT':<8}  "
        f"{'BARRED UNTIL':<20}  {'MATCH':<30}  {'LAST AIS':<22}  REASON"
    )
    for line in result.lines:
        until = iso_utc(line.barred_until) or "-"
        # The list's cells and the AIS names are untrusted text: nothing reaches the terminal raw.
        listed = terminal_text(line.arrival.as_listed)[:34]
        lines.append(
            f"{line.arrival.line:<4}  {terminal_text(eta_text(line))[:16]:<16}  {listed:<34}  "
            f"{line.outcome:<8}  {until:<20}  {_short_match(line):<30}  {last_ais(line):<22}  "
            f"{terminal_text(line.reason_text())}"
        )
    lines += ["", OUTSIDE_AIS]
    return "\n".join(lines) + "\n"


def _short_match(line: ArrivalLine) -> str:
    if line.match is None:
        return "-"
    how = {"imo": "IMO", "mmsi": "MMSI", "name": "name only"}[line.match.by]
    return f"{line.match.mmsi} by {how}"


def to_csv_text(result: ArrivalsResult) -> str:
    """One row per arrival (``CSV_COLUMNS``); a cell a spreadsheet would run is defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in result.lines:
        a, v = line.arrival, line.vessel
        reason = main_reason(v) if v is not None else None
        cov = coverage_cells(v) if v is not None else ["", "", "", "", ""]
        writer.writerow([csv_cell(cell) for cell in [
            a.line, a.listed.get("imo", ""), a.listed.get("mmsi", ""), a.listed.get("name", ""),
            iso_utc(a.eta) or a.listed.get("eta", ""), a.port or "",
            "" if line.match is None else line.match.by,
            "" if line.match is None else line.match.mmsi,
            "" if v is None or v.imo is None else v.imo,
            "" if v is None else v.name or "",
            line.outcome, iso_utc(line.barred_until) or "",
            "" if reason is None else str(reason.event.kind),
            line.reason_text(), *cov,
            "; ".join(x for x in (line.match.note if line.match else None, line.note) if x),
        ]])
    return buffer.getvalue()


def to_json_text(result: ArrivalsResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render(result: ArrivalsResult, fmt: str) -> str:
    """``fmt`` is ``table``, ``json`` or ``csv``."""
    return {"table": to_table_text, "json": to_json_text, "csv": to_csv_text}[fmt](result)
