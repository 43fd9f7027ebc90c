"""Bounds on one text track file (NMEA or CSV), and the text as the readers see it.

Every NMEA or CSV file, read whole (``read_file``) or in pieces (``stream.py``), passes through
``guarded_pieces`` between the bytes (gunzipped) and the readers. It

  - decodes UTF-16 text (a byte-order mark FF FE or FE FF at the start) to UTF-8, so that
    exports saved by spreadsheet programs read like any other;
  - turns a bare carriage return (old Mac line ends, some loggers) into a line feed, so that
    every line is read as a line whatever mix of CR, LF and CRLF the file has;
  - enforces ``ReadLimits``, each a parameter with a generous default:
      * ``max_line_bytes`` (1 MiB): a longer line, or a longer CSV record (a quoted value may
        hold newlines: the record is bounded, not each line of it), is rejected as
        ``line_too_long`` (every physical line of it), and the rest of the file is read. The
        readers see an empty line in its place, so line numbers run on.
      * ``max_file_bytes`` (20 GiB of text after gunzip): the lines past it are rejected as
        ``past_file_limit`` without being read (they are only counted).
      * ``max_lines`` (2,000,000,000 physical lines): the same past it.
    Memory stays bounded by the piece size plus ``max_line_bytes`` whatever the file holds: a
    line is never held longer than the limit, a quoted value that never closes is cut at the
    limit, and a gzip bomb is decompressed a block at a time. Time is linear in the file's
    size: the search for the end of the last whole record in what is held is retried only
    when what is held has doubled.

``GuardReport`` keeps what the guard did; ``settle`` moves the placeholder lines from the
outcome the reader gave an empty line to ``line_too_long`` and adds the lines past a limit, so
that ``sum(accepted) + sum(rejected) == lines`` still holds.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from desktop.core.errors import ParameterError
from desktop.core.ingest.base import FIRST_LINES_KEPT, LineTally

LINE_TOO_LONG: Final = "line_too_long"
PAST_FILE_LIMIT: Final = "past_file_limit"

# A piece handed to a reader holds at most this many lines: 50 MB of blank lines is 50 million
# lines, and the readers' per-line arrays (tens of bytes a line) must stay bounded too.
PIECE_MAX_LINES: Final = 1 << 20

_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class ReadLimits:
    """How much one text track file may hold (see the module docstring for what happens past
    each bound)."""

    max_line_bytes: int = 1 << 20
    max_file_bytes: int = 20 << 30
    max_lines: int = 2_000_000_000

    def __post_init__(self) -> None:
        for name in ("max_line_bytes", "max_file_bytes", "max_lines"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name} must be a positive whole number, got {value!r}")


DEFAULT_LIMITS: Final = ReadLimits()


@dataclass
class GuardReport:
    """What the guard did to one file: lines replaced by an empty line (too long), as runs
    ``(first line, count)``, and the lines past a file limit (not read)."""

    too_long: list[tuple[int, int]] = field(default_factory=list)
    past_first: int = 0  # first line past a file limit (1-based), 0 when none
    past_lines: int = 0
    past_note: str = ""
    utf16: bool = False
    bare_cr: int = 0  # bare carriage returns read as line ends

    def add_too_long(self, first: int, count: int) -> None:
        if count <= 0:
            return
        if self.too_long and sum(self.too_long[-1]) == first:
            start, n = self.too_long[-1]
            self.too_long[-1] = (start, n + count)
        else:
            self.too_long.append((first, count))

    @property
    def too_long_lines(self) -> int:
        return sum(count for _, count in self.too_long)

    def is_too_long(self, line_no: int) -> bool:
        return any(first <= line_no < first + count for first, count in self.too_long)

    def settle(self, tally: LineTally, empty_outcome: str, empty_accepted: bool) -> int:
        """Count what the guard did in ``tally`` (see the module docstring); the number of
        lines to add to the reader's line count (the lines past a limit)."""
        moved = self.too_long_lines
        if moved:
            if empty_accepted:
                tally.accepted[empty_outcome] -= moved
                if not tally.accepted[empty_outcome]:
                    del tally.accepted[empty_outcome]
            else:
                tally.rejected[empty_outcome] -= moved
                kept = [n for n in tally.first_lines.get(empty_outcome, [])
                        if not self.is_too_long(n)]  # fmt: skip
                if tally.rejected[empty_outcome]:
                    tally.first_lines[empty_outcome] = kept
                else:
                    del tally.rejected[empty_outcome]
                    tally.first_lines.pop(empty_outcome, None)
            tally.rejected[LINE_TOO_LONG] += moved
            first: list[int] = []
            for start, count in self.too_long:
                first.extend(range(start, start + min(count, FIRST_LINES_KEPT - len(first))))
                if len(first) >= FIRST_LINES_KEPT:
                    break
            tally.first_lines[LINE_TOO_LONG] = first
        if self.past_lines:
            tally.rejected[PAST_FILE_LIMIT] += self.past_lines
            tally.first_lines[PAST_FILE_LIMIT] = list(
                range(self.past_first, self.past_first + min(self.past_lines, FIRST_LINES_KEPT))
            )
        return self.past_lines

    def notes(self, limits: ReadLimits) -> list[str]:
        out = []
        if self.utf16:
            out.append("UTF-16 text (byte-order mark) read as such")
        if self.bare_cr:
            out.append(f"{self.bare_cr} bare carriage returns read as line ends")
        if self.too_long:
            out.append(
                f"{self.too_long_lines} lines longer than {limits.max_line_bytes} bytes "
                "(a line, or a CSV record) rejected"
            )
        if self.past_lines:
            out.append(self.past_note)
        return out


