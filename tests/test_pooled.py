"""Pooled sets count each firm-event once (METHODS §4b): a security's firm-events whose CAR windows share a
session are not both in a pooled set; the earliest stays, and the tables say how many were left out.

The references are the single events' own rows: a pooled set whose second event is left out for a window has
exactly the first event's CARs, so its CAAR and every test statistic equal the first event's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers.synthetic import market_prices, spy_universe
from scipy import stats

from eventstudy import calendars
from eventstudy.errors import DataWarning
from eventstudy.study import EventStudy

SESSIONS = calendars.sessions("XNYS", "2024-06-03", "2025-06-30")
TICKERS = [f"F{i}" for i in range(6)]


def _prices(seed: int = 5) -> pd.DataFrame:
    return market_prices(SESSIONS, TICKERS, seed=seed, beta0=0.7)


def _study(directions: tuple[str, str, str] = ("escalation", "escalation", "escalation")) -> EventStudy:
    # ev1 and ev2 are one session apart (their [0, 1] windows share 03-06); ev3 is months later
    events = pd.DataFrame(
        {
            "event_id": ["ev1", "ev2", "ev3"],
            "announced_at": ["2025-03-05", "2025-03-06", "2025-05-14"],
            "time_precision": ["day"] * 3,
            "timezone": ["America/New_York"] * 3,
            "direction": list(directions),
            "headline": ["true", "false", "false"],
        }
    )
    universe = spy_universe(TICKERS, ["miners"] * len(TICKERS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return EventStudy(
            events,
            universe,
            _prices(),
            estimation_window=(-120, -11),
            event_window=(-3, 3),
            car_windows=[(0, 0), (0, 1), (-1, 1), (0, 3)],
            min_estimation=60,
            tests=["csect_t", "bmp_t"],
            placebo_draws=0,
        )


@pytest.fixture(scope="module")
def fitted():
    return _study().fit(analyse=False)


def _row(table: pd.DataFrame, event_id: str, window: str, test: str | None = None) -> pd.Series:
    sel = (table["event_id"] == event_id) & (table["group"] == "miners") & (table["window"] == window)
    if test is not None:
        sel &= table["test"] == test
    [i] = np.flatnonzero(sel.to_numpy())
    return table.iloc[i]


def test_windows_apart_keep_every_firm_event(fitted):
    c = fitted.caar_table
    pooled = _row(c, "pooled:escalation", "0_0")
    fe = fitted.firm_events
    cars = fe["car_0_0"].to_numpy()  # every firm-event of the three events, each once
    assert pooled["nobs"] == len(TICKERS) * 3
    assert pooled["n_overlap_removed"] == 0
    assert pooled["caar"] == pytest.approx(cars.mean(), rel=1e-12)


@pytest.mark.parametrize("window", ["0_1", "m1_1", "0_3"])
def test_overlapping_windows_leave_the_later_event_out(fitted, window):
    c = fitted.caar_table
    pooled = _row(c, "pooled:escalation", window)
    fe = fitted.firm_events
    kept = fe.loc[fe["event_id"].isin(["ev1", "ev3"]), f"car_{window}"].to_numpy()
    assert pooled["nobs"] == len(TICKERS) * 2
    assert pooled["n_overlap_removed"] == len(TICKERS)
    assert pooled["caar"] == pytest.approx(kept.mean(), rel=1e-12)
    # the cross-sectional t of the pooled set is the t of the kept CARs (ddof 1), by hand
    t = fitted.test_table
    row = _row(t, "pooled:escalation", window, "csect_t")
    hand = kept.mean() / (kept.std(ddof=1) / np.sqrt(kept.size))
    assert row["statistic"] == pytest.approx(hand, rel=1e-10)
    assert row["pvalue"] == pytest.approx(2 * stats.t.sf(abs(hand), kept.size - 1), rel=1e-10)
    assert row["nobs"] == kept.size
    assert row["notes"].startswith(f"{len(TICKERS)} firm-events left out")


def test_single_events_are_not_deduplicated(fitted):
    c = fitted.caar_table
    assert (c.loc[~c["event_id"].str.startswith("pooled:"), "n_overlap_removed"] == 0).all()
    assert _row(c, "ev2", "0_1")["nobs"] == len(TICKERS)


def test_a_pool_without_overlap_removes_nothing():
    res = _study(("escalation", "deescalation", "escalation")).fit(analyse=False)
    c = res.caar_table
    assert (c.loc[c["event_id"].str.startswith("pooled:"), "n_overlap_removed"] == 0).all()
    assert _row(c, "pooled:escalation", "0_1")["nobs"] == 2 * len(TICKERS)
