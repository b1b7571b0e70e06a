"""The factor and world models through the whole study, on a small synthetic study with a factor file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.data.factors import read_factors
from eventstudy.errors import ConfigError, PriceDataError
from eventstudy.study import EventStudy

DATES = pd.bdate_range("2024-01-02", periods=320)


@pytest.fixture(scope="module")
def study_parts(tmp_path_factory):
    from eventstudy import calendars

    sess = calendars.sessions("XNYS", "2024-01-02", "2025-06-30")[:320]
    rng = np.random.default_rng(9)
    mkt = rng.normal(0.0004, 0.01, sess.size)
    f1 = rng.normal(0, 0.005, sess.size)
    world = rng.normal(0.0003, 0.009, sess.size)
    closes = {
        "SPY": 100 * np.cumprod(1 + mkt),
        "ACWI": 100 * np.cumprod(1 + world),
        "AAA": 50 * np.cumprod(1 + 0.0002 + 1.2 * mkt + 0.5 * f1 + rng.normal(0, 0.015, sess.size)),
        "BBB": 20 * np.cumprod(1 + 0.9 * mkt - 0.3 * f1 + rng.normal(0, 0.02, sess.size)),
    }
    prices = pd.DataFrame(closes, index=sess)
    folder = tmp_path_factory.mktemp("factors")
    factor_file = folder / "ff.csv"
    pd.DataFrame({"date": sess.strftime("%Y-%m-%d"), "mkt": mkt * 100, "f1": f1 * 100}).to_csv(factor_file, index=False)
    universe = pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "SPY", "ACWI"],
            "name": ["A", "B", "S&P 500", "World"],
            "group": ["miners", "miners", "benchmark", "benchmark"],
            "exchange": "XNYS",
            "currency": "USD",
            "benchmark": ["SPY", "SPY", "", ""],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": ["e1"],
            "title": ["An event"],
            "announced_at": [sess[300].strftime("%Y-%m-%d") + "T10:00:00-04:00"],
            "time_precision": ["exact"],
            "timezone": ["America/New_York"],
            "sign_miners_ex_china": ["+"],
            "sign_china_rare_earths": ["0"],
            "sign_defense": ["0"],
            "headline": ["true"],
        }
    )
    return events, universe, prices, factor_file, sess, closes


def test_read_factors_percent(study_parts):
    *_, factor_file, sess, _ = study_parts
    frame = read_factors(factor_file, percent=True)
    assert list(frame.columns) == ["mkt", "f1"] and len(frame) == sess.size
    raw = pd.read_csv(factor_file)
    assert frame["f1"].iloc[3] == pytest.approx(raw["f1"].iloc[3] / 100, rel=1e-15)


def test_read_factors_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,mkt\n2024-01-02,0.1\n2024-01-03,abc\n")
    with pytest.raises(PriceDataError, match=r"bad.csv:3:mkt.*'abc'"):
        read_factors(bad)
    bad.write_text("day,mkt\n2024-01-02,0.1\n")
    with pytest.raises(PriceDataError, match="no date column"):
        read_factors(bad)


def test_factor_study_equals_statsmodels(study_parts):
    events, universe, prices, factor_file, sess, closes = study_parts
    res = EventStudy(
        events,
        universe,
        prices,
        model="factor",
        factors=factor_file,
        factors_percent=True,
        estimation_window=(-250, -11),
        min_estimation=100,
    ).fit(analyse=False)
    assert res.settings["model"] == "factor"
    row = res.firm_events.set_index("ticker").loc["AAA"]
    ret = pd.Series(closes["AAA"], index=sess).pct_change()
    ff = read_factors(factor_file, percent=True)
    d0 = sess.get_loc(pd.Timestamp(row["day0"]))
    est = slice(d0 - 250, d0 - 10)
    x = sm.add_constant(ff.iloc[est].to_numpy())
    fit = sm.OLS(ret.iloc[est].to_numpy(), x).fit()
    ar0 = ret.iloc[d0] - np.r_[1.0, ff.iloc[d0].to_numpy()] @ fit.params
    assert row["car_0_0"] == pytest.approx(ar0, abs=1e-12)
    assert row["alpha"] == pytest.approx(fit.params[0], abs=1e-12)


def test_world_study_has_three_parameters(study_parts):
    events, universe, prices, *_ = study_parts
    res = EventStudy(events, universe, prices, model="world", min_estimation=100).fit(analyse=False)
    assert res.settings["model"] == "world"
    assert (res.firm_events["status"] == "ok").all()


def test_factor_model_needs_factors(study_parts):
    events, universe, prices, *_ = study_parts
    with pytest.raises(ConfigError, match="factor file"):
        EventStudy(events, universe, prices, model="factor")
    with pytest.raises(ConfigError, match="world_index: 'MSCI'"):
        EventStudy(events, universe, prices, model="world", world_index="MSCI")


def test_world_robustness_variant_equals_a_world_fit(study_parts):
    """The report's local-plus-world-index variant reproduces a direct two-factor fit of the same study."""
    from eventstudy.robustness import robustness_from_results, robustness_table

    events, universe, prices, *_ = study_parts
    kwargs = dict(min_estimation=100, car_windows=[(0, 0), (-1, 1)])
    base = EventStudy(events, universe, prices, **kwargs).fit(analyse=False)
    assert base.world_returns is not None  # ACWI is in the universe, so it is loaded
    direct = EventStudy(events, universe, prices, model="world", **kwargs).fit(analyse=False).caar_table
    want = direct.set_index(["group", "window"])["caar"]
    for table in (
        robustness_from_results(base),
        robustness_table(EventStudy(events, universe, prices, **kwargs)),
    ):
        rows = table[(table["variant"] == "world_index")].drop_duplicates(["group", "window"])
        assert len(rows) == 2
        for r in rows.itertuples():
            assert r.caar == pytest.approx(want[(r.group, r.window)], abs=1e-12)
