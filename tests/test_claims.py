"""Claims (METHODS §4b): intervals that invert the claim's test, Holm/BH, placebo, leave-one-out, overlaps.

Each number is checked against an independent computation: scipy's quantiles, a hand Holm/BH, the engine run
directly on a pseudo-event date, and a simulation whose truth is known (an injected abnormal return).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers.synthetic import market_prices, spy_universe
from scipy import stats

from eventstudy import calendars
from eventstudy.analyse import claim_interval, leave_one_out, placebo_pool
from eventstudy.analyse.claims import critical_value
from eventstudy.analyse.placebo import placebo_caars, placebo_pvalue
from eventstudy.errors import DataWarning
from eventstudy.study import EventStudy

SESSIONS = calendars.sessions("XNYS", "2024-01-02", "2025-06-30")
TICKERS = [f"F{i}" for i in range(7)]
JUMP_DAY = pd.Timestamp("2025-03-05")  # ev1: a date-only event on a session, so day 0 is that session


def _prices(jump: float, seed: int = 11) -> pd.DataFrame:
    # a shared shock each day: the firms are cross-correlated
    return market_prices(SESSIONS, TICKERS, seed=seed, beta0=0.6, common_sd=0.006, jump=(JUMP_DAY, jump))


def _events() -> pd.DataFrame:
    base = {
        "title": "t",
        "time_precision": "day",
        "timezone": "America/New_York",
        "sign_miners_ex_china": "+",
        "sign_china_rare_earths": "+",
        "sign_defense": "+",
    }
    return pd.DataFrame(
        [
            {**base, "event_id": "ev1", "announced_at": "2025-03-05", "headline": "true"},
            {**base, "event_id": "ev2", "announced_at": "2025-03-06", "headline": "false"},
            {**base, "event_id": "ev3", "announced_at": "2025-05-14", "headline": "true"},
        ]
    )


def _universe() -> pd.DataFrame:
    return spy_universe(TICKERS, ["miners"] * 5 + ["magnets"] * 2)


def _fit(jump: float, **options):
    confounders = pd.DataFrame({"ticker": ["F1"], "date": [pd.Timestamp("2025-03-06")], "note": ["F1's own results"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        study = EventStudy(
            _events(),
            _universe(),
            _prices(jump),
            estimation_window=(-120, -11),
            event_window=(-5, 5),
            car_windows=[(0, 0), (0, 1), (-1, 1)],
            min_estimation=60,
            tests=["kp_bmp_t", "csect_t", "grank_t", "portfolio_t"],
            confounders=confounders,
            **options,
        )
        return study, study.fit()


@pytest.fixture(scope="module")
def jumped():
    return _fit(0.08)


def test_claim_rows_and_small_groups(jumped):
    _, res = jumped
    claims = res.claims
    # date-only headline events: [0, 1] only; groups miners (5) and magnets (2)
    assert set(zip(claims["event_id"], claims["group"], claims["window"], strict=True)) == {
        ("ev1", "miners", "0_1"),
        ("ev1", "magnets", "0_1"),
        ("ev3", "miners", "0_1"),
        ("ev3", "magnets", "0_1"),
    }
    small = claims[claims["group"] == "magnets"]
    assert (small["nobs"] == 2).all() and small["pvalue"].isna().all() and small["ci_low"].isna().all()
    assert small["placebo_pvalue"].isna().all() and small["note"].str.contains("fewer than 5").all()
    assert small["caar"].notna().all()
    # tests.csv: no statistic for a group below five firm-events, GRANK included
    t = res.test_table
    assert t.loc[t["nobs"] < 5, "pvalue"].isna().all()
    assert t.loc[(t["nobs"] < 5) & (t["test"] == "grank_t"), "notes"].str.contains("fewer than 5").all()


def test_interval_inverts_the_claims_test(jumped):
    _, res = jumped
    big = res.claims[res.claims["nobs"] >= 5]
    tests = res.test_table.set_index(["event_id", "group", "window", "test"])
    for row in big.itertuples():
        t = tests.loc[(row.event_id, row.group, row.window, "kp_bmp_t")]
        assert row.statistic == t["statistic"] and row.pvalue == t["pvalue"]
        crit = stats.t.ppf(0.975, row.nobs - 1)  # kp_bmp_t is referred to t(N-1)
        se = abs(row.caar / row.statistic)
        assert row.std_err == pytest.approx(se, rel=1e-12)
        assert row.ci_low == pytest.approx(row.caar - crit * se, rel=1e-12)
        assert row.ci_high == pytest.approx(row.caar + crit * se, rel=1e-12)
        assert ((row.ci_low > 0) or (row.ci_high < 0)) == (row.pvalue < 0.05)
        # the CAAR is the mean of the group's usable CARs
        fe = res.firm_events
        cars = fe[(fe.event_id == row.event_id) & (fe.group == row.group)]["car_0_1"].dropna()
        assert row.caar == pytest.approx(cars.mean(), rel=1e-12)


@pytest.mark.parametrize("dist", ["t(4)", "t(30)", "N(0,1)"])
@pytest.mark.parametrize("stat", [-3.0, -2.0, 0.5, 1.9, 2.9])
def test_interval_excludes_zero_exactly_when_p_below_5pct(dist, stat):
    _, lo, hi = claim_interval(0.02 * np.sign(stat), stat, dist)
    df = float(dist[2:-1]) if dist.startswith("t") else np.inf
    p = 2 * stats.t.sf(abs(stat), df)
    assert ((lo > 0) or (hi < 0)) == (p < 0.05)
    assert critical_value(dist) == pytest.approx(stats.t.ppf(0.975, df))


def test_placebo_with_a_known_abnormal_return(jumped):
    """All five miners jump 8 % on ev1's day 0: no pseudo-event day comes close, so p is the smallest possible."""
    _, res = jumped
    row = res.claims.set_index(["event_id", "group"]).loc[("ev1", "miners")]
    assert row["caar"] > 0.07
    assert row["placebo_pool"] > 50
    b = min(999, int(row["placebo_pool"]))
    assert row["placebo_min_p"] == pytest.approx(1 / (1 + b))
    assert row["placebo_pvalue"] == pytest.approx(row["placebo_min_p"])
    # ev3 has no effect: its placebo p-value is far from the smallest
    null = res.claims.set_index(["event_id", "group"]).loc[("ev3", "miners")]
    assert null["placebo_pvalue"] > 10 * null["placebo_min_p"]


