"""Physical lines of an NMEA file, and the plain single-part sentences among them, in numpy.

Nearly every line of a real feed is one single-part ``!xxVDM``/``!xxVDO`` sentence, perhaps
behind a tag block and perhaps followed by fields after the checksum. Those lines are read
here without a Python loop, in blocks of about 1 MB of whole lines (small enough that the
per-line arrays stay in the CPU cache): each block is copied behind and before zero bytes,
the bytes that matter (``\\``, ``*``, ``,``, ``c:``) are marked one bit per byte, and each
line's fields are found from 64-bit windows of those marks at known offsets (the lowest set
bit is the next mark), reading bytes 8 at a time as words. Checksums come from a running
XOR of the words, numbers from their 8-byte words (SWAR). Every other line (multipart parts,
``$`` lines, comments, junk, odd layouts) is left to the line loop in ``nmea.py``.

A line is taken here only when it is exactly::

    [\\<tag block>\\]!<2 chars>VD<M|O>,1,1,<seq>,<channel>,<payload>,<fill 0-5>*<hh>[,<fields>]

with the tag block's ``c:`` (if any) and the last field after the checksum (if it starts with
a digit) made of digits only, so that it reads exactly as the line loop would read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Final

import numpy as np

from desktop.core.ingest.base import EPOCH_MS_ABOVE

NO_TIME: Final = np.iinfo(np.int64).min

# Bytes.
_NL, _CR, _BACK, _BANG, _COMMA, _STAR, _COLON = 10, 13, 92, 33, 44, 42, 58
_DIGITS_MAX: Final = 16  # longest epoch field read here (ms epochs have 13 digits)
BLOCK_BYTES: Final = 1 << 20  # lines are read in blocks of about this size (see parse)

# Bytes that str.strip() removes from latin-1 text.
_SPACE: Final = np.array([chr(b).isspace() for b in range(256)], dtype=bool)

_HEXVAL: Final = np.full(256, 255, dtype=np.uint8)
_HEXVAL[48:58] = np.arange(10, dtype=np.uint8)
_HEXVAL[65:71] = np.arange(10, 16, dtype=np.uint8)
_HEXVAL[97:103] = np.arange(10, 16, dtype=np.uint8)

# Epochs outside 1980..2100 are not times (e.g. pyais's 11-digit ``c:12415440354``).
EPOCH_MIN_S: Final = 315_532_800
EPOCH_MAX_S: Final = 4_102_444_800


@dataclass
class FastLines:
    """The lines of a file, and what was read of its plain single-part sentences."""

    buf: np.ndarray  # uint8, the whole file
    starts: np.ndarray  # int64 first byte of each physical line
    ends: np.ndarray  # int64 one past the last byte, without '\n' and a trailing '\r'
    fast: np.ndarray  # bool per line: a plain single-part sentence, read here
    # Per fast line (in line order):
    line: np.ndarray  # int64 0-based line
    checksum_ok: np.ndarray  # bool
    pay_start: np.ndarray  # int64 byte offset of the payload
    pay_len: np.ndarray  # int64 payload characters
    fill: np.ndarray  # int64 fill bits
    c_ns: np.ndarray  # int64 tag-block c: time, NO_TIME when none
    tail_ns: np.ndarray  # int64 last field after the checksum as a time, NO_TIME when none
    own_ship: np.ndarray  # bool, VDO
    star: np.ndarray  # int64 byte offset of the sentence's '*'
    tag_bad: int  # tag blocks of fast lines whose checksum is wrong
    # int64 0-based lines of those tag blocks (the streaming reader counts them per piece)
    tag_bad_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def text(self, i: int) -> str:
        """Line ``i`` as text (latin-1: every byte is a character)."""
        return self.buf[self.starts[i] : self.ends[i]].tobytes().decode("latin-1")


# The arrays of ``FastLines`` that hold one value per fast line, and every array it holds.
PER_FAST_LINE: Final = ("line", "checksum_ok", "pay_start", "pay_len", "fill", "c_ns", "tail_ns",
                        "own_ship", "star")  # fmt: skip
ARRAYS: Final = tuple(f.name for f in fields(FastLines) if f.name not in ("buf", "tag_bad"))


# Block bytes are copied behind and followed by this many zero bytes, so the 8-byte and 64-bit
# windows below may start a little before a line or run past the block's end.
_PAD: Final = 64
_U64: Final = np.dtype("<u8")  # words of 8 bytes, first byte lowest (the masks assume it)
# _LOW_BYTES[k]: the low k bytes of a word.
_LOW_BYTES: Final = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=_U64)
_POW10: Final = np.array([10**k for k in range(9)], dtype=_U64)
# The 11 bytes ``!xxVDM,1,1,`` as two words: talker bytes free, 'M' and 'O' differ in bit 1 only.
_HEAD_MASK: Final = np.uint64(0xFF_FF_FD_FF_FF_00_00_FF)
_HEAD: Final = np.uint64(int.from_bytes(b"!\0\0VDM,1", "little"))
_HEAD2_MASK: Final = np.uint64(0xFF_FF_FF)
_HEAD2: Final = np.uint64(int.from_bytes(b",1,", "little"))


def _u64(values: np.ndarray) -> np.ndarray:
    return values.astype(np.uint64)


def _trailing_zeros(words: np.ndarray) -> np.ndarray:
    """Index of the lowest set bit of each word (64 for 0), as uint8."""
    return np.bitwise_count(~words & (words - np.uint64(1)))


def _fold_xor(words: np.ndarray) -> np.ndarray:
    """XOR of the 8 bytes of each word."""
    words = words ^ (words >> np.uint64(32))
    words ^= words >> np.uint64(16)
    words ^= words >> np.uint64(8)
    return (words & np.uint64(0xFF)).astype(np.uint8)


def _digit_run(head: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Length (0..16) of the run of ASCII digits that starts the 16 bytes ``head``, ``rest``."""
    runs = []
    for words in (head, rest):
        # A byte is a digit when (byte ^ '0') < 10: adding 0x76 to its low 7 bits sets the top
        # bit from 10 up, and a top bit already set is no digit either.
        flipped = words ^ np.uint64(0x3030303030303030)
        low = (flipped & np.uint64(0x7F7F7F7F7F7F7F7F)) + np.uint64(0x7676767676767676)
        other = (low | flipped) & np.uint64(0x8080808080808080)
        runs.append(_trailing_zeros(other) >> 3)
    return runs[0] + np.where(runs[0] == 8, runs[1], 0)


