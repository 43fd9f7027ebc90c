"""Column names and cell values of tabular AIS exports (CSV, Parquet, GeoPackage).

Headers map to the fix and static columns through case-insensitive aliases (spaces, ``_`` and a
leading ``#`` are ignored, so ``# Timestamp`` and ``Navigational status`` match). The first
alias in each list wins when a file has several (AMSA's exports carry both ``nav_status`` and
``nav_status_code``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from typing import Final

import numpy as np

from desktop.core.lazy import pandas as pd

ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "mmsi": ("mmsi", "userid", "user_id"),
    "time": (
        "time", "timestamp", "timestamp_utc", "time_utc", "basedatetime", "base_date_time",
        "datetime",
        "date_time", "utc",
    ),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "sog_kn": ("sog", "sog_kn", "speed", "speed_kn", "speed_knots"),
    "cog_deg": ("cog", "cog_deg", "course", "course_deg"),
    "heading_deg": ("heading", "heading_deg", "true_heading", "hdg"),
    "nav_status": (
        "nav_status", "navstatus", "navigational_status", "status", "nav_status_code",
    ),
    "imo": ("imo", "imo_number", "imonumber"),
    "name": ("vesselname", "vessel_name", "name", "shipname", "ship_name"),
    "callsign": ("callsign", "call_sign"),
    "ship_type": ("vesseltype", "vessel_type", "ship_type", "shiptype", "shipandcargotype"),
    "length_m": ("length", "length_m"),
    "width_m": ("width", "width_m", "beam", "beam_m"),
    "destination": ("destination",),
}  # fmt: skip

REQUIRED: Final = ("mmsi", "time", "lat", "lon")

# Text a DMA export (or any CSV) writes where a value is absent.
_MISSING_TEXT: Final = {"", "unknown", "undefined", "n/a", "na", "nan", "none", "null", "-"}


def normalise(header: str) -> str:
    """``'# Navigational status '`` -> ``'navigational_status'``."""
    text = header.strip().lstrip("\ufeff").lstrip("#").strip().lower()
    return re.sub(r"[\s_]+", "_", text)


def header_fields(line: str, delimiter: str = ",") -> list[str]:
    """The fields of one CSV line (quotes honoured)."""
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


DELIMITERS: Final = (",", ";", "\t")


def guess_delimiter(line: str) -> str:
    """The separator of a CSV header line: the one (comma, semicolon, tab) whose fields name
    the most of mmsi, time, lat and lon, then the one giving the most fields; comma on a tie
    (European spreadsheets write semicolons, some tools tabs)."""
    best = ","
    best_score = (-1, -1)
    for delimiter in DELIMITERS:
        fields = header_fields(line, delimiter)
        score = (len(map_header(fields).keys() & set(REQUIRED)), len(fields))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def map_header(fields: Sequence[str]) -> dict[str, str]:
    """Canonical column -> the header field that carries it (absent when none matches)."""
    by_norm: dict[str, str] = {}
    for name in fields:
        by_norm.setdefault(normalise(name), name)
    mapping: dict[str, str] = {}
    for canonical, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_norm and by_norm[alias] not in mapping.values():
                mapping[canonical] = by_norm[alias]
                break
    return mapping


def text_or_none(values: pd.Series) -> np.ndarray:
    """Strings stripped of AIS ``@`` padding and spaces; absent markers become None."""
    series = values.astype("string").str.replace("@", "", regex=False).str.strip()
    out = series.to_numpy(dtype=object, na_value=None)
    lowered = series.str.lower()
    out[lowered.isin(_MISSING_TEXT).to_numpy(dtype=bool, na_value=True)] = None
    return out


def object_column(values: np.ndarray | None, n: int) -> pd.Series:
    """A text column kept as object with None (pandas 3 would infer its ``str`` dtype)."""
    if values is None:
        return pd.Series([None] * n, dtype=object)
    return pd.Series(values, dtype=object)


def dimensions_m(values: pd.Series) -> np.ndarray:
    """Lengths/widths in metres; 0 is AIS's "not available" and becomes NaN."""
    out = numbers(values)
    out[~(out > 0)] = np.nan
    return out


