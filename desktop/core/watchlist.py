"""Vessel watch lists read into vessel entries: the OFAC SDN list as analysts download it, and
plain CSV lists (the UN 1718 Committee's designated vessels, the UK or EU lists, an in-house
list) with a header naming ``imo``, ``mmsi``, ``name``, ``list`` and ``reference`` columns.

Lists change weekly, so the project never bundles a copy of an official one: the analyst loads
the files (``exposure check --watchlist sdn.csv --watchlist un1718.csv``), as many as needed;
each hit names its list and the entry. The format of each file is told from its first row: a
header naming an identity column (``PLAIN_COLUMNS``) is a plain list; OFAC's legacy CSV has no
header:

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

Plain lists (``read_plain``): one row per vessel, columns in any order, header names matched
after lower-casing and turning spaces and punctuation into ``_`` (``IMO number``, ``Vessel
Name``, ``designation`` ...; see ``PLAIN_COLUMNS``). Only ``imo``, ``mmsi`` or ``name`` is
required; ``list`` defaults to the file's name without its suffix (``inhouse.csv`` ->
``inhouse``), so one file may hold several lists. ``aliases`` and ``former_names`` cells hold
names separated by ``;`` or ``|``. Rows of one list sharing a ``reference`` are one entry (the
UK list writes one row per name of a ship): their names after the first become aliases. Bad
rows are counted by reason, with a message naming the file and the line, and skipped: a row
whose field count is not the header's (``wrong_columns``), a row with no usable IMO, MMSI or
name (``no_identity``), a row whose reference repeats an earlier one with another IMO or MMSI
(``conflicting_entry``), a row the csv module cannot read (``unreadable_row``). An IMO that is
not 7 digits with a valid check digit, or an MMSI that is not 9 digits, is listed (as in an
SDN file) and not matched; the row's other identities still are.
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
# Header names of a plain list, after ``_header_key``; the first of a column's names is its own.
PLAIN_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "imo": ("imo", "imo_number", "imo_no", "imo_num", "imonumber", "ship_imo", "vessel_imo",
            "ship_imo_number", "vessel_imo_number", "imo_or_ship_id"),
    "mmsi": ("mmsi", "mmsi_number", "mmsi_no", "vessel_mmsi", "ship_mmsi"),
    "name": ("name", "vessel_name", "ship_name", "vessel", "name_of_vessel", "ship"),
    "aliases": ("aliases", "alias", "aka", "also_known_as", "other_names", "alias_names"),
    "former_names": ("former_names", "former_name", "fka", "formerly_known_as"),
    "list": ("list", "list_name", "designation", "source", "sanctions_list", "regime",
             "programme", "program"),
    "reference": ("reference", "ref", "reference_number", "designation_reference",
                  "un_reference", "unique_id", "group_id", "entry", "id"),
    "flag": ("flag", "vessel_flag", "flag_state"),
    "callsign": ("callsign", "call_sign"),
}  # fmt: skip
IDENTITY_COLUMNS: Final = ("imo", "mmsi", "name")
_HEADER_FIELD: Final = {alias: key for key, names in PLAIN_COLUMNS.items() for alias in names}
_TRACK_COLUMNS: Final = frozenset({"lat", "lon", "latitude", "longitude", "sog", "cog"})
_NAMES_SPLIT = re.compile(r"[;|]")
SDN_COLUMNS: Final = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage",
    "GRT", "Vess_flag", "Vess_owner", "Remarks",
)  # fmt: skip
ALT_COLUMNS: Final = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
EMPTY: Final = "-0-"
AIS_NAME_CHARS: Final = 20  # ITU-R M.1371 type 5 vessel name: 20 six-bit characters
FIRST_LINES: Final = 5  # line numbers kept per bad-row reason
MAX_MESSAGES: Final = 50  # messages kept per plain-list file
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
    of an invalid one is in ``imo_invalid``); ``line`` is its line in ``source``. ``entry`` is
    OFAC's entry number for an SDN entry, the line of its first row for a plain list's;
    ``reference`` is the list's own reference of the entry (OFAC's: the entry number)."""

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
    list_name: str = LIST_NAME
    reference: str | None = None
    format: str = "sdn"  # or "plain"

    @property
    def key(self) -> tuple[str, str, int]:
        """What tells entries apart across lists and files: (list, file, entry)."""
        return (self.list_name, self.source, self.entry)

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
    kind: str  # "sdn", "alt" or "plain"
    lines: int = 0
    rows: int = 0  # plain: every data row, so that accepted + sum(bad) == rows
    vessels: int = 0  # sdn, plain: vessel entries kept
    accepted: int = 0  # plain: rows used (a row naming an entry again adds its names)
    names: int = 0  # alt: aliases and former names linked to a vessel entry
    other_types: int = 0  # sdn: individuals, entities, aircraft; alt: names of those
    bad: dict[str, int] = field(default_factory=dict)
    first_lines: dict[str, list[int]] = field(default_factory=dict)
    invalid_imo: list[dict[str, Any]] = field(default_factory=list)
    invalid_mmsi: list[dict[str, Any]] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)  # plain: the list names its rows gave
    messages: list[str] = field(default_factory=list)  # plain: "file: line N: why", first few

    def count_bad(self, reason: str, line: int, why: str = "") -> None:
        """Count a row not used; ``why`` (for plain lists) is kept as a message naming the
        file and the line for the first ``FIRST_LINES`` rows of each reason."""
        self.bad[reason] = self.bad.get(reason, 0) + 1
        lines = self.first_lines.setdefault(reason, [])
        if len(lines) < FIRST_LINES:
            lines.append(line)
            if why:
                self.note(line, why)

    def note(self, line: int, why: str) -> None:
        """Keep ``why`` as ``file: line N: why``; past ``MAX_MESSAGES`` only the counts grow (a
        list with thousands of bad IMO numbers would bury the first ones)."""
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(f"{self.path}: line {line}: {why}")

    @property
    def bad_rows(self) -> int:
        return sum(self.bad.values())

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
            **(
                {"accepted": self.accepted, "lists": list(self.lists),
                 "messages": list(self.messages)}
                if self.kind == "plain" else {}
            ),
        }  # fmt: skip


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

    _indexed: set[tuple[str, tuple[str, str, int], str]] = field(init=False, repr=False)

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
        if not key or (key, ref.entry.key, ref.kind) in self._indexed:
            return
        self._indexed.add((key, ref.entry.key, ref.kind))
        self.by_name.setdefault(key, []).append(ref)

    def __len__(self) -> int:
        return len(self.entries)

    def programme_count(self, prefix: str) -> int:
        """Entries with some programme starting with ``prefix`` (``"DPRK"``: DPRK, DPRK3 ...)."""
        return sum(any(p.startswith(prefix) for p in e.programs) for e in self.entries)

    def entry(self, number: int, list_name: str = LIST_NAME) -> WatchEntry:
        for e in self.entries:
            if e.entry == number and e.list_name == list_name:
                return e
        raise KeyError(number)

    def list_counts(self) -> dict[str, int]:
        """Vessel entries of each list, in the order the lists were loaded."""
        counts: dict[str, int] = {}
        for e in self.entries:
            counts[e.list_name] = counts.get(e.list_name, 0) + 1
        return counts

    def bad_rows(self) -> int:
        """Rows of every file that could not be used."""
        return sum(r.bad_rows for r in self.reports)

    def problem_lines(self) -> list[str]:
        """What went wrong in the files, for stderr and the GUI: per file with rows not used,
        their count by reason, then the first messages (file, line, why) of a plain list."""
        lines: list[str] = []
        for r in self.reports:
            if r.bad:
                counts = ", ".join(f"{k} {r.bad[k]}" for k in sorted(r.bad))
                lines.append(f"{r.path}: {r.bad_rows} of {r.rows} rows not used ({counts})")
            lines += r.messages
        return lines

    def to_json(self) -> dict[str, Any]:
        """What the verdicts were checked against: the lists (``list`` names them all), their
        vessel counts, every file."""
        return {
            "list": self.name,
            "vessels": len(self.entries),
            "lists": [{"list": k, "vessels": n} for k, n in self.list_counts().items()],
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
            report.count_bad(
                "unreadable_row", previous + 1, "the CSV reader could not read it; row not used"
            )
            previous = reader.line_num
            continue
        start, previous = previous + 1, reader.line_num
        if row and any(f.strip() for f in row):
            yield start, row
    report.lines = previous


def _header_key(text: str) -> str:
    """``"IMO number"`` -> ``"imo_number"``: lower case, runs of anything else than letters
    and digits as one ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def plain_header(row: Sequence[str]) -> dict[str, list[int]] | None:
    """Field -> column indexes when ``row`` is a plain list's header (it names ``imo``,
    ``mmsi`` or ``name``, no cell is a number, which an OFAC row's entry number is, and no
    column is a position, which a track file's is), else None. Several columns may give
    ``aliases`` or ``former_names``; of the others the first counts."""
    if any(cell.strip().isdigit() for cell in row):
        return None
    if {_header_key(cell) for cell in row} & _TRACK_COLUMNS:
        return None  # a track file given by mistake would list every vessel it holds
    columns: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        key = _HEADER_FIELD.get(_header_key(cell))
        if key is None:
            continue
        if key in ("aliases", "former_names") or key not in columns:
            columns.setdefault(key, []).append(i)
    return columns if any(k in columns for k in IDENTITY_COLUMNS) else None


def sniff(path: str | Path) -> str:
    """``"plain"`` when the first row is a plain list's header, else ``"sdn"`` or ``"alt"``
    from the column count of a file's first rows; ``InputError`` (naming the file and the
    reason) when no layout fits."""
    p = Path(path)
    text = _read_text(p)
    counts: Counter[int] = Counter()
    probe = WatchlistReport(str(p), "?")
    for n, (_, row) in enumerate(_rows(text, probe)):
        if n == 0 and plain_header(row) is not None:
            return "plain"
        counts[len(row)] += 1
        if n + 1 >= _SNIFF_ROWS:
            break
    if not counts:
        raise InputError(f"{p}: empty file, not a watch list")
    width, _ = counts.most_common(1)[0]
    if width == len(SDN_COLUMNS):
        return "sdn"
    if width == len(ALT_COLUMNS):
        return "alt"
    raise InputError(
        f"{p}: not a watch list: its first row is not a header naming an imo, mmsi or name "
        f"column, and its rows have {width} columns (OFAC's legacy CSV has "
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
        reference=str(number),
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


def _plain_imo(text: str) -> int | None | str:
    """An IMO cell: None when empty, the number when valid, else the text (not usable).
    ``IMO 9216507`` and a spreadsheet's ``9216507.0`` are read as 9216507."""
    value = re.sub(r"^IMO\s*:?\s*", "", text.strip(), flags=re.IGNORECASE)
    value = value.removesuffix(".0")
    if not value:
        return None
    if len(value) == 7 and value.isdigit() and imo_is_valid(int(value)):
        return int(value)
    return text.strip()


