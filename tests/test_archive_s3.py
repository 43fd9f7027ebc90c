"""The archive on S3 (DESIGN.md §8: ARCHIVE may be an fsspec URL), against moto's standalone
S3 server started here on 127.0.0.1 (no test reaches beyond this machine), read and written
through s3fs: add, info and check give what the same files give in a local folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import s3fs

from desktop.cli import main
from desktop.core.archive import add_files, archive_info
from desktop.core.errors import ArchiveError
from tests.archive_kit import AS_OF, write_receivers

BUCKET = "ais-archive"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """moto's S3 server on a free local port, with dummy credentials in the environment (and
    the instance metadata service switched off, so nothing looks for real ones)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    saved = dict(os.environ)
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": url,
    })  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        s3fs.S3FileSystem.clear_instance_cache()
        s3fs.S3FileSystem(client_kwargs={"endpoint_url": url}).mkdir(BUCKET)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        os.environ.clear()
        os.environ.update(saved)


def test_add_info_and_check_on_s3_match_a_local_archive(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write_receivers(tmp_path / "in")
    options = {"client_kwargs": {"endpoint_url": endpoint}}
    url = f"s3://{BUCKET}/ais"
    first = add_files(url, [a], storage_options=options)
    assert (first.added, first.failed) == ([str(a)], [])
    # The command line reaches the same server through AWS_ENDPOINT_URL.
    assert main(["archive", "add", url, str(b), str(a)]) == 0
    out = capsys.readouterr().out
    assert "1 added, 1 already in the archive, 0 failed" in out
    local = tmp_path / "local"
    add_files(str(local), [a, b])
    s3_info, local_info = archive_info(url, options), archive_info(str(local))
    assert s3_info.pop("archive") == url
    local_info.pop("archive")
    # Sizes differ only by the manifest's text (paths, times); the data files are the same.
    s3_info.pop("size_bytes"), local_info.pop("size_bytes")
    assert s3_info == local_info
    assert s3_info["fixes"] == 6481 and s3_info["files"] == 2

    assert main(["check", "--archive", url, "--as-of", AS_OF, "--format", "json"]) == 0
    from_s3 = json.loads(capsys.readouterr().out)
    assert main(["check", "--archive", str(local), "--as-of", AS_OF, "--format", "json"]) == 0
    from_local = json.loads(capsys.readouterr().out)
    assert from_s3["vessels"] == from_local["vessels"]
    assert len(from_s3["vessels"]) == 7


def test_an_s3_prefix_that_is_not_an_archive_is_refused(endpoint: str) -> None:
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
    fs.pipe_file(f"{BUCKET}/other/readme.txt", b"not an archive")
    with pytest.raises(ArchiveError, match="not an archive"):
        archive_info(f"s3://{BUCKET}/other")
    with pytest.raises(ArchiveError, match="not empty: refusing to write"):
        add_files(f"s3://{BUCKET}/other", [Path(__file__)])
