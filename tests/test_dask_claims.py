"""The Dask backend split by events builds the claims on its workers (placebo draws included) and adjusts them for
multiplicity on the client: the claims table equals the in-memory one on a small study.

The reference is the in-memory fit of the same study; the small study (seven firms on one exchange, three events
of which two are headline events in different event chunks) makes both runs quick and the comparison exact.
"""

from __future__ import annotations

import sys
import warnings

import pandas as pd
import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import cloudpickle
from distributed import Client, LocalCluster
from helpers.synthetic import market_prices, spy_universe

from eventstudy import calendars
from eventstudy.backends.dask import DaskBackend
from eventstudy.errors import DataWarning
from eventstudy.study import EventStudy

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SESSIONS = calendars.sessions("XNYS", "2024-01-02", "2025-06-30")
TICKERS = [f"F{i}" for i in range(7)]


def _prices(seed: int = 11) -> pd.DataFrame:
    return market_prices(
        SESSIONS, TICKERS, seed=seed, beta0=0.6, common_sd=0.006, jump=(pd.Timestamp("2025-03-05"), 0.05)
    )


def _study() -> EventStudy:
    events = pd.DataFrame(
        {
            "event_id": ["ev1", "ev2", "ev3"],
            "announced_at": ["2025-03-05", "2025-03-06", "2025-05-14T10:00:00-04:00"],
            "timezone": ["America/New_York"] * 3,
            "direction": ["escalation", "escalation", "deescalation"],
            "headline": ["true", "false", "true"],
        }
    )
    universe = spy_universe(TICKERS, ["miners"] * 5 + ["magnets"] * 2)
    confounders = pd.DataFrame({"ticker": ["F1"], "date": [pd.Timestamp("2025-03-06")], "note": ["F1's own news"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return EventStudy(
            events,
            universe,
            _prices(),
            estimation_window=(-120, -11),
            event_window=(-5, 5),
            car_windows=[(0, 0), (0, 1), (-1, 1)],
            min_estimation=60,
            tests=["kp_bmp_t", "csect_t"],
            confounders=confounders,
            placebo_draws=99,
        )


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="1GiB"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_split_by_events_claims_equal_in_memory(client) -> None:
    study = _study()
    want = study.fit(analyse=False)
    # one event per chunk: the two headline events' claims come from different workers' tasks
    got = study.fit(backend=DaskBackend(chunk_size=7, split="events"), client=client, analyse=False)
    assert got.panel is None
    claims, ref = got.claims, want.claims
    assert len(ref) == 6 and ref["placebo_pvalue"].notna().any()  # 2 events x (miners, magnets, ...) x windows
    pd.testing.assert_frame_equal(claims, ref, check_exact=False, rtol=1e-13)
    # the family is the whole study's: Holm over every claim with a p-value, not per chunk
    assert claims["pvalue_holm"].notna().sum() == ref["pvalue"].notna().sum()
    cols = ["pvalue_holm", "qvalue_bh", "placebo_pvalue"]
    pd.testing.assert_frame_equal(got.test_table[cols], want.test_table[cols], check_exact=False, rtol=1e-13)