def _plain_mmsi(text: str) -> int | None | str:
    value = text.strip().removesuffix(".0")
    if not value:
        return None
    return int(value) if len(value) == 9 and value.isdigit() else text.strip()


def _names(row: list[str], indexes: list[int]) -> list[str]:
    out = []
    for i in indexes:
        out += [n.strip() for n in _NAMES_SPLIT.split(row[i]) if n.strip()]
    return out


def read_plain(path: str | Path) -> tuple[list[WatchEntry], WatchlistReport]:
    """The vessel entries of a plain CSV watch list and the file's report (module docstring:
    what is accepted and what is counted as bad). ``InputError`` when the file cannot be read
    or its first row is not a header naming an ``imo``, ``mmsi`` or ``name`` column."""
    p = Path(path)
    report = WatchlistReport(str(p), "plain")
    rows = _rows(_read_text(p), report)
    first = next(rows, None)
    columns = plain_header(first[1]) if first is not None else None
    if columns is None:
        raise InputError(
            f"{p}: not a plain watch list: its first row must be a header naming an imo, "
            "mmsi or name column"
        )

    def cell(row: list[str], key: str) -> str:
        return row[columns[key][0]].strip() if key in columns else ""

    width = len(first[1]) if first is not None else 0
    default_list = p.stem
    entries: list[WatchEntry] = []
    by_reference: dict[tuple[str, str], int] = {}  # (list, reference) -> index in entries
    for line, row in rows:
        report.rows += 1
        if len(row) != width:
            report.count_bad(
                "wrong_columns", line, f"{len(row)} fields, the header has {width}; row not used"
            )
            continue
        imo, mmsi = _plain_imo(cell(row, "imo")), _plain_mmsi(cell(row, "mmsi"))
        name = cell(row, "name") or None
        list_name = cell(row, "list") or default_list
        reference = cell(row, "reference") or None
        invalid_imo = imo if isinstance(imo, str) else None
        invalid_mmsi = mmsi if isinstance(mmsi, str) else None
        imo = None if invalid_imo is not None else imo
        mmsi = None if invalid_mmsi is not None else mmsi
        unusable = []
        if invalid_imo is not None:
            unusable.append(f"IMO {invalid_imo!r} is not valid (7 digits, check digit)")
        if invalid_mmsi is not None:
            unusable.append(f"MMSI {invalid_mmsi!r} is not 9 digits")
        aliases = _names(row, columns.get("aliases", []))
        former = _names(row, columns.get("former_names", []))
        if name is None and aliases:
            name, aliases = aliases[0], aliases[1:]
        if imo is None and mmsi is None and name is None:
            why = "; ".join(unusable + ["no usable IMO, MMSI or name; row not used"])
            report.count_bad("no_identity", line, why)
            continue
        # listed, like an SDN file's, only for a row in use: its other identities still match
        if invalid_imo is not None:
            report.invalid_imo.append({"entry": line, "name": name, "imo": invalid_imo,
                                       "line": line})  # fmt: skip
        if invalid_mmsi is not None:
            report.invalid_mmsi.append({"entry": line, "name": name, "mmsi": invalid_mmsi,
                                        "line": line})  # fmt: skip
        if unusable:
            report.note(line, "; ".join(unusable) + ": not matched, the row's other identities are")
        assert isinstance(imo, int | None) and isinstance(mmsi, int | None)
        earlier = by_reference.get((list_name, reference)) if reference else None
        if earlier is not None:
            e = entries[earlier]
            if (imo is not None and e.imo not in (None, imo)) or (
                mmsi is not None and e.mmsi not in (None, mmsi)
            ):
                listed = [f"{k} {v}" for k, v in (("IMO", e.imo), ("MMSI", e.mmsi)) if v]
                report.count_bad(
                    "conflicting_entry", line,
                    f"reference {reference} of list {list_name} is on line {e.line} with "
                    f"{' and '.join(listed)}; row not used",
                )  # fmt: skip
                continue
            named = [n for n in ([name] if name else []) + aliases if n != e.name]
            entries[earlier] = replace(
                e,
                imo=e.imo if e.imo is not None else imo,
                mmsi=e.mmsi if e.mmsi is not None else mmsi,
                aliases=tuple(dict.fromkeys(list(e.aliases) + named)),
                former_names=tuple(dict.fromkeys(list(e.former_names) + former)),
            )
            report.accepted += 1
            continue
        if reference:
            by_reference[(list_name, reference)] = len(entries)
        entries.append(
            WatchEntry(
                entry=line,
                name=name or "",  # no name: matched by IMO or MMSI only
                programs=(),
                imo=imo,
                mmsi=mmsi,
                callsign=cell(row, "callsign") or None,
                flag=cell(row, "flag") or None,
                aliases=tuple(dict.fromkeys(aliases)),
                former_names=tuple(dict.fromkeys(former)),
                imo_invalid=invalid_imo,
                source=str(p),
                line=line,
                list_name=list_name,
                reference=reference,
                format="plain",
            )
        )
        report.accepted += 1
        if list_name not in report.lists:
            report.lists.append(list_name)
    # rows the csv module refused were counted as bad without passing through the loop
    report.rows += report.bad.get("unreadable_row", 0)
    report.vessels = len(entries)
    return entries, report


