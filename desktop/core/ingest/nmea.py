"""NMEA 0183 AIS reader: ``!xxVDM`` / ``!xxVDO`` sentences to position and static records.

``read_nmea(path)`` is what the ingest calls; ``decode_messages(path)`` gives every decoded
position report, timed or not, for comparisons with other decoders at the message level.
The policy for what is accepted and rejected is in ``read_nmea``'s docstring.

Speed: plain single-part sentence lines, nearly all of a feed, are located, checksummed and
timed with numpy over the raw bytes (``nmea_lines``); only the other lines (multipart parts,
``$`` lines, junk, odd layouts) go through a Python loop, which reads them by the same rules.
The 6-bit payloads are decoded as numpy arrays (``ais_payload``). On a 200,000-sentence file
this is about five times faster than pyais's ``FileReaderStream`` decoding alone.
"""

from __future__ import annotations

import gc
import math
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, compress, repeat
from pathlib import Path
from typing import Any, Final

import numpy as np

from desktop.core.ingest import ais_payload as ap
from desktop.core.ingest import nmea_lines
from desktop.core.ingest.base import (
    ACCEPTED_FIX,
    ACCEPTED_FRAGMENT,
    ACCEPTED_OTHER,
    ACCEPTED_STATIC,
    ACCEPTED_TIMESTAMP,
    BAD_CHECKSUM,
    BAD_PAYLOAD,
    EPOCH_MS_ABOVE,
    FIRST_LINES_KEPT,
    NO_TIMESTAMP,
    NOT_AIS,
    ORPHAN_FRAGMENT,
    POSITION_COLUMNS,
    STATIC_COLUMNS,
    TRUNCATED,
    UNSUPPORTED_TYPE,
    LineTally,
    RawRead,
)
from desktop.core.lazy import pandas as pd

# Rejection reason of this reader only: a $PGHP line (or a line holding only a tag block)
# that no sentence could use.
ORPHAN_TIMESTAMP: Final = "orphan_timestamp"

# Outcome codes of a line, in the order of this tuple (0 = not decided yet).
_OUTCOMES: Final = (
    "",
    ACCEPTED_FIX,
    ACCEPTED_STATIC,
    ACCEPTED_FRAGMENT,
    ACCEPTED_TIMESTAMP,
    ACCEPTED_OTHER,
    BAD_CHECKSUM,
    TRUNCATED,
    ORPHAN_FRAGMENT,
    NO_TIMESTAMP,
    UNSUPPORTED_TYPE,
    NOT_AIS,
    BAD_PAYLOAD,
    ORPHAN_TIMESTAMP,
)
_CODE: Final = {name: code for code, name in enumerate(_OUTCOMES)}
_ACCEPTED: Final = frozenset(
    {ACCEPTED_FIX, ACCEPTED_STATIC, ACCEPTED_FRAGMENT, ACCEPTED_TIMESTAMP, ACCEPTED_OTHER}
)
_ACCEPTED_CODES: Final = np.array([name in _ACCEPTED for name in _OUTCOMES])
_FIX, _STATIC, _FRAGMENT, _STAMP, _OTHER = (_CODE[k] for k in list(_OUTCOMES)[1:6])
_BADSUM, _TRUNC, _ORPHAN, _NOTIME, _UNSUP, _NOTAIS, _BADPAY, _ORPHTS = range(6, 14)

# "No time" inside int64 ns arrays (numpy's NaT bit pattern); epoch bounds and units are
# nmea_lines's, so the fast path and the line loop read times alike.
NO_TIME: Final = nmea_lines.NO_TIME
_EPOCH_MIN_S: Final = nmea_lines.EPOCH_MIN_S
_EPOCH_MAX_S: Final = nmea_lines.EPOCH_MAX_S
_MS_THRESHOLD: Final = EPOCH_MS_ABOVE
# An exactEarth $PGHP line and its sentence arrive at most this far apart (AMSA risky's
# MAXIMUM_ARRIVAL_TIME_DIFFERENCE_MS).
_PGHP_MAX_ARRIVAL_GAP_NS: Final = 1_000_000_000
# Without arrival times, a $PGHP line is matched by checksum to a sentence at most this many
# lines away (exactEarth's lines drift by a few lines; DMA's own test files by none).
_PGHP_WINDOW_LINES: Final = 20
_HEX: Final = tuple(f"{i:02X}" for i in range(256))


