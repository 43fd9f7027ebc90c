"""CSV track files: NOAA MarineCadastre, Danish Maritime Authority, and any CSV with fix headers.

What it accepts
  - ``csv-noaa``: ``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,
    VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass``. ``IMO8207721`` -> 8207721,
    Heading 511 -> missing (``make_fixes``), blank Status -> missing.
  - ``csv-dma``: ``# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,
    SOG,COG,Heading,IMO,Callsign,Name,Ship type,...``; times ``dd/mm/yyyy HH:MM:SS``;
    navigational status and ship type written as words are turned into their ITU codes;
    ``Unknown``/``Undefined`` cells are missing.
  - ``csv``: any header that maps to mmsi, time, lat and lon through ``columns.ALIASES``
    (case-insensitive). Times are ISO 8601 or epoch seconds/milliseconds.
  - Times without a zone are UTC (every export we know writes UTC; DMA and NOAA say so).
  - Columns that carry static data (IMO, name, call sign, type, length, width, destination)
    become static records, one per change of a vessel's static values.

How lines are counted (``sum(accepted) + sum(rejected) == lines``, lines = physical lines)
  - Line numbers are physical: the header is line 1 and counts as accepted ``header``; empty
    lines count as accepted ``blank``. A quoted value holding a newline (rare in AIS exports)
    keeps its record whole: the record is numbered by its first line, and each further line
    of it counts as accepted ``continued_row``.
  - A row whose field count differs from the header's, or whose mmsi, time, lat or lon cell is
    present but cannot be parsed, is rejected as ``bad_value``; an empty time cell is
    ``no_timestamp``. Unparseable optional cells (SOG, COG, ...) become missing values.
  - Every other row is accepted as ``fix``; the shared cleaning step may still reject it
    (``invalid_position`` for an empty or out-of-range position, ``invalid_mmsi``, ...).
  - A CSV whose header does not name mmsi, time, lat and lon rejects every line after the
    header as ``no_fix_columns``, and says which columns were missing.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from desktop.core.ingest import columns as cols
from desktop.core.ingest.base import (
    ACCEPTED_FIX,
    BAD_VALUE,
    EPOCH_MS_ABOVE,
    NO_TIMESTAMP,
    POSITION_COLUMNS,
    STATIC_COLUMNS,
    LineTally,
    RawRead,
)
from desktop.core.ingest.limits import inside_quotes
from desktop.core.lazy import pandas as pd

ACCEPTED_HEADER: Final = "header"
ACCEPTED_BLANK: Final = "blank"
# A physical line that continues a quoted value of the record above (a value holding a newline).
ACCEPTED_CONTINUED: Final = "continued_row"
NO_FIX_COLUMNS: Final = "no_fix_columns"
# A time outside 1677-09-21 .. 2262-04-11 (what int64 nanoseconds hold): a 9999-12-31
# placeholder, a year 1500. The row is rejected; the rest of the file is read.
TIME_OUT_OF_RANGE: Final = "time_out_of_range"

STATIC_FIELDS: Final = (
    "imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination",
)  # fmt: skip

DMA_TIME_FORMAT: Final = "%d/%m/%Y %H:%M:%S"
NS_PER_S: Final = 1_000_000_000


def empty_positions() -> pd.DataFrame:
    """A positions frame (``RawRead.positions``) with no rows."""
    frame = pd.DataFrame({name: np.array([], dtype="float64") for name in POSITION_COLUMNS})
    return frame.astype({"mmsi": "int64", "time": "int64", "line": "int64"})


def empty_statics() -> pd.DataFrame:
    """A statics frame (``STATIC_COLUMNS``) with no rows."""
    return pd.DataFrame(
        {
            "mmsi": np.array([], dtype="uint32"),
            "time": pd.Series([], dtype="datetime64[ns, UTC]"),
            "imo": pd.array([], dtype="Int64"),
            "name": np.array([], dtype=object),
            "callsign": np.array([], dtype=object),
            "ship_type": pd.array([], dtype="Int64"),
            "length_m": np.array([], dtype="float64"),
            "width_m": np.array([], dtype="float64"),
            "destination": np.array([], dtype=object),
            "line": np.array([], dtype="int64"),
        }
    )[list(STATIC_COLUMNS)]


def line_layout(data: bytes) -> tuple[int, np.ndarray]:
    """The number of physical lines and the 1-based numbers of the non-empty ones."""
    if not data:
        return 0, np.array([], dtype="int64")
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if buf[-1] != 10:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    # "\r" alone is the empty line of a CRLF file.
    has_cr = (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13)
    nonblank = np.flatnonzero((length > 0) & ~has_cr) + 1
    return len(ends), nonblank.astype("int64")


def times_ns(values: pd.Series, *, time_format: str | None = None) -> np.ndarray:
    """Times as int64 ns since the epoch (UTC), NaT as ``np.iinfo(int64).min``.

    Naive times are UTC. Numbers are epoch seconds, or milliseconds above ``EPOCH_MS_ABOVE``.
    A time outside what int64 nanoseconds hold (1677-09-21 to 2262-04-11) is NaT too.
    """
    return times_ns_checked(values, time_format=time_format)[0]


def times_ns_checked(values: pd.Series, *,
                     time_format: str | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``times_ns``, and which values are times outside the int64-nanosecond range (a
    ``9999-12-31`` placeholder, the year 1500): NaT in the first array, True in the second."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _datetime_ns(values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy())
    if values.dtype.kind == "M":
        return _datetime_ns(values.to_numpy())
    if values.dtype.kind in "iuf":
        number = pd.to_numeric(values, errors="coerce").astype("float64")
        scale = np.where(np.abs(number) > EPOCH_MS_ABOVE, 1e6, 1e9)
        ns = number * scale
        out = np.full(len(values), NAT_NS, dtype="int64")
        finite = np.isfinite(ns)
        inside = finite & (ns > float(NS_MIN)) & (ns < float(NS_MAX))
        out[inside] = np.round(ns[inside]).astype("int64")
        return out, finite & ~inside
    text = values.astype("string").str.strip()
    if time_format is not None:
        parsed = pd.to_datetime(text, format=time_format, errors="coerce", utc=True)
    else:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        retry = parsed.isna() & text.notna() & (text != "")
        if retry.any():
            numeric = pd.to_numeric(text[retry], errors="coerce")
            if numeric.notna().all():
                return times_ns_checked(pd.to_numeric(text, errors="coerce"))
            parsed[retry] = pd.to_datetime(
                text[retry], format="mixed", errors="coerce", utc=True
            )
    out, outside = _datetime_ns(parsed.dt.tz_localize(None).to_numpy())
    # pandas before 3 turns such times into NaT itself: find them in the text.
    missed = (out == NAT_NS) & ~outside
    if missed.any():
        outside |= missed & _year_outside(text)
    return out, outside


# Times int64 nanoseconds hold (pandas' Timestamp range), and int64 min as NaT.
NAT_NS: Final = int(np.iinfo("int64").min)
# pandas's Timestamp.min and .max in ns (written out: reading them would import pandas).
NS_MIN: Final = -(2**63) + 1
NS_MAX: Final = 2**63 - 1
_NS_PER_UNIT: Final = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_YEAR: Final = r"^\s*[+-]?(\d{4,})-\d\d-\d\d|^\s*\d{1,2}/\d{1,2}/(\d{4,})"


def _datetime_ns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64 values of any unit as int64 ns, NaT where missing or out of range."""
    unit = np.datetime_data(values.dtype)[0]
    raw = values.view("int64")
    nat = raw == NAT_NS
    factor = _NS_PER_UNIT.get(unit)
    if factor is None:  # a unit such as days: through seconds
        return _datetime_ns(values.astype("datetime64[s]"))
    inside = ~nat & (raw >= NS_MIN // factor) & (raw <= NS_MAX // factor)
    out = np.full(len(raw), NAT_NS, dtype="int64")
    out[inside] = raw[inside] * factor
    return out, ~nat & ~inside


def _year_outside(text: pd.Series) -> np.ndarray:
    """Whether each text starts with a date whose year int64 nanoseconds cannot hold."""
    years = text.str.extract(_YEAR)
    year = pd.to_numeric(years[0].fillna(years[1]), errors="coerce").to_numpy("float64")
    lo, hi = pd.Timestamp.min.year, pd.Timestamp.max.year
    return np.isfinite(year) & ((year < lo) | (year > hi))


def delimiter_of(head: bytes) -> str:
    """The separator of a CSV file from its first bytes (text): comma, semicolon or tab."""
    return cols.guess_delimiter(_first_text_line(head))


def _first_text_line(head: bytes) -> str:
    for raw in head[:65536].splitlines():
        line = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
        if line:
            return line
    return ""


def record_layout(data: bytes, delimiter: int = 44) -> tuple[int, np.ndarray, np.ndarray,
                                                           np.ndarray]:  # fmt: skip
    """Physical lines of CSV text, quotes respected.

    Returns the number of physical lines and the 1-based numbers of the blank lines, of the
    lines that start a record, and of the lines that continue a quoted field of the record
    above (a quoted value holding a newline). Blank lines inside quotes are continuations.
    """
    if not data:
        empty = np.array([], dtype="int64")
        return 0, empty, empty, empty
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if buf[-1] != 10:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    has_cr = (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13)
    inside = inside_quotes(buf, starts, delimiter)  # pyarrow's rule, as the guard cuts
    blank = ((length == 0) | has_cr) & ~inside
    numbers = np.arange(1, len(ends) + 1, dtype="int64")
    return len(ends), numbers[blank], numbers[~blank & ~inside], numbers[inside]


def encoding_of(data: bytes | Sequence[bytes]) -> str:
    """``utf8`` when the bytes (or the parts of a file, in order) are valid UTF-8, else
    ``latin-1`` (every byte is a character).

    pyarrow hands a row it cannot parse to the invalid-row handler as text; a row that is not
    UTF-8 cannot become that text, and the row would be lost uncounted. Old national exports
    are often Latin-1, so the whole file is read as such when it is not UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for part in [data] if isinstance(data, bytes) else data:
            decoder.decode(part)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf8"


def _read_table(  # noqa: PLR0913
    data: bytes, wanted: list[str], time_column: str | None, dma: bool, threads: bool,
    as_text: bool, encoding: str, delimiter: str = ",", block_bytes: int = 1 << 22,
    text_columns: tuple[str, ...] = (),
) -> tuple[pa.Table, list[tuple[int | None, str]]]:  # fmt: skip
    """Parse with pyarrow; ``as_text`` reads every column as text (no type inference),
    ``text_columns`` those columns always."""
    bad_rows: list[tuple[int | None, str]] = []

    def on_bad_row(row: Any) -> str:
        bad_rows.append((row.number, row.text))
        return "skip"

    column_types = {time_column: pa.string()} if (time_column and dma) else {}
    column_types.update({name: pa.string() for name in text_columns})
    if as_text:
        column_types = {name: pa.string() for name in wanted}
    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(use_threads=threads, block_size=block_bytes,
                                       encoding=encoding),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row, newlines_in_values=True,
                                         delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            strings_can_be_null=True,
            column_types=column_types,
            null_values=["", "NULL", "null", "NaN", "nan", "N/A"],
        ),
    )
    return table, bad_rows


class StaticValues:
    """The distinct static value tuples of one file, each with a number.

    A vessel's static records are the rows where its static values change, in (mmsi, time,
    line) order over the whole file. Pieces of a file (streaming) cannot judge that alone, so
    every row keeps only the number of its tuple of raw values (text), and ``records`` turns
    the rows that start a run into records once all rows of a vessel are together.
    """

    def __init__(self, present: list[str]) -> None:
        self.present = present  # canonical static field names the header has
        self._ids: dict[tuple[str | None, ...], int] = {}
        self._values: list[tuple[str | None, ...]] = []

    def ids(self, table: pa.Table, mapping: dict[str, str], rows: np.ndarray) -> np.ndarray:
        """The tuple number of each of ``rows`` of ``table`` (int64)."""
        if not self.present or not len(rows):
            return np.zeros(len(rows), dtype="int64")
        taken = table.select([mapping[name] for name in self.present]).take(pa.array(rows))
        key = np.zeros(len(rows), dtype="int64")
        radix = 1
        dictionaries = []
        for column in taken.columns:
            encoded = pc.dictionary_encode(column.cast(pa.string())).combine_chunks()
            dictionaries.append(encoded.dictionary.to_pylist())
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            codes = np.where(np.isnan(codes.astype("float64")), -1, codes).astype("int64") + 1
            size = len(dictionaries[-1]) + 1
            if radix * size >= 2**62:  # too many combinations for one int64: renumber first
                _, key = np.unique(key, return_inverse=True)
                radix = int(key.max()) + 1
            key = key + codes * radix
            radix *= size
        uniques, inverse = np.unique(key, return_inverse=True)
        local = np.empty(len(uniques), dtype="int64")
        for k, combined in enumerate(uniques.tolist()):
            values = []
            rest = combined
            for d in dictionaries:
                size = len(d) + 1
                code = rest % size
                rest //= size
                values.append(None if code == 0 else d[code - 1])
            local[k] = self._id(tuple(values))
        return local[inverse.reshape(-1)]

    def _id(self, values: tuple[str | None, ...]) -> int:
        found = self._ids.get(values)
        if found is None:
            found = self._ids[values] = len(self._values)
            self._values.append(values)
        return found

    def records(self, mmsi: np.ndarray, time: np.ndarray, line: np.ndarray,
                ids: np.ndarray) -> pd.DataFrame:  # fmt: skip
        """Static records (``STATIC_COLUMNS``) of the rows ``(mmsi, time ns, line, tuple id)``:
        the first row of every run of equal values per vessel in (mmsi, time, line) order."""
        if not self.present or not len(mmsi):
            return empty_statics()
        order = np.lexsort((line, time, mmsi))
        mmsi, time, line, ids = mmsi[order], time[order], line[order], ids[order]
        changed = np.ones(len(order), dtype=bool)
        changed[1:] = (mmsi[1:] != mmsi[:-1]) | (ids[1:] != ids[:-1])
        rows = np.flatnonzero(changed)
        wanted = np.unique(ids[rows])
        texts = pd.DataFrame(
            [self._values[k] for k in wanted.tolist()], columns=self.present, dtype=object
        )
        at = np.searchsorted(wanted, ids[rows])
        n = len(rows)
        sub = {name: pd.Series(texts[name].to_numpy()[at], dtype=object) for name in self.present}

        def pick(name: str) -> pd.Series:
            return sub[name] if name in self.present else pd.Series([None] * n, dtype=object)

        out = pd.DataFrame(
            {
                "mmsi": mmsi[rows].astype("uint32"),
                # int64 min is NaT in datetime64[ns].
                "time": pd.to_datetime(time[rows].view("datetime64[ns]"), utc=True),
                "imo": cols.imo_numbers(pick("imo")),
                "name": cols.object_column(cols.text_or_none(pick("name")), n),
                "callsign": cols.object_column(cols.text_or_none(pick("callsign")), n),
                "ship_type": cols.ship_type_codes(pick("ship_type")),
                "length_m": cols.dimensions_m(pick("length_m")),
                "width_m": cols.dimensions_m(pick("width_m")),
                "destination": cols.object_column(cols.text_or_none(pick("destination")), n),
                "line": line[rows].astype("int64"),
            }
        )
        return _with_static_content(out)


@dataclass
class StaticKeys:
    """Per accepted-MMSI row of a CSV piece: what ``StaticValues.records`` needs."""

    mmsi: np.ndarray  # int64
    time: np.ndarray  # int64 ns, NaT as int64 min
    line: np.ndarray  # int64 1-based line in the file
    ids: np.ndarray  # int64 static tuple number

    @classmethod
    def empty(cls) -> StaticKeys:
        z = np.zeros(0, dtype="int64")
        return cls(z, z, z, z)

    @classmethod
    def concat(cls, parts: list[StaticKeys]) -> StaticKeys:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                     ("mmsi", "time", "line", "ids")))  # fmt: skip


class CsvPieces:
    """Reads a CSV track file piece by piece (each piece whole records, in file order).

    The header is taken from the first piece holding a non-blank line; every later piece is
    parsed with that header put in front of it. Line numbers, the tally and the notes are
    those of the whole file, whatever the pieces. ``encoding`` is decided for the whole file
    beforehand (``encoding_of``).
    """

    def __init__(self, path: str, kind: str, encoding: str, delimiter: str = ",",
                 max_record_bytes: int = 1 << 20) -> None:  # fmt: skip
        self.path = path
        self.kind = kind
        self.encoding = encoding
        self.delimiter = delimiter
        # pyarrow needs every record inside one block (the guard keeps records shorter).
        self.block_bytes = max(1 << 22, 2 * max_record_bytes + 2)
        self.tally = LineTally()
        self.lines = 0
        self.header_bytes: bytes | None = None
        self.mapping: dict[str, str] = {}
        self.missing: list[str] = []
        self.statics = StaticValues([])
        self._notes: list[str] = []
        self._wrong_fields = 0

    def notes(self) -> list[str]:
        out = list(dict.fromkeys(self._notes))
        if self._wrong_fields:
            out.append(f"{self._wrong_fields} rows with a wrong number of fields")
        return out

    def feed(self, data: bytes) -> tuple[pd.DataFrame, StaticKeys]:
        """Read the next piece of the file (whole records): its positions and static keys.

        Every piece is parsed with the header line put in front of it, the first too (after
        its header record is taken off): the whole-file reader, one piece, and the streaming
        reader, many, then hand pyarrow the same header whatever the header record holds
        (quotes, a quoted newline)."""
        if self.header_bytes is None:
            n_lines, blank, records, more = record_layout(data, ord(self.delimiter))
            if not len(records):
                self.lines += n_lines
                self._count_blank(len(blank), len(more))
                return empty_positions(), StaticKeys.empty()
            header_first = int(records[0])  # lines before it are blank
            # The header record's last physical line: the run of continuations after it.
            after = more[more > header_first]
            gaps = np.flatnonzero(after != header_first + 1 + np.arange(len(after)))
            header_last = header_first + (int(gaps[0]) if len(gaps) else len(after))
            offsets = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
            start = int(offsets[header_first - 2]) + 1 if header_first > 1 else 0
            end = int(offsets[header_last - 1]) if header_last <= len(offsets) else len(data)
            self._set_header(data[start:end], self.lines + header_first)
            self._count_blank(header_first - 1, header_last - header_first)
            self.tally.accept(ACCEPTED_HEADER)
            self.lines += header_last
            data = data[end + 1 :]
            if not data:
                return empty_positions(), StaticKeys.empty()
        first = self.lines + 1  # the piece's first line in the file
        piece = self.header_bytes + b"\n" + data
        n_lines, blank, records, more = record_layout(piece, ord(self.delimiter))
        self.lines += n_lines - 1
        return self._parse(piece, blank, records, more, first - 2)

    def _count_blank(self, blank: int, more: int) -> None:
        if blank:
            self.tally.accept(ACCEPTED_BLANK, blank)
        if more:  # quoted text before any header: not a table we can read
            self.tally.accept(ACCEPTED_CONTINUED, more)

    def _set_header(self, record: bytes, line: int) -> None:
        """Take the header from its record (physical line ``line`` on): the header line put
        in front of every piece is one line, written again with its quotes balanced when
        it has quotes (an open quote would turn every line of the pieces inside out)."""
        self.header_bytes = record.rstrip(b"\r")
        text = record.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
        header = cols.header_fields(text.replace("\r\n", " ").replace("\n", " "),
                                    self.delimiter)  # fmt: skip
        self.header = header
        if b'"' in self.header_bytes or b"\n" in self.header_bytes:
            out = io.StringIO()
            csv.writer(out, delimiter=self.delimiter, lineterminator="").writerow(header)
            codec = "utf-8" if self.encoding == "utf8" else self.encoding
            self.header_bytes = out.getvalue().encode(codec, errors="replace")
        self.mapping = cols.map_header(header)
        self.missing = [name for name in cols.REQUIRED if name not in self.mapping]
        self.header_line = line
        if self.missing:
            self._notes.append(
                f"header (line {self.header_line}) names no column for "
                f"{', '.join(self.missing)}: not a track table"
            )
        self.statics = StaticValues([name for name in STATIC_FIELDS if name in self.mapping])

    def _parse(
        self, data: bytes, blank: np.ndarray, records: np.ndarray, more: np.ndarray,
        offset: int,
    ) -> tuple[pd.DataFrame, StaticKeys]:  # fmt: skip
        """Parse ``data`` (its first record the header); local line L is file line L+offset."""
        tally = self.tally
        # Blank lines and continuations of the piece (never the header put in front).
        self._count_blank(len(blank), len(more))
        data_records = records[1:]
        if self.missing:
            rejected = np.sort(np.concatenate([data_records, more])) + offset
            tally.reject_many(NO_FIX_COLUMNS, rejected)
            if len(more):
                tally.accepted[ACCEPTED_CONTINUED] -= len(more)
            return empty_positions(), StaticKeys.empty()
        if not len(data_records):
            return empty_positions(), StaticKeys.empty()

        mapping = self.mapping
        wanted = sorted(set(mapping.values()), key=self.header.index)
        dma = self.kind == "csv-dma"
        # Static values are numbered by their text: read as text, or pyarrow's type guess,
        # made per piece, would turn a name "1e400" into "inf" in a piece of numbers only.
        fix_columns = {mapping[k] for k in POSITION_COLUMNS if k in mapping}
        static_columns = tuple(
            dict.fromkeys(mapping[name] for name in self.statics.present
                          if mapping[name] not in fix_columns)
        )  # fmt: skip
        table: pa.Table | None = None
        error: Exception | None = None
        for as_text in (False, True):
            # pyarrow infers column types from the first block and fails on a later cell that
            # does not fit (one "n/a" in an MMSI column a million rows down): then read as
            # text, and let the per-cell conversion below count that one row.
            try:
                table, bad_rows = _read_table(
                    data, wanted, mapping["time"], dma, True, as_text, self.encoding,
                    self.delimiter, self.block_bytes, static_columns,
                )
                if bad_rows:
                    # Only the single-threaded reader numbers the rows it skips.
                    table, bad_rows = _read_table(
                        data, wanted, mapping["time"], dma, False, as_text, self.encoding,
                        self.delimiter, self.block_bytes, static_columns,
                    )
                break
            except (pa.ArrowInvalid, pa.ArrowException) as exc:
                error = exc
        if table is None:
            tally.reject_many(BAD_VALUE, data_records + offset)
            self._notes.append(f"could not parse as CSV: {error}")
            return empty_positions(), StaticKeys.empty()

        # pyarrow numbers records among non-empty lines, the header being 1.
        bad_numbers = np.array([n for n, _ in bad_rows if n is not None], dtype="int64")
        unnumbered = sum(1 for n, _ in bad_rows if n is None)
        if unnumbered or len(bad_numbers) + table.num_rows != len(data_records):
            # Cannot place the rows on records: count, and number by position.
            self._notes.append("rows could not be placed on physical lines exactly")
            if table.num_rows > len(data_records):  # more rows than records: keep one each
                table = table.slice(0, len(data_records))
            row_lines = data_records[: table.num_rows]
            bad_lines = data_records[table.num_rows :]
        else:
            bad_lines = records[bad_numbers - 1]
            keep = np.ones(len(records), dtype=bool)
            keep[0] = False
            keep[bad_numbers - 1] = False
            row_lines = records[keep]
        row_lines = row_lines + offset
        tally.reject_many(BAD_VALUE, bad_lines + offset)
        self._wrong_fields += len(bad_lines)

        # Only the fix columns go to pandas whole; static text is numbered per distinct tuple
        # of values and converted once per tuple.
        fix_sources = list(dict.fromkeys(mapping[k] for k in POSITION_COLUMNS if k in mapping))
        frame = table.select(fix_sources).to_pandas()
        positions, mmsi_ok, time = _positions(frame, mapping, row_lines, tally, dma)
        rows = np.flatnonzero(mmsi_ok)
        mmsi = positions_mmsi(frame, mapping)
        keys = StaticKeys(
            mmsi=mmsi[rows].astype("int64"),
            time=time[rows],
            line=row_lines[rows].astype("int64"),
            ids=self.statics.ids(table, mapping, rows),
        )
        if not self.statics.present:
            keys = StaticKeys.empty()
        return positions, keys


def positions_mmsi(frame: pd.DataFrame, mapping: dict[str, str]) -> np.ndarray:
    """The MMSI column as float64 (NaN where not a number)."""
    return pd.to_numeric(frame[mapping["mmsi"]], errors="coerce").to_numpy(
        "float64", na_value=np.nan
    )


def read_csv_track(  # noqa: PLR0913
    path: Path, data: bytes | Sequence[bytes], kind: str, encoding: str | None = None,
    delimiter: str = ",", max_record_bytes: int = 1 << 20,
) -> RawRead:  # fmt: skip
    """Read one CSV track file (already gunzipped ``data``) of format ``kind`` into a RawRead.

    ``kind`` is ``csv-noaa``, ``csv-dma`` or ``csv`` (from ``detect_format.sniff``); the
    columns are found through the header either way. ``data`` is the whole text, one piece
    of ``CsvPieces`` (so the streaming reader gives the same records), or its parts in
    order, each whole records (``ingest.read_file`` cuts a file of more than
    ``limits.PIECE_MAX_LINES`` lines so, to bound its per-line arrays).
    """
    parts = [data] if isinstance(data, bytes) else data
    pieces = CsvPieces(str(path), kind, encoding or encoding_of(parts), delimiter,
                       max_record_bytes)  # fmt: skip
    frames: list[pd.DataFrame] = []
    keys: list[StaticKeys] = []
    for part in parts:
        positions, part_keys = pieces.feed(part)
        if len(positions):
            frames.append(positions)
        keys.append(part_keys)
    positions = pd.concat(frames, ignore_index=True) if frames else empty_positions()
    all_keys = StaticKeys.concat(keys)
    statics = pieces.statics.records(all_keys.mmsi, all_keys.time, all_keys.line, all_keys.ids)
    return RawRead(
        str(path), kind, pieces.lines, positions, statics, pieces.tally, pieces.notes()
    )


def _positions(
    frame: pd.DataFrame, mapping: dict[str, str], row_lines: np.ndarray, tally: LineTally, dma: bool
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n = len(frame)
    mmsi_raw = frame[mapping["mmsi"]]
    mmsi = pd.to_numeric(mmsi_raw, errors="coerce").to_numpy("float64", na_value=np.nan)
    mmsi_ok = np.isfinite(mmsi) & (mmsi == np.round(mmsi)) & (mmsi >= 0) & (mmsi < 2**32)
    time_raw = frame[mapping["time"]]
    time, time_outside = times_ns_checked(time_raw, time_format=DMA_TIME_FORMAT if dma else None)
    time_ok = time != np.iinfo("int64").min
    time_empty = time_raw.isna().to_numpy().copy()
    if time_raw.dtype.kind not in "iufM" and not isinstance(time_raw.dtype, pd.DatetimeTZDtype):
        time_empty |= (time_raw.astype("string").str.strip() == "").fillna(True).to_numpy(bool)
    lat = cols.numbers(frame[mapping["lat"]])
    lon = cols.numbers(frame[mapping["lon"]])
    # A present but unparseable coordinate is a bad value; an empty one is a missing position.
    lat_bad = np.isnan(lat) & frame[mapping["lat"]].notna().to_numpy()
    lon_bad = np.isnan(lon) & frame[mapping["lon"]].notna().to_numpy()

    no_time = ~time_ok & time_empty
    bad = (~mmsi_ok | (~time_ok & ~time_empty) | lat_bad | lon_bad) & ~no_time
    # Counted under its own reason (a placeholder date, say) when the rest of the row is good.
    outside = bad & time_outside & mmsi_ok & ~lat_bad & ~lon_bad
    bad &= ~outside
    tally.reject_many(NO_TIMESTAMP, row_lines[no_time])
    tally.reject_many(BAD_VALUE, row_lines[bad])
    tally.reject_many(TIME_OUT_OF_RANGE, row_lines[outside])
    ok = ~(bad | no_time | outside)
    tally.accept(ACCEPTED_FIX, int(ok.sum()))

    def optional(name: str) -> np.ndarray:
        if name not in mapping:
            return np.full(n, np.nan)
        if name == "nav_status":
            return cols.nav_status_codes(frame[mapping[name]])
        return cols.numbers(frame[mapping[name]])

    positions = pd.DataFrame(
        {
            "mmsi": np.where(mmsi_ok, mmsi, 0).astype("int64")[ok],
            "time": time[ok],
            "lat": lat[ok],
            "lon": lon[ok],
            "sog_kn": optional("sog_kn")[ok],
            "cog_deg": optional("cog_deg")[ok],
            "heading_deg": optional("heading_deg")[ok],
            "nav_status": optional("nav_status")[ok],
            "line": row_lines[ok].astype("int64"),
        }
    )
    return positions, mmsi_ok, time


def _change_codes(column: pa.ChunkedArray) -> np.ndarray:
    """Values as numbers that are equal exactly when the cells are (nulls equal each other)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        codes = pc.dictionary_encode(column).combine_chunks().indices
        return codes.to_numpy(zero_copy_only=False).astype("float64")  # null -> NaN
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return column.to_numpy().astype("float64")
    return _change_codes(column.cast(pa.string()))


