"""AIS payload decoding, vectorised: position reports and static messages, many at once.

A payload is the 6-bit armoured field of a VDM/VDO sentence (ITU-R M.1371-5, IEC 61162-1
§8.3.93: each character is 6 bits, ``c - 48``, minus 8 more above ``'W'``). Position reports
(types 1, 2, 3, 18, 19, 27) are most of any feed, so everything is done on whole batches
with numpy, 100,000 rows at a time:

- a plain line's payload is copied straight from the file buffer into a 32-byte row and
  mapped to 6-bit values there with uint8 arithmetic (``batch_spans``); other payloads are
  back to back after those rows (``batch_raw``);
- the first characters of each payload are copied as one window per row (``windows``) and
  packed four characters to a 24-bit group with contiguous uint32 mask/shift/or steps
  (``_head_bits``); no field we read is longer than 30 bits, so a field lies in at most 3
  groups and is cut out with a few operations per batch (``_field``).

On the 1 M-sentence benchmark this path takes about a third of the CPU time of a 6-bit
lookup table, an int64 index per character and two uint64 operations per character and field.

Bit offsets below are ITU-R M.1371-5 Annex 8 (messages 1-3 table 45, 18 table 71, 19 table 72,
27 table 88, 5 table 52, 24 tables 80-81); they are the offsets pyais and gpsd use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

# 6-bit armour: '0'..'W' -> 0..39, '`'..'w' -> 40..63; every other byte is invalid (255).
SIXBIT: Final = np.full(256, 255, dtype=np.uint8)
SIXBIT[48:88] = np.arange(0, 40, dtype=np.uint8)
SIXBIT[96:120] = np.arange(40, 64, dtype=np.uint8)

POSITION_TYPES: Final = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES: Final = frozenset({5, 24})
MAX_TYPE: Final = 27  # ITU-R M.1371-5 defines messages 1..27

# Characters of a payload that hold every field we read from a position report (type 1: 137
# bits to the end of the heading, 23 characters; 28 covers the whole 168-bit report).
_HEAD_CHARS: Final = 28

# Bits a report must carry to hold the last field we read from it (else it is truncated).
_MIN_BITS: Final = {1: 137, 2: 137, 3: 137, 18: 133, 19: 133, 27: 94}

# (start bit, length, signed) for the class A / class B layouts.
_CLASS_A: Final = {
    "nav_status": (38, 4, False),
    "sog": (50, 10, False),
    "lon": (61, 28, True),
    "lat": (89, 27, True),
    "cog": (116, 12, False),
    "heading": (128, 9, False),
}
_CLASS_B: Final = {
    "sog": (46, 10, False),
    "lon": (57, 28, True),
    "lat": (85, 27, True),
    "cog": (112, 12, False),
    "heading": (124, 9, False),
}
_LONG_RANGE: Final = {  # type 27: 1/10 minute positions, whole knots and degrees
    "nav_status": (40, 4, False),
    "lon": (44, 18, True),
    "lat": (62, 17, True),
    "sog": (79, 6, False),
    "cog": (85, 9, False),
}
TYPE27_SOG_NOT_AVAILABLE_KN: Final = 63  # table 88: 63 = not available
TYPE27_COG_NOT_AVAILABLE_DEG: Final = 511


@dataclass
class PayloadBatch:
    """Many payloads as 6-bit values in one buffer.

    Payload ``i`` is ``values[start[i] : start[i] + length[i]]``. The payloads need not be
    back to back: lines read straight from a file buffer sit in rows of ``SPAN_CHARS`` bytes
    (see ``batch_spans``), and the bytes between payloads mean nothing. The values of an
    ``invalid`` payload mean nothing either (``batch_raw`` makes its bad bytes 255).
    """

    values: np.ndarray  # uint8 6-bit values
    start: np.ndarray  # int64 offset of each payload in ``values``
    length: np.ndarray  # int64 characters per payload
    bits: np.ndarray  # int64 payload bits after removing the fill bits
    invalid: np.ndarray  # bool: some character is outside the 6-bit armour
    msg_type: np.ndarray  # int64 message type (first 6 bits), -1 for an empty payload


def windows(buf: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """``buf[start[i] : start[i] + width]`` of every i as an (n, width) uint8 matrix.

    One copy of ``n * width`` bytes; bytes past the end of ``buf`` are 0. ``start`` must lie
    in ``0 .. buf.size``.
    """
    n = len(start)
    if width == 0 or n == 0 or buf.size == 0:
        return np.zeros((n, width), dtype=np.uint8)
    buf = np.ascontiguousarray(buf)
    if buf.size < width:  # too short for one window: pad a copy (at most ``width`` bytes)
        buf = np.concatenate([buf, np.zeros(width - buf.size, dtype=np.uint8)])
    inner = start <= buf.size - width
    if inner.all():
        return _window_items(buf, width)[start].view(np.uint8).reshape(n, width)
    out = np.zeros((n, width), dtype=np.uint8)
    out[inner] = _window_items(buf, width)[start[inner]].view(np.uint8).reshape(-1, width)
    # The windows that run off the end: from a zero-padded copy of the last ``width`` bytes.
    base = buf.size - width
    tail = np.concatenate([buf[base:], np.zeros(width, dtype=np.uint8)])
    rest = _window_items(tail, width)[start[~inner] - base]
    out[~inner] = rest.view(np.uint8).reshape(-1, width)
    return out


def _window_items(buf: np.ndarray, width: int) -> np.ndarray:
    """Every ``width``-byte window of ``buf`` as one opaque item (a view, no copy): indexing
    it copies whole windows with one memcpy each, about 3x faster than indexing the rows of
    a 2-D sliding window view."""
    return np.ndarray(
        (buf.size - width + 1,), dtype=np.dtype((np.void, width)), buffer=buf, strides=(1,)
    )


_GATHER_ROWS: Final = 100_000  # slices copied at a time by ``gather``


def gather(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The bytes ``buf[start[i] : start[i] + length[i]]`` of every i, back to back.

    Built 100,000 slices at a time. Slices of one length (a feed's 28-character payloads,
    2-character checksums) are copied as windows, one memcpy each; mixed lengths as
    windows of the longest, less the bytes past each end, while that copies at most twice
    the bytes wanted; otherwise through an index per byte.
    """
    out = np.empty(int(length.sum()), dtype=np.uint8)
    at = 0
    for k in range(0, len(length), _GATHER_ROWS):
        s, n = start[k : k + _GATHER_ROWS], length[k : k + _GATHER_ROWS]
        total = int(n.sum())
        if total == 0:
            continue
        width = int(n.max())
        if int(n.min()) == width:
            piece = windows(buf, s, width).reshape(-1)
        elif width * len(n) <= 2 * total:
            piece = windows(buf, s, width)[np.arange(width) < n[:, None]]
        else:
            offsets = np.zeros(len(n), dtype=np.int64)
            np.cumsum(n[:-1], out=offsets[1:])
            piece = buf[np.arange(total, dtype=np.int64) + np.repeat(s - offsets, n)]
        out[at : at + total] = piece
        at += total
    return out