def _epoch_ns(text: str) -> int | None:
    """Epoch seconds or milliseconds (see ``_MS_THRESHOLD``) as int ns, None if not a time."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    if value > _MS_THRESHOLD:
        value /= 1000.0
    if not _EPOCH_MIN_S <= value < _EPOCH_MAX_S:
        return None
    return int(round(value * 1e6)) * 1000


def _iso_ns(text: str) -> int | None:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:  # a feed's own clock: taken as UTC, as every AIS logger writes it
        stamp = stamp.replace(tzinfo=UTC)
    ns = int(round(stamp.timestamp() * 1e6)) * 1000
    return ns if _EPOCH_MIN_S * 10**9 <= ns < _EPOCH_MAX_S * 10**9 else None


def _leading_ns(prefix: str) -> int | None:
    """A stamp written before the sentence: epoch seconds/ms or ISO 8601 (naive = UTC)."""
    text = prefix.strip(" \t,;|")
    if not text:
        return None
    if text[0].isdigit() and text.replace(".", "", 1).isdigit():
        return _epoch_ns(text)
    return _iso_ns(text.replace("Z", "+00:00") if text.endswith("Z") else text)


def _trailing_ns(tail: str) -> int | None:
    """The last comma field after the checksum, when it is an epoch (USCG N-AIS, AMSA)."""
    if not tail or tail[0] != ",":
        return None
    last = tail.rsplit(",", 1)[1].strip()
    if not last or not last[0].isdigit():
        return None
    return _epoch_ns(last)


def _pghp_ns(fields: list[str]) -> int | None:
    """``$PGHP,1,<yyyy>,<mm>,<dd>,<HH>,<MM>,<SS>,<ms>,...`` (Gatehouse) as int ns UTC."""
    try:
        y, mo, d, h, mi, s, ms = (int(x) for x in fields[2:9])
        stamp = datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
    except (ValueError, IndexError, OverflowError):
        return None
    ns = int(round(stamp.timestamp() * 1e6)) * 1000
    return ns if _EPOCH_MIN_S * 10**9 <= ns < _EPOCH_MAX_S * 10**9 else None


def _tag_fields(tag: str) -> dict[str, str]:
    body = tag.split("*", 1)[0]
    out: dict[str, str] = {}
    for item in body.split(","):
        key, sep, value = item.partition(":")
        if sep:
            out[key] = value
    return out


def _tag_group(fields: dict[str, str]) -> str | None:
    """Group id of a tag block: ``g:<n>-<m>-<id>`` or the NMEA 4.0 form ``<n>G<m>:<id>``."""
    g = fields.get("g")
    if g is not None:
        parts = g.split("-")
        return parts[2] if len(parts) == 3 else None
    for key, value in fields.items():
        if "G" in key and key[:1].isdigit():
            return value
    return None


def _xor_each(texts: list[str]) -> np.ndarray:
    """NMEA checksum (XOR of the bytes) of every text, vectorised over all of them."""
    if not texts:
        return np.zeros(0, dtype=np.uint8)
    length = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    raw = np.frombuffer("".join(texts).encode("latin-1"), dtype=np.uint8)
    out = np.zeros(len(texts), dtype=np.uint8)
    nonempty = length > 0
    if raw.size:
        starts = np.concatenate(([0], np.cumsum(length)[:-1]))
        sums = np.bitwise_xor.reduceat(raw, np.minimum(starts, raw.size - 1))
        out[nonempty] = sums[nonempty]
    return out


@dataclass
class _Messages:
    """Complete AIS messages (multipart joined), one entry per message."""

    fill: np.ndarray  # int64 fill bits, -1 when not a number
    line: np.ndarray  # int64 0-based line that completed the message
    earlier: list[tuple[int, ...]]  # 0-based lines of the earlier parts (empty: single part)
    tail_ns: np.ndarray  # int64 trailing epoch (arrival time), NO_TIME when none
    own_ship: np.ndarray  # bool, VDO
    sums: list[tuple[str, ...]]  # sentence checksums (upper case), for $PGHP matching
    singles: int = 0  # the messages before this one are all single-part

    def multipart(self) -> np.ndarray:
        """Indices of the messages of several parts (looked for past ``singles`` only: a
        piece of a feed has some 100,000 single-part messages and a few multipart ones)."""
        first = self.singles
        tail = self.earlier[first:]
        return first + np.fromiter(compress(range(len(tail)), tail), dtype=np.int64)


@dataclass
class _Parsed:
    path: str
    lines: int
    outcome: np.ndarray  # int8 code per line
    msgs: _Messages
    time_ns: np.ndarray  # int64 per message, NO_TIME when none
    pb: ap.PayloadBatch
    notes: list[str]
    # What the streaming reader needs to cut the lines into chunks (``stream.py``):
    numbers: np.ndarray  # int64 0-based line number in the file of each line read
    pending: list[int]  # lines of multipart messages still incomplete at the end
    lone_used: list[int]  # lines holding only a tag block that was applied to the next line
    stamps: list[tuple[int, int]]  # ($PGHP line, message) pairs that were matched
    tag_bad_lines: np.ndarray  # int64 lines whose tag-block checksum is wrong


def _read_bytes(path: Path) -> tuple[bytes, list[str]]:
    """The file's bytes (gunzipped when it is gzip), and a note when the gzip stream breaks.

    A truncated or corrupt ``.gz`` (a copy cut short) keeps every byte that decompressed:
    what was read is counted like any file, and the note says where the stream broke.
    """
    data = Path(path).read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data, []
    out: list[bytes] = []
    rest = data
    try:
        while rest[:2] == b"\x1f\x8b":  # concatenated gzip members, as gzip.open reads them
            unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out.append(unzip.decompress(rest))
            if not unzip.eof:
                raise EOFError("the compressed stream ends early")
            rest = unzip.unused_data
    except (zlib.error, EOFError) as err:
        got = sum(map(len, out))
        return b"".join(out), [f"gzip data broken after {got} decompressed bytes ({err})"]
    return b"".join(out), []


_HEXVAL: Final = np.full(256, 255, dtype=np.uint8)
_HEXVAL[48:58] = np.arange(10, dtype=np.uint8)
_HEXVAL[65:71] = np.arange(10, 16, dtype=np.uint8)
_HEXVAL[97:103] = np.arange(10, 16, dtype=np.uint8)
_C_FIELD: Final = re.compile(r"(?:^|,)c:([^,*]*)")
_VD: Final = ("VDM", "VDO")


def _checksum_ok(bodies: Sequence[str], given: Sequence[str]) -> np.ndarray:
    """Whether each body's XOR equals its given two hex digits, vectorised."""
    xor = _xor_each(list(bodies))
    joined = "".join(given)
    if len(joined) == 2 * len(given):
        g = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
        hi, lo = _HEXVAL[g[0::2]], _HEXVAL[g[1::2]]
        return (hi < 16) & (lo < 16) & (((hi << 4) | lo) == xor)
    return np.array([x.upper() == _HEX[v] for x, v in zip(given, xor, strict=True)], dtype=bool)


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _epochs_ns(texts: Sequence[str]) -> np.ndarray:
    """Epoch seconds/ms texts ('' = none) as int64 ns, NO_TIME where not a time (vectorised)."""
    if len(texts) == 0:
        return np.zeros(0, dtype=np.int64)
    filled = [t or "nan" for t in texts]
    try:
        values = np.array(filled, dtype=str).astype(np.float64)
    except ValueError:  # junk in some field: parse one by one
        values = np.array([_float_or_nan(t) for t in filled], dtype=np.float64)
    values = np.where(values > _MS_THRESHOLD, values / 1000.0, values)
    good = (values >= _EPOCH_MIN_S) & (values < _EPOCH_MAX_S)
    out = np.full(len(values), NO_TIME, dtype=np.int64)
    out[good] = np.round(values[good] * 1e6).astype(np.int64) * 1000
    return out