def _number(head: np.ndarray, rest: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first ``length`` (0..16) ASCII digits of the 16 bytes ``head``, ``rest``, as int64."""
    first = np.minimum(length, 8)
    value = _digit_words(head, first) * _POW10[length - first]
    value += _digit_words(rest, length - first)
    return value.astype(np.int64)


def _digit_words(words: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The number written by the first ``count`` (0..8) ASCII digits of each word (SWAR)."""
    # Keep the digits, move them to the top bytes (zeros before them are leading zeros), then
    # join neighbours: 8 one-digit lanes, 4 two-digit lanes, 2 four-digit lanes, 1 number.
    words = (words & _LOW_BYTES[count]) << _u64((8 - count) * 8)
    words &= np.uint64(0x0F0F0F0F0F0F0F0F)
    words = (words * np.uint64(10) + (words >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    words = (words * np.uint64(100) + (words >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    return (words * np.uint64(10000) + (words >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


class _Block:
    """The bytes of a block of lines, zero-padded, with word and bit views to read them.

    Positions are offsets into ``bytes``. A mark is a bit per byte (``bits_of``); the first
    mark at or after a position is found from one 64-bit window of marks, so a search costs a
    few operations per line instead of a search over the block's sorted positions.
    """

    def __init__(self, seg: np.ndarray) -> None:
        size = -(-(seg.size + 4 * _PAD) // 64) * 64  # whole 64-bit words of marks
        self.bytes = np.empty(size, dtype=np.uint8)
        self.bytes[:_PAD] = 0
        self.bytes[_PAD : _PAD + seg.size] = seg
        self.bytes[_PAD + seg.size :] = 0
        self._marked = np.empty(size, dtype=bool)  # one scratch array for every kind of mark
        self.words = self.bytes.view(_U64)
        self._bits: dict[str, np.ndarray] = {}
        self._positions: dict[str, np.ndarray] = {}
        self._xor: np.ndarray | None = None

    def bits_of(self, what: str) -> np.ndarray:
        """Marks (uint64 words, bit i of word w is byte 64 w + i) of one byte, or of 'c:'."""
        if what in self._bits:
            return self._bits[what]
        if what == "c:":  # a 'c' whose next byte is ':'
            colon = self.bits_of(":")
            after = colon >> np.uint64(1)
            after[:-1] |= colon[1:] << np.uint64(63)
            marks = self.bits_of("c") & after
        else:
            np.equal(self.bytes, ord(what), out=self._marked)
            marks = np.packbits(self._marked, bitorder="little").view(_U64)
        self._bits[what] = marks
        return marks

    def load(self, pos: np.ndarray, count: int = 1) -> list[np.ndarray]:
        """The ``8 * count`` bytes from each ``pos`` as ``count`` words (first byte lowest)."""
        at, shift = pos >> 3, _u64((pos & 7) << 3)
        back = np.uint64(64) - shift
        aligned = [self.words[at + k] for k in range(count + 1)]
        return [(aligned[k] >> shift) | (aligned[k + 1] << back) for k in range(count)]

    def load_bits(self, bits: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The 64 marks from each ``pos`` as a word (bit 0 is ``pos``)."""
        at, shift = pos >> 6, _u64(pos & 63)
        return (bits[at] >> shift) | (bits[at + 1] << (np.uint64(64) - shift))

    def first(
        self, what: str, start: np.ndarray, limit: np.ndarray, windows: int = 4
    ) -> np.ndarray:
        """The first marked byte in ``[start, limit)`` of each line, else ``limit``."""
        zeros = _trailing_zeros(self.load_bits(self.bits_of(what), start))
        out = np.minimum(start + zeros, limit)
        far = np.flatnonzero((zeros == 64) & (start + 64 < limit))
        if far.size == 0:
            return out
        if windows > 1:  # a few long lines: the next windows
            out[far] = self.first(what, start[far] + 64, limit[far], windows - 1)
            return out
        positions = self._sorted(what)  # very long lines: search the sorted marks
        k = np.searchsorted(positions, start[far] + 64)
        at = positions[np.minimum(k, max(positions.size - 1, 0))] if positions.size else limit[far]
        out[far] = np.where(k < positions.size, np.minimum(at, limit[far]), limit[far])
        return out

    def _sorted(self, what: str) -> np.ndarray:
        """The positions of the marks, in order (built once, for the rare long fields)."""
        if what not in self._positions:
            marked = np.unpackbits(self.bits_of(what).view(np.uint8), bitorder="little")
            self._positions[what] = np.flatnonzero(marked)
        return self._positions[what]

    def last(self, what: str, end: np.ndarray) -> np.ndarray:
        """The last marked byte before each ``end`` (callers know there is one on the line)."""
        window = self.load_bits(self.bits_of(what), end - 64)
        smear = window
        for step in (1, 2, 4, 8, 16, 32):
            smear = smear | (smear >> np.uint64(step))
        out = end - 65 + np.bitwise_count(smear).astype(np.int64)
        far = np.flatnonzero(window == 0)
        if far.size:  # the last field is longer than the window
            positions = self._sorted(what)
            out[far] = positions[np.searchsorted(positions, end[far]) - 1]
        return out

    def xor(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """XOR of the bytes ``[start, stop)`` of each line, from a running XOR of the words."""
        if self._xor is None:
            self._xor = np.zeros(self.words.size + 1, dtype=_U64)
            np.bitwise_xor.accumulate(self.words, out=self._xor[1:])
        a, b = start >> 3, stop >> 3
        words = self._xor[b] ^ self._xor[a]
        words ^= self.words[a] & _LOW_BYTES[start & 7]
        words ^= self.words[b] & _LOW_BYTES[stop & 7]
        return _fold_xor(words)


def _epoch_ns(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    seconds = np.where(values > EPOCH_MS_ABOVE, values / 1000.0, values)
    good = valid & (seconds >= EPOCH_MIN_S) & (seconds < EPOCH_MAX_S)
    out = np.full(len(values), NO_TIME, dtype=np.int64)
    out[good] = np.round(seconds[good] * 1e6).astype(np.int64) * 1000
    return out


def split_lines(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the physical lines (as ``text.split('\\n')`` minus a final
    empty line), ends without a trailing ``'\\r'``."""
    if buf.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    nl = np.flatnonzero(buf == _NL)
    starts = np.empty(nl.size + 1, dtype=np.int64)
    starts[0] = 0
    np.add(nl, 1, out=starts[1:])
    ends = np.empty(nl.size + 1, dtype=np.int64)
    ends[:-1] = nl
    ends[-1] = buf.size
    if buf[-1] == _NL:
        starts, ends = starts[:-1], ends[:-1]
    cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == _CR)
    return starts, ends - cr


def parse(data: bytes, block_bytes: int = BLOCK_BYTES) -> FastLines:
    """Split ``data`` into lines and read its plain single-part sentences.

    The file is read in blocks of whole lines of about ``block_bytes``, so the temporary
    position arrays stay small whatever the size of the file.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = split_lines(buf)
    # Only non-empty lines can be sentences: 50 MB of blank lines is 50 million lines, and
    # the per-line arrays below cost microseconds each. A line after a lone tag block with
    # a blank line between is then left to the loop, which reads it the same way.
    nonempty = np.flatnonzero(ends > starts)
    every = nonempty.size == starts.size  # the usual case: no look-ups through ``nonempty``
    some_starts, some_ends = (starts, ends) if every else (starts[nonempty], ends[nonempty])
    pieces: list[dict] = []
    first_line = 0
    after_lone = False
    while first_line < len(some_starts):
        last_line = int(np.searchsorted(some_starts, some_starts[first_line] + block_bytes))
        last_line = max(last_line, first_line + 1)
        piece = _parse_block(buf, some_starts, some_ends, first_line, last_line, after_lone)
        after_lone = piece.pop("ends_lone")
        pieces.append(piece)
        first_line = last_line
    fast = np.zeros(len(starts), dtype=bool)
    cols: dict = {}
    for name in (*PER_FAST_LINE, "tag_bad_lines"):
        parts = [piece[name] for piece in pieces]
        cols[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if not every:
        cols["line"] = nonempty[cols["line"]]
        cols["tag_bad_lines"] = nonempty[cols["tag_bad_lines"]]
    cols["line"] = cols["line"].astype(np.int64, copy=False)
    cols["tag_bad_lines"] = cols["tag_bad_lines"].astype(np.int64, copy=False)
    cols["checksum_ok"] = cols["checksum_ok"].astype(bool, copy=False)
    cols["own_ship"] = cols["own_ship"].astype(bool, copy=False)
    fast[cols["line"]] = True
    return FastLines(
        buf=buf,
        starts=starts,
        ends=ends,
        fast=fast,
        tag_bad=sum(piece["tag_bad"] for piece in pieces),
        **cols,
    )


def _spread(size: int, at: np.ndarray, values: np.ndarray, fill: object) -> np.ndarray:
    """``values`` placed at ``at`` of an array of ``size`` filled with ``fill``."""
    if at.size == size:
        return values
    out = np.full(size, fill, dtype=values.dtype)
    out[at] = values
    return out


def _parse_block(  # noqa: PLR0915 - one vectorised pass, kept together
    buf: np.ndarray,
    all_starts: np.ndarray,
    all_ends: np.ndarray,
    first_line: int,
    last_line: int,
    after_lone: bool,
) -> dict:
    """Read lines ``first_line .. last_line - 1``; positions are offsets into ``buf``."""
    starts = all_starts[first_line:last_line]
    ends = all_ends[first_line:last_line]
    lo, hi = int(starts[0]), int(ends[-1])
    block = _Block(buf[lo:hi])
    b = block.bytes
    shift = lo - _PAD  # offset in buf = offset in the block + shift
    s, e = starts - shift, ends - shift

    first = b[s]
    tagged = first == _BACK
    if tagged.any():
        limit = e if tagged.all() else np.where(tagged, e, s)  # no search on other lines
        tag_end = block.first("\\", s + 1, limit)  # the closing '\'
        has_tag = tagged & (tag_end < e)
        bang = np.where(has_tag, tag_end + 1, s)
    else:
        tag_end, has_tag, bang = s, tagged, s
    # A tag block alone on its line lends itself to the next line: the loop handles both. The
    # loop strips white space first, so any line that may be one once stripped (it starts
    # with '\\' or white space and ends with '\\' or white space) sends the next to the loop.
    last = b[e - 1]
    lone = (tagged | _SPACE[first]) & ((last == _BACK) | _SPACE[last])
    ok = ((first == _BANG) | has_tag) & (bang + 11 < e)
    ok[1:] &= ~lone[:-1]
    ok[0] &= not after_lone
    head, head2 = block.load(bang, 2)
    ok &= ((head & _HEAD_MASK) == _HEAD) & ((head2 & _HEAD2_MASK) == _HEAD2)
    cand = np.flatnonzero(ok)
    if cand.size < ok.size:
        s, e, bang, head = s[cand], e[cand], bang[cand], head[cand]
        has_tag, tag_end = has_tag[cand], tag_end[cand]

    # The three commas after ',1,1,': ends of the sequence id, the channel and the payload.
    marks = block.load_bits(block.bits_of(","), bang + 11)
    marks &= marks - np.uint64(1)
    c_chan = bang + 11 + _trailing_zeros(marks)
    marks &= marks - np.uint64(1)
    zeros = _trailing_zeros(marks)
    c_pay = bang + 11 + zeros
    far = np.flatnonzero(zeros == 64)
    if far.size:  # not all three within 64 bytes (long payloads)
        f_end = e[far]
        f_chan = block.first(",", block.first(",", bang[far] + 11, f_end) + 1, f_end)
        c_chan[far] = f_chan
        c_pay[far] = block.first(",", f_chan + 1, f_end)
    fill = b[c_pay + 1]
    star = c_pay + 2
    ok = (fill >= 48) & (fill <= 53) & (b[star] == _STAR) & (star + 3 <= e)
    # The first '*' after the '!' must be this one (the loop splits at the first).
    ok &= block.first("*", bang, star + 1) == star
    hi_nib, lo_nib = _HEXVAL[b[star + 1]], _HEXVAL[b[star + 2]]
    ok &= (hi_nib < 16) & (lo_nib < 16)
    has_tail = star + 3 < e
    ok &= ~has_tail | (b[star + 3] == _COMMA)

    # Tag block: the first '*' in it, and its c: field (digits only, else left to the loop).
    tag = np.flatnonzero(has_tag)
    n = len(s)
    c_value = np.zeros(n, dtype=np.int64)
    c_valid = np.zeros(n, dtype=bool)
    tag_star = tag_end
    if tag.size:
        t_start, t_end = s[tag], tag_end[tag]
        t_star = block.first("*", t_start, t_end)  # t_end when the tag block has no '*'
        # Most tag blocks open with c: (no marks needed for those); else the first c: in it.
        c_at = t_start + 1
        other = np.flatnonzero((b[c_at] != ord("c")) | (b[c_at + 1] != _COLON))
        if other.size:
            c_at[other] = block.first("c:", c_at[other], t_star[other])
        in_tag = c_at < t_star
        before = b[c_at - 1]
        c_head, c_rest = block.load(c_at + 2, 2)
        c_len = _digit_run(c_head, c_rest)
        # A run of 17 digits or more has a digit after its 16th, so it is not clean either.
        after = b[c_at + 2 + c_len]
        clean = (before == _COMMA) | (before == _BACK)
        clean &= (after == _COMMA) | (after == _STAR)  # not " 12", "1.5", "1e9": the loop's
        ok &= _spread(n, tag, ~in_tag | clean, True)
        c_value = _spread(n, tag, _number(c_head, c_rest, c_len), 0)
        c_valid = _spread(n, tag, in_tag & (c_len > 0), False)
        tag_star = _spread(n, tag, t_star, 0)

    # The last comma field after the checksum, when it starts with a digit.
    t_value = np.zeros(n, dtype=np.int64)
    t_valid = np.zeros(n, dtype=bool)
    tail = np.flatnonzero(has_tail & ok)
    if tail.size:
        last_comma = block.last(",", e[tail])  # star + 3 at the earliest
        t_field = e[tail] - last_comma - 1
        t_head, t_rest = block.load(last_comma + 1, 2)
        t_len = _digit_run(t_head, t_rest)  # stops at the line's end: that byte is no digit
        t_digit = t_len > 0
        good = ~t_digit | ((t_len == t_field) & (t_field <= _DIGITS_MAX))
        # The loop strips the field first: a field that starts with white space is left to it.
        good &= ~((t_field > 0) & _SPACE[t_head & np.uint64(0xFF)])
        ok[tail] &= good
        t_value[tail] = _number(t_head, t_rest, t_len)
        t_valid[tail] = t_digit

    idx = np.flatnonzero(ok)
    bang, star, s = bang[idx], star[idx], s[idx]
    checksum_ok = ((hi_nib[idx] << 4) | lo_nib[idx]) == block.xor(bang + 1, star)
    tagged_ok = has_tag[idx]
    tag_good = np.zeros(len(idx), dtype=bool)
    at = np.flatnonzero(tagged_ok)
    if at.size:
        t_start, t_star, t_end = s[at], tag_star[idx][at], tag_end[idx][at]
        t_hi, t_lo = _HEXVAL[b[t_star + 1]], _HEXVAL[b[t_star + 2]]
        good = (t_star + 3 <= t_end) & (t_hi < 16) & (t_lo < 16)
        good &= ((t_hi << 4) | t_lo) == block.xor(t_start + 1, t_star)
        tag_good[at] = good
    bad_at = np.flatnonzero(tagged_ok & ~tag_good)
    line = (cand[idx] if cand.size < len(starts) else idx) + first_line
    pay_start = c_chan[idx] + 1
    return {
        "line": line.astype(np.int64),
        "checksum_ok": checksum_ok,
        "pay_start": pay_start + shift,
        "pay_len": c_pay[idx] - pay_start,
        "fill": fill[idx].astype(np.int64) - 48,
        "c_ns": _epoch_ns(c_value[idx].astype(np.float64), c_valid[idx]),
        "tail_ns": _epoch_ns(t_value[idx].astype(np.float64), t_valid[idx]),
        "own_ship": ((head[idx] >> np.uint64(40)) & np.uint64(0xFF)) == ord("O"),
        "star": star + shift,
        "tag_bad": len(bad_at),
        "tag_bad_lines": line[bad_at].astype(np.int64),
        "ends_lone": bool(lone[-1]),
    }
