"""AIS payload decoding: vectorised for position reports, plain Python for the rare static ones.

A payload is the 6-bit armoured field of a VDM/VDO sentence (ITU-R M.1371-5, IEC 61162-1
§8.3.93: each character is 6 bits, ``c - 48``, minus 8 more above ``'W'``). Position reports
(types 1, 2, 3, 18, 19, 27) are most of any feed, so they are decoded all at once: the payloads
are concatenated into one byte buffer, mapped to 6-bit values through a lookup table, and each
field is cut out of the first characters with shifts over the whole batch. No field we read is
longer than 30 bits, so a field never spans more than 6 characters and fits in a uint64.

Bit offsets below are ITU-R M.1371-5 Annex 8 (messages 1-3 table 45, 18 table 71, 19 table 72,
27 table 88, 5 table 52, 24 tables 80-81); they are the offsets pyais and gpsd use.
"""

from __future__ import annotations

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
    """Many payloads as one byte buffer: ``values`` are 6-bit values (255 = invalid byte)."""

    values: np.ndarray  # uint8, all payloads back to back
    start: np.ndarray  # int64 offset of each payload in ``values``
    length: np.ndarray  # int64 characters per payload
    bits: np.ndarray  # int64 payload bits after removing the fill bits
    invalid: np.ndarray  # bool: some character is outside the 6-bit armour
    msg_type: np.ndarray  # int64 message type (first 6 bits), -1 for an empty payload


def batch(payloads: list[str], fill_bits: np.ndarray) -> PayloadBatch:
    """Concatenate ``payloads`` (latin-1 text) and map them to 6-bit values."""
    length = np.fromiter(map(len, payloads), dtype=np.int64, count=len(payloads))
    start = np.zeros(len(payloads), dtype=np.int64)
    if len(payloads) > 1:
        np.cumsum(length[:-1], out=start[1:])
    raw = np.frombuffer("".join(payloads).encode("latin-1"), dtype=np.uint8)
    values = SIXBIT[raw]
    bad_cum = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values == 255, out=bad_cum[1:])
    invalid = (bad_cum[start + length] - bad_cum[start]) > 0
    msg_type = np.full(len(payloads), -1, dtype=np.int64)
    nonempty = length > 0
    msg_type[nonempty] = values[start[nonempty]]
    bits = length * 6 - fill_bits
    return PayloadBatch(values, start, length, bits, invalid, msg_type)


def _head_matrix(pb: PayloadBatch, rows: np.ndarray) -> np.ndarray:
    """First ``_HEAD_CHARS`` 6-bit values of the selected payloads, zero-padded, as uint64."""
    cols = np.arange(_HEAD_CHARS, dtype=np.int64)
    idx = pb.start[rows, None] + cols[None, :]
    inside = cols[None, :] < pb.length[rows, None]
    idx = np.where(inside, idx, 0)
    if len(pb.values) == 0:
        return np.zeros(idx.shape, dtype=np.uint64)
    head = np.where(inside, pb.values[idx], 0).astype(np.uint64)
    return head


def _field(head: np.ndarray, start_bit: int, n_bits: int, signed: bool) -> np.ndarray:
    """Bits ``start_bit .. start_bit + n_bits - 1`` of every row, as int64 (two's complement)."""
    first = start_bit // 6
    last = (start_bit + n_bits - 1) // 6
    acc = np.zeros(head.shape[0], dtype=np.uint64)
    for col in range(first, last + 1):
        acc = (acc << np.uint64(6)) | head[:, col]
    spare_right = (last + 1) * 6 - (start_bit + n_bits)
    value = ((acc >> np.uint64(spare_right)) & np.uint64((1 << n_bits) - 1)).astype(np.int64)
    if signed:
        value = np.where(value >= (1 << (n_bits - 1)), value - (1 << n_bits), value)
    return value


def decode_positions(pb: PayloadBatch, rows: np.ndarray) -> dict[str, np.ndarray]:
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
    head = _head_matrix(pb, rows)
    out["mmsi"] = _field(head, 8, 30, False)
    types = pb.msg_type[rows]
    for kinds, layout in (((1, 2, 3), _CLASS_A), ((18, 19), _CLASS_B), ((27,), _LONG_RANGE)):
        sel = np.flatnonzero(np.isin(types, kinds))
        if len(sel) == 0:
            continue
        sub = head[sel]
        got = {name: _field(sub, *spec) for name, spec in layout.items()}
        if kinds == (27,):
            out["lon"][sel] = got["lon"] / 600.0
            out["lat"][sel] = got["lat"] / 600.0
            sog = got["sog"].astype(np.float32)
            sog[got["sog"] == TYPE27_SOG_NOT_AVAILABLE_KN] = np.nan
            out["sog_kn"][sel] = sog
            out["cog_deg"][sel] = got["cog"].astype(np.float32)
        else:
            out["lon"][sel] = got["lon"] / 600000.0
            out["lat"][sel] = got["lat"] / 600000.0
            out["sog_kn"][sel] = (got["sog"] / 10.0).astype(np.float32)
            out["cog_deg"][sel] = (got["cog"] / 10.0).astype(np.float32)
            out["heading_deg"][sel] = got["heading"].astype(np.float32)
        if "nav_status" in got:
            out["nav_status"][sel] = got["nav_status"].astype(np.float32)
    return out