def test_placebo_caar_equals_the_engine_on_that_date(jumped):
    """One pseudo-event date through placebo_caars equals a study fitted with that date as its event."""
    study, _ = jumped
    date = pd.Timestamp("2024-11-20")
    firms = pd.DataFrame({"ticker": TICKERS[:5], "exchange": "XNYS", "benchmark": "SPY"})
    loaded = study._load(study.securities(), lambda m: None)
    sessions = {"XNYS": calendars.sessions("XNYS", "2023-06-01", "2025-12-31")}
    caar = placebo_caars(
        firms,
        pd.DatetimeIndex([date]),
        loaded.returns,
        sessions,
        study.model,
        [(0, 1)],
        estimation_window=study.estimation_window,
        event_window=study.event_window,
        min_estimation=study.min_estimation,
        thin_trading_share=study.thin_trading_share,
    )
    ev = _events().iloc[[0]].assign(announced_at="2024-11-20")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ref = EventStudy(
            ev,
            _universe(),
            _prices(0.08),
            estimation_window=(-120, -11),
            event_window=(-5, 5),
            car_windows=[(0, 1)],
            min_estimation=60,
            tests=["csect_t"],
            placebo_draws=0,
        ).fit()
    cars = ref.firm_events.set_index("ticker").loc[TICKERS[:5], "car_0_1"]
    assert caar[0, 0] == pytest.approx(cars.mean(), rel=1e-10)


