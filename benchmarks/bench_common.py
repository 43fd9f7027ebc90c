"""What the benchmarks share: memory of this process, the machine line of a report, a
measurement in a child process, pyais decoding (the peer of the NMEA readers) and writing a
script's own section of ``RESULTS.md``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def status_mb(key: str = "VmRSS") -> float:
    """A memory line of ``/proc/self/status`` in MB: ``VmRSS`` now, ``VmHWM`` the peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def machine(extra: str = "") -> str:
    """Cores, CPU model, Python (and ``extra`` versions), and the load average right now."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    versions = f"Python {platform.python_version()}" + (f", {extra}" if extra else "")
    return (
        f"{os.cpu_count()} cores (nproc), {model}; {versions}; "
        f"load average at start {os.getloadavg()[0]:.2f} (machine shared with other work)"
    )


def run_child(script: str, *args: str) -> dict:
    """Run ``script --child ARGS`` in a fresh process (our code importable) and return the JSON
    of its last output line."""
    out = subprocess.run(
        [sys.executable, script, "--child", *args],
        check=True, capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def pyais_decode(path: str) -> tuple[int, int]:
    """pyais ``FileReaderStream`` + ``decode()`` on every message: (decoded, errors)."""
    from pyais.stream import FileReaderStream

    count = errors = 0
    for message in FileReaderStream(path):
        try:
            message.decode()
            count += 1
        except Exception:  # noqa: BLE001 - count what decodes, as a loop would
            errors += 1
    return count, errors


def write_section(start: str, end: str, text: str) -> None:
    """Put ``text`` between the markers ``start`` and ``end`` of RESULTS.md (replacing what
    was there), or at the end when the markers are not there yet."""
    section = f"{start}\n{text.rstrip()}\n{end}\n"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        RESULTS.write_text(head + section + ("\n" + tail if tail else ""), encoding="utf-8")
    else:
        RESULTS.write_text(current.rstrip() + "\n\n" + section, encoding="utf-8")