def _bad_tag_mask(tags: list[str]) -> np.ndarray:
    """Which tag blocks (``fields*hh``) have a checksum that is not the XOR of the fields."""
    if not tags:
        return np.zeros(0, dtype=bool)
    star = np.fromiter(map(str.find, tags, repeat("*")), dtype=np.int64, count=len(tags))
    length = np.fromiter(map(len, tags), dtype=np.int64, count=len(tags))
    # Three zero bytes after the last tag: a checksum read past it (a tag without one, or
    # only empty tags, as ``\\`` alone on its line gives) reads zeros, never outside.
    buf = np.frombuffer("".join(tags).encode("latin-1") + b"\0\0\0", dtype=np.uint8)
    start = np.zeros(len(tags), dtype=np.int64)
    np.cumsum(length[:-1], out=start[1:])
    has = (star >= 0) & (star + 3 <= length)
    # XOR of a segment from a running XOR: acc[b] ^ acc[a] covers bytes a..b-1.
    acc = np.concatenate(([0], np.bitwise_xor.accumulate(buf))).astype(np.uint8)
    pos = start + np.where(has, star, 0)
    xor = acc[pos] ^ acc[start]
    hi = _HEXVAL[buf[pos + 1]]
    lo = _HEXVAL[buf[pos + 2]]
    good = has & (hi < 16) & (lo < 16) & (((hi << 4) | lo) == xor)
    return ~good


def _c_text(tag: str | None) -> str:
    if not tag:
        return ""
    m = _C_FIELD.search(tag.split("*", 1)[0])
    return m.group(1) if m else ""


def _tail_text(tail: str) -> str:
    """The last comma field after the checksum ('' when none)."""
    return tail.rsplit(",", 1)[1].strip() if tail[:1] == "," else ""


def _scan(path: Path) -> _Parsed:
    data, notes = _read_bytes(path)
    return scan_lines(data, str(path), notes)