def test_placebo_pool_leaves_out_windows_with_event_days():
    sess = {"XNYS": SESSIONS}
    day0 = pd.DataFrame(
        {"event_id": ["a", "b"], "exchange": "XNYS", "day0": pd.to_datetime(["2025-03-05", "2025-03-06"])}
    )
    pool = placebo_pool(["XNYS"], sess, day0, (-1, 1), (-120, -11), (-5, 5), SESSIONS[0], SESSIONS[-1])
    pos = {d: i for i, d in enumerate(SESSIONS)}
    events = [pos[pd.Timestamp("2025-03-05")], pos[pd.Timestamp("2025-03-06")]]
    expected = [
        d
        for i, d in enumerate(SESSIONS)
        if i - 120 >= 0 and i + 5 < len(SESSIONS) and not any(i - 1 <= e <= i + 1 for e in events)
    ]
    assert list(pool) == expected


def test_placebo_pvalue_by_hand():
    assert placebo_pvalue(0.05, np.array([0.01, -0.06, 0.02, 0.05, np.nan])) == (3 / 5, 4)
    assert placebo_pvalue(-0.5, np.zeros(9)) == (0.1, 9)


def test_holm_and_bh_by_hand(jumped):
    _, res = jumped
    c = res.claims.dropna(subset=["pvalue"])
    p = c["pvalue"].to_numpy()
    m = p.size
    order = np.argsort(p)
    holm = np.empty(m)
    holm[order] = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1)
    bh = np.empty(m)
    ranked = p[order] * m / np.arange(1, m + 1)
    bh[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1)
    assert c["pvalue_holm"].to_numpy() == pytest.approx(holm, rel=1e-12)
    assert c["qvalue_bh"].to_numpy() == pytest.approx(bh, rel=1e-12)
    # and they reach tests.csv on the claim rows only
    t = res.test_table
    on = t.dropna(subset=["pvalue_holm"])
    assert len(on) == m and set(on["test"]) == {"kp_bmp_t"}


def test_leave_one_out_by_loop(jumped):
    _, res = jumped
    row = res.claims.set_index(["event_id", "group"]).loc[("ev1", "miners")]
    fe = res.firm_events
    sub = fe[(fe.event_id == "ev1") & (fe.group == "miners")].dropna(subset=["car_0_1"])
    means = {tk: sub.loc[sub.ticker != tk, "car_0_1"].mean() for tk in sub.ticker}
    assert row["loo_low"] == pytest.approx(min(means.values()))
    assert row["loo_high"] == pytest.approx(max(means.values()))
    full = sub["car_0_1"].mean()
    assert row["loo_ticker"] == max(means, key=lambda t: abs(means[t] - full))
    assert leave_one_out(np.array([1.0]), ["A"])[2] == ""


def test_overlaps_and_confounders(jumped):
    """ev2's day 0 (03-06) is inside ev1's [0, 1] window for every miner; F1's own news is on 03-06."""
    _, res = jumped
    row = res.claims.set_index(["event_id", "group"]).loc[("ev1", "miners")]
    assert row["n_overlap"] == 5 and row["n_confounded"] == 1 and "F1's own results" in row["note"]
    null = res.claims.set_index(["event_id", "group"]).loc[("ev3", "miners")]
    assert null["n_overlap"] == 0 and null["n_confounded"] == 0


def test_every_claim_interval_agrees_with_its_test_over_the_study(real_results):
    """Over the whole example study: an interval excludes zero exactly when its test's p < 0.05."""
    claims = real_results.claims
    assert claims is not None and len(claims) > 20
    tested = claims.dropna(subset=["pvalue"])
    excludes = (tested["ci_low"] > 0) | (tested["ci_high"] < 0)
    assert (excludes == (tested["pvalue"] < 0.05)).all()
    assert (tested["interval_method"].str.startswith("kp_bmp_t")).all()
    small = claims[claims["nobs"] < 5]
    assert small["pvalue"].isna().all() and small["ci_low"].isna().all() and small["note"].str.len().gt(0).all()
    # the deal's day 0 is the Beijing Friday everywhere; its claims use [0, 1]
    deal = claims[claims["event_id"] == "jun27_deal_formalised"]
    assert set(deal["window"]) == {"0_1"}
    assert (deal.loc[deal["nobs"] >= 5, "placebo_pool"] > 100).all()
    t = real_results.test_table
    on = t.dropna(subset=["pvalue_holm"])
    assert len(on) == len(tested)


