"""One accessor for the bundled resources, wherever the program runs from.

The files live in the top-level ``resources/`` folder of the checkout. A wheel carries the same
folder as ``desktop/_resources`` (see ``force-include`` in pyproject.toml) and a PyInstaller
bundle unpacks it under ``sys._MEIPASS/resources``. ``EXPOSURE_RESOURCES`` overrides all three,
for development against another copy.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from desktop.core.errors import ResourceError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _candidates() -> list[Path]:
    found: list[Path] = []
    override = os.environ.get("EXPOSURE_RESOURCES")
    if override:
        found.append(Path(override))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(_PACKAGE_DIR / "_resources")  # installed wheel
    found.append(_PACKAGE_DIR.parent / "resources")  # checkout or editable install
    return found


@cache
def resources_root() -> Path:
    """The folder holding the bundled resources (zones, basemap, ports, icons)."""
    for candidate in _candidates():
        if (candidate / "README.md").is_file():
            return candidate
    tried = ", ".join(str(c) for c in _candidates())
    raise ResourceError(f"bundled resources not found (looked in {tried})")


def resource_path(relative: str) -> Path:
    """The path of one bundled file, e.g. ``resource_path("zones/kp_ports.geojson")``.

    Raises ResourceError naming the file when this installation lacks it.
    """
    path = resources_root() / relative
    if not path.exists():
        raise ResourceError(f"bundled resource missing: {relative} (under {resources_root()})")
    return path


SAMPLE_TRACKS_FILE = "sample_2026.nmea.gz"


def sample_tracks() -> Path | None:
    """The demo scenario the app opens when no file is given, or None if not installed.

    The NMEA version only: the CSV beside it in ``sample_tracks/`` carries the same traffic, and
    opening both would count every fix of the second as a duplicate. A wheel and the PyInstaller
    bundle carry the file too (pyproject.toml ``force-include``, installer/exposure.spec).
    """
    root = resources_root()
    for folder in (root / "sample_tracks", root.parent / "sample_tracks"):
        if (folder / SAMPLE_TRACKS_FILE).is_file():
            return folder / SAMPLE_TRACKS_FILE
    return None


USER_GUIDE_FILE = "README.md"


def user_guide_path() -> Path:
    """The project README, whose first part is the user guide (Help > User guide).

    A wheel and the PyInstaller bundle carry it as ``docs/README.md`` among the resources
    (pyproject.toml ``force-include``, installer/exposure.spec); a checkout has it beside
    ``resources/``. Raises ResourceError when this installation has none.
    """
    root = resources_root()
    for path in (root / "docs" / USER_GUIDE_FILE, root.parent / USER_GUIDE_FILE):
        if path.is_file():
            return path
    raise ResourceError(f"user guide missing: {USER_GUIDE_FILE} (under {root})")