def text_blocks(
    blocks: Iterator[tuple[bytes, int]], report: GuardReport
) -> Iterator[tuple[bytes, int]]:
    """The blocks as text the readers take: UTF-16 decoded to UTF-8, bare CR as LF."""
    decoder: codecs.IncrementalDecoder | None = None
    held_cr = False  # the previous block ended with CR: is it followed by LF?
    start = b""  # the first bytes, until there are two to look for a byte-order mark
    for block, consumed in _at_least_two_first(blocks):
        if start is not None:
            start = None
            if block[:2] in _UTF16_BOMS:
                report.utf16 = True
                decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        if decoder is not None:
            block = decoder.decode(block).encode("utf-8")
        if held_cr:
            block = b"\r" + block
            held_cr = False
        if block.endswith(b"\r"):
            block = block[:-1]
            held_cr = True
        yield _bare_cr_to_lf(block, report), consumed
    last = b"\r" if held_cr else b""
    if decoder is not None:
        last = decoder.decode(b"", final=True).encode("utf-8") + last
    if last:
        yield _bare_cr_to_lf(last, report, final=True), -1


def _at_least_two_first(
    blocks: Iterator[tuple[bytes, int]],
) -> Iterator[tuple[bytes, int]]:
    """The blocks, the first holding at least two bytes (unless the whole text is shorter)."""
    first = b""
    consumed = 0
    for block, consumed in blocks:
        if first is None:
            yield block, consumed
            continue
        first += block
        if len(first) >= 2:
            yield first, consumed
            first = None
    if first:
        yield first, consumed


def _bare_cr_to_lf(block: bytes, report: GuardReport, final: bool = False) -> bytes:
    if b"\r" not in block:
        return block
    buf = np.frombuffer(block, dtype=np.uint8)
    cr = np.flatnonzero(buf == 13)
    follow = np.append(buf, 10 if not final else 0)[cr + 1]
    bare = cr[follow != 10]
    if not len(bare):
        return block
    report.bare_cr += len(bare)
    out = buf.copy()
    out[bare] = 10
    return out.tobytes()


