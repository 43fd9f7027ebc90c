"""Vessel watch lists: the OFAC SDN list as analysts download it, read into vessel entries.

OFAC publishes the list weekly, so the project never bundles a copy: the analyst loads the files
(``exposure check --watchlist sdn.csv``). The format is OFAC's legacy CSV, without a header:

* ``sdn.csv``: ``ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
  GRT, Vess_flag, Vess_owner, Remarks``; ``-0-`` means empty; several programmes share one
  field as ``IRAN] [NPWMD``.
* ``alt.csv``: ``ent_num, alt_num, alt_type, alt_name, alt_remarks`` (``aka`` aliases, ``fka``
  former names, ``nka`` later names), linked to ``sdn.csv`` by ``ent_num``.

What is kept: rows of ``SDN_Type`` ``vessel`` only. The IMO number comes from the remarks
(``Vessel Registration Identification IMO 9216507``; a few entries omit the word ``IMO``), the
MMSI likewise (``MMSI 572469210``); ``f.k.a.``/``a.k.a.`` names in the remarks count like the
rows of ``alt.csv`` (OFAC writes some only there).

Bad data policy (never silent, never fatal): a row with the wrong number of columns or a
non-numeric ``ent_num`` is counted by reason with its first line numbers; an IMO whose check
digit fails (or that is not 7 digits) is listed in ``invalid_imo`` and not used for matching
(it cannot be a real IMO number; the name still matches). OFAC's files end with a DOS
end-of-file byte (0x1A), which is not a row. A path that cannot be read raises ``InputError``
naming it; a file whose rows are not in either layout raises ``InputError`` with the reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from desktop.core.errors import InputError
from desktop.core.files import read_regular_file

LIST_NAME: Final = "OFAC SDN"
SDN_COLUMNS: Final = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage",
    "GRT", "Vess_flag", "Vess_owner", "Remarks",
)  # fmt: skip
ALT_COLUMNS: Final = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
EMPTY: Final = "-0-"
AIS_NAME_CHARS: Final = 20  # ITU-R M.1371 type 5 vessel name: 20 six-bit characters
FIRST_LINES: Final = 5  # line numbers kept per bad-row reason
_SNIFF_ROWS: Final = 50

_IMO_RE = re.compile(r"\bIMO\s*:?\s*(\d+)", re.IGNORECASE)
_REG_ID_RE = re.compile(r"Vessel Registration Identification\s*:?\s*(\d+)", re.IGNORECASE)
_MMSI_RE = re.compile(r"\bMMSI\s*:?\s*(\d+)", re.IGNORECASE)
_KA_RE = re.compile(r"\b([afn])\.k\.a\.\s*'([^']+)'", re.IGNORECASE)
# "M/V", "MV", "M.V." (motor vessel) before a name are not part of it: AIS names seldom carry
# it, registries' and news names often do. "MT" is left alone: it begins real names too.
_PREFIX_RE = re.compile(r"^\s*M\s*[/.]?\s*V\b\.?\s+")


def imo_is_valid(imo: int) -> bool:
    """True for a 7-digit IMO number whose check digit holds: the sum of its first six digits
    times 7, 6, 5, 4, 3, 2 ends in the seventh digit (IMO Resolution A.1117(30))."""
    if not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10 == digits[6]


def name_key(name: str | None) -> str:
    """The form names are compared in: upper case, accents dropped, a leading ``M/V``, ``MV``
    or ``M.V.`` dropped, and every space and punctuation mark removed, so ``"M/V Chon-Ma San"``
    and ``"CHONMASAN"`` are one name. Empty for no name."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = _PREFIX_RE.sub("", text)
    return "".join(c for c in text if c.isalnum())


@dataclass(frozen=True)
class WatchEntry:
    """One vessel on a watch list. ``imo`` is set only when its check digit holds (the text
    of an invalid one is in ``imo_invalid``); ``line`` is its line in ``source``."""

    entry: int
    name: str
    programs: tuple[str, ...]
    imo: int | None = None
    mmsi: int | None = None
    callsign: str | None = None
    vessel_type: str | None = None
    flag: str | None = None
    owner: str | None = None
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    imo_invalid: str | None = None
    source: str = ""
    line: int = 0

    def programs_text(self) -> str:
        """``programme DPRK4`` or ``programmes IRAN, IFSR, NPWMD`` (as listed)."""
        if not self.programs:
            return "no programme listed"
        label = "programme" if len(self.programs) == 1 else "programmes"
        return f"{label} {', '.join(self.programs)}"


