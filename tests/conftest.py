"""Shared fixtures: where the real data lives.

The real price files are never part of the repository. They are found through ``EVENTSTUDY_SHARED_DIR`` (the
folder holding ``data/`` and ``reference/``) or, by default, ``../shared`` beside the repository. When they are
missing, tests that need them are skipped locally and fail under CI, where they must exist.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    env = os.environ.get("EVENTSTUDY_SHARED_DIR")
    return Path(env) if env else REPO.parent / "shared"


def _need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(_shared_dir())


@pytest.fixture(scope="session")
def prices_dir(shared_dir: Path) -> Path:
    return _need(shared_dir / "data" / "prices")


@pytest.fixture(scope="session")
def estudy2_dir(shared_dir: Path) -> Path:
    return _need(shared_dir / "reference" / "estudy2")
