"""Streaming readers: one NMEA or CSV file (plain or gzip) read in pieces of bounded size.

``stream_file(path)`` gives a ``FileStream``: iterating it yields ``FixChunk``s whose fixes,
concatenated and sorted by (mmsi, time), equal ``ingest([path]).fixes`` exactly, and whose
statics equal ``ingest([path]).statics``; ``FileStream.report`` equals the file's report once
iteration has ended. ``read_raw`` is the same first pass for ``ingest``, which cleans the
positions of all its files together (duplicates across files).

How it stays exact and bounded (the policy)
  1. Reading. The file is read ``chunk_bytes`` at a time (compressed bytes for ``.gz``, whose
     output is also cut at ``chunk_bytes``). A line cut by a piece border waits for the rest
     of its line; a CSV piece ends only at a newline outside quotes (an even number of ``"``
     before it), so a quoted value holding a newline is never split. The text passes the
     guard of ``limits.py`` first (UTF-16, bare CR, the longest line, the text and line count
     of a file), as the whole-file reader's does.
  2. NMEA state across borders. Each piece is scanned together with the lines carried from
     the piece before (``nmea.scan_lines`` with the lines' numbers in the file). A line's
     outcome is committed when nothing after the piece can change it; the others are carried
     to the next piece and scanned again:
       - the last ``MARGIN_LINES`` lines (a ``$PGHP`` line may stamp a sentence up to 20
         lines away, and its arrival-time match is looked for among the lines in view);
       - every part of a multipart message not yet complete (tag-block groups and sequence
         ids alike, however far apart the parts are), and every line within 20 lines of one;
       - and, closed over the links found (the parts of one message, a ``$PGHP`` line or a
         lone tag block and the sentence it stamped), every line linked to a carried line.
     So multipart halves, ``$PGHP`` lines and tag-block groups cut by a border are judged
     as in the whole file, and line numbers run on. Exactness assumes a ``$PGHP`` line whose
     arrival time matches its sentence stands fewer than ``MARGIN_LINES`` lines from it (in
     AMSA's exactEarth file such matches reach 125 lines). What is carried is bounded
     by ``MARGIN_LINES`` plus the incomplete multipart messages: a file of many never-
     completed tag-block groups carries those lines to its end.
  3. CSV. Each piece is parsed with the header put in front of it; pyarrow infers column
     types per piece (falling back to text per piece), and every cell is converted by the
     same per-cell rules either way. The text encoding (UTF-8, else Latin-1) is decided for
     the whole file by a first pass over its bytes. Static records are the rows where a
     vessel's static values change in (mmsi, time, line) order over the whole file, so each
     row keeps only (mmsi, time, line, number of its distinct static values) until step 4.
  4. Cleaning. Duplicates and jumps are judged per vessel over all its fixes in (mmsi,
     time) order, and files are not always time-ordered, so no carried "last fix" is exact.
     Instead the first pass spills every position (and static row) to temporary Arrow files
     in ``N`` buckets by a hash of the MMSI, ``N`` chosen from the file's size so that one
     bucket's input is about ``BUCKET_INPUT_BYTES``; each bucket is then cleaned whole (by
     the same code as ``ingest``) and yielded as one chunk. A vessel is in exactly one
     bucket, so the cleaning is that of the whole file. Small files (one bucket) stay in
     memory. Chunks therefore come after the whole file is read; ``progress`` reports the
     reading.
  5. Parquet, GeoParquet and GeoPackage files are read whole (by ``read_file``) and yielded
     as one chunk: their readers load the table whole today.
  6. Two cores. Where fork is available (``prefetch.can_fork``), an NMEA file's pieces are
     read, guarded and split into lines by a child process a piece ahead of the scan
     (``read_ahead`` begins that before the caller is ready), and ``FileStream.map_chunks``
     hands every other bucket to a child that cleans it and applies the caller's function
     there. Elsewhere the same run in threads; the result is the same either way.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from desktop.core.arrow_numpy import numpy_of
from desktop.core.errors import Cancelled, InputError, ParameterError
from desktop.core.ingest import nmea, nmea_lines
from desktop.core.ingest.assemble import clean_raws, static_note, statics_table
from desktop.core.ingest.base import (
    FIRST_LINES_KEPT,
    NOT_AIS,
    POSITION_COLUMNS,
    STATIC_COLUMNS,
    LineTally,
    RawRead,
    static_schema,
)
from desktop.core.ingest.csv_reader import (
    ACCEPTED_BLANK,
    CsvPieces,
    StaticKeys,
    delimiter_of,
    empty_positions,
    empty_statics,
)
from desktop.core.ingest.detect_format import GZIP_MAGIC, sniff
from desktop.core.ingest.limits import (
    DEFAULT_LIMITS,
    GuardReport,
    ReadLimits,
    guarded_pieces,
    line_count,
    text_blocks,
    thin_blank_runs,
)
from desktop.core.ingest.prefetch import Finished, can_fork, forked, prefetched
from desktop.core.ingest.result import FileReport
from desktop.core.lazy import pandas as pd
from desktop.core.textsafe import printable_path

__all__ = ["FileStream", "FixChunk", "read_ahead", "read_raw", "stream_file"]

# Lines at the end of a piece whose outcome waits for the next piece (see the policy).
MARGIN_LINES: Final = 2048
# Input bytes (uncompressed) per cleaning bucket: about 100,000 NMEA sentences. Cleaning a
# bucket takes some 850 bytes a row above the imports; at 16 MB (twice this) the cleaning
# set the add's peak, and that peak followed the file's size, as small files have smaller
# buckets (1 M sentences: 13 MB each, 5 M: 15.5 MB). At 8 MB it stays below the first
# pass's, which does not depend on the file.
BUCKET_INPUT_BYTES: Final = 8 << 20
MAX_BUCKETS: Final = 1024
# A gzip file's text is taken as this many times its size when choosing the bucket count.
GZIP_RATIO_GUESS: Final = 6
HEAD_BYTES: Final = 65536
# At most this many bytes of text are scanned at once, whatever ``chunk_bytes`` asks.
SCAN_BYTES: Final = 8 << 20
_PGHP_WINDOW: Final = 20  # nmea._PGHP_WINDOW_LINES

ByteProgress = Callable[[int, int], None]
R = TypeVar("R")
_NO_TEXT: Final = np.zeros(0, dtype=np.uint8)


@dataclass
class FixChunk:
    """One piece of a streamed file (see ``stream_file``)."""

    fixes: pd.DataFrame  # make_fixes schema, cleaned, sorted by (mmsi, time)
    statics: pd.DataFrame  # STATIC_COLUMNS + source, sorted by (mmsi, time)
    bytes_read: int  # bytes of the file consumed so far (compressed bytes for .gz)
    bytes_total: int  # the file's size on disk


# ---------------------------------------------------------------------------------------------
# Bytes: plain or gzip, in blocks of bounded size


def _blocks(path: Path, chunk_bytes: int, notes: list[str]) -> Iterator[tuple[bytes, int]]:
    """The file's content (gunzipped when it starts with the gzip magic) in blocks of at most
    ``chunk_bytes``, each with the bytes of the file consumed so far.

    Like the whole-file readers, concatenated gzip members are read one after another and
    bytes after the last member are ignored; a gzip stream cut short keeps what decompressed
    and says so in ``notes``.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    with handle:
        magic = handle.read(2)
        handle.seek(0)
        if magic != GZIP_MAGIC:
            while block := handle.read(chunk_bytes):
                yield block, handle.tell()
            return
        produced = 0
        unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        feed = b""
        read_size = max(chunk_bytes // 4, 1)
        while True:
            if not feed:
                feed = handle.read(read_size)
                if not feed:  # the file ends inside a member: a copy cut short
                    out = unzip.flush()
                    produced += len(out)
                    if out:
                        yield out, handle.tell()
                    notes.append(
                        f"gzip data broken after {produced} decompressed bytes "
                        "(the compressed stream ends early)"
                    )
                    return
            try:
                out = unzip.decompress(feed, chunk_bytes)
            except zlib.error as err:
                notes.append(f"gzip data broken after {produced} decompressed bytes ({err})")
                return
            feed = unzip.unconsumed_tail
            produced += len(out)
            if out:
                yield out, handle.tell() - len(feed)
            if unzip.eof:
                rest = unzip.unused_data
                while len(rest) < 2:
                    more = handle.read(read_size)
                    if not more:
                        break
                    rest += more
                if rest[:2] != GZIP_MAGIC:
                    return  # the end, or bytes after the last member (ignored)
                unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
                feed = rest


def content_head(path: Path) -> bytes:
    """The first ``HEAD_BYTES`` of the content (gunzipped), for format detection."""
    out = b""
    for block, _ in text_blocks(_blocks(path, HEAD_BYTES, []), GuardReport()):
        out += block
        if len(out) >= HEAD_BYTES:
            break
    return out[:HEAD_BYTES]


def count_lines(path: Path) -> int:
    """Physical lines of the content (as ``text.split("\\n")`` without a final empty one)."""
    lines = 0
    last = b"\n"
    for block, _ in text_blocks(_blocks(path, 1 << 24, []), GuardReport()):
        lines += block.count(b"\n")
        last = block[-1:] or last
    return lines + (last != b"\n")


def _pieces(  # noqa: PLR0913
    path: Path, chunk_bytes: int, notes: list[str], quoted: bool, limits: ReadLimits,
    guard: GuardReport, delimiter: int = 44,
) -> Iterator[tuple[bytes, int, bool]]:  # fmt: skip
    """Whole lines of the content, about ``chunk_bytes`` at a time: (bytes, consumed, last).

    With ``quoted`` (CSV) a piece ends only at a newline outside double quotes. The last
    piece (possibly empty) has ``last`` True and may end without a newline. The text passes
    ``limits.guarded_pieces`` (UTF-16, bare CR, the bounds of ``limits``; see there).
    """
    return guarded_pieces(text_blocks(_blocks(path, chunk_bytes, notes), guard), quoted=quoted,
                          limits=limits, report=guard, delimiter=delimiter)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The first pass: raw positions and statics, piece by piece


Columns = dict[str, np.ndarray]  # a table as plain arrays, by column name


@dataclass
class RawChunk:
    """What one piece of the first pass gives (positions not yet cleaned)."""

    positions: pd.DataFrame | Columns  # POSITION_COLUMNS (NMEA: plain arrays)
    statics: pd.DataFrame  # static records (NMEA), STATIC_COLUMNS
    keys: StaticKeys  # static rows still to be turned into records (CSV)
    bytes_read: int


class _NmeaReader:
    """NMEA lines in pieces, with the state that crosses piece borders carried (policy 2)."""

    def __init__(self, path: Path, chunk_bytes: int, limits: ReadLimits) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.limits = limits
        self.guard = GuardReport()
        self.format = "nmea"
        self.lines = 0
        self.tally = LineTally()
        self._gzip_notes: list[str] = []
        self._tag_bad = 0
        self._own = 0
        self._lone = 0
        self._ahead: Iterator[object] | None = None  # pieces started early (``read_ahead``)

    def notes(self) -> list[str]:
        return (self._gzip_notes + nmea.count_notes(self._tag_bad, self._own, self._lone)
                + self.guard.notes(self.limits))  # fmt: skip

    def statics_records(self, keys: StaticKeys) -> pd.DataFrame:
        return empty_statics()

    def _prepared(self) -> Iterator[tuple[np.ndarray, int, bool, int, np.ndarray, np.ndarray,
                                          nmea_lines.FastLines]]:  # fmt: skip
        """Each piece read, its long blank runs thinned and its plain sentences read: (text
        as uint8, bytes consumed, last, lines, kept line numbers, blank line numbers, fast
        lines).
        Runs a piece ahead of ``chunks`` in a forked child process (``prefetch.forked``; a
        thread where there is no fork); it changes nothing of ``self`` but the guard and the
        gzip notes, which come back after the last piece (``_read_state``)."""
        first = 0
        for data, consumed, last in _pieces(self.path, self.chunk_bytes, self._gzip_notes, False,
                                            self.limits, self.guard):  # fmt: skip
            count = line_count(data)
            data, kept, blank = thin_blank_runs(data, first, count)  # long blank runs: counted
            first += count
            # Without its copy of the text: ``_join_fast`` puts the whole text in.
            fast = dataclasses.replace(nmea_lines.parse(data), buf=_NO_TEXT)
            # The text as an array: it crosses the pipe out of band, as the line arrays do.
            yield np.frombuffer(data, np.uint8), consumed, last, count, kept, blank, fast

    def _read_state(self) -> tuple[GuardReport, list[str]]:
        return self.guard, self._gzip_notes

    def _read(self, depth: int = 1) -> Iterator[object]:
        return forked(self._prepared, self._read_state, name=f"read {self.path.name}",
                      depth=depth)  # fmt: skip

    def start(self, depth: int) -> None:
        """Start reading now, up to ``depth`` pieces ahead of ``chunks`` (``read_ahead``)."""
        self._ahead = self._read(depth)

    def close(self) -> None:
        """Stop a read started by ``start`` that ``chunks`` did not take over."""
        ahead, self._ahead = self._ahead, None
        close = getattr(ahead, "close", None)
        if close is not None:
            close()

    def chunks(self) -> Iterator[RawChunk]:
        carry = b""
        carry_numbers = np.zeros(0, dtype=np.int64)
        pieces, self._ahead = self._ahead or self._read(), None
        with closing(pieces):  # type: ignore[type-var]
            for item in pieces:
                if isinstance(item, Finished):  # the guard and notes, as the reading left them
                    self.guard, self._gzip_notes = item.value
                    continue
                data, consumed, last, count, kept, blank, ahead = item
                if len(blank):
                    self.tally.reject_many(NOT_AIS, blank[:FIRST_LINES_KEPT] + 1)
                    self.tally.rejected[NOT_AIS] += len(blank) - min(len(blank), FIRST_LINES_KEPT)
                numbers = np.concatenate([carry_numbers, kept])
                self.lines += count
                buf = b"".join((carry, data))
                if not len(numbers):
                    continue
                fast = _join_fast(buf, len(carry), ahead)
                with nmea._gc_paused():
                    parsed = nmea.scan_lines(buf, str(self.path), [], numbers, fast=fast)
                    decoded = nmea.decode_parsed(parsed)
                carried = np.zeros(len(numbers), dtype=bool) if last else _carried(parsed)
                positions, statics = self._commit(decoded, ~carried)
                bounds = np.append(fast.starts, len(buf))
                keep = np.flatnonzero(carried)
                carry = b"".join(buf[bounds[k] : bounds[k + 1]] for k in keep.tolist())
                carry_numbers = numbers[keep]
                # Drop this piece's scan now: the worker is reading the next one meanwhile.
                del parsed, decoded, buf, data, bounds, fast, ahead
                yield RawChunk(positions, statics, StaticKeys.empty(), consumed)
                del positions, statics
        # Too-long lines reached the scan as empty lines (not_ais); lines past a limit did not.
        self.lines += self.guard.settle(self.tally, NOT_AIS, empty_accepted=False)

    def _commit(
        self, decoded: nmea._Decoded, done: np.ndarray
    ) -> tuple[Columns, pd.DataFrame]:
        """Count the outcomes of the ``done`` lines and return their records."""
        parsed = decoded.parsed
        numbers = parsed.numbers
        outcome = parsed.outcome[done]
        line_no = numbers[done] + 1
        counts = np.bincount(outcome, minlength=len(nmea._OUTCOMES))
        piece = LineTally()
        for code, name in enumerate(nmea._OUTCOMES):
            if code == 0 or counts[code] == 0:
                continue
            if name in nmea._ACCEPTED:
                piece.accept(name, int(counts[code]))
            else:
                piece.rejected[name] += int(counts[code])
                piece.first_lines[name] = line_no[outcome == code][:FIRST_LINES_KEPT].tolist()
        self.tally.merge(piece)
        self._tag_bad += int(np.count_nonzero(done[parsed.tag_bad_lines]))
        msg_done = done[parsed.msgs.line]
        self._own += int(np.count_nonzero(parsed.msgs.own_ship & msg_done))
        self._lone += sum(1 for i in parsed.lone_used if done[i])

        # Records carry file line numbers; keep those of committed lines.
        pos = nmea.position_columns(decoded, numbers)
        keep = done[np.searchsorted(numbers, pos["line"] - 1)]
        if not keep.all():
            pos = {name: values[keep] for name, values in pos.items()}
        statics = nmea.static_records(decoded, numbers)
        index = np.searchsorted(numbers, statics["line"].to_numpy(np.int64) - 1)
        statics = statics[done[index]].reset_index(drop=True)
        return pos, statics


def _join_fast(buf: bytes, carried_bytes: int, ahead: nmea_lines.FastLines
               ) -> nmea_lines.FastLines:  # fmt: skip
    """``nmea_lines.parse(buf)`` from ``ahead``, the parse of the piece's own text (read in the
    worker), and a parse of the carried lines in front of it (``buf[:carried_bytes]``, whole
    lines, a few thousand at most).

    The two read alike: ``parse`` judges every line by itself, except that a line right after
    a tag block alone on its line (the previous non-empty line) is left to the line loop. So
    the piece's first non-empty line is parsed again behind the last carried one, and taken
    out of the fast lines when it is not fast there."""
    whole = np.frombuffer(buf, dtype=np.uint8)
    if carried_bytes == 0:
        return dataclasses.replace(ahead, buf=whole)
    head = nmea_lines.parse(buf[:carried_bytes])
    shift, lines = carried_bytes, len(head.starts)
    if len(ahead.line) and not _fast_behind(head, ahead, buf, carried_bytes):
        ahead = _drop_first_fast(ahead)
    shifts = {"starts": shift, "ends": shift, "pay_start": shift, "star": shift, "line": lines,
              "tag_bad_lines": lines}  # fmt: skip
    fast = {}
    for name in nmea_lines.ARRAYS:
        tail = getattr(ahead, name)
        fast[name] = np.concatenate([getattr(head, name), tail + shifts[name] if name in shifts
                                     else tail])  # fmt: skip
    return nmea_lines.FastLines(buf=whole, tag_bad=head.tag_bad + ahead.tag_bad, **fast)


def _fast_behind(head: nmea_lines.FastLines, ahead: nmea_lines.FastLines, buf: bytes,
                 carried_bytes: int) -> bool:  # fmt: skip
    """Whether the piece's first fast line is still fast behind the carried lines: ``parse``
    of the last non-empty carried line and that line, bytes as they are (line ends too)."""
    nonempty = np.flatnonzero(ahead.ends > ahead.starts)
    first = int(nonempty[0])
    if int(ahead.line[0]) != first:  # not fast alone: nothing to take out
        return True
    behind = np.flatnonzero(head.ends > head.starts)
    if not len(behind):
        return True
    last = int(behind[-1])
    stop = int(head.starts[last + 1]) if last + 1 < len(head.starts) else carried_bytes
    line_stop = (int(ahead.starts[first + 1]) if first + 1 < len(ahead.starts)
                 else len(buf) - carried_bytes)  # fmt: skip
    at = carried_bytes + int(ahead.starts[first])
    pair = buf[int(head.starts[last]) : stop] + buf[at : carried_bytes + line_stop]
    return bool(nmea_lines.parse(pair).fast[-1])


def _drop_first_fast(fl: nmea_lines.FastLines) -> nmea_lines.FastLines:
    """``fl`` with its first fast line handed to the line loop instead."""
    fast = fl.fast.copy()
    fast[fl.line[0]] = False
    cut = {name: getattr(fl, name)[1:] for name in nmea_lines.PER_FAST_LINE}
    bad = fl.tag_bad_lines != fl.line[0]
    return dataclasses.replace(fl, fast=fast, tag_bad=int(np.count_nonzero(bad)),
                               tag_bad_lines=fl.tag_bad_lines[bad], **cut)  # fmt: skip


def _carried(parsed: nmea._Parsed) -> np.ndarray:
    """Which lines of a scanned piece wait for the next piece (policy 2)."""
    n = parsed.lines
    numbers = parsed.numbers
    carried = np.zeros(n, dtype=bool)
    carried[max(0, n - MARGIN_LINES) :] = True
    if parsed.pending:
        pending = numbers[np.asarray(parsed.pending, dtype=np.int64)]
        lo = np.searchsorted(numbers, pending - _PGHP_WINDOW, side="left")
        hi = np.searchsorted(numbers, pending + _PGHP_WINDOW, side="right")
        mark = np.zeros(n + 1, dtype=np.int64)
        np.add.at(mark, lo, 1)
        np.add.at(mark, hi, -1)
        carried |= np.cumsum(mark[:n]) > 0
    # Links: the lines of one message, a $PGHP line and its message, a lone tag block and the
    # sentence after it. A group of linked lines is carried whole or not at all.
    groups: list[list[int]] = []
    msgs = parsed.msgs
    for m in msgs.multipart().tolist():
        groups.append([*msgs.earlier[m], int(msgs.line[m])])
    for pghp_line, m in parsed.stamps:
        groups.append([pghp_line, *msgs.earlier[m], int(msgs.line[m])])
    for lone in parsed.lone_used:
        groups.append([lone, lone + 1])
    if not groups:
        return carried
    member = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    group_of = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    while True:
        touched = np.zeros(len(groups), dtype=bool)
        np.logical_or.at(touched, group_of, carried[member])
        grown = carried.copy()
        grown[member[touched[group_of]]] = True
        if (grown == carried).all():
            return carried
        carried = grown


class _CsvReader:
    """CSV records in pieces (policy 3)."""

    def __init__(self, path: Path, chunk_bytes: int, kind: str, limits: ReadLimits) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.format = kind
        self.limits = limits
        self.guard = GuardReport()
        self._gzip_notes: list[str] = []
        self.delimiter = delimiter_of(content_head(path))
        self.reader = CsvPieces(str(path), kind, _encoding(path, chunk_bytes), self.delimiter,
                                limits.max_line_bytes)  # fmt: skip

    @property
    def lines(self) -> int:
        return self.reader.lines

    @property
    def tally(self) -> LineTally:
        return self.reader.tally

    def notes(self) -> list[str]:
        return self.reader.notes() + self.guard.notes(self.limits)

    def statics_records(self, keys: StaticKeys) -> pd.DataFrame:
        return self.reader.statics.records(keys.mmsi, keys.time, keys.line, keys.ids)

    def chunks(self) -> Iterator[RawChunk]:
        pieces = _pieces(self.path, self.chunk_bytes, self._gzip_notes, True, self.limits,
                         self.guard, ord(self.delimiter))
        for data, consumed, _last in pieces:
            if not data:
                continue
            positions, keys = self.reader.feed(data)
            yield RawChunk(positions, empty_statics(), keys, consumed)
        # Too-long records reached the reader as blank lines; lines past a limit did not.
        self.reader.lines += self.guard.settle(self.tally, ACCEPTED_BLANK, empty_accepted=True)


def _encoding(path: Path, chunk_bytes: int) -> str:
    """``utf8`` when the whole content is valid UTF-8, else ``latin-1`` (one pass)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block, _ in text_blocks(_blocks(path, max(chunk_bytes, 1 << 20), []), GuardReport()):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf8"


def _reader(path: Path, kind: str, chunk_bytes: int,
            limits: ReadLimits = DEFAULT_LIMITS) -> _NmeaReader | _CsvReader:  # fmt: skip
    # Scanning a piece takes about nine times its size in working memory: pieces larger
    # than SCAN_BYTES are read in SCAN_BYTES steps.
    piece_bytes = min(chunk_bytes, SCAN_BYTES)
    if kind == "nmea":
        return _NmeaReader(path, piece_bytes, limits)
    return _CsvReader(path, piece_bytes, kind, limits)


def streamable(kind: str) -> bool:
    """Whether files of this format are read in pieces (NMEA and CSV)."""
    return kind == "nmea" or kind.startswith("csv")


def read_raw(
    path: str | Path,
    kind: str,
    *,
    chunk_bytes: int = 32 << 20,
    progress: ByteProgress | None = None,
    cancel: Callable[[], bool] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> RawRead:
    """The first pass over an NMEA or CSV file, gathered into one ``RawRead`` (for ``ingest``):
    the same records, tally and notes as the whole-file reader, without the file's bytes in
    memory. ``progress(bytes_read, bytes_total)`` is called after every piece; ``limits``
    bound the lines and the file (``limits.ReadLimits``)."""
    path = Path(path)
    total = path.stat().st_size
    reader = _reader(path, kind, chunk_bytes, limits)
    positions: list[pd.DataFrame] = []
    statics: list[pd.DataFrame] = []
    keys: list[StaticKeys] = []
    for chunk in reader.chunks():
        if cancel is not None and cancel():
            raise Cancelled("ingest cancelled")
        if _row_count(chunk.positions):
            positions.append(_positions_frame(chunk.positions))
        if len(chunk.statics):
            statics.append(chunk.statics)
        if len(chunk.keys.mmsi):
            keys.append(chunk.keys)
        if progress is not None:
            progress(chunk.bytes_read, total)
    frame = pd.concat(positions, ignore_index=True) if positions else empty_positions()
    if statics:
        static_frame = pd.concat(statics, ignore_index=True)
    else:
        static_frame = reader.statics_records(StaticKeys.concat(keys))
    return RawRead(str(path), reader.format, reader.lines, frame, static_frame, reader.tally,
                   reader.notes())  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Buckets: the first pass spilled by MMSI hash (policy 4)


def _bucket_of(mmsi: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket of each MMSI: a multiplicative hash, so nearby MMSIs spread out."""
    mixed = (np.asarray(mmsi).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    return (mixed % np.uint64(buckets)).astype(np.int64)


_STATIC_SCHEMA: Final = static_schema("ns", source=False)


class _Buckets:
    """Rows split by MMSI bucket: in memory for one bucket, else in Arrow files on disk (one
    file per piece and kind, one record batch per bucket)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._memory: dict[str, list[pa.Table]] = {}
        self._files: dict[str, list[Path]] = {}
        self._dir: Path | None = None
        if count > 1:
            self._dir = Path(tempfile.mkdtemp(prefix="exposure-stream-"))

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def add(self, kind: str, table: pa.Table, mmsi: np.ndarray) -> None:
        if not table.num_rows:
            return
        if self._dir is None:
            self._memory.setdefault(kind, []).append(table)
            return
        bucket = _bucket_of(mmsi, self.count)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(self.count + 1))
        table = table.take(pa.array(order))
        files = self._files.setdefault(kind, [])
        target = self._dir / f"{kind}-{len(files)}.arrow"
        with pa.OSFile(str(target), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            for b in range(self.count):
                part = table.slice(int(bounds[b]), int(bounds[b + 1] - bounds[b]))
                writer.write_batch(part.combine_chunks().to_batches()[0]
                                   if part.num_rows else pa.RecordBatch.from_pylist(
                                       [], schema=table.schema))  # fmt: skip
        files.append(target)

    def get(self, kind: str, bucket: int) -> pa.Table | None:
        if self._dir is None:
            parts = self._memory.get(kind, [])
        else:
            parts = []
            for target in self._files.get(kind, []):
                with pa.memory_map(str(target)) as source:
                    batch = ipc.open_file(source).get_batch(bucket)
                    # Copy out of the mapping: the file is read once and then deleted.
                    parts.append(pa.Table.from_batches([batch]).combine_chunks())
        parts = [p for p in parts if p.num_rows]
        if not parts:
            return None
        return pa.concat_tables(parts)


def _row_count(positions: pd.DataFrame | Columns) -> int:
    return len(positions["mmsi"]) if isinstance(positions, dict) else len(positions)


def _positions_frame(positions: pd.DataFrame | Columns) -> pd.DataFrame:
    if isinstance(positions, dict):  # as ``nmea.raw_records`` makes it
        return pd.DataFrame(positions, columns=list(POSITION_COLUMNS))
    return positions


def _positions_table(frame: pd.DataFrame | Columns) -> pa.Table:
    if isinstance(frame, dict):
        return pa.table({
            name: frame[name].astype(np.int64 if name in ("mmsi", "time", "line") else np.float64,
                                     copy=False)
            for name in POSITION_COLUMNS
        })  # fmt: skip
    return pa.table(
        {
            "mmsi": frame["mmsi"].to_numpy("int64"),
            "time": frame["time"].to_numpy("int64"),
            **{
                name: frame[name].to_numpy("float64", na_value=np.nan)
                for name in ("lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")
            },
            "line": frame["line"].to_numpy("int64"),
        }
    )


def _positions_columns(table: pa.Table | None) -> pd.DataFrame | dict[str, np.ndarray]:
    """A bucket's positions for ``clean_raws``: plain arrays (a DataFrame of them would copy
    every column again into its blocks, a tenth of the add's time)."""
    if table is None:
        return empty_positions()
    return {name: numpy_of(table.column(name)) for name in POSITION_COLUMNS}


def _statics_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame[list(STATIC_COLUMNS)], schema=_STATIC_SCHEMA,
                                preserve_index=False)  # fmt: skip


def _statics_from_arrow(table: pa.Table | None) -> pd.DataFrame:
    if table is None:
        return empty_statics()
    frame = table.to_pandas()
    for name in ("imo", "ship_type"):
        frame[name] = pd.array(table.column(name).to_pylist(), dtype="Int64")
    for name in ("name", "callsign", "destination"):
        frame[name] = pd.Series(table.column(name).to_pylist(), dtype=object)
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    return frame[list(STATIC_COLUMNS)]


def _keys_table(keys: StaticKeys) -> pa.Table:
    return pa.table({"mmsi": keys.mmsi, "time": keys.time, "line": keys.line, "ids": keys.ids})


def _keys_from_arrow(table: pa.Table | None) -> StaticKeys:
    if table is None:
        return StaticKeys.empty()
    return StaticKeys(*(numpy_of(table.column(n)) for n in ("mmsi", "time", "line", "ids")))


# ---------------------------------------------------------------------------------------------
# The stream


def _bucket_count(path: Path, total: int) -> int:
    with path.open("rb") as handle:
        gzipped = handle.read(2) == GZIP_MAGIC
    text_bytes = total * (GZIP_RATIO_GUESS if gzipped else 1)
    return max(1, min(MAX_BUCKETS, math.ceil(text_bytes / BUCKET_INPUT_BYTES)))


def _add_report(report: FileReport, other: FileReport, started: FileReport) -> None:
    """Add to ``report`` what ``other`` (a copy of ``started`` that cleaned other buckets of
    the same file) counted since: buckets never share a vessel, so vessels add up."""
    report.fixes += other.fixes - started.fixes
    report.vessels += other.vessels - started.vessels
    for name, pick in (("time_min", min), ("time_max", max)):
        theirs = getattr(other, name)
        if theirs is not None:
            mine = getattr(report, name)
            setattr(report, name, theirs if mine is None else pick(mine, theirs))


@dataclass
class _CleanState:
    """What cleaning the buckets counted: rows moved from accepted to a reason (``tally``) and
    static records of non-vessels left out."""

    tally: LineTally = field(default_factory=LineTally)
    dropped: int = 0


@dataclass
class FileStream:
    """An iterable of ``FixChunk`` over one file; ``report`` is complete once iteration ends."""

    path: Path
    format: str
    report: FileReport
    max_speed_kn: float = 50.0
    chunk_bytes: int = 32 << 20
    cancel: Callable[[], bool] | None = None
    progress: ByteProgress | None = None
    limits: ReadLimits = DEFAULT_LIMITS
    started: _NmeaReader | None = None  # this file's reading begun early (``read_ahead``)
    _done: bool = field(default=False, repr=False)

    def __iter__(self) -> Iterator[FixChunk]:
        return self._run(None)

    def map_chunks(self, fn: Callable[[FixChunk], R]) -> Iterator[R]:
        """``fn(chunk)`` for every chunk, in no set order; ``report`` is complete once the
        iteration has ended.

        Where fork is available (``prefetch.can_fork``) and the file has several buckets, a
        forked child cleans every other bucket and calls ``fn`` on those chunks itself, while
        this process does the rest: the two halves run at once. So ``fn``'s results must
        pickle, and ``fn`` must keep its effects in what it returns or outside the process
        (files): the child's memory is its own."""
        return self._run(fn)

    def _run(self, fn: Callable[[FixChunk], R] | None) -> Iterator[FixChunk | R]:
        if self._done:
            raise RuntimeError(f"{self.path}: a FileStream can be iterated once")
        self._done = True
        total = self.path.stat().st_size
        if not streamable(self.format):
            chunk = self._whole(total)
            yield chunk if fn is None else fn(chunk)
            return
        reader = self.started or _reader(self.path, self.format, self.chunk_bytes, self.limits)
        self.started = None
        buckets = _Buckets(_bucket_count(self.path, total))
        stack = ExitStack()
        try:
            # The pieces are scanned in a worker while their rows are spilled here. Closed
            # (the worker stopped) before the buckets go, however the loop ends.
            scanned = stack.enter_context(
                closing(prefetched(reader.chunks(), name=f"scan {self.path.name}"))
            )
            for chunk in scanned:  # noqa: B007 - deleted at the end of each turn
                self._poll()
                if _row_count(chunk.positions):
                    positions = _positions_table(chunk.positions)
                    buckets.add("positions", positions, numpy_of(positions.column("mmsi")))
                    del positions
                if len(chunk.statics):
                    buckets.add("statics", _statics_arrow(chunk.statics),
                                chunk.statics["mmsi"].to_numpy("int64"))  # fmt: skip
                if len(chunk.keys.mmsi):
                    buckets.add("keys", _keys_table(chunk.keys), chunk.keys.mmsi)
                if self.progress is not None:
                    self.progress(chunk.bytes_read, total)
                del chunk  # not held while the next piece is read
            notes = reader.notes()
            if reader.tally.total != reader.lines:
                notes.append(
                    f"line accounting is off: {reader.tally.total} counted for {reader.lines} lines"
                )
            self.report = FileReport(printable_path(self.path), reader.format, reader.lines)
            state = _CleanState()
            everything = list(range(buckets.count))
            if fn is None or buckets.count < 2 or not can_fork():
                # The next bucket is cleaned in a thread while the caller stores this one.
                cleaned = stack.enter_context(
                    closing(prefetched(self._cleaned(reader, buckets, total, state, everything),
                                       name=f"clean {self.path.name}"))  # fmt: skip
                )
                for chunk in cleaned:
                    yield chunk if fn is None else fn(chunk)
                    del chunk
            else:
                yield from self._two_lanes(fn, reader, buckets, total, state, stack)
            reader.tally.merge(state.tally)
            if state.dropped:
                notes.append(static_note(state.dropped))
            self._finish(reader.tally, notes)
        finally:
            stack.close()
            buckets.close()

    def _two_lanes(self, fn: Callable[[FixChunk], R], reader: _NmeaReader | _CsvReader,
                   buckets: _Buckets, total: int, state: _CleanState,
                   stack: ExitStack) -> Iterator[R]:  # fmt: skip
        """``fn`` of every bucket's chunk: the odd buckets in a forked child (whose counts
        come back after its last one and are added to ``state`` and ``report``), the even
        ones here, at once."""
        theirs = _CleanState()
        started = dataclasses.replace(self.report)  # the child's report starts from this

        def their_chunks() -> Iterator[R]:
            for chunk in self._cleaned(reader, buckets, total, theirs,
                                       list(range(1, buckets.count, 2)), poll=False):  # fmt: skip
                yield fn(chunk)

        name = f"clean {self.path.name}"
        others = stack.enter_context(
            closing(forked(their_chunks, lambda: (theirs, self.report), name=name))
        )
        for chunk in self._cleaned(reader, buckets, total, state,
                                   list(range(0, buckets.count, 2))):  # fmt: skip
            yield fn(chunk)
            del chunk
        for item in others:
            if not isinstance(item, Finished):
                yield item
                continue
            counted, their_report = item.value
            state.tally.merge(counted.tally)
            state.dropped += counted.dropped
            _add_report(self.report, their_report, started)

    def _cleaned(self, reader: _NmeaReader | _CsvReader, buckets: _Buckets, total: int,
                 state: _CleanState, which: list[int], poll: bool = True
                 ) -> Iterator[FixChunk]:  # fmt: skip
        """The buckets ``which`` cleaned; the lines they rejected and the static records they
        dropped are added up in ``state``, the fixes and vessels in ``self.report``. (A
        forked child does not ``poll``: its copy of a cancel flag would never change.)"""
        for bucket in which:
            if poll:
                self._poll()
            raw = RawRead(
                str(self.path),
                reader.format,
                reader.lines,
                _positions_columns(buckets.get("positions", bucket)),
                _statics_from_arrow(buckets.get("statics", bucket)),
                LineTally(),
            )
            if reader.format != "nmea":
                raw.statics = reader.statics_records(_keys_from_arrow(buckets.get("keys", bucket)))
            chunk, count = self._clean(raw, total)
            state.dropped += count
            state.tally.merge(raw.tally)
            del raw  # neither this bucket's rows nor its chunk held while the next is cleaned
            yield chunk
            del chunk

    def _poll(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled(f"reading {self.path.name} cancelled")

    def _whole(self, total: int) -> FixChunk:
        from desktop.core.ingest import read_file

        raw = read_file(self.path, self.limits)
        self.format = raw.format
        notes = list(raw.notes)
        if raw.tally.total != raw.lines:
            notes.append(f"line accounting is off: {raw.tally.total} counted for {raw.lines} lines")
        self.report = FileReport(printable_path(self.path), raw.format, raw.lines)
        chunk, dropped = self._clean(raw, total)
        if dropped:
            notes.append(static_note(dropped))
        self._finish(raw.tally, notes)
        return chunk

    def _clean(self, raw: RawRead, total: int) -> tuple[FixChunk, int]:
        """Clean one bucket (or a whole table file) as ``ingest`` cleans one file."""
        name = printable_path(self.path.name)
        cleaned = clean_raws([name], [raw], self.max_speed_kn)
        statics, dropped = statics_table([raw], [name])
        statics["source"] = pd.Categorical(statics["source"].astype(object), categories=[name])
        fixes = cleaned.fixes
        report = self.report
        if len(fixes):
            report.fixes += len(fixes)
            report.vessels += int(fixes["mmsi"].nunique())
            lo, hi = fixes["time"].min(), fixes["time"].max()
            report.time_min = lo if report.time_min is None else min(report.time_min, lo)
            report.time_max = hi if report.time_max is None else max(report.time_max, hi)
        return FixChunk(fixes, statics, total, total), dropped[0]

    def _finish(self, tally: LineTally, notes: list[str]) -> None:
        report = self.report
        report.accepted = {k: int(v) for k, v in tally.accepted.items() if v}
        report.rejected = {k: int(v) for k, v in tally.rejected.items() if v}
        report.first_lines = {k: list(v) for k, v in tally.first_lines.items() if v}
        report.notes = notes


def stream_file(
    path: str | Path,
    *,
    max_speed_kn: float = 50.0,
    chunk_bytes: int = 32 << 20,
    cancel: Callable[[], bool] | None = None,
    progress: ByteProgress | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    started: _NmeaReader | None = None,
) -> FileStream:
    """Read one track file in bounded memory as cleaned chunks (the policy is in the module
    docstring). ``progress(bytes_read, bytes_total)`` is called after every piece read;
    ``cancel()`` is polled as often and raises ``Cancelled`` when True. ``started``: the
    file's reading begun by ``read_ahead``, taken over when it was begun with the same
    ``chunk_bytes`` and ``limits`` (else stopped)."""
    if not max_speed_kn > 0:
        raise ParameterError(f"max_speed_kn must be positive, got {max_speed_kn}")
    if chunk_bytes < 1:
        raise ParameterError(f"chunk_bytes must be at least 1, got {chunk_bytes}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    kind = sniff(path, content_head(path))
    report = FileReport(printable_path(path), kind, 0)
    if started is not None and not (
        kind == "nmea" and started.path == path and started.limits == limits
        and started.chunk_bytes == min(chunk_bytes, SCAN_BYTES)
    ):  # fmt: skip
        started.close()
        started = None
    return FileStream(path, kind, report, max_speed_kn, chunk_bytes, cancel, progress, limits,
                      started)  # fmt: skip


# Pieces an early-started read holds ready (about 12 MB each) while its caller is busy
# elsewhere (importing the rest of an ``archive add``: some 0.4 s, four or five pieces).
READ_AHEAD_PIECES: Final = 6


def read_ahead(path: Path, *, chunk_bytes: int = 32 << 20,
               limits: ReadLimits = DEFAULT_LIMITS) -> _NmeaReader | None:  # fmt: skip
    """Begin reading an NMEA file now, in a forked child, up to ``READ_AHEAD_PIECES`` pieces
    ahead, for a ``stream_file(path, started=...)`` to come. None, and nothing begun, when
    fork is not available, or the file is not NMEA or cannot be read (``stream_file`` will
    say why). The caller closes what it does not hand on (``_NmeaReader.close``).

    It imports nothing that needs pandas, and neither does the child: ``archive add`` calls
    it before importing the rest, so the reading and those imports run at once."""
    if not can_fork():
        return None
    try:
        if not path.is_file() or sniff(path, content_head(path)) != "nmea":
            return None
    except (InputError, OSError):
        return None
    reader = _NmeaReader(path, min(chunk_bytes, SCAN_BYTES), limits)
    reader.start(READ_AHEAD_PIECES)
    return reader

