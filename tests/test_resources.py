"""Resources are found through one accessor, in a checkout and in an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from desktop.core import resources
from desktop.core.errors import ResourceError

ROOT = Path(__file__).resolve().parent.parent


def test_checkout_resources_root_is_top_level_folder() -> None:
    assert resources.resources_root() == ROOT / "resources"


def test_missing_resource_names_the_file() -> None:
    with pytest.raises(ResourceError, match="no/such.file"):
        resources.resource_path("no/such.file")


def test_wheel_carries_resources_and_accessor_finds_them(tmp_path: Path) -> None:
    # Build the real wheel, unpack it beside nothing else, and ask the accessor from there.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("maritime_exposure-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "desktop/_resources/README.md" in names
        assert "desktop/_resources/sample_tracks/sample_2026.nmea.gz" in names
        assert "desktop/_resources/docs/README.md" in names
        zf.extractall(tmp_path / "site")
    code = (
        "from desktop.core.resources import resources_root, sample_tracks, user_guide_path; "
        "print(resources_root()); print(sample_tracks()); print(user_guide_path())"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=tmp_path / "site", env={"PYTHONPATH": str(tmp_path / "site")},
                           timeout=120)
    assert found.returncode == 0, found.stderr
    root, sample, guide = found.stdout.split()
    assert Path(root) == tmp_path / "site" / "desktop" / "_resources"
    assert Path(sample) == Path(root) / "sample_tracks" / "sample_2026.nmea.gz"
    assert Path(guide).read_bytes() == (ROOT / "README.md").read_bytes()


def test_checkout_user_guide_is_the_project_readme() -> None:
    assert resources.user_guide_path() == ROOT / "README.md"


def test_checkout_sample_is_the_nmea_file_only() -> None:
    # Only the NMEA version: the CSV beside it carries the same traffic (all duplicates).
    assert resources.sample_tracks() == ROOT / "sample_tracks" / "sample_2026.nmea.gz"
