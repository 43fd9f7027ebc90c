"""Shared fixtures: where the third-party corpus lives, and the rule for when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
REFERENCE = ROOT.parent / "shared" / "reference"

# Every track file of the corpus (relative to it): what must ingest with every line counted.
CORPUS_TRACK_FILES = (
    "amsa/503000530.csv",
    "amsa/ais.txt.gz",
    "amsa/exact-earth-augmented-2.txt",
    "amsa/exact-earth-with-tag-block.txt",
    "amsa/korea_japan_box_subset.nmea",
    "amsa/nmea-timestamped.txt",
    "dma_aislib/decode_encode_messages.txt",
    "dma_aislib/retry_example.txt",
    "dma_aislib/small_cb_example.txt",
    "dma_aislib/stream_example.txt",
    "gpsd/sample.aivdm",
    "libais/tagblock.nmea",
    "libais/test.aivdm",
    "libais/typeexamples.nmea",
    "noaa_marinecadastre/AIS_2022_01_03_first99999.csv.gz",
    "pyais/examples_gatehouse.nmea",
    "pyais/examples_sample.ais",
    "pyais/tests_ais_test_messages",
    "pyais/tests_messages.ais",
    "pyais/tests_mixed.txt",
    "pyais/tests_nmea_data_sample.txt",
    "pyais/tests_timestamped.ais",
    "signalk/gofree-merrimac.log",
    "signalk/nais300-merrimac.log",
    "signalk/nais400-merrimac.log",
)
CORPUS_NMEA_FILES = tuple(f for f in CORPUS_TRACK_FILES if not f.endswith((".csv", ".csv.gz")))


# Hypothesis draws random examples and keeps failures in ./.hypothesis/. CI starts from a fresh
# clone, so a random failure there could not be replayed: with CI set, the examples are
# derandomized (the same ones on every machine and every run; `CI=true pytest
# tests/test_properties.py` replays a red CI run exactly), no database is read or written, and
# a failure prints its @reproduce_failure blob. Local runs stay random and keep the database,
# so new cases keep being found.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _private_user_data(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user data folder (analysts' reviews live there)."""
    monkeypatch.setenv("EXPOSURE_DATA_DIR", str(tmp_path_factory.mktemp("user-data")))


def _shared_dir(path: Path) -> Path:
    if path.is_dir():
        return path
    # In CI the corpus must be there: a missing corpus is a failure, never a silent skip.
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing (CI is set: corpus tests must run)")
    pytest.skip(f"{path} not found: these tests need ../shared beside the checkout")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only third-party AIS corpus, ../shared/corpus."""
    return _shared_dir(CORPUS)


@pytest.fixture(scope="session")
def reference() -> Path:
    """The read-only reference data, ../shared/reference."""
    return _shared_dir(REFERENCE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``package`` build the release tarball (minutes, and pip needs PyPI): they
    run only with EXPOSURE_TEST_PACKAGE=1, as .ci/run sets it. Without it they are deselected
    (listed as such in the summary), so a plain `pytest` stays quick."""
    if os.environ.get("EXPOSURE_TEST_PACKAGE") == "1":
        return
    chosen = [item for item in items if item.get_closest_marker("package") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen
