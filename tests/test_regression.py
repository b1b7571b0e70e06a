"""MVRM/SUR event-dummy regressions and cross-sectional CAR regressions (METHODS §5).

References: equation-by-equation statsmodels OLS (identical regressors, where GLS = OLS), linearmodels' own SUR
FGLS (balanced panels), statsmodels GLS on the stacked observed cells (unbalanced panels), a simulation with known
effects, and statsmodels formula fits on a frame built here from ``firm_events``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from helpers.mvrm_panels import equations_from, make_panel, securities_frame, simulate
from linearmodels.system import SUR

from eventstudy.regression import ledoit_wolf_intensity, mvrm
from eventstudy.windows import Panel

TOL = 1e-8


@pytest.fixture(scope="module")
def common_regressors() -> Panel:
    rng = np.random.default_rng(11)
    ret, mret = simulate(rng, 5, 260)
    return make_panel(ret, mret, securities_frame(5, ["a", "a", "a", "b", "b"]), {"e1": 140, "e2": 200})


@pytest.fixture(scope="module")
def two_benchmarks() -> Panel:
    rng = np.random.default_rng(12)
    ret, mret = simulate(rng, 6, 260, rho=0.4, benchmarks=2)
    return make_panel(ret, mret, securities_frame(6, ["a", "a", "a", "b", "b", "b"]), {"e1": 140, "e2": 200})


# ------------------------------------------------------------------ (i) identical regressors: GLS = OLS
def test_sur_equals_equation_by_equation_ols(common_regressors):
    panel = common_regressors
    res = mvrm(panel, events=["e1", "e2"], window=(-1, 1), shrink="none", min_estimation=50)
    eqs = equations_from(panel, ["e1", "e2"], (-1, 1))
    assert res.equations == 5
    for tk, eq in eqs.items():
        ols = sm.OLS(eq["dependent"], eq["exog"]).fit()
        for ev in ("e1", "e2"):
            got = res.coefficients.set_index(["security", "event_id"]).loc[(tk, ev), "gamma"]
            assert got == pytest.approx(ols.params[f"gamma:{ev}"], abs=TOL)


def test_car_is_length_times_gamma(common_regressors):
    res = mvrm(common_regressors, events=["e1"], window=(-1, 1), shrink="none", min_estimation=50)
    c = res.coefficients
    np.testing.assert_allclose(c["car"], 3 * c["gamma"], rtol=0, atol=1e-15)


# ------------------------------------------------------------------ (ii) Wald (a) against linearmodels' own FGLS
def test_wald_all_zero_matches_linearmodels_fgls(two_benchmarks):
    panel = two_benchmarks
    res = mvrm(panel, events=["e1", "e2"], window=(0, 1), shrink="none", min_estimation=50)
    eqs = equations_from(panel, ["e1", "e2"], (0, 1))
    ref = SUR(eqs).fit(method="gls", cov_type="unadjusted", debiased=True)
    b, v = ref.params, ref.cov
    names = [f"{tk}_gamma:e1" for tk in eqs]
    r = pd.DataFrame(0.0, index=range(len(names)), columns=b.index)
    for i, nm in enumerate(names):
        r.loc[i, nm] = 1.0
    rb = r.to_numpy() @ b.to_numpy()
    hand = float(rb @ np.linalg.solve(r.to_numpy() @ v.to_numpy() @ r.to_numpy().T, rb))
    row = res.test("all_zero", event_id="e1", group="all").iloc[0]
    assert row["statistic"] == pytest.approx(hand, rel=TOL)
    assert row["df"] == 6
    assert row["f_statistic"] == pytest.approx(hand / 6, rel=TOL)
    # the GLS here differs from OLS (the benchmarks differ), so the comparison is not vacuous
    g_ols = sm.OLS(eqs["S00"]["dependent"], eqs["S00"]["exog"]).fit().params["gamma:e1"]
    assert abs(b["S00_gamma:e1"] - g_ols) > 1e-6
    # the coefficients and their standard errors
    coef = res.coefficients.set_index(["security", "event_id"])
    for tk in eqs:
        assert coef.loc[(tk, "e2"), "gamma"] == pytest.approx(b[f"{tk}_gamma:e2"], abs=TOL)
        assert coef.loc[(tk, "e2"), "se"] == pytest.approx(np.sqrt(v.loc[f"{tk}_gamma:e2", f"{tk}_gamma:e2"]), rel=1e-7)


def test_missing_cells_equal_gls_on_observed_cells():
    """Unbalanced calendar: the cell indicators give the GLS of the stacked observed cells (statsmodels GLS)."""
    rng = np.random.default_rng(5)
    ret, mret = simulate(rng, 3, 140, rho=0.5)
    ret.iloc[[20, 21, 60, 90], 0] = np.nan  # a halt and two holidays for S00
    ret.iloc[[33, 61], 2] = np.nan
    panel = make_panel(ret, mret, securities_frame(3, ["a", "a", "b"]), {"e1": 110}, estimation_window=(-100, -11))
    res = mvrm(panel, events=["e1"], window=(0, 0), shrink="none", min_estimation=50)
    sigma = res.sigma.to_numpy()
    eqs = equations_from(panel, ["e1"], (0, 0))
    ys, xs, eq_of, date_of = [], [], [], []
    widths = [eq["exog"].shape[1] for eq in eqs.values()]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    for i, eq in enumerate(eqs.values()):
        ok = eq["dependent"].notna().to_numpy()
        x = np.zeros((ok.sum(), offsets[-1]))
        x[:, offsets[i] : offsets[i + 1]] = eq["exog"].to_numpy()[ok]
        ys.append(eq["dependent"].to_numpy()[ok])
        xs.append(x)
        eq_of += [i] * int(ok.sum())
        date_of += list(eq["dependent"].index[ok])
    eq_of, date_of = np.array(eq_of), np.array(date_of)
    omega = np.where(date_of[:, None] == date_of[None, :], sigma[eq_of][:, eq_of], 0.0)
    gls = sm.GLS(np.concatenate(ys), np.vstack(xs), sigma=omega).fit()
    names = [f"{tk}_{c}" for tk, eq in eqs.items() for c in eq["exog"].columns]
    ref_b = pd.Series(gls.params, index=names)
    ref_v = pd.DataFrame(gls.normalized_cov_params, index=names, columns=names)
    assert res.nobs == len(eq_of)
    for tk in eqs:
        nm = f"{tk}_gamma:e1"
        assert res.params[nm] == pytest.approx(ref_b[nm], abs=TOL)
        assert res.cov.loc[nm, nm] == pytest.approx(ref_v.loc[nm, nm], rel=1e-7)
    assert res.params[["S00_market", "S02_market"]].to_numpy() == pytest.approx(
        ref_b[["S00_market", "S02_market"]].to_numpy(), abs=TOL
    )


def test_ledoit_wolf_intensity_hand_example():
    """Ledoit & Wolf (2004): δ = min(b̄², d²)/d², checked on a 4×2 example computed by hand."""
    x = np.array([[1.0, 2.0], [-1.0, 0.0], [2.0, -1.0], [-2.0, -1.0]])  # column means are zero
    s = x.T @ x / 4  # [[2.5, 0.5], [0.5, 1.5]]
    m = 2.0
    d2 = ((s - m * np.eye(2)) ** 2).sum() / 2  # (0.25 + 0.25 + 0.25 + 0.25) / 2 = 0.5
    b2 = sum(((np.outer(r, r) - s) ** 2).sum() for r in x) / 16 / 2
    assert d2 == pytest.approx(0.5)
    assert ledoit_wolf_intensity(x) == pytest.approx(min(b2, d2) / d2, rel=1e-12)


# ------------------------------------------------------------------ (iii) recovery and size
def test_recovers_injected_group_effect():
    rng = np.random.default_rng(2024)
    n, t, p0 = 20, 260, 240
    groups = ["hit"] * 10 + ["flat"] * 10
    effects = {(f"S{i:02d}", p0): 0.03 for i in range(10)}
    ret, mret = simulate(rng, n, t, rho=0.3, effects=effects)
    panel = make_panel(ret, mret, securities_frame(n, groups), {"e1": p0}, estimation_window=(-230, -11))
    res = mvrm(panel, events=["e1"], window=(0, 0), group_col="group", min_estimation=150)
    assert "shrunk" in res.covariance_note  # N = 20 > T/10 with T = 241
    hit = res.test("mean_zero", event_id="e1", group="hit").iloc[0]
    assert hit["estimate"] - 1.96 * hit["se"] <= 0.03 <= hit["estimate"] + 1.96 * hit["se"]
    flat = res.test("mean_zero", event_id="e1", group="flat").iloc[0]
    assert flat["estimate"] - 1.96 * flat["se"] <= 0.0 <= flat["estimate"] + 1.96 * flat["se"]
    diff = res.test("groups_equal", event_id="e1", group="hit", other_group="flat").iloc[0]
    assert diff["pvalue"] < 0.01
    assert diff["estimate"] == pytest.approx(hit["estimate"] - flat["estimate"], abs=1e-12)


def test_mean_zero_holds_size_under_cross_correlation():
    """100 seeded replications with no effect and ρ = 0.5: rejections at 5 % within a binomial band.

    With ρ = 0.5 a test that ignored the cross-correlation would reject about a third of the time.
    """
    rejections = 0
    reps = 100
    for seed in range(reps):
        rng = np.random.default_rng(1000 + seed)
        ret, mret = simulate(rng, 6, 130, rho=0.5)
        panel = make_panel(
            ret, mret, securities_frame(6, ["g"] * 6), {"e1": 120}, estimation_window=(-110, -11), event_window=(-3, 3)
        )
        res = mvrm(panel, events=["e1"], window=(0, 0), group_col="group", shrink="none", min_estimation=60)
        rejections += res.test("mean_zero", event_id="e1", group="g").iloc[0]["pvalue"] < 0.05
    # P(X <= 11 | Bin(100, 0.05)) = 0.997; P(X >= 1) = 0.994
    assert 1 <= rejections <= 11, rejections


# ------------------------------------------------------------------ the real study (real_results: conftest.py)
@pytest.fixture(scope="module")
def real_mvrm(real_results):
    return real_results.mvrm()


def test_real_study_deal_event_wald_tests_are_finite(real_mvrm):
    deal = "jun27_deal_formalised"
    w = real_mvrm.wald
    rows = [
        real_mvrm.test("all_zero", event_id=deal, group="all"),
        real_mvrm.test("mean_zero", event_id=deal, group="miners"),
        real_mvrm.test("groups_equal", event_id=deal, group="miners", other_group="defense"),
        real_mvrm.test("groups_equal", event_id=deal, group="miners_ex_china", other_group="miners_china"),
        real_mvrm.test("events_offset", event_id="apr04_china_controls", other_event_id=deal, group="all"),
        real_mvrm.test("events_equal", event_id="apr04_china_controls", other_event_id=deal, group="all"),
    ]
    for r in rows:
        assert len(r) == 1
        assert np.isfinite(r.iloc[0]["statistic"]) and 0 <= r.iloc[0]["pvalue"] <= 1
    assert rows[0].iloc[0]["df"] >= 25  # one restriction per security with a deal dummy
    assert np.isfinite(w["statistic"]).all()
    assert real_mvrm.covariance_note
    assert set(real_mvrm.coefficients["security"]) >= {"MP", "LMT", "600111.SS", "LYC.AX"}


def test_real_study_outputs_write(real_results, tmp_path):
    # fit() ran the analyse stage: the tables of mvrm.csv and regressions.csv are in the results
    assert (real_results.analyses["mvrm"]["kind"] == "wald").any()
    reg = real_results.analyses["regressions"]
    assert set(reg["scope"]) == {"jun27_deal_formalised", "pooled"}
    assert reg["coef"].notna().all()


# ------------------------------------------------------------------ (iv) cross-sectional regressions
def _reference_frame(results) -> pd.DataFrame:
    fe = results.firm_events
    fe = fe[fe["status"].isin(["ok", "missing_event_window"]) & fe["car_m1_1"].notna()]
    fe = fe.merge(results.events[["event_id", "direction"]], on="event_id")
    return fe.rename(columns={"car_m1_1": "car", "var_car_m1_1": "var_car"})


@pytest.mark.parametrize("formula", ["car ~ C(segment)", "car ~ C(segment) * C(direction)"])
def test_regress_equals_statsmodels_hc3(real_results, formula):
    ref_frame = _reference_frame(real_results)
    ref = smf.ols(formula, data=ref_frame).fit(cov_type="HC3")
    got = real_results.regress(formula)
    assert got.nobs == int(ref.nobs) == len(ref_frame)
    p = got.params.set_index("term")
    np.testing.assert_allclose(p["coef"], ref.params[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["se"], ref.bse[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["ci_low"], ref.conf_int()[0][p.index], rtol=1e-10)
    assert got.r2 == pytest.approx(ref.rsquared, rel=1e-12)


def test_regress_patell_weights_and_characteristics(real_results):
    ref_frame = _reference_frame(real_results)
    ref_frame = ref_frame[ref_frame["event_id"] == "jun27_deal_formalised"]
    size = pd.DataFrame({"ticker": sorted(ref_frame["ticker"].unique())})
    size["size"] = np.arange(len(size), dtype=float)
    ref = smf.wls(
        "car ~ china_listed + size",
        data=ref_frame.assign(china_listed=ref_frame["exchange"].isin(["XSHG", "XSHE"]).astype(int)).merge(
            size, on="ticker"
        ),
        weights=1.0 / ref_frame["var_car"].to_numpy(),
    ).fit(cov_type="HC3")
    got = real_results.regress("car ~ china_listed + size", size, weights="patell", events=["jun27_deal_formalised"])
    np.testing.assert_allclose(got.params.set_index("term")["coef"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(got.params.set_index("term")["se"], ref.bse, rtol=1e-10)


def test_momentum_is_the_sum_of_returns_over_days_m30_to_m11(real_results):
    frame = real_results.regress("car ~ momentum").data
    panel = real_results.panel
    row = frame.dropna(subset=["momentum"]).iloc[0]
    i = np.flatnonzero((panel.keys["event_id"] == row["event_id"]) & (panel.keys["ticker"] == row["ticker"]))[0]
    days = (panel.rel >= -30) & (panel.rel <= -11)
    assert days.sum() == 20
    assert row["momentum"] == pytest.approx(float(panel.ret[i, days].sum()), rel=1e-12)