def min_bits(msg_type: np.ndarray) -> np.ndarray:
    """Bits a position report of each type needs to hold every field read from it."""
    need = np.zeros(len(msg_type), dtype=np.int64)
    for kind, bits in _MIN_BITS.items():
        need[msg_type == kind] = bits
    return need


# --- static and voyage data: rare, decoded one message at a time --------------------------------


def _bits_of(payload: str) -> str:
    return "".join(format(int(SIXBIT[ord(c)]), "06b") for c in payload)


def _uint(bits: str, start: int, n: int) -> int:
    chunk = bits[start : start + n]
    return int(chunk, 2) if chunk else 0


def _text(bits: str, start: int, n_chars: int) -> str | None:
    """6-bit ASCII (values < 32 are '@'..'_'), with '@' padding and spaces removed."""
    chars = []
    for k in range(n_chars):
        chunk = bits[start + 6 * k : start + 6 * k + 6]
        if len(chunk) < 6:
            break
        v = int(chunk, 2)
        chars.append(chr(v + 64 if v < 32 else v))
    text = "".join(chars)
    cut = text.find("@")
    if cut >= 0:
        text = text[:cut]
    text = text.strip()
    return text or None


def _dims(bits: str, at: int) -> tuple[float, float]:
    bow, stern = _uint(bits, at, 9), _uint(bits, at + 9, 9)
    port, starboard = _uint(bits, at + 18, 6), _uint(bits, at + 24, 6)
    length = float(bow + stern) if bow + stern > 0 else float("nan")
    width = float(port + starboard) if port + starboard > 0 else float("nan")
    return length, width


def _ship_type(value: int) -> int | None:
    # 0 is "not available" (ITU-R M.1371-5 table 53); 100..255 are reserved.
    return value if 1 <= value <= 99 else None


def decode_static(payload: str, fill_bits: int) -> dict[str, Any] | None:
    """Decode one type 5, 24 (part A or B) or 19 payload into static fields, or None.

    Returns ``mmsi``, ``imo``, ``name``, ``callsign``, ``ship_type``, ``length_m``, ``width_m``,
    ``destination`` (missing ones None/NaN), or None when the payload is too short to hold
    the fields its type defines (a truncated message).
    """
    bits = _bits_of(payload)
    if fill_bits:
        bits = bits[:-fill_bits]
    kind = _uint(bits, 0, 6)
    row: dict[str, Any] = {
        "mmsi": _uint(bits, 8, 30),
        "imo": None,
        "name": None,
        "callsign": None,
        "ship_type": None,
        "length_m": float("nan"),
        "width_m": float("nan"),
        "destination": None,
    }
    if kind == 5:
        # Many stations send 420 of the 424 bits (the spare and DTE are cut); the destination
        # ends at bit 422, so 420 still holds 19 of its 20 characters.
        if len(bits) < 302:
            return None
        imo = _uint(bits, 40, 30)
        row["imo"] = imo if 1_000_000 <= imo <= 9_999_999 else None
        row["callsign"] = _text(bits, 70, 7)
        row["name"] = _text(bits, 112, 20)
        row["ship_type"] = _ship_type(_uint(bits, 232, 8))
        row["length_m"], row["width_m"] = _dims(bits, 240)
        row["destination"] = _text(bits, 302, 20)
        return row
    if kind == 24:
        if len(bits) < 40:
            return None
        part = _uint(bits, 38, 2)
        if part == 0:
            if len(bits) < 160:
                return None
            row["name"] = _text(bits, 40, 20)
            return row
        if part == 1:
            if len(bits) < 162:
                return None
            row["ship_type"] = _ship_type(_uint(bits, 40, 8))
            row["callsign"] = _text(bits, 90, 7)
            # Auxiliary craft (MMSI 98xxxxxxx) carry the mother ship's MMSI instead of sizes.
            if not 980_000_000 <= row["mmsi"] <= 989_999_999:
                row["length_m"], row["width_m"] = _dims(bits, 132)
            return row
        return None
    if kind == 19:
        if len(bits) < 301:
            return None
        row["name"] = _text(bits, 143, 20)
        row["ship_type"] = _ship_type(_uint(bits, 263, 8))
        row["length_m"], row["width_m"] = _dims(bits, 271)
        return row
    return None