def batch_raw(raw: np.ndarray, length: np.ndarray, fill_bits: np.ndarray) -> PayloadBatch:
    """Payload bytes back to back (``length`` characters each) as a batch of 6-bit values."""
    n = len(length)
    start = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum(length[:-1], out=start[1:])
    values = SIXBIT[raw]
    invalid = np.zeros(n, dtype=bool)
    nonempty = length > 0
    if values.size:
        # max over each payload: 255 marks a byte outside the armour. A trailing 0 keeps every
        # start a valid index; empty payloads are masked out.
        peak = np.maximum.reduceat(np.append(values, np.uint8(0)), start)
        invalid[nonempty] = peak[nonempty] == 255
    msg_type = np.full(n, -1, dtype=np.int64)
    msg_type[nonempty] = values[start[nonempty]]
    bits = length * 6 - fill_bits
    return PayloadBatch(values, start, length, bits, invalid, msg_type)


# Payloads read from a file buffer (``batch_spans``) are copied into rows of this many bytes:
# every position report fits (at most 28 characters), and 32 bytes are four 8-byte words, so
# a row's "some byte is invalid" test is three ORs of words.
SPAN_CHARS: Final = 32
_SPAN_ROWS: Final = 100_000  # rows mapped at a time (temporaries of a few MB)
_ZERO_CHAR: Final = 48  # '0', whose 6-bit value is 0: fills a row past its payload


