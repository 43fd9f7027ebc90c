"""The release tarball (issue #14): `make package` builds it, and it works from a fresh folder.

Marked ``package``: runs only with EXPOSURE_TEST_PACKAGE=1 (.ci/run sets it; conftest.py
deselects these tests otherwise). The build takes minutes and installs the build venv from PyPI.
EXPOSURE_TEST_PACKAGE_REUSE=1 tests the tarball already in dist/ instead of building it again
(for working on these tests; CI never sets it).

The bundle runs under ``env -i`` with only HOME, PATH and QT_QPA_PLATFORM: nothing of the
build machine's Python, venv or PYTHONPATH can help it.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import shlex
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from desktop import __version__

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parent.parent
NAME = f"maritime-exposure-{__version__}-linux-x86_64"
SAMPLE = ROOT / "sample_tracks" / "sample_2026.nmea.gz"
MAX_UNPACKED_BYTES = 400_000_000
MAX_TARBALL_BYTES = 150_000_000
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


@pytest.fixture(scope="module")
def tarball() -> Path:
    path = ROOT / "dist" / f"{NAME}.tar.gz"
    if os.environ.get("EXPOSURE_TEST_PACKAGE_REUSE") != "1" or not path.is_file():
        subprocess.run(["make", "package"], cwd=ROOT, check=True)
    return path


@pytest.fixture(scope="module")
def unpacked(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball unpacked in a folder whose name has a space (as in "My Downloads")."""
    folder = tmp_path_factory.mktemp("unpacked") / "release with space"
    folder.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(folder, filter="tar")
    return folder / NAME


def _clean_env(home: Path) -> list[str]:
    return ["env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", "QT_QPA_PLATFORM=offscreen"]


def test_tarball_has_its_sha256_beside_it(tarball):
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    sums = tarball.with_name(tarball.name + ".sha256").read_text(encoding="utf-8")
    assert sums == f"{digest}  {NAME}.tar.gz\n"


def test_tarball_holds_bundle_desktop_file_icons_metainfo_scripts_and_licences(unpacked):
    assert os.access(unpacked / "exposure" / "exposure", os.X_OK)
    for script in ("install.sh", "uninstall.sh"):
        assert os.access(unpacked / script, os.X_OK)
    share = unpacked / "share"
    assert (share / "applications" / "maritime-exposure.desktop").is_file()
    assert (share / "metainfo" / "maritime-exposure.metainfo.xml").is_file()
    for size in ICON_SIZES:
        icon = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "maritime-exposure.png"
        assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # PNG IHDR: width and height, big-endian, at bytes 16..24
        assert icon.read_bytes()[16:24] == size.to_bytes(4, "big") * 2
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "maritime-exposure.svg").is_file()
    assert "Apache License" in (unpacked / "LICENSE").read_text(encoding="utf-8")
    data = (unpacked / "licenses" / "DATA-LICENSES.md").read_text(encoding="utf-8")
    assert "GSHHG: LGPL-3.0" in data and "`ports/gfw_anchorages.parquet`" in data


