"""Firm-specific events: an event limited to named securities (``ticker``/``tickers``/``group``) gives firm-events for
those securities only, and the same numbers as a market-wide study restricted to them by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import calendars
from eventstudy.study import EventStudy

SESSIONS = calendars.sessions("XNYS", "2024-01-02", "2025-06-30")
OPTIONS = dict(
    model="market",
    estimation_window=(-120, -11),
    event_window=(-5, 5),
    car_windows=[(0, 0), (-1, 1), (0, 5)],
    min_estimation=50,
    tests=["csect_t", "patell_z", "bmp_t", "kp_bmp_t", "sign_z", "rank_z"],
)


def prices() -> pd.DataFrame:
    """Wide closes on XNYS sessions: SPY and four securities from a market model, with a jump on two event days."""
    rng = np.random.default_rng(11)
    n = len(SESSIONS)
    rm = rng.normal(0.0004, 0.01, n)
    out = {"SPY": rm}
    for i, ticker in enumerate(("AAA", "BBB", "CCC", "DDD")):
        out[ticker] = 0.0001 * i + (0.7 + 0.2 * i) * rm + rng.normal(0, 0.012 + 0.002 * i, n)
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(SESSIONS, name="date"))
    frame.loc["2025-02-06", "AAA"] += 0.05  # AAA's earnings
    frame.loc["2025-03-12", ["BBB", "CCC"]] += -0.03  # a deal between BBB and CCC
    frame.iloc[0] = 0.0
    return 30 * (1 + frame).cumprod()


def universe() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "CCC", "DDD", "SPY"],
            "name": ["Alpha", "Beta", "Gamma", "Delta", "S&P 500 ETF"],
            "group": ["tech", "tech", "banks", "banks", "benchmark"],
            "exchange": ["XNYS"] * 5,
            "currency": ["USD"] * 5,
            "benchmark": ["SPY"] * 4 + [""],
        }
    )


EVENTS = pd.DataFrame(
    {
        "event_id": ["aaa_earnings", "bbb_ccc_deal", "rate_cut", "bank_rule"],
        "announced_at": ["2025-02-05T16:30:00-05:00", "2025-03-11T18:00:00-04:00", "2025-04-09", "2025-05-14"],
        "timezone": ["", "", "America/New_York", ""],
        "tickers": ["AAA", "BBB; CCC", "", ""],
        "group": ["", "", "", "banks"],
    }
)

#: which securities each event concerns
SCOPE = {
    "aaa_earnings": ["AAA"],
    "bbb_ccc_deal": ["BBB", "CCC"],
    "rate_cut": ["AAA", "BBB", "CCC", "DDD"],
    "bank_rule": ["CCC", "DDD"],
}


@pytest.fixture(scope="module")
def firm_run():
    return EventStudy(EVENTS, universe(), prices(), **OPTIONS).fit()


def by_hand(event_id: str):
    """A market-wide study of one event on a universe cut down by hand to that event's securities."""
    ev = EVENTS[EVENTS["event_id"] == event_id].drop(columns=["tickers", "group"])
    ev = ev.assign(timezone="America/New_York")
    uni = universe()
    uni = uni[uni["ticker"].isin([*SCOPE[event_id], "SPY"])]
    return EventStudy(ev, uni, prices(), **OPTIONS).fit()


def test_firm_events_exist_only_for_the_named_securities(firm_run) -> None:
    fe = firm_run.firm_events
    got = fe.groupby("event_id", sort=False)["ticker"].apply(list).to_dict()
    assert got == SCOPE
    assert set(fe["status"]) == {"ok"}


def test_timezone_defaults_to_the_exchange_of_the_firm(firm_run) -> None:
    ev = firm_run.events.set_index("event_id")
    assert ev.loc["bank_rule", "timezone"] == "America/New_York"
    assert ev.loc["bank_rule", "announced_at_utc"] == pd.Timestamp("2025-05-15 03:59:59", tz="UTC")
    day0 = firm_run.firm_events.drop_duplicates("event_id").set_index("event_id")["day0"].astype(str)
    # after the close on 5 Feb and 11 March: day 0 is the next session; a plain date is its own session
    assert day0.to_dict() == {
        "aaa_earnings": "2025-02-06",
        "bbb_ccc_deal": "2025-03-12",
        "rate_cut": "2025-04-09",
        "bank_rule": "2025-05-14",
    }


@pytest.mark.parametrize("event_id", list(SCOPE))
def test_numbers_equal_a_market_wide_run_restricted_by_hand(firm_run, event_id: str) -> None:
    hand = by_hand(event_id)
    keys = ["event_id", "ticker"]
    a = firm_run.firm_events[firm_run.firm_events["event_id"] == event_id].set_index(keys).sort_index()
    b = hand.firm_events.set_index(keys).sort_index()
    cars = [c for c in a.columns if c.startswith(("car_", "var_car_", "scar_"))]
    assert len(cars) >= 9  # three per CAR window (the report windows are added to car_windows)
    pd.testing.assert_frame_equal(a[["alpha", "beta", "sigma", *cars]], b[["alpha", "beta", "sigma", *cars]])
    cols = ["statistic", "pvalue", "nobs"]
    t_keys = ["group", "window", "test"]
    ta = firm_run.test_table[firm_run.test_table["event_id"] == event_id].set_index(t_keys).sort_index()
    tb = hand.test_table.set_index(t_keys).sort_index()
    assert len(ta) == len(tb) > 0
    pd.testing.assert_frame_equal(ta[cols], tb[cols], rtol=1e-12, atol=1e-12)
    ca = firm_run.caar_table[firm_run.caar_table["event_id"] == event_id].set_index(["group", "window"]).sort_index()
    cb = hand.caar_table.set_index(["group", "window"]).sort_index()
    pd.testing.assert_frame_equal(ca[["nobs", "caar"]], cb[["nobs", "caar"]], rtol=1e-12, atol=1e-12)


def test_the_injected_effects_are_found(firm_run) -> None:
    c = firm_run.caar_table.set_index(["event_id", "group", "window"])["caar"]
    assert c[("aaa_earnings", "tech", "0_0")] == pytest.approx(0.05, abs=0.025)
    assert c[("bbb_ccc_deal", "banks", "0_0")] == pytest.approx(-0.03, abs=0.025)
    assert ("aaa_earnings", "banks", "0_0") not in c.index  # no bank is concerned
