"""Data choices of METHODS §2: thin trading is days without a trade, not zero returns; short histories are flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import calendars
from eventstudy.abnormal import compute_abnormal, no_trade_share
from eventstudy.data.returns import to_returns
from eventstudy.models import MarketModel
from eventstudy.windows import build_panel

SESSIONS = calendars.sessions("XNYS", "2024-01-02", "2025-12-31")
DAY0 = pd.Timestamp("2025-06-27")


def _prices(seed: int, tick: float | None = None) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, len(SESSIONS))
    r = 0.8 * m + rng.normal(0, 0.02, len(SESSIONS))
    bench = pd.Series(100 * np.cumprod(1 + m), index=SESSIONS)
    px = pd.Series(2 * np.cumprod(1 + r), index=SESSIONS)
    if tick is not None:  # a coarse tick: many days close where they opened
        px = (px / tick).round() * tick
    return px, bench


def _fit(closes: dict[str, pd.Series], min_estimation: int = 120):
    returns = {tk: to_returns(c.dropna(), SESSIONS).ret for tk, c in closes.items()}
    fe = pd.DataFrame(
        {
            "event_id": "e",
            "ticker": [t for t in closes if t != "IDX"],
            "group": "g",
            "exchange": "XNYS",
            "benchmark": "IDX",
            "day0": DAY0,
        }
    )
    panel = build_panel(fe, returns, {"XNYS": SESSIONS}, estimation_window=(-250, -11), event_window=(-10, 10))
    abn = compute_abnormal(panel, MarketModel(), [(0, 0), (0, 1)], min_estimation=min_estimation)
    return panel, abn


def test_zero_returns_from_a_coarse_tick_are_not_thin_trading():
    px, idx = _prices(1, tick=0.05)
    panel, abn = _fit({"TICK": px, "IDX": idx})
    est = panel.estimation & np.isfinite(panel.ret[0])
    zero_share = float((panel.ret[0, est] == 0).mean())
    assert zero_share > 0.2  # many zero returns ...
    assert abn.zero_share[0] == pytest.approx(zero_share)
    assert abn.no_trade_share[0] == 0.0  # ... but a price every day
    assert abn.status[0] == "ok"


def test_days_without_a_price_make_thin_trading_by_hand_count():
    px, idx = _prices(2)
    pos0 = SESSIONS.get_loc(DAY0)
    est_days = SESSIONS[pos0 - 250 : pos0 - 10]  # event days -250 .. -11
    gone = est_days[5::4]  # every fourth estimation day has no trade: 59 of 240 days
    thin = px.copy()
    thin[gone] = np.nan
    fine = px.copy()
    fine[est_days[5::6]] = np.nan  # 40 of 240 days: 16.7 %, below the 20 % line
    _, abn = _fit({"THIN": thin, "FINE": fine, "IDX": idx}, min_estimation=100)
    assert abn.no_trade_share[0] == pytest.approx(len(gone) / 240)
    assert abn.no_trade_share[1] == pytest.approx(40 / 240)
    assert list(abn.status) == ["thin_trading", "ok"]
    # each day without a price removes its return and the next one: the fit still has enough returns
    assert abn.nobs[0] == 240 - 2 * len(gone) and abn.nobs[0] >= 100


def test_days_before_the_first_price_are_not_no_trade_days():
    px, idx = _prices(3)
    pos0 = SESSIONS.get_loc(DAY0)
    late = px.copy()
    late[SESSIONS[pos0 - 100] > SESSIONS] = np.nan  # first price on day -100: returns from -99 to -11
    panel, abn = _fit({"NEW": late, "IDX": idx}, min_estimation=60)
    assert no_trade_share(panel)[0] == 0.0
    assert abn.status[0] == "ok" and abn.nobs[0] == 89


def test_short_history_enters_flagged(real_results, repo_dir):
    from eventstudy.config import read_study

    spec = read_study(repo_dir / "study.toml")
    assert spec.min_estimation == 60 and spec.full_estimation == 120
    fe = real_results.firm_events.set_index(["event_id", "ticker"])
    usar = fe.loc[("jun27_deal_formalised", "USAR")]
    assert usar["status"] == "ok" and 60 <= usar["n_estimation"] < 120 and bool(usar["short_history"])
    usable = fe["status"].isin(["ok", "missing_event_window"])
    assert (fe.loc[usable, "short_history"] == (fe.loc[usable, "n_estimation"] < 120)).all()
    # ARU: many zero returns from its price tick, but it trades: thin trading nowhere
    aru = fe.xs("ARU.AX", level="ticker")
    assert (aru["zero_share"] > 0.2).any() and not (aru["status"] == "thin_trading").any()