def statics_from_rows(table: pa.Table, mapping: dict[str, str], row_lines: np.ndarray,
                      time: np.ndarray, mmsi_ok: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """Static records from the static columns of a table: the first row of every run of
    identical static values per vessel, in time order (the history of changes, not one copy
    per fix). ``time`` is int64 ns per row (NaT as int64 min)."""
    present = [name for name in STATIC_FIELDS if name in mapping]
    if not present:
        return empty_statics()
    mmsi = pd.to_numeric(table.column(mapping["mmsi"]).to_pandas(), errors="coerce").to_numpy(
        "float64", na_value=np.nan
    )
    rows = np.flatnonzero(mmsi_ok)
    # Rows are in line order: two stable sorts give (mmsi, time, line) order.
    rows = rows[np.argsort(time[rows], kind="stable")]
    rows = rows[np.argsort(mmsi[rows], kind="stable")]
    changed = np.ones(len(rows), dtype=bool)
    changed[1:] = mmsi[rows[1:]] != mmsi[rows[:-1]]
    for name in present:
        codes = _change_codes(table.column(mapping[name]))[rows]
        same = (codes[1:] == codes[:-1]) | (np.isnan(codes[1:]) & np.isnan(codes[:-1]))
        changed[1:] |= ~same
    rows = rows[changed]
    if not len(rows):
        return empty_statics()
    taken = table.select([mapping[name] for name in present]).take(pa.array(rows)).to_pandas()
    sub = pd.DataFrame({name: taken[mapping[name]].to_numpy() for name in present})
    sub["__mmsi"] = mmsi[rows]
    sub["__line"] = row_lines[rows]
    sub["__time"] = time[rows]
    n = len(sub)

    def pick(name: str) -> pd.Series:
        return sub[name] if name in present else pd.Series([None] * n, dtype=object)

    out = pd.DataFrame(
        {
            "mmsi": sub["__mmsi"].to_numpy().astype("uint32"),
            # int64 min is NaT in datetime64[ns].
            "time": pd.to_datetime(sub["__time"].to_numpy().view("datetime64[ns]"), utc=True),
            "imo": cols.imo_numbers(pick("imo")),
            "name": cols.object_column(cols.text_or_none(pick("name")), n),
            "callsign": cols.object_column(cols.text_or_none(pick("callsign")), n),
            "ship_type": cols.ship_type_codes(pick("ship_type")),
            "length_m": cols.dimensions_m(pick("length_m")),
            "width_m": cols.dimensions_m(pick("width_m")),
            "destination": cols.object_column(cols.text_or_none(pick("destination")), n),
            "line": sub["__line"].to_numpy().astype("int64"),
        }
    )
    return _with_static_content(out)


def _with_static_content(out: pd.DataFrame) -> pd.DataFrame:
    """Static records as the readers give them: IMO and ship type as nullable integers, and
    only the rows that carry at least one static value (the STATIC_COLUMNS, in order)."""
    out["imo"] = out["imo"].astype("Int64")
    out["ship_type"] = out["ship_type"].astype("Int64")
    values = ("imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination")
    all_missing = out[list(values)].isna().all(axis=1)
    return out[~all_missing.to_numpy()].reset_index(drop=True)[list(STATIC_COLUMNS)]
