"""Which reader a file needs, decided from its content; folders expanded to their track files.

Detection reads the first bytes (after transparent gunzip) and never trusts the extension alone,
except to tell a GeoPackage (an SQLite file) from any other SQLite file:

- ``PAR1`` magic: Parquet; ``geoparquet`` when the file metadata carries the ``geo`` key.
- ``SQLite format 3`` magic with a ``.gpkg`` name: GeoPackage.
- A first meaningful line that is a CSV header naming the fix columns: ``csv-noaa``
  (MarineCadastre header), ``csv-dma`` (``# Timestamp,Type of mobile,MMSI,...``) or ``csv``
  (any header mapping to mmsi, time, lat, lon through ``columns.ALIASES``).
- A comma-separated first line that does not map (a CSV of something else): ``csv`` too; the
  reader then rejects every line as ``no_fix_columns`` and says which columns are missing.
- Anything else is ``nmea``: the NMEA reader counts whatever is not AIS line by line
  (``!``/``\\``/``$PGHP`` lines, leading timestamps, comments and junk all go there).
- Binary content that is none of the above is ``unknown``: every line is rejected as ``not_ais``.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from desktop.core.errors import InputError
from desktop.core.ingest.columns import guess_delimiter, header_fields, map_header

GZIP_MAGIC: Final = b"\x1f\x8b"
PARQUET_MAGIC: Final = b"PAR1"
SQLITE_MAGIC: Final = b"SQLite format 3\x00"
NOAA_HEADER_START: Final = ("mmsi", "basedatetime", "lat", "lon")
DMA_HEADER_START: Final = ("# timestamp", "type of mobile", "mmsi")

# Files a folder holds beside its tracks: licences, documentation, code, expected decodes.
_SKIP_NAMES: Final = ("readme", "license", "licence", "copying", "notice", "authors")
_SKIP_SUFFIXES: Final = (
    ".md", ".rst", ".py", ".pyc", ".json", ".geojson", ".chk", ".html", ".pdf", ".png", ".jpg",
)  # fmt: skip


def is_track_file(path: Path) -> bool:
    """Whether a file found inside a folder is worth reading as track data."""
    name = path.name.lower()
    if name.startswith(".") or name.startswith(_SKIP_NAMES):
        return False
    return not name.endswith(_SKIP_SUFFIXES)


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, folders replaced by their track files (recursively, sorted by path).

    Raises ``InputError`` naming the path when it does not exist, cannot be read, or is a
    folder with no track file in it (almost always the wrong folder).
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and is_track_file(p)
                # Hidden folders (.git, .venv) and caches hold no tracks.
                and not any(
                    part.startswith(".") or part == "__pycache__"
                    for part in p.relative_to(path).parts[:-1]
                )
            )
            if not found:
                raise InputError(f"{path}: no track files in this folder")
            out.extend(found)
        elif path.is_file():
            if not os.access(path, os.R_OK):
                raise InputError(f"{path}: cannot read the file (permission denied)")
            out.append(path)
        elif path.exists():
            raise InputError(f"{path}: not a regular file or folder")
        else:
            raise InputError(f"{path}: no such file or folder")
    return out


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it starts with the gzip magic.

    A truncated or corrupt gzip stream gives the bytes that could be recovered (content errors
    never raise); an unreadable file raises ``InputError``.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        # Keep whatever decompresses: a truncated download still has its first lines.
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            return inflater.decompress(data)
        except zlib.error:
            return b""


def _first_line(data: bytes) -> str:
    for raw in data[:65536].splitlines():
        line = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
        if line:
            return line
    return ""


def sniff(path: Path, head: bytes) -> str:
    """The format name of a file from its first bytes (already gunzipped) and its name."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"  # the reader refines it to geoparquet from the metadata
    if head.startswith(SQLITE_MAGIC):
        return "gpkg" if path.name.lower().removesuffix(".gz").endswith(".gpkg") else "unknown"
    line = _first_line(head)
    if line[:1] in ("!", "\\", "$"):
        return "nmea"
    fields = header_fields(line, guess_delimiter(line))
    lowered = tuple(f.lower() for f in fields)
    if lowered[: len(DMA_HEADER_START)] == DMA_HEADER_START:
        return "csv-dma"
    if lowered[: len(NOAA_HEADER_START)] == NOAA_HEADER_START:
        return "csv-noaa"
    if len(fields) >= 3 and not any(tag in line for tag in ("VDM", "VDO")):
        mapping = map_header(fields)
        if {"mmsi", "time", "lat", "lon"} <= mapping.keys():
            return "csv"
        # NUL bytes are binary content, whatever separator splits its first line.
        if not _looks_like_nmea_with_prefix(head) and b"\x00" not in head[:4096]:
            return "csv"
    if b"\x00" in head[:4096]:
        return "unknown"
    return "nmea"


def _looks_like_nmea_with_prefix(head: bytes) -> bool:
    """Leading-timestamp NMEA (``2020-01-01T00:00:00Z,!AIVDM,...``) is not a CSV table."""
    sample = head[:65536]
    return b"!" in sample and (b"VDM" in sample or b"VDO" in sample)


def expand_arguments(paths: Sequence[str | Path], failed: list[tuple[str, str]]) -> list[Path]:
    """The track files named by command-line arguments (files, folders, glob patterns), each
    once. Each argument on its own, so that one bad argument fails alone: it goes to
    ``failed`` as (argument, reason)."""
    import glob

    out: list[Path] = []
    for raw in paths:
        text = str(raw)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not matches:
            failed.append((text, "no file matches this pattern"))
            continue
        for one in matches:
            try:
                out.extend(expand_paths([one]))
            except InputError as exc:
                failed.append((one, reason_of(exc, one)))
    seen: set[Path] = set()
    unique = []
    for path in out:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def reason_of(exc: BaseException, path: str) -> str:
    """An error's message without the path it starts with."""
    text = str(exc)
    prefix = f"{path}: "
    return text[len(prefix):] if text.startswith(prefix) else text
