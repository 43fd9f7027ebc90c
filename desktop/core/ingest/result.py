"""What ``ingest`` returns: the cleaned tables and one report per file read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.atomic import atomic_output
from desktop.core.errors import InputError
from desktop.core.fixes import FIX_COLUMNS
from desktop.core.lazy import pandas as pd
from desktop.core.model import iso_utc


@dataclass
class FileReport:
    """What happened to one file: its format, what it gave, and every line counted by outcome.

    ``lines`` is the number of physical lines (rows for Parquet/GeoPackage), and
    ``sum(accepted.values()) + sum(rejected.values()) == lines`` always holds. ``fixes`` counts
    the fixes of this file that reached the fixes table, ``vessels`` their distinct MMSIs, and
    ``time_min``/``time_max`` their time span (None when no fix survived). ``first_lines`` maps
    each rejection reason to its first few 1-based line numbers.
    """

    path: str
    format: str
    lines: int
    fixes: int = 0
    vessels: int = 0
    time_min: pd.Timestamp | None = None
    time_max: pd.Timestamp | None = None
    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    first_lines: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted_total(self) -> int:
        return sum(self.accepted.values())

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with sorted keys inside the counters (deterministic output)."""
        return {
            "path": self.path,
            "format": self.format,
            "lines": self.lines,
            "fixes": self.fixes,
            "vessels": self.vessels,
            "time_min": iso_utc(self.time_min) if self.time_min is not None else None,
            "time_max": iso_utc(self.time_max) if self.time_max is not None else None,
            "accepted": {k: int(self.accepted[k]) for k in sorted(self.accepted)},
            "rejected": {k: int(self.rejected[k]) for k in sorted(self.rejected)},
            "first_lines": {k: list(self.first_lines[k]) for k in sorted(self.first_lines)},
            "notes": list(self.notes),
        }

    def summary_lines(self) -> list[str]:
        """The human-readable block ``exposure ingest`` prints for this file."""
        span = "no fixes"
        if self.time_min is not None and self.time_max is not None:
            span = f"{iso_utc(self.time_min)} .. {iso_utc(self.time_max)}"
        out = [
            f"{self.path}  [{self.format}]",
            f"  lines {self.lines}  fixes {self.fixes}  vessels {self.vessels}  {span}",
            "  accepted: " + _counts(self.accepted, {}),
            "  rejected: " + _counts(self.rejected, self.first_lines),
        ]
        out.extend(f"  note: {note}" for note in self.notes)
        return out


def no_fix_warnings(reports: list[FileReport]) -> list[str]:
    """One line per file that gave no fix (binary, a .gz of a .gz, another table...), naming
    it and what its lines became, so that an empty result is never silent."""
    out = []
    for report in reports:
        if report.fixes:
            continue
        top = sorted(report.rejected.items(), key=lambda item: (-item[1], item[0]))[:3]
        why = ", ".join(f"{reason} {count}" for reason, count in top) or "no lines"
        out.append(f"{report.path}: no fixes read ({report.format}, {report.lines} lines; {why})")
    return out


def inputs_summary(reports: list[FileReport]) -> str:
    """One line about the inputs: files, lines, fixes, rejected lines."""
    lines = sum(report.lines for report in reports)
    fixes = sum(report.fixes for report in reports)
    rejected = sum(report.rejected_total for report in reports)
    files = len(reports)
    return (f"Inputs: {files} file{'s' if files != 1 else ''}, {lines} lines, {fixes} fixes, "
            f"{rejected} rejected")  # fmt: skip


def _counts(counts: dict[str, int], first_lines: dict[str, list[int]]) -> str:
    if not counts:
        return "none"
    parts = []
    for key in sorted(counts):
        lines = first_lines.get(key)
        where = ""
        if lines:
            more = ", ..." if counts[key] > len(lines) else ""
            where = f" (lines {', '.join(map(str, lines))}{more})"
        parts.append(f"{key} {counts[key]}{where}")
    return ", ".join(parts)


@dataclass
class IngestResult:
    """The cleaned outcome of reading some files.

    - ``fixes``: the fixes table of ``desktop.core.fixes`` (sorted by mmsi, time; at most one
      fix per (mmsi, time)), from every file together.
    - ``statics``: every static record kept (``STATIC_COLUMNS`` + ``source``), sorted by mmsi,
      time: the full history, so that identity changes can be found. CSV rows repeat their
      static columns on every row; only the rows where a vessel's static values change are kept.
    - ``vessels``: one row per MMSI seen in ``fixes`` or ``statics`` (see ``vessels.py``).
    - ``flagged``: the implausible-jump fixes, kept out of ``fixes`` but listed (fixes columns
      plus ``line`` and ``implied_speed_kn``).
    - ``reports``: one ``FileReport`` per file, in the order read.
    """

    fixes: pd.DataFrame
    statics: pd.DataFrame
    vessels: pd.DataFrame
    flagged: pd.DataFrame
    reports: list[FileReport]

    def summary_lines(self) -> list[str]:
        """What ``exposure ingest`` prints: a block per file, then the totals."""
        out: list[str] = []
        for report in self.reports:
            out.extend(report.summary_lines())
        totals = self.to_json()["totals"]
        span = f"{totals['time_min']} .. {totals['time_max']}" if totals["time_min"] else "no fixes"
        out.append(
            f"total: {totals['files']} files  lines {totals['lines']}  fixes {totals['fixes']}  "
            f"vessels {totals['vessels']}  flagged {totals['flagged']}  {span}"
        )
        out.append("  rejected: " + _counts(totals["rejected"], {}))
        return out

    def write_fixes(self, path: str | Path) -> None:
        """Write the fixes table (DESIGN §3 columns, dtypes kept) as Parquet."""
        # Aside and renamed into place: a full disk never leaves a truncated Parquet file.
        try:
            with atomic_output(path, "wb") as handle:
                self.fixes[list(FIX_COLUMNS)].to_parquet(handle, index=False)
        except InputError as exc:
            reason = exc.__cause__ or exc
            raise InputError(f"{path}: cannot write the fixes table ({reason})") from exc

    def to_json(self) -> dict[str, Any]:
        """Per-file reports and totals (no tables), JSON-ready and deterministic."""
        accepted: dict[str, int] = {}
        rejected: dict[str, int] = {}
        for report in self.reports:
            for key, value in report.accepted.items():
                accepted[key] = accepted.get(key, 0) + int(value)
            for key, value in report.rejected.items():
                rejected[key] = rejected.get(key, 0) + int(value)
        times = self.fixes["time"]
        return {
            "schema": "exposure-ingest/1",
            "inputs": [report.to_json() for report in self.reports],
            "totals": {
                "files": len(self.reports),
                "lines": sum(report.lines for report in self.reports),
                "fixes": len(self.fixes),
                "vessels": int(self.fixes["mmsi"].nunique()),
                "flagged": len(self.flagged),
                "time_min": iso_utc(times.min()) if len(times) else None,
                "time_max": iso_utc(times.max()) if len(times) else None,
                "accepted": {k: accepted[k] for k in sorted(accepted)},
                "rejected": {k: rejected[k] for k in sorted(rejected)},
            },
        }