def scan_lines(  # noqa: C901, PLR0915 - one pass over the lines, kept in one place
    data: bytes,
    path: str,
    notes: list[str],
    numbers: np.ndarray | None = None,
    fast: nmea_lines.FastLines | None = None,
) -> _Parsed:
    """Read the lines of ``data``; ``numbers`` are their 0-based numbers in the file when
    ``data`` is a piece of it (adjacency of a tag block or ``$PGHP`` line and its sentence is
    judged on them), else ``0..n-1``. ``fast`` is ``nmea_lines.parse(data)`` when the caller
    has it already."""
    fl = nmea_lines.parse(data) if fast is None else fast
    del data
    n_lines = len(fl.starts)
    if numbers is None:
        numbers = np.arange(n_lines, dtype=np.int64)
    nums = numbers.tolist()
    outcome = np.zeros(n_lines, dtype=np.int8)
    # Empty lines without a Python step each: 50 MB of blank lines is 50 million of them.
    empty = fl.ends <= fl.starts
    outcome[empty] = _NOTAIS

    # The other lines, one by one with cheap string operations. Single-part sentences are
    # kept as tuples and checked with the fast ones; multipart ones are assembled after that.
    singles: list[tuple] = []  # (line, body, sum, tail, tag, lead, payload, fill, head)
    multis: list[tuple] = []  # (line, body, sum, tail, tag, lead, fields)
    odd: list[tuple[int, str, str]] = []  # too few fields: bad_payload if the checksum holds
    pghp: list[tuple[int, list[str], int | None]] = []  # line, fields, arrival time
    lone: dict[int, str] = {}  # line holding only a tag block -> that tag block
    used_lone: list[int] = []
    for i in np.flatnonzero(~fl.fast & ~empty).tolist():
        line = fl.text(i).strip()
        if not line:
            outcome[i] = _NOTAIS
            continue
        c0 = line[0]
        tag: str | None = None
        lead: int | None = None
        if c0 == "!":
            s = line
        elif c0 == "\\":
            end = line.find("\\", 1)
            if end < 0:
                outcome[i] = _NOTAIS
                continue
            tag = line[1:end]
            s = line[end + 1 :]
            if not s:  # a tag block alone on its line: it may belong to the next sentence
                lone[i] = tag
                continue
        elif c0 == "$":
            if line.startswith("$PGHP,"):
                head, _, tail = line.partition("*")
                pghp.append((i, head.split(","), _trailing_ns(tail[2:])))
            else:
                outcome[i] = _NOTAIS
            continue
        elif c0 == "#":  # a comment, even one quoting a sentence
            outcome[i] = _NOTAIS
            continue
        else:
            bang = line.find("!")
            back = line.find("\\")
            k = bang if back < 0 else (back if bang < 0 else min(bang, back))
            if k <= 0:
                outcome[i] = _NOTAIS
                continue
            lead = _leading_ns(line[:k])
            s = line[k:]
            if s[0] == "\\":
                end = s.find("\\", 1)
                if end < 0:
                    outcome[i] = _NOTAIS
                    continue
                tag = s[1:end]
                s = s[end + 1 :]
        if s[3:6] not in _VD or s[:1] != "!" or s[6:7] != ",":
            outcome[i] = _NOTAIS
            continue
        star = s.find("*")
        if star < 0:
            outcome[i] = _TRUNC
            continue
        if tag is None and i - 1 in lone and nums[i - 1] + 1 == nums[i]:
            tag = lone[i - 1]
            used_lone.append(i - 1)
        body = s[1:star]
        f = body.split(",")
        given = s[star + 1 : star + 3]
        if len(f) < 7:
            odd.append((i, body, given))
        elif f[1] == "1" and f[2] == "1":
            singles.append((i, body, given, s[star + 3 :], tag, lead, f[5], f[6], f[0]))
        else:
            multis.append((i, body, given, s[star + 3 :], tag, lead, f))
    for i in used_lone:
        outcome[i] = _STAMP
    for i in lone:
        if outcome[i] == 0:
            outcome[i] = _ORPHTS

    if odd:
        ok = _checksum_ok([o[1] for o in odd], [o[2] for o in odd])
        outcome[[o[0] for o in odd]] = np.where(ok, _BADPAY, _BADSUM)

    # Tag-block checksums are counted, not enforced (see read_nmea).
    tagged = [t for t in singles if t[4] is not None] + [t for t in multis if t[4] is not None]
    bad_tags = _bad_tag_mask([t[4] for t in tagged])
    tag_bad_lines = np.concatenate(
        [fl.tag_bad_lines, np.array([t[0] for t in tagged], dtype=np.int64)[bad_tags]]
    )
    tag_bad = len(tag_bad_lines)

    # Single-part sentences: the fast lines (already checked) and the loop's.
    s_cols = list(zip(*singles, strict=True)) if singles else [()] * 9
    s_line, s_body, s_sum, s_tail, s_tag, s_lead, s_pay, s_fill, s_head = s_cols
    outcome[fl.line[~fl.checksum_ok]] = _BADSUM
    s_ok = _checksum_ok(s_body, s_sum) if singles else np.zeros(0, dtype=bool)
    outcome[np.asarray(s_line, dtype=np.int64)[~s_ok]] = _BADSUM
    keep = s_ok.tolist()

    def sel(col: Sequence) -> list:
        return list(compress(col, keep))

    good = fl.checksum_ok
    line = np.concatenate([fl.line[good], np.asarray(s_line, dtype=np.int64)[s_ok]])
    n_fast = int(np.count_nonzero(good))
    payload = sel(s_pay)  # the loop's payloads; fast ones stay in the byte buffer
    fill = np.concatenate([fl.fill[good], _fill_bits(sel(s_fill))])
    tag_ns = np.concatenate([fl.c_ns[good], _epochs_ns([_c_text(t) for t in sel(s_tag)])])
    tail_ns = np.concatenate([fl.tail_ns[good], _epochs_ns([_tail_text(t) for t in sel(s_tail)])])
    lead_ns = np.concatenate(
        [
            np.full(n_fast, NO_TIME, dtype=np.int64),
            np.fromiter(
                (NO_TIME if x is None else x for x in sel(s_lead)),
                dtype=np.int64,
                count=len(payload),
            ),
        ]
    )
    own = np.concatenate(
        [fl.own_ship[good], np.array([h[2:5] == "VDO" for h in sel(s_head)], dtype=bool)]
    )
    sums1: list[tuple[str, ...]] = []
    if pghp:
        hexes = ap.gather(fl.buf, fl.star[good] + 1, np.full(n_fast, 2))
        text = hexes.tobytes().decode("latin-1").upper()
        sums1 = [(text[2 * k : 2 * k + 2],) for k in range(n_fast)]
        sums1 += [(x.upper(),) for x in sel(s_sum)]
    n1 = len(line)

    # Multipart: joined by the tag-block group when there is one, else by talker, sequence id
    # and channel; parts must arrive in order 1..n.
    m_payload: list[str] = []
    m_fill: list[int] = []
    m_line: list[int] = []
    m_earlier: list[tuple[int, ...]] = []
    m_c: list[str] = []
    m_tail: list[str] = []
    m_lead: list[int] = []
    m_own: list[bool] = []
    m_sums: list[tuple[str, ...]] = []
    pending: list[int] = []
    if multis:
        m_ok = _checksum_ok([m[1] for m in multis], [m[2] for m in multis])
        partial: dict[tuple[str, ...], list[tuple]] = {}
        for (i, _body, given, tail, tag, lead, f), valid in zip(multis, m_ok, strict=True):
            if not valid:
                outcome[i] = _BADSUM
                continue
            try:
                total, num = int(f[1]), int(f[2])
            except ValueError:
                outcome[i] = _BADPAY
                continue
            if not 1 <= num <= total:
                outcome[i] = _BADPAY
                continue
            tfields = _tag_fields(tag) if tag else {}
            group = _tag_group(tfields) if tfields else None
            key = ("g", group, f[1]) if group is not None else (f[0], f[3], f[4], f[1])
            part = (
                i,
                f[5],
                f[6],
                tfields.get("c", ""),
                _tail_text(tail),
                lead,
                given.upper(),
                f[0],
            )
            held = partial.get(key)
            if num == 1:
                if held is not None:
                    outcome[[p[0] for p in held]] = _ORPHAN
                held = partial[key] = [part]
            elif held is None or len(held) != num - 1:
                outcome[i] = _ORPHAN
                if held is not None:
                    outcome[[p[0] for p in held]] = _ORPHAN
                    del partial[key]
                continue
            else:
                held.append(part)
            if num < total:
                continue
            del partial[key]
            m_payload.append("".join(p[1] for p in held))
            m_fill.append(held[-1][2])
            m_line.append(held[-1][0])
            m_earlier.append(tuple(p[0] for p in held[:-1]))
            m_c.append(next((p[3] for p in held if p[3]), ""))
            m_tail.append(next((p[4] for p in held if p[4]), ""))
            m_lead.append(next((p[5] for p in held if p[5] is not None), NO_TIME))
            m_own.append(held[0][7][4:5] == "O")
            m_sums.append(tuple(p[6] for p in held))
        for held in partial.values():
            outcome[[p[0] for p in held]] = _ORPHAN
            pending.extend(p[0] for p in held)

    msgs = _Messages(
        fill=np.concatenate([fill, _fill_bits(m_fill)]),
        line=np.concatenate([line, np.asarray(m_line, dtype=np.int64)]),
        earlier=[()] * n1 + m_earlier,
        tail_ns=np.concatenate([tail_ns, _epochs_ns(m_tail)]),
        own_ship=np.concatenate([own, np.asarray(m_own, dtype=bool)]),
        sums=sums1 + m_sums if pghp else [],
        singles=n1,
    )
    stamps: list[tuple[int, int]] = []
    pghp_ns = _match_pghp(pghp, msgs, outcome, numbers, stamps)

    # Time source priority: tag block c:, then $PGHP, then trailing epoch, then leading stamp.
    time_ns = np.concatenate([tag_ns, _epochs_ns(m_c)])
    lead_all = np.concatenate([lead_ns, np.asarray(m_lead, dtype=np.int64)])
    for source in (pghp_ns, msgs.tail_ns, lead_all):
        missing = time_ns == NO_TIME
        time_ns[missing] = source[missing]

    pb = _payload_batch(fl, good, payload + m_payload, msgs.fill)
    notes.extend(count_notes(tag_bad, int(np.count_nonzero(msgs.own_ship)), len(used_lone)))
    return _Parsed(
        path, n_lines, outcome, msgs, time_ns, pb, notes,
        numbers, pending, used_lone, stamps, tag_bad_lines,
    )  # fmt: skip


