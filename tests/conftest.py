"""Shared fixtures: the repository's own data.

Everything the tests read ships with the repository: the study's price snapshot (``data/prices.parquet`` with its
``MANIFEST.csv``), small fixtures under ``tests/data/`` (raw vendor files, the estudy2 reference case, the golden
tables). Nothing outside the checkout is needed.

One end-to-end run of the study (the command line on the snapshot, every output written) and one fit of it are
shared by every test file through the session fixtures ``run_dir`` and ``real_results``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SNAPSHOT = REPO / "data" / "prices.parquet"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """``tests/data``: small fixtures kept with the tests (see its README)."""
    return DATA


@pytest.fixture(scope="session")
def snapshot_path() -> Path:
    """The study's price snapshot."""
    return SNAPSHOT


@pytest.fixture(scope="session")
def snapshot(snapshot_path: Path):
    """The snapshot as a price source (checked against its checksum)."""
    from eventstudy.data.snapshot import SnapshotSource

    return SnapshotSource(snapshot_path)


@pytest.fixture(scope="session")
def prices_dir(tmp_path_factory: pytest.TempPathFactory, snapshot, snapshot_path: Path) -> Path:
    """The snapshot written out as a folder of per-ticker CSV files plus its ``MANIFEST.csv``.

    The closes are written with 17 significant digits, so a :class:`~eventstudy.data.FileSource` on this folder
    reads back exactly the snapshot's numbers (the same floats as the original files).
    """
    folder = tmp_path_factory.mktemp("prices")
    frame = snapshot.frame()
    for ticker, rows in frame.groupby("ticker", sort=True):
        rows[["date", "open", "high", "low", "close", "volume"]].to_csv(
            folder / f"{ticker}.csv", index=False, float_format="%.17g", date_format="%Y-%m-%d"
        )
    shutil.copyfile(snapshot_path.parent / "MANIFEST.csv", folder / "MANIFEST.csv")
    return folder


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """Raw vendor files as collected (``tests/data/raw/<source>/``)."""
    return DATA / "raw"


@pytest.fixture(scope="session")
def estudy2_dir() -> Path:
    """The estudy2 reference case (``tests/data/estudy2``)."""
    return DATA / "estudy2"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The study's main job, ``eventstudy run study.toml``, on the shipped snapshot: its output folder."""
    from typer.testing import CliRunner

    from eventstudy.cli import app

    out = tmp_path_factory.mktemp("run")
    # the study file's own source (the snapshot), whatever the environment says
    result = CliRunner().invoke(
        app, ["run", str(REPO / "study.toml"), "--out", str(out)], env={"EVENTSTUDY_PRICES_DIR": None}
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    assert str(out) in result.output.replace("\n", "")
    return out


@pytest.fixture(scope="session")
def real_results():
    """One fit of the study on the shipped snapshot (the study file's own settings)."""
    from eventstudy.config import read_study
    from eventstudy.data.snapshot import SnapshotSource
    from eventstudy.study import EventStudy

    spec = read_study(REPO / "study.toml")
    return EventStudy.from_spec(spec, prices=SnapshotSource(spec.snapshot)).fit()


@pytest.fixture(scope="session")
def report_results(real_results):
    """``real_results`` with claims: the analyse stage's own when it ran, else a frame with the contract's columns
    built from the fit (``tests/helpers/claims_fixture.py``)."""
    import dataclasses
    from types import MappingProxyType

    from helpers.claims_fixture import claims_from

    analyses = dict(real_results.analyses)
    if analyses.get("claims") is None:
        analyses["claims"] = claims_from(real_results)
    return dataclasses.replace(real_results, analyses=MappingProxyType(analyses))


@pytest.fixture(scope="session")
def report_dir(report_results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report (HTML, PDF, figures, CSV tables) of ``report_results``, written once for the report's tests."""
    from eventstudy.report.html import render_report

    out = tmp_path_factory.mktemp("report")
    render_report(report_results, out, title="Rare earths 2025: how markets priced the US–China conflict and deal")
    return out
