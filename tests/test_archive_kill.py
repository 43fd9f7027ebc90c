"""SIGKILL at any moment of ``exposure archive add`` leaves an archive that ``info`` and
``check`` read, holding exactly the files its manifest lists (DESIGN.md §8).

The child is the ``exposure`` command's ``main(["archive", "add", ...])`` in a process forked
from the test: a fresh interpreter would spend most of its life importing pandas, where a kill
tests nothing, and fifty of them would cost minutes."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from datetime import date
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.archive import archive_info, load_for_screening
from desktop.core.ingest import ingest
from desktop.core.screening import screen
from tests.archive_kit import generated_rows

KILLS = 50


def _write_inputs(folder: Path) -> list[Path]:
    """Four small CSV files over overlapping days and vessels (shared fixes included)."""
    rows = generated_rows(seed=3)
    header = "mmsi,timestamp_utc,lat,lon,sog_kn,vessel_name,imo"
    picks = [
        lambda r: r[1].day <= 6,
        lambda r: 5 <= r[1].day <= 12,
        lambda r: r[1].day >= 11 and r[0] % 2 == 0,
        lambda r: r[1].day >= 11,
    ]
    paths = []
    for number, pick in enumerate(picks):
        lines = [header] + [
            f"{m},{t:%Y-%m-%dT%H:%M:%SZ},{lat},{lon},{sog},{name},{imo}"
            for m, t, lat, lon, sog, name, imo in rows if pick((m, t))
        ]
        path = folder / f"feed_{number}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _keys(path: Path) -> set[tuple[int, int]]:
    fixes = ingest([path]).fixes
    return set(zip(fixes["mmsi"].astype("int64").tolist(), fixes["time"].array.asi8.tolist(),
                   strict=True))  # fmt: skip


def _start_add(archive: Path, path: Path) -> int:
    """Fork a child running ``exposure archive add ARCHIVE PATH``; its pid."""
    pid = os.fork()
    if pid == 0:  # the child: run the command, never return into pytest
        code = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = main(["archive", "add", str(archive), str(path)])
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, timeout_s: float) -> bool:
    """Whether the child ended by itself within ``timeout_s``."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
        time.sleep(0.005)
    return False


@pytest.mark.slow
def test_sigkill_at_random_moments_of_an_add_leaves_exactly_the_manifest_files(
    tmp_path: Path,
) -> None:
    inputs = _write_inputs(tmp_path)
    keys = {p.name: _keys(p) for p in inputs}
    # How long one add takes here, so that the kills spread over all of it.
    began = time.monotonic()
    assert _wait(_start_add(tmp_path / "probe", inputs[0]), 120.0)
    duration_s = time.monotonic() - began
    rng = random.Random(8)
    archive = tmp_path / "ais"
    outcomes = {"killed": 0, "finished": 0}
    for attempt in range(KILLS):
        manifest_path = archive / "manifest.json"
        present = set()
        if manifest_path.exists():
            present = {f["name"] for f in json.loads(manifest_path.read_text("utf-8"))["files"]}
        if len(present) == len(inputs):  # all in: start again from nothing
            shutil.rmtree(archive)
            present = set()
        path = rng.choice([p for p in inputs if p.name not in present])
        child = _start_add(archive, path)
        # Kill moments spread over a whole add; every tenth add is left to finish, so that adds
        # after a completed one are killed too, however loaded the machine (timing varies).
        limit_s = rng.uniform(0.0, duration_s * 1.1)
        if _wait(child, 120.0 if attempt % 10 == 9 else limit_s):
            outcomes["finished"] += 1
        else:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            outcomes["killed"] += 1
        if not (archive / "archive.json").exists():
            continue  # killed before the archive existed: nothing to read
        info = archive_info(str(archive))
        listed = {f["name"] for f in json.loads(manifest_path.read_text("utf-8"))["files"]} \
            if manifest_path.exists() else set()  # fmt: skip
        assert listed in (present, present | {path.name})
        expected = set().union(*(keys[name] for name in listed)) if listed else set()
        assert info["files"] == len(listed) and info["fixes"] == len(expected)
        data = load_for_screening(str(archive), date(2026, 9, 25), 180)
        got = set(zip(data.fixes["mmsi"].astype("int64").tolist(),
                      data.fixes["time"].array.asi8.tolist(), strict=True))  # fmt: skip
        assert got == expected
        result = screen(data, as_of=date(2026, 9, 25))
        assert len(result.verdicts) == len({m for m, _ in expected})
    assert outcomes["killed"] >= 10 and outcomes["finished"] >= 1, outcomes
