"""Wrap the PyInstaller bundle into the release tarball (`make package` runs this after the spec).

Run with the build venv's Python (the one PyInstaller ran in): the licence notices come from the
distributions installed there, through ``importlib.metadata``, for exactly the top-level names
the bundle holds (``build/pyinstaller/exposure/bundled-toplevel.json``, written by the spec).

    .build-venv/bin/python installer/build_package.py [--dist dist] [--work build/pyinstaller]

writes ``dist/maritime-exposure-<version>-linux-x86_64.tar.gz`` and its ``.sha256``, holding:

    maritime-exposure-<version>-linux-x86_64/
      exposure/                   the bundle (exposure/exposure is the program)
      install.sh, uninstall.sh    for the current user, under ~/.local
      share/applications/maritime-exposure.desktop
      share/icons/hicolor/<size>/apps/maritime-exposure.png (and scalable/.svg)
      share/metainfo/maritime-exposure.metainfo.xml
      LICENSE                     the project's (Apache-2.0)
      licenses/DATA-LICENSES.md   the bundled data's sources and licences (resources/README.md)
      licenses/THIRD-PARTY-NOTICES.txt   every bundled distribution: name, version, licence,
                                  and the text of each licence file its metadata carries
      INSTALL.md                  docs/install.md

Every shared library but numpy's OpenBLAS loses its symbol table and debug information
(``strip --strip-unneeded``: about 85 MB; libpython and the standard library's extensions
carry debug information in a pyenv build, the wheels' libraries full symbol tables); nothing
at run time reads either. The
self-test run on the result (tests/test_package.py) shows the stripped libraries still work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop import APP_NAME, __version__  # noqa: E402

APP_ID = "maritime-exposure"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# Shared libraries lose their symbol tables and debug information after the build (see the
# module docstring); the executable keeps its own (PyInstaller appends an archive to it).
STRIP_UNDER = "_internal"
LICENCE_FILE_NAME = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS|COPYRIGHT)", re.IGNORECASE)


def package_name(version: str = __version__) -> str:
    return f"{APP_ID}-{version}-linux-x86_64"


# Libraries that ``strip`` breaks: numpy's OpenBLAS (and its Fortran runtime), rewritten by
# patchelf when auditwheel vendored them, then fail to load ("ELF load command address/offset
# not page-aligned"); found by the self-test. The other vendored libraries strip fine, and the
# self-test exercises each of them (GDAL, PROJ, GEOS) on the stripped bundle.
STRIP_SKIP = ("numpy.libs",)


def strip_libraries(bundle: Path) -> int:
    """``strip --strip-unneeded`` the bundle's ELF shared libraries; returns the bytes saved.

    The dynamic symbol table, which the loader uses, stays: only the symbols kept for
    debuggers and linkers go.
    """
    before = _tree_bytes(bundle)
    libraries = [path for path in sorted((bundle / STRIP_UNDER).rglob("*.so*"))
                 if path.is_file() and not path.is_symlink()
                 and path.parent.name not in STRIP_SKIP
                 and path.open("rb").read(4) == b"\x7fELF"]
    for start in range(0, len(libraries), 200):
        subprocess.run(["strip", "--strip-unneeded", *map(str, libraries[start:start + 200])],
                       check=True)
    return before - _tree_bytes(bundle)


PYOGRIO_PROJ_DB = "_internal/pyogrio/proj_data/proj.db"
PYPROJ_PROJ_DB = "_internal/pyproj/proj_dir/share/proj/proj.db"


def share_proj_db(bundle: Path) -> bool:
    """Make pyproj's proj.db a link to pyogrio's when that one is newer (10 MB saved).

    Both wheels ship PROJ's database for their own PROJ build. A PROJ accepts a database of
    its layout's major version and the same or a newer minor one (PROJ checks
    ``DATABASE.LAYOUT.VERSION``), so the older PROJ can read the newer file, not the reverse.
    """
    newer, older = bundle / PYOGRIO_PROJ_DB, bundle / PYPROJ_PROJ_DB
    if not (newer.is_file() and older.is_file()) or older.is_symlink():
        return False
    if not _layout(older)[0] == _layout(newer)[0] or _layout(newer)[1] < _layout(older)[1]:
        return False
    older.unlink()
    older.symlink_to(os.path.relpath(newer, older.parent))
    return True


def _layout(db: Path) -> tuple[int, int]:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = dict(con.execute(
            "SELECT key, value FROM metadata WHERE key LIKE 'DATABASE.LAYOUT.VERSION.%'"))
    return int(rows["DATABASE.LAYOUT.VERSION.MAJOR"]), int(rows["DATABASE.LAYOUT.VERSION.MINOR"])


def _tree_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def render_icons(svg: Path, png: Path, share: Path) -> None:
    """The hicolor icon sizes, drawn from the SVG with Qt (offscreen), plus the SVG itself."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(["build_package"])  # noqa: F841
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"build_package: Qt cannot draw {svg}")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out), "PNG"):
            raise SystemExit(f"build_package: cannot write {out}")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)


