"""Each test statistic recomputed a second way, straight from its textbook formula, on small random panels;
and the size/power simulation in a quick seeded version (METHODS §6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.abnormal import compute_abnormal
from eventstudy.config import DEFAULT_TESTS
from eventstudy.inference import TESTS
from eventstudy.inference.base import Cell, Sample
from eventstudy.inference.nonparametric import signed_rank, signed_rank_cdf
from eventstudy.inference.runner import group_cells, make_sample, run_tests
from eventstudy.models import MarketModel
from eventstudy.simulate import SimulationDesign, rejection_rates, simulate_panel

WINDOWS = [(0, 0), (-1, 1), (0, 5)]


@pytest.fixture(scope="module")
def sim():
    panel = simulate_panel(SimulationDesign(n_firms=12, rbar=0.2, effect=0.01), 1, rng=42)
    # holes, so that alignment and masks matter
    rng = np.random.default_rng(3)
    ret = panel.ret.copy()
    ret[rng.random(ret.shape) < 0.02] = np.nan
    ret[:, panel.day_index(0) : panel.day_index(5) + 1] = panel.ret[:, panel.day_index(0) : panel.day_index(5) + 1]
    from dataclasses import replace

    panel = replace(panel, ret=ret)
    abn = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=100)
    return panel, abn


def _sample(sim, w):
    panel, abn = sim
    return make_sample(panel, abn, np.flatnonzero(abn.usable(w)), w, model=MarketModel(), min_estimation=100)


@pytest.mark.parametrize("w", range(len(WINDOWS)))
def test_portfolio_t_equals_statsmodels_on_the_portfolio(sim, w):
    panel, abn = sim
    rows = np.flatnonzero(abn.usable(w))
    both = np.isfinite(panel.ret[rows]) & np.isfinite(panel.mret[rows])
    pr = pd.DataFrame(np.where(both, panel.ret[rows], np.nan)).mean(axis=0).to_numpy()
    pm = pd.DataFrame(np.where(both, panel.mret[rows], np.nan)).mean(axis=0).to_numpy()
    est = panel.estimation & np.isfinite(pr)
    fit = sm.OLS(pr[est], sm.add_constant(pm[est])).fit()
    a, b = WINDOWS[w]
    sel = (panel.rel >= a) & (panel.rel <= b)
    xs = np.column_stack([np.ones(sel.sum()), pm[sel]])
    car = (pr[sel] - xs @ fit.params).sum()
    g = xs.sum(axis=0)
    var = fit.scale * sel.sum() + g @ fit.cov_params() @ g
    res = TESTS.get("portfolio_t")(_sample(sim, w))
    assert res.statistic == pytest.approx(car / np.sqrt(var), rel=1e-10)
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(car / np.sqrt(var)), fit.df_resid), rel=1e-10)


def _textbook_rank(ar: np.ndarray, window_cols: np.ndarray) -> float:
    """Corrado–Zivney, written out with pandas ranks, one firm at a time."""
    u = np.full(ar.shape, np.nan)
    for i in range(ar.shape[0]):
        s = pd.Series(ar[i])
        u[i] = (s.rank(method="average") / (s.notna().sum() + 1) - 0.5).to_numpy()
    frame = pd.DataFrame(u)
    n_t = frame.notna().sum(axis=0)
    ubar = frame.mean(axis=0)
    days = n_t > 0
    s2 = (n_t[days] * ubar[days] ** 2).sum() / days.sum()
    return float(sum(np.sqrt(n_t[c]) * ubar[c] for c in window_cols) / np.sqrt(s2 * len(window_cols)))


@pytest.mark.parametrize("w", range(len(WINDOWS)))
def test_rank_z_equals_textbook(sim, w):
    s = _sample(sim, w)
    assert TESTS.get("rank_z")(s).statistic == pytest.approx(_textbook_rank(s.ar_all, s.window_cols), rel=1e-12)


@pytest.mark.parametrize("w", range(len(WINDOWS)))
def test_grank_t_equals_textbook(sim, w):
    s = _sample(sim, w)
    scar_star = s.scar / s.scar.std(ddof=1)
    gsar = np.column_stack([s.sar_all[:, s.estimation_cols], scar_star])
    frame = pd.DataFrame(gsar).T  # days × firms
    u = frame.rank(method="average") / (frame.notna().sum() + 1) - 0.5
    n = gsar.shape[0]
    n_t = u.notna().sum(axis=1)
    ubar = u.mean(axis=1)
    keep = n_t > 0
    t_days = keep.sum()
    s2 = ((n_t[keep] / n) * ubar[keep] ** 2).sum() / t_days
    z = ubar.iloc[-1] / np.sqrt(s2)
    t = z * np.sqrt((t_days - 2) / (t_days - 1 - z**2))
    res = TESTS.get("grank_t")(s)
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.distribution == f"t({t_days - 2})"


def test_wilcoxon_pvalue_is_scipys(sim):
    s = _sample(sim, 1)
    res = TESTS.get("wilcoxon")(s)
    assert res.pvalue == pytest.approx(stats.wilcoxon(s.car).pvalue, rel=1e-12)
    w_plus = stats.rankdata(np.abs(s.car))[s.car > 0].sum()
    assert res.statistic == w_plus


@pytest.mark.parametrize("n", [3, 8, 13, 14, 30, 50, 51, 200])
@pytest.mark.parametrize("case", ["untied", "ties", "zeros", "shifted"])
def test_signed_rank_matches_scipy(n, case):
    """Every branch of scipy's method="auto": exact, permutation (ties or zeros, N ≤ 13) and normal."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    if case == "ties":
        x = np.round(x, 1)
    elif case == "zeros":
        x[: max(1, n // 5)] = 0.0
    elif case == "shifted":
        x += 2.0  # far in the tail: the exact p-value is 2/2^N for N ≤ 50
    w_plus, p = signed_rank(x)
    ref = stats.wilcoxon(x, correction=True)
    d = x[x != 0]
    assert w_plus == stats.rankdata(np.abs(d))[d > 0].sum()
    assert p == pytest.approx(ref.pvalue, rel=1e-12)


def test_signed_rank_exact_by_hand():
    # N = 4: the 16 sign patterns give W+ = 0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10
    assert signed_rank_cdf(4)[[0, 1, 3, 5]] * 16 == pytest.approx([1, 2, 5, 9])
    # W+ = 1 (the smallest |x| the only positive one): P(W+ <= 1) = 2/16, two-sided 0.25
    assert signed_rank(np.array([0.1, -0.2, -0.3, -0.4])) == (1.0, 0.25)


def test_sign_exact_binomial(sim):
    s = _sample(sim, 0)
    res = TESTS.get("sign_z")(s)
    w = int((s.car > 0).sum())
    assert res.details["pvalue_exact"] == pytest.approx(stats.binomtest(w, s.n).pvalue, rel=1e-12)


def test_bootstrap_is_seeded_and_matches_a_direct_resample(sim):
    s = _sample(sim, 1)
    from dataclasses import replace

    a = TESTS.get("bootstrap")(replace(s, rng=np.random.default_rng(5)))
    b = TESTS.get("bootstrap")(replace(s, rng=np.random.default_rng(5)))
    assert a == b
    idx = np.random.default_rng(5).integers(0, s.n, size=(9999, s.n))
    means = s.car[idx].mean(axis=1)
    assert a.details["ci_low_percentile"] == pytest.approx(np.percentile(means, 2.5), rel=1e-12)
    p = (np.sum(np.abs(means - s.car.mean()) >= abs(s.car.mean())) + 1) / 10000
    assert a.pvalue == pytest.approx(p, rel=1e-12)
    assert a.details["ci_low_bca"] < s.car.mean() < a.details["ci_high_bca"]


def test_bootstrap_resid_keeps_dates_together(sim):
    s = _sample(sim, 0)
    res = TESTS.get("bootstrap_resid")(s)
    frame = pd.DataFrame(s.resid.T, index=s.resid_dates[0])
    aar = frame.mean(axis=1).to_numpy()
    draws = aar[np.random.default_rng(0).integers(0, aar.size, size=(9999, 1))].sum(axis=1) - aar.mean()
    p = (np.sum(np.abs(draws) >= abs(s.car.mean())) + 1) / 10000
    assert res.pvalue == pytest.approx(p, rel=1e-12)


def test_pooled_sets_count_each_firm_event_once():
    panel = simulate_panel(SimulationDesign(n_firms=5), 3, rng=1)
    cells = group_cells(panel.keys, ("group",), {"pooled:all": ["r0", "r1", "r2"], "pooled:two": ["r0", "r2"]})
    sizes = {eid: rows.size for eid, _, rows in cells}
    assert sizes == {"r0": 5, "r1": 5, "r2": 5, "pooled:all": 15, "pooled:two": 10}
    abn = compute_abnormal(panel, MarketModel(), [(0, 0)], min_estimation=100)
    table = run_tests(panel, abn, ["csect_t"], ("group",), pools={"pooled:all": ["r0", "r1", "r2"]})
    row = table.set_index("event_id").loc["pooled:all"]
    # the replications share tickers and sessions: a security's three firm-events cover the same day, so the pooled
    # set keeps the first of them and leaves the other two out (METHODS §4b)
    assert row["nobs"] == 5
    assert row["notes"].startswith("10 firm-events left out")


# ---------------------------------------------------------------------------- simulation: size and power
SIZE_TESTS = ["kp_bmp_t", "portfolio_t", "cda_t", "grank_t", "bmp_t", "csect_t"]


@pytest.fixture(scope="module")
def size_table():
    rows = [
        rejection_rates(SimulationDesign(n_firms=30, rbar=r), SIZE_TESTS, n_reps=1000, rng=2025)
        for r in (0.0, 0.1, 0.3)
    ]
    return pd.concat(rows).set_index(["rbar", "test"])["rejection_rate"]


@pytest.mark.parametrize("rbar", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("test", ["kp_bmp_t", "portfolio_t", "cda_t"])
def test_robust_tests_hold_size(size_table, rbar, test):
    assert 0.03 <= size_table[(rbar, test)] <= 0.07


def test_grank_holds_size_without_correlation(size_table):
    assert 0.03 <= size_table[(0.0, "grank_t")] <= 0.07


@pytest.mark.parametrize("rbar", [0.1, 0.3])
def test_grank_stays_near_nominal_under_correlation(size_table, rbar):
    """GRANK re-standardises the event-day SCAR by its cross-sectional sd, which leaves the common shock in; it
    drifts a little above 5 % as r̄ rises (7.1 % and 8.0 % at r̄ = 0.1 and 0.3 with this seed), far below BMP."""
    assert size_table[(rbar, "grank_t")] < 0.1
    assert size_table[(rbar, "grank_t")] < size_table[(rbar, "bmp_t")] / 3


@pytest.mark.parametrize("test", ["bmp_t", "csect_t"])
def test_naive_tests_over_reject_as_correlation_rises(size_table, test):
    assert 0.03 <= size_table[(0.0, test)] <= 0.07
    assert size_table[(0.1, test)] > 0.15
    assert size_table[(0.3, test)] > size_table[(0.1, test)]


def test_power_rises_with_the_effect():
    rates = [
        rejection_rates(
            SimulationDesign(n_firms=30, rbar=0.1, effect=e), ["kp_bmp_t", "portfolio_t"], n_reps=300, rng=7
        ).set_index("test")["rejection_rate"]
        for e in (0.0, 0.005, 0.01, 0.03)
    ]
    for test in ("kp_bmp_t", "portfolio_t"):
        seq = [r[test] for r in rates]
        assert seq == sorted(seq) and seq[-1] > 0.9


def test_runner_reuses_ranks_and_portfolio_across_windows_without_changing_results(sim):
    """The runner's per-cell work (panel-wide ranks, one correlation matrix and date layout per cell, every
    portfolio fitted in one call) gives the same numbers as a fresh sample of each window, including windows that
    lose firm-events to a missing return: their samples are strict subsets of the cell."""
    from dataclasses import replace

    panel, _ = sim
    ret = panel.ret.copy()
    ret[0, panel.day_index(3)] = np.nan  # firm 0 misses day 3: [0, 0] and [-1, 1] complete, [0, 5] not
    ret[5, panel.day_index(-1)] = np.nan  # firm 5 misses day -1: only [-1, 1] loses it
    ret[7, panel.day_index(0)] = np.nan  # firm 7 misses day 0: every window loses it
    p = replace(panel, ret=ret)
    abn = compute_abnormal(p, MarketModel(), WINDOWS, min_estimation=100)
    assert abn.status[0] == "missing_event_window"
    names = [*DEFAULT_TESTS, "gsign_z_estudy2", "bootstrap_resid"]
    table = run_tests(p, abn, names, ("group",), model=MarketModel(), min_estimation=100, rng=11)
    table = table.set_index(["window", "test"])
    for w, label in enumerate(["0_0", "m1_1", "0_5"]):
        s = make_sample(p, abn, np.flatnonzero(abn.usable(w)), w, model=MarketModel(), min_estimation=100)
        for name in names:
            want = TESTS.get(name)(s)
            assert table.loc[(label, name), "statistic"] == pytest.approx(want.statistic, rel=1e-12), name
            if name != "bootstrap_resid":  # its p-value draws from the cell's own stream
                assert table.loc[(label, name), "pvalue"] == pytest.approx(want.pvalue, rel=1e-10), name
    assert table.loc[("0_5", "rank_z"), "nobs"] == 10 and table.loc[("0_0", "rank_z"), "nobs"] == 11
    assert table.loc[("m1_1", "rank_z"), "nobs"] == 10


def test_grank_t_with_scar_tied_to_estimation_sars_equals_textbook():
    """SCAR*_i equal to some of firm i's estimation SARs: the cumulated day and those days share average ranks."""
    rng = np.random.default_rng(4)
    n, m = 4, 30
    sar = rng.normal(size=(n, m)).round(1)
    sar[1, 3] = np.nan
    scar = np.array([0.5, -1.0, 1.5, 0.0])
    star = scar / scar.std(ddof=1)
    sar[0, [2, 9]] = star[0]  # two estimation days tied with the cumulated day
    sar[2, 5] = star[2]
    cols = np.arange(m)
    ar_all = np.column_stack([sar, np.zeros((n, 1))])
    cell = Cell(
        resid=sar,
        resid_dates=np.broadcast_to(np.arange(m).astype("datetime64[D]").astype("datetime64[ns]"), (n, m)),
        ar_all=ar_all,
        sar_all=ar_all,
        nobs=np.full(n, float(m)),
        estimation_cols=cols,
    )
    s = Sample(car=scar, var_car=np.ones(n), scar=scar, df_loss=2, length=1, cell=cell, members=np.arange(n))
    gsar = np.column_stack([sar, star])
    frame = pd.DataFrame(gsar).T
    u = frame.rank(method="average") / (frame.notna().sum() + 1) - 0.5
    n_t = u.notna().sum(axis=1)
    ubar = u.mean(axis=1)
    t_days = int((n_t > 0).sum())
    s2 = ((n_t / n) * ubar**2).sum() / t_days
    z = ubar.iloc[-1] / np.sqrt(s2)
    t = z * np.sqrt((t_days - 2) / (t_days - 1 - z**2))
    assert TESTS.get("grank_t")(s).statistic == pytest.approx(t, rel=1e-12)
    # and as a strict subset of a larger cell
    bigger = Cell(
        resid=np.vstack([sar, sar[:1]]),
        resid_dates=np.broadcast_to(cell.resid_dates[:1], (n + 1, m)),
        ar_all=np.vstack([ar_all, ar_all[:1] + 0.3]),
        sar_all=np.vstack([ar_all, ar_all[:1] + 0.3]),
        nobs=np.full(n + 1, float(m)),
        estimation_cols=cols,
    )
    sub = Sample(car=scar, var_car=np.ones(n), scar=scar, df_loss=2, length=1, cell=bigger, members=np.arange(n))
    assert TESTS.get("grank_t")(sub).statistic == pytest.approx(t, rel=1e-12)


def test_average_ranks_are_scipys_with_ties_gaps_and_a_subset():
    from eventstudy.inference.rank import average_ranks

    rng = np.random.default_rng(8)
    values = rng.normal(size=(3000, 40)).round(2)  # ties in most rows
    values[rng.random(values.shape) < 0.05] = np.nan
    values[::7] = rng.normal(size=values[::7].shape)  # and rows without ties
    subset = rng.random(values.shape) < 0.8
    ranks, sub = average_ranks(values, subset)
    valid = np.isfinite(values)
    want = np.where(valid, stats.rankdata(np.where(valid, values, np.inf), axis=1), np.nan)
    inside = valid & subset
    want_sub = np.where(inside, stats.rankdata(np.where(inside, values, np.inf), axis=1), np.nan)
    np.testing.assert_array_equal(ranks, want)
    np.testing.assert_array_equal(sub, want_sub)


def test_sign_exact_pvalue_is_binomtest_for_every_count():
    from eventstudy.inference.nonparametric import binomial_two_sided

    for n in [1, 2, 3, 10, 51, 200, 1001]:
        for w in range(n + 1):
            assert binomial_two_sided(w, n) == pytest.approx(stats.binomtest(w, n, 0.5).pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("missing", [0.01, 0.3])
def test_pairwise_correlation_matches_pandas_on_aligned_dates(missing):
    """Few gaps or many, and a firm short of common dates: pandas' pairwise-complete Pearson."""
    from eventstudy.inference.parametric import pairwise_correlation

    rng = np.random.default_rng(9)
    n, t = 30, 60
    resid = rng.normal(size=(n, t)) + rng.normal(size=(1, t))
    resid[rng.random((n, t)) < missing] = np.nan
    resid[3, :50] = np.nan  # a firm with fewer than 5 dates in common with some
    dates = np.broadcast_to(np.array(pd.bdate_range("2024-01-01", periods=t).values, dtype="datetime64[ns]"), (n, t))
    want = pd.DataFrame(resid.T).corr(min_periods=5).to_numpy()
    np.testing.assert_allclose(pairwise_correlation(resid, dates), want, atol=1e-12)


def test_aar_table_band_is_the_cross_sectional_t_interval_of_the_cumulated_path(sim):
    from eventstudy.inference.runner import aar_table

    panel, abn = sim
    table = aar_table(panel, abn, ("group",))
    cols = np.flatnonzero(panel.event)
    rows = np.flatnonzero(np.isfinite(abn.ar[:, cols]).all(axis=1))
    cum = pd.DataFrame(abn.ar[rows][:, cols]).cumsum(axis=1)
    n = len(rows)
    day = 12  # event day +2
    r = table.iloc[day]
    assert r["event_day"] == panel.rel[cols][day] and r["nobs"] == n
    assert r["caar"] == pytest.approx(cum[day].mean(), abs=1e-14)
    half = stats.t.ppf(0.975, n - 1) * cum[day].std(ddof=1) / np.sqrt(n)
    assert r["ci_low"] == pytest.approx(cum[day].mean() - half, abs=1e-14)
    assert r["ci_high"] == pytest.approx(cum[day].mean() + half, abs=1e-14)


def _shifted_panel():
    """Ten firms sharing date-level shocks; five have day 0 one session later (another time zone)."""
    from dataclasses import replace

    panel = simulate_panel(SimulationDesign(n_firms=10, rbar=0.4), 1, rng=8)
    dates = panel.dates.copy()
    shift = np.zeros(10, dtype=int)
    shift[5:] = 1
    base = pd.bdate_range("2019-12-01", periods=panel.rel.size + 2).values.astype("datetime64[ns]")
    for i in range(10):
        dates[i] = base[shift[i] : shift[i] + panel.rel.size]
    keys = panel.keys.copy()
    keys["day0"] = [pd.Timestamp(dates[i, panel.day_index(0)]) for i in range(10)]
    keys["exchange"] = ["A"] * 5 + ["B"] * 5
    return replace(panel, dates=dates, keys=keys)


def test_cda_t_averages_residuals_by_calendar_date():
    panel = _shifted_panel()
    abn = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=100)
    s = make_sample(panel, abn, np.arange(10), 0)
    by_date = pd.DataFrame({"d": s.resid_dates.ravel(), "e": s.resid.ravel()}).dropna().groupby("d")["e"].mean()
    t = s.car.mean() / (by_date.std(ddof=1) * 1.0)
    res = TESTS.get("cda_t")(s)
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.distribution == f"t({by_date.size - 1})"


def test_portfolio_t_forms_one_portfolio_per_exchange_and_day0():
    from eventstudy.inference.runner import portfolio_car

    panel = _shifted_panel()
    abn = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=100)
    s = make_sample(panel, abn, np.arange(10), 1, model=MarketModel(), min_estimation=100)
    res = TESTS.get("portfolio_t")(s)
    a = portfolio_car(panel, np.arange(5), MarketModel(), (-1, 1), min_estimation=100)
    b = portfolio_car(panel, np.arange(5, 10), MarketModel(), (-1, 1), min_estimation=100)
    want = (0.5 * a[0] + 0.5 * b[0]) / np.sqrt(0.25 * a[1] + 0.25 * b[1])
    assert res.statistic == pytest.approx(want, rel=1e-12)
    assert "2 portfolios" in res.notes and res.details["portfolios"] == 2


def test_bootstrap_pvalues_do_not_depend_on_other_cells():
    panel = simulate_panel(SimulationDesign(n_firms=8, effect=0.01), 2, rng=3)
    abn = compute_abnormal(panel, MarketModel(), [(0, 0)], min_estimation=100)
    both = run_tests(panel, abn, ["bootstrap", "csect_t"], ("group",), rng=5).set_index(["event_id", "test"])
    only = run_tests(panel, abn, ["bootstrap"], ("group",), rng=5).set_index(["event_id", "test"])
    assert both.loc[("r1", "bootstrap"), "pvalue"] == only.loc[("r1", "bootstrap"), "pvalue"]


def test_group_cells_keep_a_label_shared_by_different_firm_events():
    keys = pd.DataFrame({"event_id": "e", "group": ["miners", "miners", "etf"], "segment": ["x", "miners", "etf"]})
    cells = {(eid, lab): rows.tolist() for eid, lab, rows in group_cells(keys, ("group", "segment"))}
    assert cells == {("e", "etf"): [2], ("e", "miners"): [0, 1], ("e", "segment:miners"): [1], ("e", "x"): [0]}
