"""CPU time of ``nmea_lines.parse`` (the numpy line pass of the NMEA reader) on one file.

Timed two ways, as the readers call it: on the whole file (the whole-file reader), and on
pieces of ``SCAN_BYTES`` (8 MB) cut at line ends, summed (the archive add and the streaming
reader). Process CPU time, best and median of ``--rounds``; the machine is shared, so compare
runs by ratios taken in one process (e.g. against a copy of an older ``nmea_lines.py`` given
with ``--against``, loaded from outside the package).

    .venv/bin/python benchmarks/bench_nmea_lines.py FILE [--rounds 5] [--against OLD.py]

The archive benchmark's text file is ``/tmp/bench_archive_text/nmea-1000000.nmea``
(``make_bench_archive.py``: 1 M tag-blocked lines, 65 MB).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

from desktop.core.ingest import nmea_lines
from desktop.core.ingest.stream import SCAN_BYTES


def pieces_of(data: bytes, size: int = SCAN_BYTES) -> list[bytes]:
    """``data`` cut into pieces of at most ``size`` bytes at line ends."""
    out, at = [], 0
    while at < len(data):
        cut = len(data) if at + size >= len(data) else data.rfind(b"\n", at, at + size) + 1
        cut = cut if cut > at else min(len(data), at + size)
        out.append(data[at:cut])
        at = cut
    return out


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nmea_lines_against", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def cpu(parse: object, parts: list[bytes]) -> float:
    start = time.process_time()
    for part in parts:
        parse(part)  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--against", help="an older nmea_lines.py to time in the same rounds")
    args = ap.parse_args()
    data = Path(args.file).read_bytes()
    ways = {"whole": [data], "pieces": pieces_of(data)}
    modules = {"current": nmea_lines}
    if args.against:
        modules["against"] = load(args.against)
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):  # alternate, so load on the machine falls on both alike
        for way, parts in ways.items():
            for name, module in modules.items():
                times.setdefault((name, way), []).append(cpu(module.parse, parts))
    print(f"{args.file}: {len(data) / 1e6:.1f} MB, {len(ways['pieces'])} pieces")
    for way in ways:
        for name in modules:
            got = times[(name, way)]
            best, median = min(got), statistics.median(got)
            print(f"  {way:6s} {name:8s} best {best:.3f} s  median {median:.3f} s")
        if args.against:
            old, new = times[("against", way)], times[("current", way)]
            ratios = sorted(a / b for a, b in zip(old, new, strict=True))
            print(f"  {way:6s} against/current per round: {', '.join(f'{r:.2f}' for r in ratios)}"
                  f" (median {statistics.median(ratios):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