def test_licence_notices_cover_the_bundled_distributions_and_no_build_tool(unpacked):
    notices = (unpacked / "licenses" / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    table = notices.split("\n\n=")[0]
    names = {line.split()[0] for line in table.splitlines()[8:] if line.strip()}
    assert {"numpy", "pandas", "pyarrow", "shapely", "geopandas", "pyogrio", "pyproj", "pyais",
            "platformdirs", "PySide6_Essentials", "shiboken6"} <= names
    assert not names & {"pytest", "hypothesis", "pyinstaller", "ruff", "hatchling", "pip",
                        "import-linter"}
    # the texts themselves, from the dist-info folders
    assert "Copyright (c) 2005-2" in notices  # numpy's BSD licence
    assert "Apache License" in notices  # pyarrow's


def test_bundle_is_at_most_400_mb_unpacked_and_150_mb_packed(tarball, unpacked):
    unpacked_bytes = sum(p.lstat().st_size for p in unpacked.rglob("*"))
    assert unpacked_bytes <= MAX_UNPACKED_BYTES, f"{unpacked_bytes / 1e6:.1f} MB unpacked"
    assert tarball.stat().st_size <= MAX_TARBALL_BYTES


def test_self_test_passes_from_a_fresh_folder_under_env_i(unpacked, tmp_path):
    run = subprocess.run([*_clean_env(tmp_path), str(unpacked / "exposure" / "exposure"),
                          "--self-test"], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == [
        "ok   resources", "ok   sample verdicts", "ok   GeoPackage", "ok   main window",
        "ok   worker process", "self-test passed"]
    # the bundle's own Python, not the build machine's
    assert f"{unpacked / 'exposure' / 'exposure'})" in lines[0]
    assert "GDAL" not in run.stderr and "Warning" not in run.stderr


def test_check_json_from_the_bundle_is_byte_identical_to_the_venvs(unpacked, tmp_path):
    args = ["check", str(SAMPLE), "--format", "json", "--as-of", "2026-11-01"]
    bundle = subprocess.run([*_clean_env(tmp_path), str(unpacked / "exposure" / "exposure"),
                             *args], capture_output=True, timeout=900, check=True)
    venv = subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True,
                          timeout=900, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert b'"verdict": "barred"' in venv.stdout
    assert bundle.stdout == venv.stdout


def test_install_script_puts_a_working_launcher_and_uninstall_removes_it(unpacked, tmp_path):
    home = tmp_path / "home of user"
    home.mkdir()
    subprocess.run([*_clean_env(home), str(unpacked / "install.sh")], check=True,
                   capture_output=True)
    data = home / ".local" / "share"
    entry = data / "applications" / "maritime-exposure.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(entry, encoding="utf-8")
    desktop = parser["Desktop Entry"]
    program = data / "maritime-exposure" / "exposure" / "exposure"
    assert shlex.split(desktop["Exec"]) == [str(program), "gui", "%F"]
    assert desktop["TryExec"] == str(program)
    assert desktop["Icon"] == "maritime-exposure"
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "maritime-exposure.png").is_file()
    assert (data / "metainfo" / "maritime-exposure.metainfo.xml").is_file()
    link = home / ".local" / "bin" / "exposure"
    assert link.resolve() == program
    # The launcher's command runs: the program the menu entry starts answers.
    run = subprocess.run([*_clean_env(home), str(program), "--version"], capture_output=True,
                         text=True, timeout=300, check=True)
    assert run.stdout == f"exposure {__version__}\n"

    subprocess.run([*_clean_env(home), str(data / "maritime-exposure" / "uninstall.sh")],
                   check=True, capture_output=True)
    assert not entry.exists() and not link.exists()
    assert not (data / "maritime-exposure").exists()
    assert not list((data / "icons").rglob("maritime-exposure.*"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_archive_on_s3_from_the_bundle_screens_as_the_venv_does(unpacked, tmp_path):
    """s3fs (imported by name, so listed in the spec) and botocore's S3 model made it in:
    `archive add` and `check --archive` at an s3:// URL, against moto's S3 server on
    127.0.0.1, give the venv's JSON byte for byte."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "moto did not start"
                time.sleep(0.2)
        import s3fs

        s3fs.S3FileSystem(key="testing", secret="testing",
                          client_kwargs={"endpoint_url": aws["AWS_ENDPOINT_URL"]}).mkdir("pkg")
        bundle = [*_clean_env(tmp_path), *(f"{k}={v}" for k, v in aws.items()),
                  str(unpacked / "exposure" / "exposure")]
        subprocess.run([*bundle, "archive", "add", "s3://pkg/ais", str(SAMPLE),
                        "--progress", "none"], check=True, capture_output=True, timeout=900)
        args = ["check", "--archive", "s3://pkg/ais", "--format", "json", "--as-of",
                "2026-11-01"]
        from_bundle = subprocess.run([*bundle, *args], check=True, capture_output=True,
                                     timeout=900)
        from_venv = subprocess.run([sys.executable, "-m", "desktop", *args], check=True,
                                   capture_output=True, timeout=900,
                                   env={**os.environ, **aws, "PYTHONPATH": str(ROOT)})
    finally:
        server.terminate()
        server.wait(10)
    assert b'"verdict": "barred"' in from_venv.stdout
    assert from_bundle.stdout == from_venv.stdout