def _child(folder: Path, name: str) -> Path | None:
    # OFAC serves both sdn.csv and SDN.CSV; match the file name in any case
    for child in sorted(folder.iterdir()):
        if child.is_file() and child.name.lower() == name:
            return child
    return None


def load_watchlist(paths: Sequence[str | Path]) -> Watchlist:
    """The vessels of every watch list in ``paths``, checked together: each path a plain CSV
    list (its own list or lists, ``read_plain``), an ``sdn.csv`` (its ``alt.csv`` beside it is
    read too), an ``alt.csv`` (paired with the SDN files given), or a folder holding ``sdn.csv``
    (and ``alt.csv``). The SDN files form one list, ``OFAC SDN``; an entry number seen in an
    earlier SDN file is kept from that file (``duplicate_entry``). A path given twice is read
    once. Raises ``InputError`` for a path that cannot be used."""
    sdn_files: list[Path] = []
    alt_files: list[Path] = []
    plain_files: list[Path] = []
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
        else:
            {"sdn": sdn_files, "alt": alt_files, "plain": plain_files}[sniff(p)].append(p)
    if alt_files and not sdn_files:
        raise InputError(f"{alt_files[0]}: aliases without an SDN list (give sdn.csv too)")
    sdn = _load_sdn(sdn_files, alt_files) if sdn_files else None
    entries = list(sdn.entries) if sdn is not None else []
    reports = list(sdn.reports) if sdn is not None else []
    for plain in dict.fromkeys(plain_files):
        found, report = read_plain(plain)
        entries += found
        reports.append(report)
    names = list(dict.fromkeys([e.list_name for e in entries] + [
        n for r in reports for n in r.lists]))  # fmt: skip
    return Watchlist(tuple(entries), reports, name=", ".join(names) if names else LIST_NAME)


def _load_sdn(sdn_files: list[Path], alt_files: list[Path]) -> Watchlist:
    """The OFAC SDN list of ``sdn_files`` with the names of ``alt_files``."""
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