def _payload_batch(
    fl: nmea_lines.FastLines, good: np.ndarray, others: list[str], fill: np.ndarray
) -> ap.PayloadBatch:
    """The payloads of the fast lines at ``good`` (read in place from the file buffer), then
    ``others``; ``fill`` is every message's fill bits (-1 or over 5 make the payload bad)."""
    clipped = np.clip(fill, 0, 5)
    pb = ap.batch_spans(fl.buf, fl.pay_start[good], fl.pay_len[good], clipped, others)
    pb.invalid |= (fill < 0) | (fill > 5)
    return pb


def count_notes(tag_bad: int, own_count: int, used_lone: int) -> list[str]:
    """The notes of a file: wrong tag-block checksums, VDO messages, lone tag blocks used."""
    notes = []
    if tag_bad:
        notes.append(
            f"{tag_bad} tag block(s) with a wrong tag-block checksum: their fields were used "
            "because the sentence's own checksum was valid"
        )
    if own_count:
        notes.append(f"{own_count} own-ship (VDO) message(s) decoded like VDM")
    if used_lone:
        notes.append(
            f"{used_lone} tag block(s) on a line of their own applied to the next sentence"
        )
    return notes


def _fill_bits(texts: Sequence[str]) -> np.ndarray:
    """Fill-bit fields as int64 (-1 where not a single digit), vectorised."""
    joined = "".join(texts)
    if len(joined) == len(texts):
        digits = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8).astype(np.int64) - 48
        return np.where((digits >= 0) & (digits <= 9), digits, -1)
    return np.array([int(x) if x.isdigit() else -1 for x in texts], dtype=np.int64)