def imo_numbers(values: pd.Series) -> pd.arrays.IntegerArray:
    """IMO numbers as Int64: ``IMO8207721`` and ``8207721`` -> 8207721; outside 1000000..9999999
    (AIS sends 0 and junk) -> <NA>."""
    if values.dtype.kind in "iuf":
        numbers = pd.to_numeric(values, errors="coerce")
    else:
        text = values.astype("string").str.strip().str.upper().str.removeprefix("IMO").str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
    arr = pd.array(numbers, dtype="Float64")
    arr[(arr < 1_000_000) | (arr > 9_999_999)] = pd.NA
    return arr.round().astype("Int64")


# ITU-R M.1371-5 table 45 navigational status, by the words exports write for it.
_NAV_STATUS_WORDS: Final = (
    ("under way using engine", 0),
    ("at anchor", 1),
    ("not under command", 2),
    ("restricted man", 3),  # "manoeuvrability", "maneuverability", "manoeuverability"
    ("constrained by", 4),
    ("moored", 5),
    ("aground", 6),
    ("engaged in fishing", 7),
    ("fishing", 7),
    ("under way sailing", 8),
    ("sailing", 8),
    ("hsc", 9),
    ("wig", 10),
    ("towing astern", 11),
    ("pushing ahead", 12),
    ("towing alongside", 12),
    ("reserved for future use", 13),
    ("ais-sart", 14),
    ("sart", 14),
    ("not defined", 15),
    ("unknown", 15),
    ("undefined", 15),
)


def _code_from_text(text: str, words_to_code: tuple[tuple[str, int], ...]) -> float:
    """A numeric code written as a number, or as words that name it (first match), else NaN."""
    lowered = text.strip().lower()
    if not lowered:
        return np.nan
    try:
        return float(lowered)
    except ValueError:
        pass
    for words, code in words_to_code:
        if words in lowered:
            return float(code)
    return np.nan


def nav_status_codes(values: pd.Series) -> np.ndarray:
    """Navigational status 0..15 as float (NaN when absent), from codes or from text."""
    if values.dtype.kind in "iuf":
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    text = values.astype("string")
    uniques = text.dropna().unique()
    table = {value: _code_from_text(value, _NAV_STATUS_WORDS) for value in uniques}
    return text.map(table).to_numpy(dtype="float64", na_value=np.nan)


# DMA writes the ship type as words; the ITU-R M.1371 first-digit code is what we keep.
_SHIP_TYPE_WORDS: Final = (
    ("wig", 20), ("fishing", 30), ("towing", 31), ("dredging", 33), ("diving", 34),
    ("military", 35), ("sailing", 36), ("pleasure", 37), ("hsc", 40), ("pilot", 50),
    ("sar", 51), ("tug", 52), ("port tender", 53), ("anti-pollution", 54),
    ("law enforcement", 55), ("medical", 58), ("passenger", 60), ("cargo", 70),
    ("tanker", 80), ("other", 90),
)  # fmt: skip


def ship_type_codes(values: pd.Series) -> pd.arrays.IntegerArray:
    """ITU ship and cargo type 0..99 as Int64, from numbers or from DMA's words."""
    if values.dtype.kind in "iuf":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy("float64", na_value=np.nan)
    else:
        text = values.astype("string")
        table = {v: _code_from_text(v, _SHIP_TYPE_WORDS) for v in text.dropna().unique()}
        numbers = text.map(table).to_numpy(dtype="float64", na_value=np.nan)
    arr = pd.array(numbers, dtype="Float64")
    arr[(arr < 0) | (arr > 99)] = pd.NA
    return arr.round().astype("Int64")


def numbers(values: pd.Series) -> np.ndarray:
    """Float64 values (a writable copy); unparseable cells become NaN."""
    out = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return np.array(out, dtype="float64", copy=True)
