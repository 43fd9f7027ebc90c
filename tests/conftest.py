"""Shared fixtures: where the third-party corpus lives, and the rule for when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
REFERENCE = ROOT.parent / "shared" / "reference"


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