def _match_pghp(
    pghp: list[tuple[int, list[str], int | None]],
    msgs: _Messages,
    outcome: np.ndarray,
    numbers: np.ndarray,
    stamps: list[tuple[int, int]],
) -> np.ndarray:
    """Times from Gatehouse ``$PGHP`` lines, per message (NO_TIME where none applies).

    The last field of a $PGHP line names the checksum of the sentence it stamps. Two layouts
    exist, and the reference reader of each is followed:

    - Gatehouse's own (DMA's feed): the $PGHP line stands just before its sentence, and DMA
      AisLib attaches it to the next sentence. Gatehouse writes ``00``, or a checksum that is
      not that of any part, for own-ship and multipart messages. So, first, a $PGHP line
      stamps the message whose first sentence is on the next line when its reference is
      ``00``, or the checksum of one of that message's sentences, or the message is multipart.
    - exactEarth's satellite feed (AMSA): $PGHP lines drift a few lines before or after their
      sentence, and in the augmented files every line ends with an arrival time in ms. AMSA's
      ``risky`` (``NmeaStreamProcessor``) matches a $PGHP line to the message whose checksum
      equals the reference and whose arrival time is closest, within 1 s. So, second, a
      $PGHP line not placed by the first rule stamps the unstamped message with that checksum
      nearest in arrival time (within 1 s) when both carry one, else nearest in lines (within
      ``_PGHP_WINDOW_LINES``).

    The first rule runs over every $PGHP line before the second, so a loose match never takes
    a message that its own $PGHP line claims. A $PGHP line that stamps nothing (its sentence
    is missing or was rejected), or whose date does not parse, is ``orphan_timestamp``.

    Lines are compared by their ``numbers`` in the file (the streaming reader scans pieces of
    it); every match is appended to ``stamps`` as ($PGHP line, message).
    """
    n = len(msgs.line)
    out = np.full(n, NO_TIME, dtype=np.int64)
    if not pghp:
        return out
    starts: dict[int, int] = {}  # first line of a message -> message
    by_sum: dict[str, list[tuple[int, int]]] = {}  # checksum -> (line, message)
    num = numbers.tolist()
    for m in range(n):
        lines = (*msgs.earlier[m], int(msgs.line[m]))
        starts[num[lines[0]]] = m
        for line, s in zip(lines, msgs.sums[m], strict=True):
            by_sum.setdefault(s, []).append((num[line], m))
    left: list[tuple[int, int, str, int | None]] = []
    for i, fields, arrival in pghp:
        ns = _pghp_ns(fields)
        if ns is None:
            outcome[i] = _ORPHTS
            continue
        ref = fields[-1].strip().upper()
        nxt = starts.get(num[i] + 1)
        if (
            nxt is not None
            and out[nxt] == NO_TIME
            and (ref == "00" or ref in msgs.sums[nxt] or len(msgs.sums[nxt]) > 1)
        ):
            out[nxt] = ns
            outcome[i] = _STAMP
            stamps.append((i, nxt))
        else:
            left.append((i, ns, ref, arrival))
    for i, ns, ref, arrival in left:
        best: tuple[tuple[int, int], int] | None = None
        for line, m in by_sum.get(ref, ()) if ref != "00" else ():
            if out[m] != NO_TIME:
                continue
            tail = int(msgs.tail_ns[m])
            if arrival is not None and tail != NO_TIME:
                gap = abs(tail - arrival)
                if gap > _PGHP_MAX_ARRIVAL_GAP_NS:
                    continue
            elif abs(line - num[i]) <= _PGHP_WINDOW_LINES:
                gap = 0
            else:
                continue
            rank = (gap, abs(line - num[i]))
            if best is None or rank < best[0]:
                best = (rank, m)
        if best is None:
            outcome[i] = _ORPHTS
        else:
            out[best[1]] = ns
            outcome[i] = _STAMP
            stamps.append((i, best[1]))
    return out


@dataclass
class _Decoded:
    parsed: _Parsed
    pos_rows: np.ndarray  # message indices of decodable position reports
    pos: dict[str, np.ndarray]
    statics: pd.DataFrame


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a big file makes hundreds of thousands of small
    objects and none of them cycles, so collections would only rescan them (10-20 % of the
    time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _decode(path: str | Path) -> _Decoded:
    with _gc_paused():
        return _decode_all(path)


def _decode_all(path: str | Path) -> _Decoded:
    return decode_parsed(_scan(Path(path)))


def decode_parsed(parsed: _Parsed) -> _Decoded:
    """Decode the payloads of scanned lines; every line's outcome is then final."""
    pb, msgs, outcome = parsed.pb, parsed.msgs, parsed.outcome
    n = len(msgs.line)
    kind = pb.msg_type
    status = np.full(n, _OTHER, dtype=np.int8)
    status[(kind < 1) | (kind > ap.MAX_TYPE)] = _UNSUP
    is_pos = np.isin(kind, list(ap.POSITION_TYPES))
    status[is_pos & (pb.bits < ap.min_bits(kind))] = _TRUNC
    status[pb.length == 0] = _TRUNC
    status[pb.invalid] = _BADPAY
    pos_rows = np.flatnonzero(is_pos & (status == _OTHER))
    status[pos_rows] = _FIX
    pos = ap.decode_positions(pb, pos_rows)
    untimed = parsed.time_ns[pos_rows] == NO_TIME
    status[pos_rows[untimed]] = _NOTIME

    # Static rows: types 5 and 24, and type 19 (whose line counts as a fix: it also gives a
    # name, type and dimensions).
    static_rows = np.flatnonzero(np.isin(kind, list(ap.STATIC_TYPES)) & (status == _OTHER))
    rows19 = pos_rows[kind[pos_rows] == 19]
    both = np.concatenate([static_rows, rows19])
    s_status, s_cols = ap.decode_statics(pb, both)
    head = len(static_rows)
    status[static_rows] = np.select(
        [s_status[:head] == 0, s_status[:head] == 1], [_STATIC, _TRUNC], _BADPAY
    )
    good = np.flatnonzero(s_status == 0)
    statics = _statics_frame(
        {name: _take(values, good) for name, values in s_cols.items()},
        parsed.time_ns[both[good]],
        msgs.line[both[good]] + 1,
    )

    # Every line of a message gets the message's outcome; accepted multipart messages count
    # their earlier parts as fragments.
    outcome[msgs.line] = status
    multi = msgs.multipart()
    if len(multi):
        parts = [msgs.earlier[m] for m in multi.tolist()]
        lines = np.fromiter(chain.from_iterable(parts), dtype=np.int64)
        s = status[multi]
        s = np.where(_ACCEPTED_CODES[s], np.int8(_FRAGMENT), s)
        outcome[lines] = np.repeat(s, np.fromiter(map(len, parts), np.int64, len(parts)))
    return _Decoded(parsed, pos_rows, pos, statics)


def _take(values: Any, idx: np.ndarray) -> Any:
    if isinstance(values, list):
        return [values[k] for k in idx.tolist()]
    return values[idx]


def _statics_frame(cols: dict[str, Any], time_ns: np.ndarray, line: np.ndarray) -> pd.DataFrame:
    """The statics table (``STATIC_COLUMNS``) from decoded columns, sorted by line."""
    frame = pd.DataFrame(
        {
            "mmsi": np.asarray(cols["mmsi"]).astype("uint32"),
            "time": _utc(time_ns),
            "imo": pd.array(np.asarray(cols["imo"]), dtype="Int64"),
            "name": pd.Series(cols["name"], dtype=object),
            "callsign": pd.Series(cols["callsign"], dtype=object),
            "ship_type": pd.array(np.asarray(cols["ship_type"]), dtype="Int64"),
            "length_m": np.asarray(cols["length_m"], dtype=np.float64),
            "width_m": np.asarray(cols["width_m"], dtype=np.float64),
            "destination": pd.Series(cols["destination"], dtype=object),
            "line": np.asarray(line, dtype=np.int64),
        },
        columns=list(STATIC_COLUMNS),
    )
    frame.loc[frame["imo"] < 0, "imo"] = pd.NA
    frame.loc[frame["ship_type"] < 0, "ship_type"] = pd.NA
    return frame.sort_values("line", kind="stable", ignore_index=True)


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 ns (NO_TIME = numpy's NaT bit pattern) as UTC datetimes, without float rounding."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize(
        "UTC"
    )


def _tally(outcome: np.ndarray) -> LineTally:
    tally = LineTally()
    assert not (outcome == 0).any(), "every line must have an outcome"
    counts = np.bincount(outcome, minlength=len(_OUTCOMES))
    for code, name in enumerate(_OUTCOMES):
        if code == 0 or counts[code] == 0:
            continue
        if name in _ACCEPTED:
            tally.accept(name, int(counts[code]))
        else:
            tally.rejected[name] += int(counts[code])
            first = np.flatnonzero(outcome == code)[:FIRST_LINES_KEPT] + 1
            tally.first_lines[name] = [int(x) for x in first]
    return tally


def read_nmea(path: str | Path, data: bytes | None = None,
              notes: list[str] | None = None) -> RawRead:  # fmt: skip
    """Read an NMEA 0183 AIS file (plain or gzip) into position and static records.

    Bytes are read as latin-1, so no byte stops the read; a gzip file is recognised by its
    magic bytes whatever its name, and a truncated one keeps what decompressed (with a note).

    Sentences: ``!xxVDM`` and ``!xxVDO`` with any two-character talker (``AI``, ``BS``, ``AB``,
    ``--``, ``=I`` ...), optionally preceded by an NMEA 4.10 tag block ``\\...*hh\\`` and/or a
    leading time stamp, optionally followed by fields after the checksum. VDO (own ship) is
    decoded like VDM and noted. Signal K's 8-field VDM (an extra ``,0`` before the checksum,
    empty channel) is read: the payload is field 6 and the fill bits field 7, as usual.

    Multipart messages are joined by the tag-block group (``g:<n>-<m>-<id>`` or NMEA 4.0
    ``<n>G<m>:<id>``) when the sentence has one, so halves need not be adjacent; otherwise by
    talker, sequence id and channel. Parts must come in order; a part that never completes a
    message, or a part out of order, is ``orphan_fragment`` (every line of it).

    Time of a message, first source found:

    1. tag block ``c:`` (Unix seconds; values above 1e11 are milliseconds, since 1e11 s is
       the year 5138 and 1e11 ms is 1973);
    2. a Gatehouse ``$PGHP,1,yyyy,mm,dd,HH,MM,SS,ms,...`` line, matched as ``_match_pghp``
       describes (normally the line just before the sentence);
    3. the LAST comma field after the checksum, when it is an epoch (seconds, or ms above
       1e11). USCG N-AIS writes ``...*hh,s..,d..,T..,x..,r<station>,<epoch>`` and some of its
       files two epochs at the end (``,1325394060,1325394001``). The format was never
       standardised; libais's ``ais/uscg.py``, the reference reader of these files, says the
       timestamp "is a UNIX UTC seconds from the epoch value and must come last", so the
       last field is the one used. AMSA writes one epoch field (seconds, or ms in the
       exactEarth files);
    4. a stamp before the sentence on the same line (epoch s/ms, or ISO 8601; naive = UTC).

    Epochs outside 1980..2100 are not times. A position report with no time is decoded
    (see ``decode_messages``) but is not a fix: its lines count ``no_timestamp``. Static
    messages without a time are kept with ``time`` NaT.

    Checksums: the sentence checksum (XOR between ``!`` and ``*``) must match, else the line
    is ``bad_checksum``. Tag-block checksums are NOT enforced: feeds such as AMSA's write a
    wrong one on every tag block, while the sentence checksum still protects the payload, so
    a tag block is used whenever its sentence is valid; the count of wrong tag-block
    checksums goes to ``notes``.

    Every physical line of the file (split on ``\\n``; blank lines included) is counted once
    in ``tally``, so ``tally.total == lines``:

    - ``fix``: completed a timed position report (types 1, 2, 3, 18, 19, 27);
    - ``static``: completed a type 5 or 24 (part A or B) message; type 19 reports also add a
      static row but count as ``fix``;
    - ``fragment``: an earlier part of an accepted multipart message;
    - ``timestamp``: a $PGHP line, or a line holding only a tag block, that was used (a tag
      block alone on a line is applied to the sentence on the next line, as DMA AisLib does,
      when that sentence has no tag block of its own);
    - ``other_ais``: a valid message of another type 1..27 (base stations, binary, ...);
    - ``not_ais``: blank lines, ``#`` comments, other ``$``/``!`` sentences, junk;
    - ``truncated``: a VDM/VDO line cut before its checksum, an empty payload, or a payload
      too short for the fields read from its type;
    - ``bad_payload``: a valid checksum around a sentence with fewer than 7 fields, part
      count/number fields that are not numbers (or a part number above the count), a
      payload with characters outside the 6-bit armour, a fill-bit count outside 0..5, or a
      type 24 whose part number is neither A (0) nor B (1);
    - ``unsupported_type``: message type 0 or 28..63 (not defined by ITU-R M.1371-5);
    - ``orphan_fragment``, ``no_timestamp``, ``bad_checksum`` as above;
    - ``orphan_timestamp``: a $PGHP line or lone tag block that stamped no sentence.

    MMSI and position validity and duplicates are not judged here (the shared cleaning
    step does that); sentinels (lat 91, lon 181, SOG 102.3, COG 360, heading 511) are left in.
    """
    if data is None:
        decoded = _decode(path)
    else:  # the text already read (and guarded: ``limits.guarded_pieces``)
        with _gc_paused():
            decoded = decode_parsed(scan_lines(data, str(path), list(notes or [])))
    parsed = decoded.parsed
    raw = raw_records(decoded, parsed.numbers)
    raw.tally = _tally(parsed.outcome)
    return raw


def raw_records(decoded: _Decoded, numbers: np.ndarray) -> RawRead:
    """The timed position records and the static records of decoded lines, numbered by
    ``numbers`` (0-based line in the file of each line read), in line order. The tally is
    left empty."""
    parsed = decoded.parsed
    return RawRead(
        path=parsed.path,
        format="nmea",
        lines=parsed.lines,
        positions=pd.DataFrame(position_columns(decoded, numbers), columns=list(POSITION_COLUMNS)),
        statics=static_records(decoded, numbers),
        tally=LineTally(),
        notes=parsed.notes,
    )


def position_columns(decoded: _Decoded, numbers: np.ndarray) -> dict[str, np.ndarray]:
    """``raw_records``'s positions as plain arrays (``POSITION_COLUMNS``), in line order: the
    streamed reading stores them without a DataFrame in between."""
    parsed = decoded.parsed
    timed = parsed.time_ns[decoded.pos_rows] != NO_TIME
    order = np.flatnonzero(timed)
    order = order[np.argsort(parsed.msgs.line[decoded.pos_rows[order]], kind="stable")]
    rows = decoded.pos_rows[order]
    pos = {k: v[order] for k, v in decoded.pos.items()}
    return {
        "mmsi": pos["mmsi"].astype(np.uint32),
        "time": parsed.time_ns[rows],
        "lat": pos["lat"],
        "lon": pos["lon"],
        "sog_kn": pos["sog_kn"],
        "cog_deg": pos["cog_deg"],
        "heading_deg": pos["heading_deg"],
        "nav_status": pos["nav_status"],
        "line": numbers[np.asarray(parsed.msgs.line, dtype=np.int64)[rows]] + 1,
    }


def static_records(decoded: _Decoded, numbers: np.ndarray) -> pd.DataFrame:
    """``raw_records``'s static records (``STATIC_COLUMNS``), numbered by ``numbers``."""
    statics = decoded.statics
    if len(statics):
        statics = statics.copy()
        statics["line"] = numbers[statics["line"].to_numpy(np.int64) - 1] + 1
    return statics


def decode_messages(path: str | Path) -> pd.DataFrame:
    """Every decodable position report of the file, timed or not, one row per message.

    Columns: ``msg_type``, ``mmsi``, ``time`` (datetime64 UTC, NaT when untimed), ``lat``,
    ``lon``, ``sog_kn``, ``cog_deg``, ``heading_deg``, ``nav_status`` (raw decoded values,
    sentinels kept), ``line`` (1-based line that completed the message), ``own_ship`` (VDO).
    For comparing the decoder with others at the message level.
    """
    decoded = _decode(path)
    parsed = decoded.parsed
    order = np.argsort(parsed.msgs.line[decoded.pos_rows], kind="stable")
    rows = decoded.pos_rows[order]
    decoded.pos = {k: v[order] for k, v in decoded.pos.items()}
    times = parsed.time_ns[rows]
    return pd.DataFrame(
        {
            "msg_type": parsed.pb.msg_type[rows],
            "mmsi": decoded.pos["mmsi"],
            "time": _utc(times),
            "lat": decoded.pos["lat"],
            "lon": decoded.pos["lon"],
            "sog_kn": decoded.pos["sog_kn"],
            "cog_deg": decoded.pos["cog_deg"],
            "heading_deg": decoded.pos["heading_deg"],
            "nav_status": decoded.pos["nav_status"],
            "line": np.asarray(parsed.msgs.line, dtype=np.int64)[rows] + 1,
            "own_ship": np.asarray(parsed.msgs.own_ship, dtype=bool)[rows],
        }
    )
