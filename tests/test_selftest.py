"""`exposure --self-test`: its expected table is the README's, its checks fail when they should."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from desktop.core.selftest import (
    EXPECTED_FILE,
    CheckFailed,
    captured_stderr,
    compare_verdicts,
    expected_verdicts,
    run_check,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_tracks"


def _readme_table() -> dict[int, tuple[str, str]]:
    text = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("## Expected verdicts as of 2026-11-01T00:00:00Z")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        if re.match(r"\| \d{9} \|", line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[int(cells[0])] = (cells[2], "" if cells[3] == "-" else cells[3])
    return rows


def test_expected_table_is_the_sample_readmes_table():
    readme = _readme_table()
    assert len(readme) == 47
    assert expected_verdicts(ROOT / "desktop" / "core" / EXPECTED_FILE) == readme


def test_expected_table_rows_read_exactly():
    table = expected_verdicts(ROOT / "desktop" / "core" / EXPECTED_FILE)
    assert table[273318807] == ("barred", "2027-03-16T18:00:00Z")
    assert table[445021500] == ("review", "")
    assert table[636120020] == ("clear", "")


def test_compare_verdicts_names_each_difference_and_extra_vessel():
    expected = {1: ("barred", "2027-01-01T00:00:00Z"), 2: ("clear", "")}
    found = {1: ("review", ""), 3: ("clear", "")}
    assert compare_verdicts(found, expected) == [
        "1: ('review', '') expected ('barred', '2027-01-01T00:00:00Z')",
        "2: ('missing', '') expected ('clear', '')",
        "3: not in the expected table",
    ]
    assert compare_verdicts(expected, expected) == []


def test_run_check_turns_failures_into_one_line_each():
    def fails() -> str:
        raise CheckFailed("2 verdicts differ")

    def crashes() -> str:
        raise KeyError("x")

    assert run_check("sample", lambda: "44 vessels").line() == "ok   sample: 44 vessels"
    assert run_check("sample", fails).line() == "FAIL sample: 2 verdicts differ"
    assert run_check("zones", crashes).line() == "FAIL zones: KeyError: 'x'"


def test_a_message_of_several_lines_becomes_its_first_and_last_line():
    def numpy_broken() -> str:
        raise ImportError("\n\nIMPORTANT: PLEASE READ THIS\n\nadvice\n\n"
                          "Original error was: libscipy_openblas64_.so: not page-aligned\n")

    assert run_check("resources", numpy_broken).line() == (
        "FAIL resources: ImportError: ... Original error was: libscipy_openblas64_.so: "
        "not page-aligned")


def test_captured_stderr_holds_what_c_code_writes_to_descriptor_2():
    with captured_stderr() as printed:
        os.write(2, b"Warning 1: GDAL_DATA not found\n")
    assert printed == ["Warning 1: GDAL_DATA not found\n"]


def test_resources_check_fails_naming_a_missing_file(tmp_path):
    copy = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", copy)
    (copy / "ports" / "ports.csv").unlink()
    code = ("from desktop.core.selftest import run_check, check_resources; "
            "print(run_check('resources', check_resources).line())")
    env = {**os.environ, "EXPOSURE_RESOURCES": str(copy), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out == (f"FAIL resources: ResourceError: bundled resource missing: ports/ports.csv "
                   f"(under {copy})\n")


def test_self_test_in_the_venv_prints_one_line_per_check_and_passes(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    run = subprocess.run([sys.executable, "-m", "desktop", "--self-test"], env=env,
                         capture_output=True, text=True, timeout=600)
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert [line.split(":")[0] for line in lines[1:]] == [
        "ok   resources", "ok   sample verdicts", "ok   GeoPackage", "ok   main window",
        "ok   worker process", "self-test passed"]
    assert lines[2] == (
        "ok   sample verdicts: 47 vessels as expected on 2026-11-01 (7 barred, 11 review)")
    assert "barred until 2027-03-16T18:00:00Z, no warning" in lines[3]
