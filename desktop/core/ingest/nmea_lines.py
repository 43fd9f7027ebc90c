"""Physical lines of an NMEA file, and the plain single-part sentences among them, in numpy.

Nearly every line of a real feed is one single-part ``!xxVDM``/``!xxVDO`` sentence, perhaps
behind a tag block and perhaps followed by fields after the checksum. Those lines are read
here without a Python loop: the byte positions of ``\\n``, ``\\``, ``!``, ``,`` and ``*`` are
found block by block (about 16 MB of whole lines at a time), each line's fields are located
by searching those sorted positions, and checksums come from a running XOR of the bytes.
Every other line (multipart parts, ``$`` lines, comments, junk, odd layouts) is left to the
line loop in ``nmea.py``.

A line is taken here only when it is exactly::

    [\\<tag block>\\]!<2 chars>VD<M|O>,1,1,<seq>,<channel>,<payload>,<fill 0-5>*<hh>[,<fields>]

with the tag block's ``c:`` (if any) and the last field after the checksum (if it starts with
a digit) made of digits only, so that it reads exactly as the line loop would read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from desktop.core.ingest import ais_payload
from desktop.core.ingest.base import EPOCH_MS_ABOVE

NO_TIME: Final = np.iinfo(np.int64).min

# Bytes.
_NL, _CR, _BACK, _BANG, _COMMA, _STAR, _COLON = 10, 13, 92, 33, 44, 42, 58
_DIGITS_MAX: Final = 16  # longest epoch field read here (ms epochs have 13 digits)
BLOCK_BYTES: Final = 16 << 20  # lines are read in blocks of about this size

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


def _at(buf: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Bytes at ``pos`` (0 where ``pos`` falls outside the buffer)."""
    if buf.size == 0:
        return np.zeros(len(pos), dtype=np.uint8)
    inside = (pos >= 0) & (pos < buf.size)
    return np.where(inside, buf[np.clip(pos, 0, buf.size - 1)], 0)