def _variant(res, name, event_id="ev1", group="miners"):
    r = res.analyses["claim_robustness"]
    return r[(r.variant == name) & (r.event_id == event_id) & (r.group == group)].iloc[0]


def test_claim_robustness_day0_and_clean_estimation_match_refits(jumped):
    """The late-day-0 and clean-estimation variants equal whole fits of the study with those options."""
    _, res = jumped
    _, late = _fit(0.08, date_rule="end_of_day", placebo_draws=0)
    _, clean = _fit(0.08, clean_estimation=True, placebo_draws=0)
    for name, ref in (("late_day0", late), ("clean_estimation", clean)):
        row = _variant(res, name)
        fe = ref.firm_events
        cars = fe[(fe.event_id == "ev1") & (fe.group == "miners")]["car_0_1"].dropna()
        assert row["nobs"] == len(cars) and row["caar"] == pytest.approx(cars.mean(), rel=1e-10)
        t = ref.test_table.set_index(["event_id", "group", "window", "test"]).loc[("ev1", "miners", "0_1", "kp_bmp_t")]
        assert row["pvalue"] == pytest.approx(t["pvalue"], rel=1e-10)
    # the late convention moves ev1 (a New York date) to the next session: the jump leaves the [0, 1] window's
    # first day, and the CAAR loses most of it
    assert (
        _variant(res, "late_day0")["caar"] < res.claims.set_index(["event_id", "group"]).loc[("ev1", "miners"), "caar"]
    )


def test_claim_robustness_drops_and_never_silently_empty(jumped):
    _, res = jumped
    fe = res.firm_events
    sub = fe[(fe.event_id == "ev1") & (fe.group == "miners") & (fe.ticker != "F1")]
    row = _variant(res, "no_confounders")
    assert row["nobs"] == 4 and row["caar"] == pytest.approx(sub["car_0_1"].mean(), rel=1e-12)
    assert np.isnan(row["pvalue"]) and "left out: 1" in row["note"] and "fewer than 5" in row["note"]
    # every miner's [0, 1] window holds ev2's day 0: nothing is left, and the row says so
    row = _variant(res, "no_overlaps")
    assert row["nobs"] == 0 and "no firm-event kept" in row["note"]
    # a 110-day estimation window: the 120-day rule keeps no firm-event, and says so
    row = _variant(res, "min_estimation_120")
    assert row["nobs"] == 0 and "no firm-event kept" in row["note"]
    loo = _variant(res, "leave_one_out")
    claim = res.claims.set_index(["event_id", "group"]).loc[("ev1", "miners")]
    assert loo["ci_low"] == claim["loo_low"] and claim["loo_ticker"] in loo["note"]


def test_caar_table_names_its_naive_interval(jumped):
    _, res = jumped
    assert res.caar_table["interval"].str.startswith("naive 95% t(N-1)").all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_holm_and_bh_equal_statsmodels_bit_for_bit(seed):
    from statsmodels.stats.multitest import multipletests

    from eventstudy.analyse.claims import benjamini_hochberg, holm

    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, 40) ** 2
    p[5:9] = p[4]  # ties
    p[10] = 1.0
    np.testing.assert_array_equal(holm(p), multipletests(p, method="holm")[1])
    np.testing.assert_array_equal(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1])
    assert holm(np.array([])).size == 0


def test_joint_span_is_the_span_over_every_ticker(jumped):
    study, _ = jumped
    returns = study._load(study.securities(), lambda m: None).returns
    spans = [s for s in (returns.span(t) for t in returns) if s is not None]
    assert returns.joint_span(list(returns)) == (min(s[0] for s in spans), max(s[1] for s in spans))
    assert returns.joint_span(list(returns)[:1]) == returns.span(next(iter(returns)))
    assert returns.joint_span(["NOT_LOADED"]) is None