def desktop_entry() -> str:
    """The .desktop file; install.sh replaces @EXEC@ with the installed program's path."""
    return textwrap.dedent(f"""\
        [Desktop Entry]
        Type=Application
        Version=1.5
        Name={APP_NAME}
        GenericName=AIS vessel screening
        Comment=Screen AIS vessel tracks against the US 180-day rule for North Korean port calls
        Exec=@EXEC@ gui %F
        TryExec=@EXEC@
        Icon={APP_ID}
        Terminal=false
        Categories=Office;Science;Geography;
        Keywords=AIS;vessel;ship;sanctions;North Korea;EO 13810;port call;screening;
        StartupNotify=true
        """)


def metainfo(version: str) -> str:
    """AppStream metainfo (https://www.freedesktop.org/software/appstream/docs/)."""
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="UTF-8"?>
        <component type="desktop-application">
          <id>{APP_ID}</id>
          <metadata_license>CC0-1.0</metadata_license>
          <project_license>Apache-2.0</project_license>
          <name>{APP_NAME}</name>
          <summary>Screen AIS vessel tracks against the US 180-day rule</summary>
          <description>
            <p>
              May a vessel call at a US port on a given date, or did it, or a ship it met at
              sea, call at a North Korean port within the previous 180 days (Executive Order
              13810, 31 CFR 510.208(b))? The app reads AIS tracks (NMEA, CSV, Parquet,
              GeoPackage), finds port calls, ship-to-ship transfers and AIS gaps, and gives
              each vessel a verdict with its reasons on a map. Everything works offline.
            </p>
          </description>
          <launchable type="desktop-id">{APP_ID}.desktop</launchable>
          <provides>
            <binary>exposure</binary>
          </provides>
          <categories>
            <category>Office</category>
            <category>Science</category>
          </categories>
          <content_rating type="oars-1.1"/>
          <releases>
            <release version="{version}"/>
          </releases>
        </component>
        """)


def bundled_distributions(toplevel: list[str]) -> list[metadata.Distribution]:
    """The installed distributions the bundle's top-level names come from, by name."""
    by_import = metadata.packages_distributions()
    names: set[str] = set()
    for top in toplevel:
        base = top.removesuffix(".libs")
        dist_info = re.match(r"(.+?)-[^-]+\.dist-info$", top)
        if dist_info:
            names.add(dist_info.group(1))
        names.update(by_import.get(base, []))
    dists = {}
    for name in names:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        dists[_canonical(dist.metadata["Name"])] = dist
    dists.pop(_canonical("maritime-exposure"), None)  # ours: LICENSE at the top
    return [dists[key] for key in sorted(dists)]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_of(dist: metadata.Distribution) -> str:
    """The licence as the metadata states it: License-Expression, else License (its first
    line: some paste the whole text there), else the classifiers."""
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    field = (meta.get("License") or "").strip()
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    if field and field.upper() != "UNKNOWN":
        first = field.splitlines()[0].strip()
        return first if len(first) <= 100 else first[:97] + "..."
    return "; ".join(classifiers) or "not stated in its metadata"


def licence_files(dist: metadata.Distribution) -> list[tuple[str, str]]:
    """(path in the distribution, text) of every licence-like file of its metadata."""
    found = []
    for file in dist.files or []:
        parts = file.parts
        in_meta = parts and parts[0].endswith((".dist-info", ".egg-info"))
        if in_meta and ("licenses" in parts or LICENCE_FILE_NAME.search(file.name)):
            path = Path(file.locate())
            if path.is_file():
                found.append((str(file), path.read_text(encoding="utf-8", errors="replace")))
    return found


