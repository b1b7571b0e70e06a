"""The vectorised engine against a hand calculation and a statsmodels OLS-per-firm reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.abnormal import compute_abnormal
from eventstudy.inference import TESTS
from eventstudy.inference.runner import make_sample
from eventstudy.models import ConstantMean, MarketAdjusted, MarketModel
from eventstudy.windows import Panel


def panel_from_arrays(ret, mret, est_window, event_window, rel0):
    ret = np.asarray(ret, dtype=float)
    mret = np.asarray(mret, dtype=float)
    n, t = ret.shape
    rel = np.arange(rel0, rel0 + t)
    dates = np.array(pd.bdate_range("2025-01-01", periods=t).values, dtype="datetime64[ns]")
    keys = pd.DataFrame(
        {
            "event_id": ["e"] * n,
            "ticker": [f"F{i}" for i in range(n)],
            "group": "g",
            "exchange": "X",
            "day0": pd.Timestamp(dates[-rel0]),
            "first_return": pd.Timestamp(dates[0]),
            "last_return": pd.Timestamp(dates[-1]),
        }
    )
    return Panel(
        keys=keys,
        rel=rel,
        dates=np.tile(dates, (n, 1)),
        ret=ret,
        mret=mret,
        estimation=(rel >= est_window[0]) & (rel <= est_window[1]),
        event=(rel >= event_window[0]) & (rel <= event_window[1]),
        excluded=np.zeros((n, t), dtype=bool),
    )


# ---------------------------------------------------------------------------- hand example
# Two firms, one market; estimation days -5..-1, event days 0..1 (day -? none between).
RM = [0.010, -0.020, 0.005, 0.015, -0.010, 0.020, -0.005]
R1 = [0.012, -0.030, 0.010, 0.020, -0.015, 0.050, 0.001]
R2 = [-0.004, -0.010, 0.002, 0.011, -0.002, -0.030, 0.004]


def hand_market_model(r, rm, m=5):
    x, y = rm[:m], r[:m]
    xbar, ybar = sum(x) / m, sum(y) / m
    sxx = sum((a - xbar) ** 2 for a in x)
    sxy = sum((a - xbar) * (b - ybar) for a, b in zip(x, y, strict=True))
    beta = sxy / sxx
    alpha = ybar - beta * xbar
    ssr = sum((b - alpha - beta * a) ** 2 for a, b in zip(x, y, strict=True))
    s2 = ssr / (m - 2)
    ar = [r[t] - alpha - beta * rm[t] for t in (m, m + 1)]
    car = ar[0] + ar[1]
    length = 2
    dev = sum(rm[t] - xbar for t in (m, m + 1))
    var_car = s2 * (length + length**2 / m + dev**2 / sxx)
    var_ar0 = s2 * (1 + 1 / m + (rm[m] - xbar) ** 2 / sxx)
    return dict(alpha=alpha, beta=beta, s2=s2, ar=ar, car=car, var_car=var_car, var_ar0=var_ar0)


@pytest.fixture(scope="module")
def hand():
    panel = panel_from_arrays([R1, R2], [RM, RM], (-5, -1), (0, 1), -5)
    abn = compute_abnormal(panel, MarketModel(), [(0, 1), (0, 0)], min_estimation=3)
    return panel, abn, [hand_market_model(R1, RM), hand_market_model(R2, RM)]


@pytest.mark.parametrize("i", [0, 1])
@pytest.mark.parametrize("what", ["alpha", "beta", "s2", "ar0", "ar1", "car", "var_car", "var_ar0", "scar"])
def test_hand_example_market_model(hand, i, what):
    _, abn, ref = hand
    h = ref[i]
    got = {
        "alpha": abn.params[i, 0],
        "beta": abn.params[i, 1],
        "s2": abn.sigma2[i],
        "ar0": abn.ar[i, 5],
        "ar1": abn.ar[i, 6],
        "car": abn.car[i, 0],
        "var_car": abn.var_car[i, 0],
        "var_ar0": abn.var_ar[i, 5],
        "scar": abn.scar[i, 0],
    }[what]
    want = {
        "alpha": h["alpha"],
        "beta": h["beta"],
        "s2": h["s2"],
        "ar0": h["ar"][0],
        "ar1": h["ar"][1],
        "car": h["car"],
        "var_car": h["var_car"],
        "var_ar0": h["var_ar0"],
        "scar": h["car"] / math.sqrt(h["var_car"]),
    }[what]
    assert got == pytest.approx(want, abs=1e-12, rel=1e-12)


def _hand_stats(ref, m=5, k=2):
    cars = [h["car"] for h in ref]
    scars = [h["car"] / math.sqrt(h["var_car"]) for h in ref]
    n = len(cars)
    mean = sum(cars) / n
    sd = math.sqrt(sum((c - mean) ** 2 for c in cars) / (n - 1))
    smean = sum(scars) / n
    ssd = math.sqrt(sum((c - smean) ** 2 for c in scars) / (n - 1))
    patell = sum(scars) / math.sqrt(n * (m - k) / (m - k - 2))
    # estimation residuals (in-sample), per day averaged over the two firms
    res = []
    for r, h in zip((R1, R2), ref, strict=True):
        res.append([r[t] - h["alpha"] - h["beta"] * RM[t] for t in range(m)])
    aar = [(res[0][t] + res[1][t]) / 2 for t in range(m)]
    abar = sum(aar) / m
    s_cda = math.sqrt(sum((a - abar) ** 2 for a in aar) / (m - 1))
    # Pearson correlation of the two residual series
    m0, m1 = sum(res[0]) / m, sum(res[1]) / m
    cov = sum((a - m0) * (b - m1) for a, b in zip(res[0], res[1], strict=True))
    r = cov / math.sqrt(sum((a - m0) ** 2 for a in res[0]) * sum((b - m1) ** 2 for b in res[1]))
    kp = math.sqrt((1 - r) / (1 + (n - 1) * r))
    pos = [sum(1 for e in rr if e > 0) / m for rr in res]
    p_hat = sum(pos) / n
    w = sum(1 for c in cars if c > 0)
    return {
        "csect_t": mean / (sd / math.sqrt(n)),
        "cda_t": mean / (s_cda * math.sqrt(2)),
        "patell_z": patell,
        "bmp_t": smean / (ssd / math.sqrt(n)),
        "kp_bmp_t": smean / (ssd / math.sqrt(n)) * kp,
        "kp_patell_z": patell * kp,
        "j1": mean / math.sqrt(sum(h["var_car"] for h in ref) / n**2),
        "sign_z": (w - n / 2) / math.sqrt(n / 4),
        "gsign_z": (w - n * p_hat) / math.sqrt(n * p_hat * (1 - p_hat)),
    }


@pytest.mark.parametrize(
    "name", ["csect_t", "cda_t", "patell_z", "bmp_t", "kp_bmp_t", "kp_patell_z", "j1", "sign_z", "gsign_z"]
)
def test_hand_example_statistics(hand, name):
    panel, abn, ref = hand
    sample = make_sample(panel, abn, np.array([0, 1]), 0)
    got = TESTS.get(name)(sample).statistic
    assert got == pytest.approx(_hand_stats(ref)[name], abs=1e-12, rel=1e-12)


def test_hand_example_constant_mean_variance():
    panel = panel_from_arrays([R1], [RM], (-5, -1), (0, 1), -5)
    abn = compute_abnormal(panel, ConstantMean(), [(0, 1)], min_estimation=3)
    mu = sum(R1[:5]) / 5
    s2 = sum((x - mu) ** 2 for x in R1[:5]) / 4
    assert abn.car[0, 0] == pytest.approx(R1[5] + R1[6] - 2 * mu, abs=1e-12)
    assert abn.var_car[0, 0] == pytest.approx(s2 * (2 + 4 / 5), abs=1e-12)


def test_hand_example_market_adjusted_variance():
    panel = panel_from_arrays([R1], [RM], (-5, -1), (0, 1), -5)
    abn = compute_abnormal(panel, MarketAdjusted(), [(0, 1)], min_estimation=3)
    e = [a - b for a, b in zip(R1[:5], RM[:5], strict=True)]
    mean = sum(e) / 5
    s2 = sum((x - mean) ** 2 for x in e) / 4
    assert abn.car[0, 0] == pytest.approx(R1[5] - RM[5] + R1[6] - RM[6], abs=1e-12)
    assert abn.var_car[0, 0] == pytest.approx(2 * s2, abs=1e-12)
    assert abn.sar[0, 5] == pytest.approx((R1[5] - RM[5]) / math.sqrt(s2), abs=1e-12)


# ---------------------------------------------------------------------------- statsmodels reference
@pytest.fixture(scope="module")
def random_panel():
    rng = np.random.default_rng(20250627)
    n, est, evt = 25, 120, 21
    t = est + 10 + evt
    mret = rng.normal(0, 0.01, (n, t))
    beta = rng.uniform(0.3, 1.8, n)
    ret = 0.0005 + beta[:, None] * mret + rng.normal(0, 0.02, (n, t))
    # punch holes: missing days in the estimation window and in the event window of some firms
    holes = rng.random((n, t)) < 0.03
    ret[holes] = np.nan
    panel = panel_from_arrays(ret, mret, (-140, -21), (-10, 10), -140)
    windows = [(0, 0), (0, 1), (-1, 1), (-2, 2), (0, 5), (-5, 5), (-10, 10)]
    abn = compute_abnormal(panel, MarketModel(), windows, min_estimation=60)
    return panel, abn, windows


def test_engine_matches_statsmodels_per_firm(random_panel):
    panel, abn, windows = random_panel
    checked = 0
    for i in range(panel.n):
        y, x = panel.ret[i], panel.mret[i]
        est = panel.estimation & np.isfinite(y)
        X = sm.add_constant(x[est])
        fit = sm.OLS(y[est], X).fit()
        np.testing.assert_allclose(abn.params[i], fit.params, rtol=0, atol=1e-10)
        assert abn.sigma2[i] == pytest.approx(fit.scale, rel=1e-10)
        ev = np.flatnonzero(panel.event)
        Xs = np.column_stack([np.ones(ev.size), x[ev]])
        ar = y[ev] - Xs @ fit.params
        np.testing.assert_allclose(abn.ar[i, ev], ar, rtol=0, atol=1e-10, equal_nan=True)
        for w, (a, b) in enumerate(windows):
            sel = (panel.rel[ev] >= a) & (panel.rel[ev] <= b)
            if not np.isfinite(ar[sel]).all():
                assert np.isnan(abn.car[i, w])
                continue
            g = Xs[sel].sum(axis=0)
            var = fit.scale * sel.sum() + g @ fit.cov_params() @ g
            assert abn.car[i, w] == pytest.approx(ar[sel].sum(), abs=1e-10)
            assert abn.var_car[i, w] == pytest.approx(var, rel=1e-10)
            checked += 1
        # single-day forecast variance = statsmodels' prediction variance of a new observation
        pred = fit.get_prediction(Xs).se_obs ** 2
        np.testing.assert_allclose(abn.var_ar[i, ev], np.where(np.isfinite(ar), pred, np.nan), rtol=1e-10)
    assert checked > 100


def test_car_is_sum_of_ar(random_panel):
    panel, abn, windows = random_panel
    for w, (a, b) in enumerate(windows):
        cols = slice(panel.day_index(a), panel.day_index(b) + 1)
        s = abn.ar[:, cols].sum(axis=1)
        ok = abn.complete[:, w]
        np.testing.assert_allclose(abn.car[ok, w], s[ok], atol=1e-15)


def test_status_short_estimation_and_missing_window():
    rng = np.random.default_rng(1)
    mret = rng.normal(0, 0.01, (3, 30))
    ret = mret + rng.normal(0, 0.01, (3, 30))
    ret[1, :15] = np.nan  # only 5 estimation returns left
    ret[2, 25] = np.nan  # a hole on event day 0
    panel = panel_from_arrays(ret, mret, (-25, -6), (-5, 4), -25)
    abn = compute_abnormal(panel, MarketModel(), [(0, 0), (1, 2)], min_estimation=10)
    assert list(abn.status) == ["ok", "short_estimation", "missing_event_window"]
    assert np.isnan(abn.car[1]).all()
    assert np.isnan(abn.car[2, 0]) and np.isfinite(abn.car[2, 1])
    assert not abn.usable(0)[2] and abn.usable(1)[2]


def test_pairwise_correlation_matches_pandas_on_unaligned_dates():
    from eventstudy.inference.parametric import pairwise_correlation

    rng = np.random.default_rng(7)
    n, t = 6, 40
    base = np.array(pd.bdate_range("2024-01-01", periods=t + 5).values, dtype="datetime64[ns]")
    dates = np.stack([base[i % 3 : i % 3 + t] for i in range(n)])  # shifted calendars
    resid = rng.normal(size=(n, t))
    resid[rng.random((n, t)) < 0.1] = np.nan
    frame = pd.concat([pd.Series(resid[i], index=dates[i]) for i in range(n)], axis=1)
    want = frame.corr(min_periods=5).to_numpy()
    np.testing.assert_allclose(pairwise_correlation(resid, dates), want, atol=1e-12)


def test_constant_price_is_thin_trading_even_when_zeros_are_allowed():
    rng = np.random.default_rng(2)
    mret = rng.normal(0, 0.01, (2, 30))
    ret = mret + rng.normal(0, 0.01, (2, 30))
    ret[1] = 0.0  # a constant price: every return is zero
    panel = panel_from_arrays(ret, mret, (-25, -6), (-5, 4), -25)
    abn = compute_abnormal(panel, MarketModel(), [(0, 0)], min_estimation=10, thin_trading_share=1.0)
    assert list(abn.status) == ["ok", "thin_trading"]
    assert np.isnan(abn.scar[1]).all()