@dataclass
class WatchlistReport:
    """What one watch-list file gave: rows read, vessel entries kept, names linked, and every
    row that could not be used, counted by reason with its first line numbers."""

    path: str
    kind: str  # "sdn" or "alt"
    lines: int = 0
    rows: int = 0
    vessels: int = 0  # sdn: vessel entries kept
    names: int = 0  # alt: aliases and former names linked to a vessel entry
    other_types: int = 0  # sdn: individuals, entities, aircraft; alt: names of those
    bad: dict[str, int] = field(default_factory=dict)
    first_lines: dict[str, list[int]] = field(default_factory=dict)
    invalid_imo: list[dict[str, Any]] = field(default_factory=list)
    invalid_mmsi: list[dict[str, Any]] = field(default_factory=list)

    def count_bad(self, reason: str, line: int) -> None:
        self.bad[reason] = self.bad.get(reason, 0) + 1
        lines = self.first_lines.setdefault(reason, [])
        if len(lines) < FIRST_LINES:
            lines.append(line)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "lines": self.lines,
            "rows": self.rows,
            "vessels": self.vessels,
            "names": self.names,
            "other_types": self.other_types,
            "bad": {k: self.bad[k] for k in sorted(self.bad)},
            "first_lines": {k: list(self.first_lines[k]) for k in sorted(self.first_lines)},
            "invalid_imo": list(self.invalid_imo),
            "invalid_mmsi": list(self.invalid_mmsi),
        }


@dataclass(frozen=True)
class NameRef:
    """One name a watch-list entry is known by: ``kind`` is ``name``, ``alias`` or
    ``former name``; ``truncated`` when only its first 20 characters (AIS's limit) match."""

    entry: WatchEntry
    kind: str
    name: str
    truncated: bool = False


