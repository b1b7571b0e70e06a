"""The Dask backend against the in-memory backend on the real study, on a 2-worker LocalCluster.

Results must be identical (``assert_frame_equal`` with exact floats): each worker runs the same engine on whole
securities, and the client places the rows in the in-memory order before the same tests run. One test kills the
worker running a chunk on the task's first attempt; Dask runs the task again and the result is still identical.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import cloudpickle
from distributed import Client, LocalCluster

from eventstudy import EventStudy
from eventstudy.backends.dask import DaskBackend, fit_dask
from eventstudy.data.cache import PriceCache, read_parquet_partition
from eventstudy.data.sources import FileSource

cloudpickle.register_pickle_by_value(sys.modules[__name__])


class KillOnce:
    """A task hook that ends its worker process the first time chunk ``victim`` starts (a marker file remembers)."""

    def __init__(self, marker: Path, victim: int = 1) -> None:
        self.marker = str(marker)
        self.victim = victim

    def __call__(self, index: int) -> None:
        if index == self.victim and not os.path.exists(self.marker):
            with open(self.marker, "w") as fh:
                fh.write(str(os.getpid()))
            os._exit(1)


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="2GiB"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def study(repo_dir, prices_dir):
    return EventStudy(repo_dir / "events.csv", repo_dir / "universe.csv", prices_dir, group_by=("group", "segment"))


@pytest.fixture(scope="module")
def in_memory(study):
    return study.fit(analyse=False)


#: Columns the claims add to the tests table. The placebo draws need the returns in memory, which a Dask client
#: does not hold: the claims of a Dask fit carry no placebo p-value, so these columns are compared apart.
CLAIM_COLUMNS = ["pvalue_holm", "qvalue_bh", "placebo_pvalue"]


def plain(table):
    return table.drop(columns=[c for c in CLAIM_COLUMNS if c in table.columns])


def assert_same(got, want):
    for name in ("firm_events", "ar", "caar_table", "aar_table", "day0"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)
    pd.testing.assert_frame_equal(plain(got.test_table), plain(want.test_table), check_exact=True)
    if got.claims is not None:  # the same claims, tests and intervals; no placebo without the returns
        keep = [c for c in want.claims.columns if not c.startswith("placebo") and c != "note"]
        pd.testing.assert_frame_equal(got.claims[keep], want.claims[keep], check_exact=True)
    cols = sorted(want.data_notes.columns)
    pd.testing.assert_frame_equal(got.data_notes[cols], want.data_notes[cols], obj="data_notes")
    assert got.settings == want.settings


@pytest.mark.slow  # the real study on a local Dask cluster: a minute or more
def test_dask_backend_matches_in_memory(study, in_memory, client):
    got = study.fit(backend=DaskBackend(chunk_size=300), client=client, analyse=False)
    assert_same(got, in_memory)


@pytest.mark.slow  # the real study on a local Dask cluster: a minute or more
def test_dask_backend_from_an_exported_cache(study, in_memory, client, tmp_path):
    cache = PriceCache(tmp_path / "cache.duckdb")
    tickers = list(dict.fromkeys([*study.securities()["ticker"], *study.securities()["benchmark"].dropna()]))
    start, end = study._span()
    cache.write(FileSource(study.source.directory).fetch(tickers, start, end).prices, source="files")
    dataset = cache.export_parquet(tmp_path / "prices.parquet")
    assert len(read_parquet_partition(dataset, tickers[0])) == len(cache.read([tickers[0]]))
    got = fit_dask(study, client, dataset=dataset, chunk_size=500, analyse=False)
    pd.testing.assert_frame_equal(got.firm_events, in_memory.firm_events, check_exact=True)
    pd.testing.assert_frame_equal(plain(got.test_table), plain(in_memory.test_table), check_exact=True)


@pytest.mark.slow  # the real study on a local Dask cluster: a minute or more
def test_killed_worker_is_retried_and_result_is_identical(study, in_memory, client, tmp_path):
    marker = tmp_path / "killed"
    got = study.fit(backend=DaskBackend(chunk_size=300, task_hook=KillOnce(marker)), client=client, analyse=False)
    assert marker.exists(), "the worker was not killed"
    assert_same(got, in_memory)


def test_dask_backend_needs_a_client(study):
    from eventstudy.errors import ConfigError

    with pytest.raises(ConfigError, match="client"):
        study.fit(backend="dask")
    with pytest.raises(ConfigError, match="unknown backend"):
        study.fit(backend="spark", client=object())


def test_split_by_events_runs_the_tests_on_the_workers_and_matches_in_memory(study, in_memory, client):
    """Event chunks and pooled sets tested on the workers: the client gets the tables only, equal to in-memory.

    The test table is equal to 1e-13 rather than bit for bit: Dask runs its workers with one BLAS thread, and the
    residual correlation matrix of a large pooled cell is a matrix product whose summation order follows the
    thread count (the last bit of r̄ moves, nothing else)."""
    got = study.fit(backend=DaskBackend(chunk_size=200, split="events"), client=client, analyse=False)
    assert got.panel is None and got.abnormal is None
    for name in ("firm_events", "ar", "caar_table", "aar_table", "day0"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(in_memory, name), check_exact=True, obj=name)
    # the tests' outputs (rbar, ...) are columns like the statistic: the same columns, equal to 1e-13
    assert "rbar" in got.test_table.columns
    pd.testing.assert_frame_equal(plain(got.test_table), plain(in_memory.test_table), check_exact=False, rtol=1e-13)
    assert got.test_table["event_id"].str.startswith("pooled:").any()
    cols = sorted(in_memory.data_notes.columns)
    pd.testing.assert_frame_equal(got.data_notes[cols], in_memory.data_notes[cols], obj="data_notes")
    assert got.settings["backend"] == "dask (split by events)"


def test_split_by_events_survives_a_killed_worker(study, in_memory, client, tmp_path):
    marker = tmp_path / "killed"
    got = study.fit(
        backend=DaskBackend(chunk_size=200, split="events", task_hook=KillOnce(marker)), client=client, analyse=False
    )
    assert marker.exists(), "the worker was not killed"
    pd.testing.assert_frame_equal(got.firm_events, in_memory.firm_events, check_exact=True)
    pd.testing.assert_frame_equal(got.caar_table, in_memory.caar_table, check_exact=True)
    assert len(got.test_table) == len(in_memory.test_table)


def test_split_by_events_refuses_clean_estimation(study, client):
    import copy

    from eventstudy.errors import ConfigError

    clean = copy.copy(study)
    clean.clean_estimation = True
    with pytest.raises(ConfigError, match="clean_estimation"):
        clean.fit(backend=DaskBackend(split="events"), client=client)