def python_licence() -> tuple[str, str] | None:
    """The interpreter's own licence (libpython and the standard library are bundled)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for path in (Path(sys.base_prefix) / "lib" / f"python{version}" / "LICENSE.txt",
                 Path(sys.base_prefix) / "LICENSE.txt"):
        if path.is_file():
            return str(path), path.read_text(encoding="utf-8", errors="replace")
    return None


def third_party_notices(dists: list[metadata.Distribution]) -> str:
    rule = "=" * 78
    head = [
        f"Third-party software bundled with {APP_NAME} {__version__}",
        "",
        "Collected at build time from the metadata of the installed distributions",
        "(importlib.metadata: License-Expression / License / classifiers, and every licence",
        "file in each distribution's metadata folder); nothing here is written by hand.",
        "A distribution whose metadata carries no licence file is marked so.",
        "",
        f"{'distribution':32} {'version':16} licence",
    ]
    py = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    head.append(f"{'Python (CPython)':32} {py:16} PSF-2.0")
    for dist in dists:
        head.append(f"{dist.metadata['Name']:32} {dist.version:16} {licence_of(dist)}")
    body = []
    python = python_licence()
    if python is not None:
        body += [rule, f"Python (CPython) {py}: {python[0]}", rule, python[1]]
    for dist in dists:
        files = licence_files(dist)
        body += [rule, f"{dist.metadata['Name']} {dist.version}: {licence_of(dist)}", rule]
        if not files:
            body.append("(no licence file in this distribution's metadata)\n")
        for name, text in files:
            body += [f"--- {name}", text.rstrip() + "\n"]
    return "\n".join(head) + "\n\n" + "\n".join(body)


def data_licences() -> str:
    """The bundled data's sources and licences: the table of resources/README.md."""
    readme = (ROOT / "resources" / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Loading")[0]
    return ("# Bundled data: sources and licences\n\n"
            "The files under `exposure/_internal/resources/` (the licence texts the table names "
            "are there too, beside the data). From the project's `resources/README.md`:\n\n"
            + table.split("\n", 1)[1].lstrip())


def build(dist: Path, work: Path) -> Path:
    bundle = dist / "exposure"
    if not (bundle / "exposure").is_file():
        raise SystemExit(f"build_package: no bundle in {bundle}: run PyInstaller first")
    saved = strip_libraries(bundle)
    print(f"build_package: stripping saved {saved / 1e6:.1f} MB")
    if share_proj_db(bundle):
        print("build_package: pyproj reads pyogrio's newer proj.db (one copy)")
    name = package_name()
    stage = dist / name
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copytree(bundle, stage / "exposure", symlinks=True)
    share = stage / "share"
    render_icons(ROOT / "resources" / "icons" / "exposure.svg",
                 ROOT / "resources" / "icons" / "exposure.png", share)
    (share / "applications").mkdir(parents=True)
    (share / "applications" / f"{APP_ID}.desktop").write_text(desktop_entry(), encoding="utf-8")
    (share / "metainfo").mkdir(parents=True)
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(
        metainfo(__version__), encoding="utf-8")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copyfile(ROOT / "installer" / script, stage / script)
        (stage / script).chmod(0o755)
    shutil.copyfile(ROOT / "LICENSE", stage / "LICENSE")
    shutil.copyfile(ROOT / "docs" / "install.md", stage / "INSTALL.md")
    licences = stage / "licenses"
    licences.mkdir()
    toplevel = json.loads((work / "exposure" / "bundled-toplevel.json").read_text())
    dists = bundled_distributions(toplevel)
    (licences / "THIRD-PARTY-NOTICES.txt").write_text(third_party_notices(dists),
                                                      encoding="utf-8")
    (licences / "DATA-LICENSES.md").write_text(data_licences(), encoding="utf-8")
    print(f"build_package: licence notices of {len(dists)} distributions")

    tarball = dist / f"{name}.tar.gz"
    # Level 9: 0.6 MB smaller than 6 on this bundle, for about a minute more of packing.
    with tarfile.open(tarball, "w:gz", compresslevel=9) as tar:
        tar.add(stage, arcname=name)
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    (dist / f"{name}.tar.gz.sha256").write_text(f"{digest}  {tarball.name}\n", encoding="utf-8")
    unpacked = _tree_bytes(stage)
    print(f"build_package: {tarball} ({tarball.stat().st_size / 1e6:.1f} MB; "
          f"{unpacked / 1e6:.1f} MB unpacked), sha256 {digest}")
    return tarball


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", default=str(ROOT / "dist"))
    parser.add_argument("--work", default=str(ROOT / "build" / "pyinstaller"))
    args = parser.parse_args()
    build(Path(args.dist), Path(args.work))


if __name__ == "__main__":
    main()