def batch_spans(
    buf: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    fill_bits: np.ndarray,
    others: Sequence[str] = (),
) -> PayloadBatch:
    """The payloads ``buf[start[i] : start[i] + length[i]]``, then ``others`` (latin-1 text),
    as one batch; ``fill_bits`` has one entry for each of them, in that order.

    The spans are not first copied back to back: each of at most ``SPAN_CHARS`` characters
    is copied straight from ``buf`` into a row of ``SPAN_CHARS`` bytes, mapped there, and
    the row's invalid bytes are found with word ORs. Longer spans (rare: types 5 and 19 in
    one sentence, junk) and ``others`` go back to back after those rows, as in ``batch_raw``.
    ``values`` is allocated once at its final size (no concatenation: a copy of it would
    double the memory a whole file's batch holds).
    """
    n_spans = len(length)
    other_length = np.fromiter(map(len, others), dtype=np.int64, count=len(others))
    length = np.concatenate([length.astype(np.int64), other_length])
    n = len(length)
    short = np.flatnonzero(length[:n_spans] <= SPAN_CHARS)
    long_rows = np.flatnonzero(length[:n_spans] > SPAN_CHARS)
    back = np.concatenate([long_rows, np.arange(n_spans, n, dtype=np.int64)])
    rest = batch_raw(
        np.concatenate(
            [
                gather(buf, start[long_rows], length[long_rows]),
                np.frombuffer("".join(others).encode("latin-1"), dtype=np.uint8),
            ]
        ),
        length[back],
        fill_bits[back],
    )
    n_short = len(short)
    values = np.empty(n_short * SPAN_CHARS + rest.values.size, dtype=np.uint8)
    rows_view = values[: n_short * SPAN_CHARS].reshape(n_short, SPAN_CHARS)
    values[n_short * SPAN_CHARS :] = rest.values
    invalid = np.zeros(n, dtype=bool)
    msg_type = np.full(n, -1, dtype=np.int64)
    pay_at = np.zeros(n, dtype=np.int64)
    pay_at[short] = np.arange(n_short, dtype=np.int64) * SPAN_CHARS
    pay_at[back] = rest.start + n_short * SPAN_CHARS
    invalid[back] = rest.invalid
    msg_type[back] = rest.msg_type
    for k in range(0, n_short, _SPAN_ROWS):
        rows = short[k : k + _SPAN_ROWS]
        chars = windows(buf, start[rows], SPAN_CHARS)
        # '0'..'W' -> 0..39 and '`'..'w' -> 40..63: subtract 48, then 8 more from 48 up.
        # Every other byte is invalid: 72 and up after the subtraction (wrapping below '0'),
        # or 40..47 (the gap 'X'..'_'). uint8 ops with out= keep this a few passes over
        # 3 MB; the values of an invalid payload are never read, so they are left as they are.
        v = np.subtract(chars, np.uint8(_ZERO_CHAR), out=chars)
        bad = v > np.uint8(71)
        tmp = np.subtract(v, np.uint8(40))
        bad |= tmp < np.uint8(8)
        np.multiply((v >= np.uint8(48)).view(np.uint8), np.uint8(8), out=tmp)
        block = rows_view[k : k + len(rows)]
        np.subtract(v, tmp, out=block)
        # The bytes after each payload (the rest of its line) count for nothing: value 0.
        _zero_after([block, bad.view(np.uint8)], length[rows])
        words = bad.view(np.uint64)
        invalid[rows] = (words[:, 0] | words[:, 1] | words[:, 2] | words[:, 3]) != 0
        msg_type[rows] = np.where(bad[:, 0], 255, block[:, 0])
        msg_type[rows[length[rows] == 0]] = -1
    bits = length * 6 - fill_bits
    return PayloadBatch(values, pay_at, length, bits, invalid, msg_type)