@dataclass
class Watchlist:
    """Vessel entries of one or more watch-list files, indexed by IMO, MMSI and name key."""

    entries: tuple[WatchEntry, ...]
    reports: list[WatchlistReport]
    name: str = LIST_NAME
    by_imo: dict[int, list[WatchEntry]] = field(init=False, repr=False)
    by_mmsi: dict[int, list[WatchEntry]] = field(init=False, repr=False)
    by_name: dict[str, list[NameRef]] = field(init=False, repr=False)

    _indexed: set[tuple[str, int, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_imo, self.by_mmsi, self.by_name = {}, {}, {}
        self._indexed = set()
        for e in self.entries:
            if e.imo is not None:
                self.by_imo.setdefault(e.imo, []).append(e)
            if e.mmsi is not None:
                self.by_mmsi.setdefault(e.mmsi, []).append(e)
            refs = [(e.name, "name")] + [(a, "alias") for a in e.aliases]
            refs += [(f, "former name") for f in e.former_names]
            for text, kind in refs:
                self._index(name_key(text), NameRef(e, kind, text))
                if len(text.strip()) > AIS_NAME_CHARS:
                    # an AIS name longer than 20 characters arrives cut: match its first 20
                    cut = name_key(text.strip()[:AIS_NAME_CHARS])
                    self._index(cut, NameRef(e, kind, text, truncated=True))

    def _index(self, key: str, ref: NameRef) -> None:
        # One ref per (key, entry, kind), found through a set: a scan of the key's refs made
        # the index quadratic when thousands of entries share a name.
        if not key or (key, ref.entry.entry, ref.kind) in self._indexed:
            return
        self._indexed.add((key, ref.entry.entry, ref.kind))
        self.by_name.setdefault(key, []).append(ref)

    def __len__(self) -> int:
        return len(self.entries)

    def programme_count(self, prefix: str) -> int:
        """Entries with some programme starting with ``prefix`` (``"DPRK"``: DPRK, DPRK3 ...)."""
        return sum(any(p.startswith(prefix) for p in e.programs) for e in self.entries)

    def entry(self, number: int) -> WatchEntry:
        for e in self.entries:
            if e.entry == number:
                return e
        raise KeyError(number)

    def to_json(self) -> dict[str, Any]:
        """What the verdicts were checked against: the list, its vessel count, every file."""
        return {
            "list": self.name,
            "vessels": len(self.entries),
            "files": [r.to_json() for r in self.reports],
        }


def _clean(value: str) -> str | None:
    text = value.strip()
    return None if text in ("", EMPTY) else text


def _read_text(path: Path) -> str:
    # InputError naming the file; a FIFO or a device is refused instead of blocking for ever.
    data = read_regular_file(path, "the watch list")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # older OFAC downloads are Windows-1252; latin-1 decodes anything left
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.rstrip("\x1a\r\n\t ")  # OFAC ends its files with a DOS EOF byte


def _rows(text: str, report: WatchlistReport) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of every non-blank row; rows the csv module refuses are
    counted as ``unreadable_row`` and skipped."""
    reader = csv.reader(io.StringIO(text.replace("\x00", "")))
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            report.count_bad("unreadable_row", previous + 1)
            previous = reader.line_num
            continue
        start, previous = previous + 1, reader.line_num
        if row and any(f.strip() for f in row):
            yield start, row
    report.lines = previous


def sniff(path: str | Path) -> str:
    """``"sdn"`` or ``"alt"`` from the column count of a file's first rows; ``InputError``
    (naming the file and the reason) when neither layout fits."""
    p = Path(path)
    text = _read_text(p)
    counts: Counter[int] = Counter()
    probe = WatchlistReport(str(p), "?")
    for n, (_, row) in enumerate(_rows(text, probe)):
        counts[len(row)] += 1
        if n + 1 >= _SNIFF_ROWS:
            break
    if not counts:
        raise InputError(f"{p}: empty file, not an OFAC SDN list")
    width, _ = counts.most_common(1)[0]
    if width == len(SDN_COLUMNS):
        return "sdn"
    if width == len(ALT_COLUMNS):
        return "alt"
    raise InputError(
        f"{p}: not an OFAC SDN list: its rows have {width} columns (the legacy CSV has "
        f"{len(SDN_COLUMNS)} in sdn.csv, {len(ALT_COLUMNS)} in alt.csv)"
    )


def _entry_number(text: str) -> int | None:
    value = text.strip()
    return int(value) if value.isdigit() else None


def _is_header(row: list[str]) -> bool:
    return row[0].strip().lower().replace(" ", "_") == "ent_num"


def _entries(
    text: str, report: WatchlistReport, n_columns: int
) -> Iterator[tuple[int, list[str], int]]:
    """(line, row, entry number) of the well-formed rows of an SDN or alt file; rows with
    another column count or no entry number are counted as bad (a first header row is not)."""
    for line, row in _rows(text, report):
        if len(row) != n_columns:
            report.count_bad("wrong_columns", line)
            continue
        number = _entry_number(row[0])
        if number is None:
            if not (report.rows == 0 and _is_header(row)):
                report.count_bad("bad_entry_number", line)
            continue
        report.rows += 1
        yield line, row, number


def read_sdn(path: str | Path) -> tuple[list[WatchEntry], set[int], WatchlistReport]:
    """The vessel entries of one ``sdn.csv``, every entry number in it (aliases of
    non-vessels are not errors), and the file's report."""
    p = Path(path)
    report = WatchlistReport(str(p), "sdn")
    text = _read_text(p)
    entries: list[WatchEntry] = []
    numbers: set[int] = set()
    for line, row, number in _entries(text, report, len(SDN_COLUMNS)):
        numbers.add(number)
        if (row[2].strip().lower()) != "vessel":
            report.other_types += 1
            continue
        name = _clean(row[1])
        if name is None:
            report.count_bad("no_name", line)
            continue
        entries.append(_vessel_entry(number, name, row, str(p), line, report))
    report.vessels = len(entries)
    if report.rows == 0:
        raise InputError(
            f"{p}: not an OFAC SDN list: no row has an entry number and "
            f"{len(SDN_COLUMNS)} columns"
        )
    return entries, numbers, report


def _vessel_entry(
    number: int, name: str, row: list[str], source: str, line: int, report: WatchlistReport
) -> WatchEntry:
    programs = tuple(
        p.strip() for p in (row[3] or "").strip().strip("[]").split("] [") if _clean(p)
    )
    remarks = _clean(row[11]) or ""
    imo: int | None = None
    imo_invalid: str | None = None
    found = _IMO_RE.search(remarks) or _REG_ID_RE.search(remarks)
    if found:
        digits = found.group(1)
        if len(digits) == 7 and imo_is_valid(int(digits)):
            imo = int(digits)
        else:
            imo_invalid = digits
            report.invalid_imo.append({"entry": number, "name": name, "imo": digits, "line": line})
    mmsi: int | None = None
    found = _MMSI_RE.search(remarks)
    if found:
        digits = found.group(1)
        if len(digits) == 9:
            mmsi = int(digits)
        else:
            report.invalid_mmsi.append(
                {"entry": number, "name": name, "mmsi": digits, "line": line}
            )
    aliases, former = [], []
    for kind, other in _KA_RE.findall(remarks):
        (former if kind.lower() == "f" else aliases).append(other.strip())
    return WatchEntry(
        entry=number,
        name=name,
        programs=programs,
        imo=imo,
        mmsi=mmsi,
        callsign=_clean(row[5]),
        vessel_type=_clean(row[6]),
        flag=_clean(row[9]),
        owner=_clean(row[10]),
        aliases=tuple(dict.fromkeys(a for a in aliases if a)),
        former_names=tuple(dict.fromkeys(f for f in former if f)),
        imo_invalid=imo_invalid,
        source=source,
        line=line,
    )


def read_alt(
    path: str | Path, vessel_numbers: set[int], all_numbers: set[int]
) -> tuple[dict[int, list[tuple[str, str]]], WatchlistReport]:
    """Aliases of one ``alt.csv``: entry number -> [(``alias`` or ``former name``, name)] for
    the vessel entries; names of other entries are counted in ``other_types``, names of an
    entry in no SDN file as ``unknown_entry``."""
    p = Path(path)
    report = WatchlistReport(str(p), "alt")
    text = _read_text(p)
    names: dict[int, list[tuple[str, str]]] = {}
    for line, row, number in _entries(text, report, len(ALT_COLUMNS)):
        if number not in vessel_numbers:
            if number in all_numbers:
                report.other_types += 1
            else:
                report.count_bad("unknown_entry", line)
            continue
        other = _clean(row[3])
        if other is None:
            report.count_bad("no_name", line)
            continue
        kind = (row[2] or "").strip().lower().replace(".", "")
        names.setdefault(number, []).append(("former name" if kind == "fka" else "alias", other))
        report.names += 1
    if report.rows == 0:
        raise InputError(
            f"{p}: not an OFAC alt.csv: no row has an entry number and {len(ALT_COLUMNS)} columns"
        )
    return names, report


def _child(folder: Path, name: str) -> Path | None:
    # OFAC serves both sdn.csv and SDN.CSV; match the file name in any case
    for child in sorted(folder.iterdir()):
        if child.is_file() and child.name.lower() == name:
            return child
    return None


def load_watchlist(paths: Sequence[str | Path]) -> Watchlist:
    """The OFAC SDN vessels of ``paths``: each an ``sdn.csv`` (its ``alt.csv`` beside it is read
    too), an ``alt.csv`` (paired with the SDN files given), or a folder holding ``sdn.csv``
    (and ``alt.csv``). An entry number seen in an earlier SDN file is kept from that file
    (``duplicate_entry``). Raises ``InputError`` for a path that cannot be used."""
    sdn_files: list[Path] = []
    alt_files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            sdn = _child(p, "sdn.csv")
            if sdn is None:
                raise InputError(f"{p}: folder has no sdn.csv (the OFAC SDN list)")
            sdn_files.append(sdn)
            alt = _child(p, "alt.csv")
            if alt is not None:
                alt_files.append(alt)
        elif not p.exists():
            raise InputError(f"{p}: watch list not found")
        elif sniff(p) == "sdn":
            sdn_files.append(p)
        else:
            alt_files.append(p)
    if not sdn_files:
        raise InputError(f"{alt_files[0]}: aliases without an SDN list (give sdn.csv too)")
    if not alt_files:  # the usual download: alt.csv beside sdn.csv
        for sdn in sdn_files:
            alt = _child(sdn.parent, "alt.csv")
            if alt is not None and alt not in alt_files:
                alt_files.append(alt)
    entries: dict[int, WatchEntry] = {}
    numbers: set[int] = set()
    reports: list[WatchlistReport] = []
    for sdn in dict.fromkeys(sdn_files):
        found, seen, report = read_sdn(sdn)
        for e in found:
            if e.entry in entries:
                report.count_bad("duplicate_entry", e.line)
                report.vessels -= 1
            else:
                entries[e.entry] = e
        numbers |= seen
        reports.append(report)
    for alt in dict.fromkeys(alt_files):
        names, report = read_alt(alt, set(entries), numbers)
        reports.append(report)
        for number, linked in names.items():
            e = entries[number]
            aliases = list(e.aliases) + [n for k, n in linked if k == "alias"]
            former = list(e.former_names) + [n for k, n in linked if k == "former name"]
            entries[number] = _with_names(e, aliases, former)
    ordered = tuple(sorted(entries.values(), key=lambda e: e.entry))
    return Watchlist(ordered, reports)


def _with_names(e: WatchEntry, aliases: list[str], former: list[str]) -> WatchEntry:
    return replace(
        e,
        aliases=tuple(dict.fromkeys(aliases)),
        former_names=tuple(dict.fromkeys(former)),
    )