def _next(sorted_pos: np.ndarray, after: np.ndarray) -> np.ndarray:
    """First position in ``sorted_pos`` at or after each ``after`` (a huge value if none)."""
    k = np.searchsorted(sorted_pos, after)
    out = np.full(len(after), np.iinfo(np.int64).max // 2, dtype=np.int64)
    has = k < len(sorted_pos)
    out[has] = sorted_pos[k[has]]
    return out


def _digits(buf: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The run of ASCII digits from each ``start``: (value as float, length, byte after it)."""
    n = len(start)
    value = np.zeros(n, dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    running = np.ones(n, dtype=bool)
    for k in range(_DIGITS_MAX + 1):
        b = _at(buf, start + k).astype(np.int64)
        is_digit = running & (b >= 48) & (b <= 57)
        value = np.where(is_digit, value * 10 + (b - 48), value)
        length += is_digit
        running &= is_digit
        if not running.any():  # every run has ended: the rest of the loop changes nothing
            break
    after = _at(buf, start + length)
    return value.astype(np.float64), length, after


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
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    ends = np.concatenate((nl, [buf.size])).astype(np.int64)
    if buf[-1] == _NL:
        starts, ends = starts[:-1], ends[:-1]
    cr = (ends > starts) & (_at(buf, ends - 1) == _CR)
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
    some_starts, some_ends = starts[nonempty], ends[nonempty]
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
    for name in (
        "line",
        "checksum_ok",
        "pay_start",
        "pay_len",
        "fill",
        "c_ns",
        "tail_ns",
        "own_ship",
        "star",
        "tag_bad_lines",
    ):
        parts = [piece[name] for piece in pieces]
        cols[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    cols["line"] = nonempty[cols["line"]].astype(np.int64)
    cols["tag_bad_lines"] = nonempty[cols["tag_bad_lines"]].astype(np.int64)
    cols["checksum_ok"] = cols["checksum_ok"].astype(bool)
    cols["own_ship"] = cols["own_ship"].astype(bool)
    fast[cols["line"]] = True
    return FastLines(
        buf=buf,
        starts=starts,
        ends=ends,
        fast=fast,
        tag_bad=sum(piece["tag_bad"] for piece in pieces),
        **cols,
    )


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
    seg = buf[lo:hi]
    first = _at(buf, starts)
    nonempty = ends > starts
    backs = np.flatnonzero(seg == _BACK) + lo
    commas = np.flatnonzero(seg == _COMMA) + lo
    stars = np.flatnonzero(seg == _STAR) + lo

    has_tag = nonempty & (first == _BACK)
    tag_end = _next(backs, starts + 1)  # the closing '\'
    has_tag &= tag_end < ends
    bang = np.where(has_tag, tag_end + 1, starts)
    ok = nonempty & ((first == _BANG) | has_tag) & (bang + 11 < ends)
    # A tag block alone on its line lends itself to the next line: the loop handles both.
    lone = has_tag & (tag_end + 1 == ends)
    ok[1:] &= ~lone[:-1]
    ok[0] &= not after_lone
    ok &= _at(buf, bang) == _BANG
    ok &= (_at(buf, bang + 3) == ord("V")) & (_at(buf, bang + 4) == ord("D"))
    kind = _at(buf, bang + 5)
    ok &= (kind == ord("M")) | (kind == ord("O"))
    ok &= (_at(buf, bang + 6) == _COMMA) & (_at(buf, bang + 7) == ord("1"))
    ok &= (_at(buf, bang + 8) == _COMMA) & (_at(buf, bang + 9) == ord("1"))
    ok &= _at(buf, bang + 10) == _COMMA
    k = np.searchsorted(commas, bang + 11)
    k2 = np.minimum(k + 2, max(len(commas) - 1, 0))
    ok &= k + 2 < len(commas)
    c_chan = commas[np.minimum(k + 1, max(len(commas) - 1, 0))] if len(commas) else bang
    c_pay = commas[k2] if len(commas) else bang
    fill_byte = _at(buf, c_pay + 1).astype(np.int64)
    ok &= (fill_byte >= 48) & (fill_byte <= 53)
    star = c_pay + 2
    ok &= (_at(buf, star) == _STAR) & (star + 3 <= ends)
    # The first '*' after the '!' must be this one (the loop splits at the first).
    ok &= _next(stars, bang) == star
    hi_nib = _HEXVAL[_at(buf, star + 1)]
    lo_nib = _HEXVAL[_at(buf, star + 2)]
    ok &= (hi_nib < 16) & (lo_nib < 16)
    tail_at = star + 3
    has_tail = tail_at < ends
    ok &= ~has_tail | (_at(buf, tail_at) == _COMMA)

    # Tag block: the first '*' in it, and its c: field (digits only, else left to the loop).
    tag_star = _next(stars, starts)
    tag_ok = has_tag & (tag_star < tag_end)
    c_pos = np.flatnonzero((seg[:-1] == ord("c")) & (seg[1:] == _COLON)) + lo
    c_at = _next(c_pos, starts + 1)
    in_tag = has_tag & (c_at < np.where(tag_ok, tag_star, tag_end))
    boundary = (_at(buf, c_at - 1) == _COMMA) | (_at(buf, c_at - 1) == _BACK)
    ok &= ~(in_tag & ~boundary)
    c_val, c_len, c_after = _digits(buf, c_at + 2)
    c_clean = (c_len > 0) & (c_len <= _DIGITS_MAX) & ((c_after == _COMMA) | (c_after == _STAR))
    c_empty = (c_len == 0) & ((c_after == _COMMA) | (c_after == _STAR))
    ok &= ~in_tag | c_clean | c_empty  # anything else (" 12", "1.5", "1e9") goes to the loop
    # The last comma field after the checksum, when it starts with a digit.
    last_comma = commas[np.maximum(np.searchsorted(commas, ends) - 1, 0)] if len(commas) else ends
    t_val, t_len, _ = _digits(buf, last_comma + 1)
    t_field = ends - last_comma - 1
    t_digit = has_tail & (t_len > 0)
    ok &= ~t_digit | ((t_len == t_field) & (t_len <= _DIGITS_MAX))
    # The loop strips the field first: a field that starts with white space is left to it.
    t_first = _at(buf, last_comma + 1)
    ok &= ~(has_tail & (t_field > 0) & _SPACE[t_first])

    idx = np.flatnonzero(ok)
    bang, star = bang[idx], star[idx]
    xor = _running_xor(seg)
    body_xor = xor[star - lo] ^ xor[bang + 1 - lo]
    checksum_ok = ((hi_nib[idx] << 4) | lo_nib[idx]) == body_xor
    tag_idx = tag_ok[idx]
    t_s, t_st = starts[idx][tag_idx], tag_star[idx][tag_idx]
    tag_xor = xor[t_st - lo] ^ xor[t_s + 1 - lo]
    t_hi, t_lo = _HEXVAL[_at(buf, t_st + 1)], _HEXVAL[_at(buf, t_st + 2)]
    tag_good = (t_hi < 16) & (t_lo < 16) & (((t_hi << 4) | t_lo) == tag_xor)
    tag_good &= t_st + 3 <= tag_end[idx][tag_idx]
    tag_bad = int(np.count_nonzero(has_tag[idx])) - int(np.count_nonzero(tag_good))
    good_at = np.zeros(len(idx), dtype=bool)
    good_at[np.flatnonzero(tag_idx)[tag_good]] = True
    bad_at = np.flatnonzero(has_tag[idx] & ~good_at)
    pay_start = c_chan[idx] + 1
    return {
        "line": idx.astype(np.int64) + first_line,
        "checksum_ok": checksum_ok,
        "pay_start": pay_start,
        "pay_len": c_pay[idx] - pay_start,
        "fill": fill_byte[idx] - 48,
        "c_ns": _epoch_ns(c_val[idx], in_tag[idx] & (c_len[idx] > 0)),
        "tail_ns": _epoch_ns(t_val[idx], t_digit[idx]),
        "own_ship": kind[idx] == ord("O"),
        "star": star,
        "tag_bad": tag_bad,
        "tag_bad_lines": idx[bad_at].astype(np.int64) + first_line,
        "ends_lone": bool(lone[-1]),
    }


def _running_xor(buf: np.ndarray) -> np.ndarray:
    """``x[i]`` = XOR of ``buf[:i]``, so the XOR of ``buf[a:b]`` is ``x[b] ^ x[a]``."""
    out = np.zeros(buf.size + 1, dtype=np.uint8)
    if buf.size:
        np.bitwise_xor.accumulate(buf, out=out[1:])
    return out


def gather(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The bytes ``buf[start[i] : start[i] + length[i]]`` of every i, back to back (see
    ``ais_payload.gather``: whole slices copied at once, temporaries bounded)."""
    return ais_payload.gather(buf, start, length)