def _zero_after(matrices: list[np.ndarray], length: np.ndarray) -> None:
    """Zero the columns of row i from ``length[i]`` on, in each of the (n, width) uint8
    ``matrices``.

    Nearly every row of a feed has the same length (28 characters): then it is one slice.
    Otherwise each row is ANDed with a row of a small table picked by length (copied whole
    as in ``windows``), several times cheaper than comparing a column index with lengths.
    """
    width = matrices[0].shape[1]
    size = np.minimum(length, width)
    if len(size) == 0:
        return
    if size.min() == size.max():
        keep = int(size[0])
        if width % 8:
            for m in matrices:
                m[:, keep:] = 0
            return
        # As 8-byte words, a row is cut in one word (and the words after it are zeroed):
        # one operation per row instead of one per byte.
        low = np.frombuffer(bytes([0xFF] * keep + [0] * (width - keep)), dtype="<u8")
        for m in matrices:
            words = m.view("<u8")
            for j in range(keep // 8, width // 8):
                words[:, j] &= low[j]
        return
    table = np.tril(np.full((width + 1, width), 0xFF, dtype=np.uint8), -1).reshape(-1)
    keep = _window_items(table, width)[size * width].view(np.uint8).reshape(len(size), width)
    for m in matrices:
        m &= keep


@dataclass
class _Bits:
    """The first characters of some payloads as 24-bit groups: ``groups[r, k]`` holds the
    bits ``24k .. 24k + 23`` of row ``r`` (characters ``4k .. 4k + 3``), first bit highest.

    A field of up to 30 bits lies in at most 3 consecutive groups, so it is cut out with a
    few whole-column operations, whatever its offset.
    """

    groups: np.ndarray  # uint32 (rows, characters / 4)

    def take(self, sel: np.ndarray) -> _Bits:
        return _Bits(self.groups[sel])


def _head_bits(pb: PayloadBatch, rows: np.ndarray, n_chars: int = _HEAD_CHARS) -> _Bits:
    """The first ``n_chars`` characters of the selected payloads (zeros past each payload's
    end) as 24-bit groups of 4 characters."""
    n_chars += -n_chars % 4  # whole groups
    head = windows(pb.values, pb.start[rows], n_chars)
    length = pb.length[rows]
    if len(rows) and length.min() < n_chars:
        _zero_after([head], length)
    # As little-endian uint32, 4 characters a, b, c, d are the bytes 00aaaaaa 00bbbbbb
    # 00cccccc 00dddddd, low byte first; two steps of mask-shift-or make aaaaaabbbbbb in
    # each 16-bit half, then aaaaaabbbbbbccccccdddddd. Contiguous uint32 operations run
    # many times faster than the same work on uint64 or on strided bytes.
    words = head.view("<u4")
    low6 = np.uint32(0x003F003F)
    pairs = (words & low6) << np.uint32(6)
    pairs |= (words >> np.uint32(8)) & low6
    groups = (pairs & np.uint32(0x00000FFF)) << np.uint32(12)
    groups |= pairs >> np.uint32(16)
    return _Bits(groups)


def _field(head: _Bits, start_bit: int, n_bits: int, signed: bool) -> np.ndarray:
    """Bits ``start_bit .. start_bit + n_bits - 1`` of every row, as int64 (two's complement)."""
    first = start_bit // 24
    last = (start_bit + n_bits - 1) // 24
    spare_right = (last + 1) * 24 - (start_bit + n_bits)
    groups = head.groups
    if first == last:
        part = (groups[:, first] >> np.uint32(spare_right)) & np.uint32((1 << n_bits) - 1)
        value = part.astype(np.int64)
    else:
        # Up to 3 groups (72 bits) in 64: the bits pushed out on the left are above the
        # field (3 groups only when it starts 19 or more bits into the first).
        acc = groups[:, first].astype(np.uint64)
        for k in range(first + 1, last + 1):
            acc <<= np.uint64(24)
            acc |= groups[:, k]
        acc >>= np.uint64(spare_right)
        acc &= np.uint64((1 << n_bits) - 1)
        value = acc.view(np.int64)
    if signed:
        half = 1 << (n_bits - 1)
        value ^= half
        value -= half
    return value


# Rows decoded at a time: the packed head is 29 bytes per row and each field a few 8-byte
# columns, so a block of 100,000 rows needs a few MB of temporaries, however big the file.
_ROWS_PER_BLOCK: Final = 100_000


def decode_positions(pb: PayloadBatch, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Decode the position reports at ``rows`` (see ``_decode_positions``), block by block."""
    if len(rows) <= _ROWS_PER_BLOCK:
        return _decode_positions(pb, rows)
    parts = [
        _decode_positions(pb, rows[k : k + _ROWS_PER_BLOCK])
        for k in range(0, len(rows), _ROWS_PER_BLOCK)
    ]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _decode_positions(pb: PayloadBatch, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Decode the position reports at ``rows`` of the batch (all of types 1-3, 18, 19, 27).

    Returns columns ``mmsi`` (int64), ``lat``/``lon`` (float64 degrees), ``sog_kn``/``cog_deg``
    (float32, AIS sentinels 102.3 / 360 kept for ``make_fixes``; type 27's 63 kn becomes NaN),
    ``heading_deg`` (float32, 511 kept), ``nav_status`` (float32, NaN for class B). Callers
    must have removed invalid and truncated payloads.
    """
    n = len(rows)
    out = {
        "mmsi": np.zeros(n, dtype=np.int64),
        "lat": np.full(n, np.nan),
        "lon": np.full(n, np.nan),
        "sog_kn": np.full(n, np.nan, dtype=np.float32),
        "cog_deg": np.full(n, np.nan, dtype=np.float32),
        "heading_deg": np.full(n, np.nan, dtype=np.float32),
        "nav_status": np.full(n, np.nan, dtype=np.float32),
    }
    if n == 0:
        return out
    head = _head_bits(pb, rows)
    out["mmsi"] = _field(head, 8, 30, False)
    types = pb.msg_type[rows]
    for kinds, layout in (((1, 2, 3), _CLASS_A), ((18, 19), _CLASS_B), ((27,), _LONG_RANGE)):
        if kinds == (1, 2, 3):
            hit = (types >= 1) & (types <= 3)
        else:
            hit = (types == kinds[0]) | (types == kinds[-1])
        n_hit = int(np.count_nonzero(hit))
        if n_hit == 0:
            continue
        whole = n_hit == n  # one kind in the block, as in most feeds: no row selection
        sel = np.flatnonzero(hit) if not whole else None
        sub = head if whole else head.take(sel)
        got = {name: _field(sub, *spec) for name, spec in layout.items()}

        def put(name: str, values: np.ndarray, sel: np.ndarray | None = sel) -> None:
            if sel is None:
                out[name] = values.astype(out[name].dtype, copy=False)
            else:
                out[name][sel] = values

        if kinds == (27,):
            put("lon", got["lon"] / 600.0)
            put("lat", got["lat"] / 600.0)
            sog = got["sog"].astype(np.float32)
            sog[got["sog"] == TYPE27_SOG_NOT_AVAILABLE_KN] = np.nan
            put("sog_kn", sog)
            put("cog_deg", got["cog"].astype(np.float32))
        else:
            put("lon", got["lon"] / 600000.0)
            put("lat", got["lat"] / 600000.0)
            put("sog_kn", (got["sog"] / 10.0).astype(np.float32))
            put("cog_deg", (got["cog"] / 10.0).astype(np.float32))
            put("heading_deg", got["heading"].astype(np.float32))
        if "nav_status" in got:
            put("nav_status", got["nav_status"].astype(np.float32))
    return out


def min_bits(msg_type: np.ndarray) -> np.ndarray:
    """Bits a position report of each type needs to hold every field read from it."""
    need = np.zeros(len(msg_type), dtype=np.int64)
    for kind, bits in _MIN_BITS.items():
        need[msg_type == kind] = bits
    return need


# --- static and voyage data ---------------------------------------------------------------

_STATIC_CHARS: Final = 71  # 426 bits: the whole of a type 5 (424 bits)
# Bits a static message must carry (else it is truncated). Many stations send 420 of the 424
# bits of a type 5 (the spare and DTE are cut); the destination ends at bit 422, so anything
# from bit 302 on still gives the name, call sign, type and dimensions.
_STATIC_MIN_BITS: Final = {5: 302, 19: 301}
_PART_A_MIN_BITS: Final = 160
_PART_B_MIN_BITS: Final = 162


def _texts(head: _Bits, start_bit: int, n_chars: int) -> list[str | None]:
    """6-bit ASCII fields (values < 32 are '@'..'_'), cut at the first '@' and stripped."""
    n_rows = head.groups.shape[0]
    if n_rows == 0:
        return []
    codes = np.stack([_field(head, start_bit + 6 * k, 6, False) for k in range(n_chars)], axis=1)
    ascii_codes = np.where(codes < 32, codes + 64, codes).astype(np.uint8)
    # Everything from the first '@' on becomes a space, which the strip below removes: the
    # same text as cutting there, without a search per row.
    ascii_codes[np.logical_or.accumulate(ascii_codes == ord("@"), axis=1)] = ord(" ")
    raw = ascii_codes.tobytes().decode("latin-1")
    return [raw[at : at + n_chars].strip() or None for at in range(0, len(raw), n_chars)]


def _dims(head: _Bits, at: int) -> tuple[np.ndarray, np.ndarray]:
    """Length and width in metres (bow + stern, port + starboard); NaN when both are 0."""
    length = (_field(head, at, 9, False) + _field(head, at + 9, 9, False)).astype(np.float64)
    width = (_field(head, at + 18, 6, False) + _field(head, at + 24, 6, False)).astype(np.float64)
    length[length == 0] = np.nan
    width[width == 0] = np.nan
    return length, width


def _ship_type(values: np.ndarray) -> np.ndarray:
    # 0 is "not available" (ITU-R M.1371-5 table 53); 100..255 are reserved.
    return np.where((values >= 1) & (values <= 99), values, -1)


def decode_statics(pb: PayloadBatch, rows: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode the static messages at ``rows`` (see ``_decode_statics``), block by block."""
    if len(rows) <= _ROWS_PER_BLOCK:
        return _decode_statics(pb, rows)
    parts = [
        _decode_statics(pb, rows[k : k + _ROWS_PER_BLOCK])
        for k in range(0, len(rows), _ROWS_PER_BLOCK)
    ]
    status = np.concatenate([part[0] for part in parts])
    cols: dict[str, Any] = {}
    for name, first in parts[0][1].items():
        if isinstance(first, list):
            cols[name] = [v for part in parts for v in part[1][name]]
        else:
            cols[name] = np.concatenate([part[1][name] for part in parts])
    return status, cols


def _decode_statics(pb: PayloadBatch, rows: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode the type 5, 24 (part A or B) and 19 messages at ``rows``, vectorised.

    Returns ``(status, columns)``: ``status`` per row is 0 decoded, 1 truncated (too short for
    the fields its type defines), 2 bad (a type 24 part number 2 or 3); ``columns`` has
    ``mmsi``, ``imo`` (-1 = none; only 1000000..9999999 kept), ``name``, ``callsign``,
    ``destination`` (lists, None when empty), ``ship_type`` (-1 = none), ``length_m`` and
    ``width_m`` (NaN = none), for every row (meaningless where status is not 0).
    """
    n = len(rows)
    kind = pb.msg_type[rows]
    bits = pb.bits[rows]
    head = _head_bits(pb, rows, _STATIC_CHARS)
    cols: dict[str, Any] = {
        "mmsi": _field(head, 8, 30, False) if n else np.zeros(0, dtype=np.int64),
        "imo": np.full(n, -1, dtype=np.int64),
        "ship_type": np.full(n, -1, dtype=np.int64),
        "length_m": np.full(n, np.nan),
        "width_m": np.full(n, np.nan),
        "name": [None] * n,
        "callsign": [None] * n,
        "destination": [None] * n,
    }
    status = np.zeros(n, dtype=np.int8)
    if n == 0:
        return status, cols
    part = _field(head, 38, 2, False)
    is5, is19, is24 = kind == 5, kind == 19, kind == 24
    status[is5 & (bits < _STATIC_MIN_BITS[5])] = 1
    status[is19 & (bits < _STATIC_MIN_BITS[19])] = 1
    status[is24 & (part >= 2)] = 2
    status[is24 & (part == 0) & (bits < _PART_A_MIN_BITS)] = 1
    status[is24 & (part == 1) & (bits < _PART_B_MIN_BITS)] = 1

    def put(name: str, sel: np.ndarray, values: Any) -> None:
        if isinstance(cols[name], list):
            for k, v in zip(sel.tolist(), values, strict=True):
                cols[name][k] = v
        else:
            cols[name][sel] = values

    sel = np.flatnonzero(is5 & (status == 0))
    if len(sel):
        sub = head.take(sel)
        imo = _field(sub, 40, 30, False)
        put("imo", sel, np.where((imo >= 1_000_000) & (imo <= 9_999_999), imo, -1))
        put("callsign", sel, _texts(sub, 70, 7))
        put("name", sel, _texts(sub, 112, 20))
        put("ship_type", sel, _ship_type(_field(sub, 232, 8, False)))
        length, width = _dims(sub, 240)
        put("length_m", sel, length)
        put("width_m", sel, width)
        put("destination", sel, _texts(sub, 302, 20))
    sel = np.flatnonzero(is24 & (part == 0) & (status == 0))
    if len(sel):
        put("name", sel, _texts(head.take(sel), 40, 20))
    sel = np.flatnonzero(is24 & (part == 1) & (status == 0))
    if len(sel):
        sub = head.take(sel)
        put("ship_type", sel, _ship_type(_field(sub, 40, 8, False)))
        put("callsign", sel, _texts(sub, 90, 7))
        length, width = _dims(sub, 132)
        # Auxiliary craft (MMSI 98xxxxxxx) carry the mother ship's MMSI instead of sizes.
        aux = (cols["mmsi"][sel] >= 980_000_000) & (cols["mmsi"][sel] <= 989_999_999)
        length[aux] = np.nan
        width[aux] = np.nan
        put("length_m", sel, length)
        put("width_m", sel, width)
    sel = np.flatnonzero(is19 & (status == 0))
    if len(sel):
        sub = head.take(sel)
        put("name", sel, _texts(sub, 143, 20))
        put("ship_type", sel, _ship_type(_field(sub, 263, 8, False)))
        length, width = _dims(sub, 271)
        put("length_m", sel, length)
        put("width_m", sel, width)
    return status, cols