def quote_runs(buf: np.ndarray, delimiter: int = 44,
               prev: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Where quoted values open and close, by pyarrow's rule (the whole-file reader's).

    A value opens with a quote at its start (after a delimiter or a newline; ``prev`` is the
    byte before ``buf``). Inside it ``""`` is a quote and a lone quote closes it; after that,
    up to the next delimiter, quotes are plain text, as are quotes inside an unquoted value (a
    stray ``2023"-01``). So over a run of consecutive quotes only two things count, the parity
    of its length and whether it starts a value: an even run changes nothing (escaped pairs,
    or an empty quoted value); an odd run that starts a value flips in or out of quotes; any
    other odd run leaves the text outside quotes (it closes an open value, or is plain text).
    Both the guard (where a record ends) and ``csv_reader.record_layout`` (which lines a
    record spans) use this rule, so they cut where pyarrow's parse does: one rule for both
    readers. Returns the offset of the last quote of each odd run and whether it flips
    (True) or resets to outside (False).
    """
    quotes = np.flatnonzero(buf == 34)
    if not len(quotes):
        return quotes, np.zeros(0, dtype=bool)
    first = np.ones(len(quotes), dtype=bool)
    first[1:] = quotes[1:] != quotes[:-1] + 1
    at = np.flatnonzero(first)
    length = np.diff(np.append(at, len(quotes)))
    start = quotes[at]
    delimiters = np.zeros(256, dtype=bool)
    delimiters[[10, 13, delimiter]] = True  # \n, \r, the separator
    before = np.where(start > 0, buf[np.maximum(start - 1, 0)], prev)
    odd = length % 2 == 1
    return (start + length - 1)[odd], delimiters[before][odd]


def quote_states(ends: np.ndarray, flips: np.ndarray, inside: int = 0) -> np.ndarray:
    """Inside quotes (1) or not (0) just after each odd run of ``quote_runs``, starting
    ``inside``: the parity of the flips since the last reset (or the start)."""
    count = inside + np.cumsum(flips, dtype=np.int64)
    base = np.maximum.accumulate(np.where(flips, 0, count))
    return ((count - base) % 2).astype(np.int8)


def inside_quotes(buf: np.ndarray, at: np.ndarray, delimiter: int = 44, prev: int = 10,
                  inside: int = 0) -> np.ndarray:  # fmt: skip
    """Whether each offset ``at`` (sorted) of ``buf`` lies inside a quoted value."""
    ends, flips = quote_runs(buf, delimiter, prev)
    if not len(ends):
        return np.full(len(at), bool(inside))
    states = np.concatenate(([inside], quote_states(ends, flips, inside)))
    return states[np.searchsorted(ends, at)].astype(bool)


def record_ends(data: bytes, quoted: bool, delimiter: int = 44) -> np.ndarray:
    """Offsets of the newlines that end a line (a record, outside quotes, if ``quoted``)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    if not quoted or not len(newlines):
        return newlines
    return newlines[~inside_quotes(buf, newlines, delimiter)]


@dataclass
class _Guard:
    """The running state of ``guarded_pieces``."""

    quoted: bool
    limits: ReadLimits
    report: GuardReport
    delimiter: int
    lines: int = 0  # physical lines handed on so far
    text_bytes: int = 0  # text bytes taken so far
    stopped: bool = False  # a file limit was reached: what follows is only counted
    rest_newlines: int = 0
    rest_last: bytes = b"\n"

    def stop(self, first_line: int, rest: bytes, why: str) -> None:
        self.stopped = True
        self.report.past_first = first_line
        self.report.past_note = why
        self.count_rest(rest)

    def count_rest(self, rest: bytes) -> None:
        self.rest_newlines += rest.count(b"\n")
        self.rest_last = rest[-1:] or self.rest_last

    def finish_rest(self) -> None:
        lines = self.rest_newlines + (self.rest_last != b"\n")
        self.report.past_lines = lines
        if not lines:
            self.report.past_first = 0

    def take(self, held: bytes, final: bool) -> tuple[bytes, bytes, _Skip | None]:
        """Split ``held`` (starting at a record start) into what can be handed on (whole
        records, too-long ones as placeholder newlines), what stays held, and the skip of a
        too-long record that has not ended yet (its bytes are dropped until its end).

        A record is too long when it does not end within ``max_line_bytes`` of its start;
        every physical line of it is rejected. Only the content decides, so pieces of any
        size give the same lines.
        """
        max_line = self.limits.max_line_bytes
        out: list[bytes] = []
        handed = 0  # newlines in ``out``
        while held:
            ends = record_ends(held, self.quoted, self.delimiter)
            if final and (not len(ends) or ends[-1] != len(held) - 1):
                ends = np.append(ends, len(held))  # the last line, without a newline
            starts = np.concatenate(([0], ends[:-1] + 1))
            long_rec = np.flatnonzero(ends - starts > max_line)
            if not len(long_rec):
                cut = min(int(ends[-1]) + 1, len(held)) if len(ends) else 0
                out.append(held[:cut])
                handed += held.count(b"\n", 0, cut)
                held = held[cut:]
                if len(held) <= max_line:
                    return b"".join(out), held, None
                # The open record is already too long: skip it to its end.
                skip = _Skip(self.quoted, self.delimiter, self.lines + handed + 1)
                skip.feed(held, final=False)
                return b"".join(out), b"", skip
            k = int(long_rec[0])
            first, end = int(starts[k]), int(ends[k])
            out.append(held[:first])
            handed += held.count(b"\n", 0, first)
            dropped = held.count(b"\n", first, end + 1) + (1 if end == len(held) else 0)
            self.report.add_too_long(self.lines + handed + 1, dropped)
            out.append(b"\n" * dropped)
            handed += dropped
            held = held[end + 1 :]
        return b"".join(out), b"", None

    def emit(self, piece: bytes, after: bytes) -> Iterator[bytes]:
        """``piece`` in pieces of at most ``PIECE_MAX_LINES`` lines, up to the line limit
        (``after``: what follows it, counted when the limit is reached)."""
        blank = piece.count(b"\n") == len(piece)  # only newlines: cut without a search
        while piece:
            count = piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
            room = self.limits.max_lines - self.lines
            if room == 0:
                why = f"lines past the limit of {self.limits.max_lines} lines not read"
                self.stop(self.lines + 1, piece + after, why)
                return
            take = min(count, PIECE_MAX_LINES, room)
            if take == count:
                cut = len(piece)
            else:
                cut = take if blank else _nth_newline(piece, take) + 1
            self.lines += take
            yield piece[:cut]
            piece = piece[cut:]


@dataclass
class _Skip:
    """A too-long record being dropped: bytes are only scanned for its end (the first
    newline outside quotes), a block at a time, and its lines counted."""

    quoted: bool
    delimiter: int
    first_line: int  # 1-based line the record starts on
    inside: int = 0  # inside a quoted value after the bytes judged (1) or not (0)
    prev: bytes = b"\n"  # the last byte judged (context for the next quote)
    hold: bytes = b""  # a run of quotes at the end, not judged yet (it may go on)
    newlines: int = 0  # newlines dropped so far

    def feed(self, data: bytes, final: bool) -> int:
        """Drop ``data``; the offset in it just after the record's end, or -1 when the
        record goes on (all of ``data`` dropped)."""
        buf = self.hold + data
        judge = len(buf) if final else len(buf.rstrip(b'"'))
        ctx = np.frombuffer(buf, dtype=np.uint8)[:judge]
        newlines = np.flatnonzero(ctx == 10)
        if self.quoted:
            state = inside_quotes(ctx, np.append(newlines, judge), self.delimiter,
                                  self.prev[0], self.inside)  # fmt: skip
            ends = newlines[~state[:-1]]
        else:
            state = np.zeros(1, dtype=bool)
            ends = newlines
        if len(ends):
            end = int(ends[0])
            self.newlines += int(np.searchsorted(newlines, end, side="right"))
            return end + 1 - len(self.hold)
        self.inside = int(state[-1])
        self.newlines += len(newlines)
        if judge > 0:
            self.prev = buf[judge - 1 : judge]
        # Only the parity of a run's length counts: a long run is held as one or two quotes.
        run = len(buf) - judge
        self.hold = b'"' * (2 - run % 2) if run else b""
        return -1

    def cut_at_limit(self) -> bytes:
        """The text ends here (the file limit): ``newlines`` then counts the record's whole
        lines; returns a stand-in for the partial line after them (counted past the limit),
        or nothing."""
        if self.feed(b"", final=True) >= 0:
            return b""
        return b"" if self.prev == b"\n" else b"x"

    def lines_at_end_of_file(self) -> int:
        """The record's lines when the file ends inside it."""
        if self.feed(b"", final=True) >= 0:  # it ended on the byte held back
            return self.newlines
        return self.newlines + (0 if self.prev == b"\n" else 1)


def guarded_pieces(  # noqa: C901, PLR0912 - one pass with its bounds, kept together
    blocks: Iterator[tuple[bytes, int]],
    *,
    quoted: bool,
    limits: ReadLimits,
    report: GuardReport,
    delimiter: int = 44,
) -> Iterator[tuple[bytes, int, bool]]:
    """Whole lines (records, if ``quoted``) of text ``blocks``: ``(bytes, consumed, last)``.

    Each piece but the last ends at a newline (outside quotes, if ``quoted``), except that
    the file's last line may come without one; the last piece is empty with ``last`` True.
    A piece holds at most ``PIECE_MAX_LINES`` lines. The bounds of ``limits`` apply (module
    docstring).
    """
    g = _Guard(quoted, limits, report, delimiter)
    max_line = limits.max_line_bytes
    held = b""
    next_try = 0  # look for record ends again once ``held`` is this long (doubling: linear)
    skip: _Skip | None = None  # a too-long record being dropped
    consumed = 0
    for block, at in blocks:
        if at >= 0:
            consumed = at
        if g.stopped:
            g.count_rest(block)
            continue
        over = b""
        if g.text_bytes + len(block) > limits.max_file_bytes:
            keep = max(limits.max_file_bytes - g.text_bytes, 0)
            block, over = block[:keep], block[keep:]
        g.text_bytes += len(block)
        if skip is not None:
            after = skip.feed(block, final=False)
            if after < 0:
                if not over:
                    continue
                # The file limit falls inside the record: its lines so far are too long,
                # the line the limit cuts is past the limit.
                partial = skip.cut_at_limit()
                report.add_too_long(skip.first_line, skip.newlines)
                for piece in g.emit(b"\n" * skip.newlines, b""):
                    yield piece, consumed, False
                skip = None
                held, block = partial, b""
            else:
                report.add_too_long(skip.first_line, skip.newlines)
                for piece in g.emit(b"\n" * skip.newlines, b""):
                    yield piece, consumed, False
                skip = None
                block = block[after:]
        held += block
        if held and (over or len(held) >= next_try or len(held) > max_line):
            whole, held, skip = g.take(held, final=False)
            next_try = 0 if whole else 2 * len(held)
            for piece in g.emit(whole, held + over):
                yield piece, consumed, False
        if over and not g.stopped:
            if skip is not None:  # as above: the lines so far too long, the cut one past
                held = skip.cut_at_limit()
                report.add_too_long(skip.first_line, skip.newlines)
                for piece in g.emit(b"\n" * skip.newlines, b""):
                    yield piece, consumed, False
                skip = None
            if not g.stopped:
                why = f"text past the limit of {limits.max_file_bytes} bytes not read"
                g.stop(g.lines + 1, held + over, why)
            held = b""
    if not g.stopped:
        if skip is not None:  # the file ends inside a too-long record
            lines = skip.lines_at_end_of_file()
            report.add_too_long(skip.first_line, lines)
            held = b"\n" * lines
        whole, _, _ = g.take(held, final=True)
        for piece in g.emit(whole, b""):
            yield piece, consumed, False
    if g.stopped:
        g.finish_rest()
    yield b"", consumed, True


def _nth_newline(data: bytes, n: int) -> int:
    """Offset of the ``n``-th newline (1-based) of ``data``."""
    buf = np.frombuffer(data, dtype=np.uint8)
    return int(np.flatnonzero(buf == 10)[n - 1])


def _last_end(data: bytes, quoted: bool, delimiter: int) -> int:
    """Length of the longest prefix of ``data`` that is whole lines (records if ``quoted``)."""
    if not quoted:
        return data.rfind(b"\n") + 1
    ends = record_ends(data, True, delimiter)
    return int(ends[-1]) + 1 if len(ends) else 0


# Empty lines kept at each end of a run of them (more than the 20-line reach of a $PGHP line
# or a tag block, so that nothing links across a thinned run either way).
BLANK_RUN_KEEP: Final = 24


def line_count(data: bytes) -> int:
    """Lines of ``data``: its newlines, and one more for a last line without one."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def thin_blank_runs(data: bytes, first: int, count: int | None = None
                    ) -> tuple[bytes, np.ndarray, np.ndarray]:  # fmt: skip
    """NMEA text without the middle of its long runs of empty lines.

    Returns the text kept, the 0-based file numbers of its lines (``first`` is the number of
    the first line of ``data``), and the numbers of the empty lines left out: the caller
    counts those as ``not_ais`` (what the scan would make of them) without scanning them.
    Blank lines cost the scan about half a microsecond each, and a gzip file of newlines
    holds hundreds of millions. ``count`` is the number of lines of ``data`` when the caller
    has counted them already.
    """
    if count is None:
        count = line_count(data)
    numbers = np.arange(first, first + count, dtype=np.int64)
    if count < 2 * BLANK_RUN_KEEP + 1:
        return data, numbers, numbers[:0]
    # A run long enough to thin holds an empty line between two others, so "\n\n" or
    # "\n\r\n": without either (nearly every piece of a real feed) there is nothing to do.
    if b"\n\n" not in data and b"\n\r\n" not in data:
        return data, numbers, numbers[:0]
    if count == len(data):  # only newlines (a gzip file of them): no per-line arrays
        keep = np.zeros(count, dtype=bool)
        keep[:BLANK_RUN_KEEP] = keep[-BLANK_RUN_KEEP:] = True
        return b"\n" * (2 * BLANK_RUN_KEEP), numbers[keep], numbers[BLANK_RUN_KEEP:-BLANK_RUN_KEEP]
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))[:count]
    ends = np.append(newlines, len(buf))[:count]
    # "\r" alone is the empty line of a CRLF file.
    cr_alone = (ends == starts + 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13)
    empty = (ends == starts) | cr_alone
    if not empty.any():
        return data, numbers, numbers[:0]
    index = np.arange(count)
    last_full = np.maximum.accumulate(np.where(~empty, index, -1))
    next_full = np.minimum.accumulate(np.where(~empty, index, count)[::-1])[::-1]
    drop = empty & (index - last_full > BLANK_RUN_KEEP) & (next_full - index > BLANK_RUN_KEEP)
    if not drop.any():
        return data, numbers, numbers[:0]
    keep = ~drop
    bounds = np.append(starts, len(buf))
    change = np.flatnonzero(np.diff(np.concatenate(([False], keep, [False])).astype(np.int8)))
    parts = [data[bounds[a] : bounds[b]] for a, b in zip(change[::2], change[1::2], strict=True)]
    return b"".join(parts), numbers[keep], numbers[drop]
