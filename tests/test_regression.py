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
    assert res.nobs == 5  # N: one equation per security
    for tk, eq in eqs.items():
        ols = sm.OLS(eq["dependent"], eq["exog"]).fit()
        for ev in ("e1", "e2"):
            got = res.coefficients.set_index(["ticker", "event_id"]).loc[(tk, ev), "gamma"]
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
    assert row["df_num"] == 6
    assert row["f_statistic"] == pytest.approx(hand / 6, rel=TOL)
    # the GLS here differs from OLS (the benchmarks differ), so the comparison is not vacuous
    g_ols = sm.OLS(eqs["S00"]["dependent"], eqs["S00"]["exog"]).fit().params["gamma:e1"]
    assert abs(b["S00_gamma:e1"] - g_ols) > 1e-6
    # the coefficients and their standard errors
    coef = res.coefficients.set_index(["ticker", "event_id"])
    for tk in eqs:
        assert coef.loc[(tk, "e2"), "gamma"] == pytest.approx(b[f"{tk}_gamma:e2"], abs=TOL)
        se = np.sqrt(v.loc[f"{tk}_gamma:e2", f"{tk}_gamma:e2"])
        assert coef.loc[(tk, "e2"), "gamma_std_err"] == pytest.approx(se, rel=1e-7)
        assert coef.loc[(tk, "e2"), "std_err"] == pytest.approx(2 * se, rel=1e-7)  # CAR [0, 1] = 2 gamma


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
    assert res.n_security_days == len(eq_of)
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
    assert hit["estimate"] - 1.96 * hit["std_err"] <= 0.03 <= hit["estimate"] + 1.96 * hit["std_err"]
    flat = res.test("mean_zero", event_id="e1", group="flat").iloc[0]
    assert flat["estimate"] - 1.96 * flat["std_err"] <= 0.0 <= flat["estimate"] + 1.96 * flat["std_err"]
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
    assert rows[0].iloc[0]["df_num"] >= 25  # one restriction per security with a deal dummy
    assert np.isfinite(w["statistic"]).all()
    assert real_mvrm.covariance_note
    assert set(real_mvrm.coefficients["ticker"]) >= {"MP", "LMT", "600111.SS", "LYC.AX"}


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
    got = real_results.regress(formula, cov_type="HC3")  # the pooled default clusters: see (v)
    assert got.nobs == int(ref.nobs) == len(ref_frame)
    p = got.params.set_index("term")
    np.testing.assert_allclose(p["coef"], ref.params[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["std_err"], ref.bse[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["pvalue"], ref.pvalues[p.index], rtol=1e-10)
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
    np.testing.assert_allclose(got.params.set_index("term")["std_err"], ref.bse, rtol=1e-10)


def test_momentum_is_the_sum_of_returns_over_days_m30_to_m11(real_results):
    frame = real_results.regress("car ~ momentum").data
    panel = real_results.panel
    row = frame.dropna(subset=["momentum"]).iloc[0]
    i = np.flatnonzero((panel.keys["event_id"] == row["event_id"]) & (panel.keys["ticker"] == row["ticker"]))[0]
    days = (panel.rel >= -30) & (panel.rel <= -11)
    assert days.sum() == 20
    assert row["momentum"] == pytest.approx(float(panel.ret[i, days].sum()), rel=1e-12)


# ------------------------------------------------------------------ (v) pooled regressions: clustered by event date
def _event_dates_by_hand(results) -> pd.Series:
    """Each event's date as the events file writes it: the announcement's own calendar date (its first ten
    characters, before any time and offset)."""
    ev = results.events
    return pd.Series(ev["announced_at"].astype(str).str[:10].to_numpy(), index=ev["event_id"].to_numpy())


@pytest.mark.parametrize("formula", ["car ~ C(segment) * C(direction)", "car ~ C(segment)"])
def test_pooled_regression_clusters_by_event_date(real_results, formula):
    ref_frame = _reference_frame(real_results)
    dates = ref_frame["event_id"].map(_event_dates_by_hand(real_results))
    groups = pd.factorize(dates)[0]
    ref = smf.ols(formula, data=ref_frame).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    got = real_results.regress(formula)  # every event: a pooled set
    g = int(np.unique(groups).size)
    assert got.cov_type == "cluster" and got.n_clusters == g > 20
    assert got.distribution == f"t({g - 1})" and "clustered by event date" in got.notes
    p = got.params.set_index("term")
    np.testing.assert_allclose(p["coef"], ref.params[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["std_err"], ref.bse[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["pvalue"], ref.pvalues[p.index], rtol=1e-10)
    np.testing.assert_allclose(p["ci_high"], ref.conf_int()[1][p.index], rtol=1e-10)
    # the clustering matters: the HC3 errors of the same fit differ
    hc3 = smf.ols(formula, data=ref_frame).fit(cov_type="HC3")
    assert not np.allclose(p["std_err"], hc3.bse[p.index], rtol=1e-3)


def test_one_event_regression_keeps_hc3_and_cluster_needs_two_dates(real_results):
    deal = "jun27_deal_formalised"
    got = real_results.regress("car ~ C(segment)", events=[deal])
    assert got.cov_type == "HC3" and got.n_clusters == 0 and got.distribution == "N(0,1)"
    with pytest.raises(ValueError, match=r"regress:cov_type.*at least two event dates"):
        real_results.regress("car ~ C(segment)", events=[deal], cov_type="cluster")


def test_regressions_table_says_how_its_errors_were_computed(real_results):
    reg = real_results.analyses["regressions"]
    pooled = reg[reg["scope"] == "pooled"]
    head = reg[reg["scope"] == "jun27_deal_formalised"]
    assert (pooled["cov_type"] == "cluster").all() and (pooled["n_clusters"] > 20).all()
    assert pooled["notes"].str.contains("clustered by event date").all()
    assert (head["cov_type"] == "HC3").all() and (head["n_clusters"] == 0).all()
    direct = real_results.regress("car ~ C(segment) * C(direction)").params
    np.testing.assert_allclose(pooled["std_err"], direct["std_err"], rtol=1e-12)


def test_effective_clusters_by_hand():
    """Balanced clusters share a coefficient equally (G effective clusters); a dummy of one cluster's rows rests
    mostly on that cluster: shares 0.2 and 3 × 1/90 of the squared weights 0.2 + 3/90 by hand."""
    import statsmodels.api as sm

    from eventstudy.regression import effective_clusters

    rng = np.random.default_rng(3)
    x = np.tile(rng.normal(size=8), 4)  # four clusters with the same design
    g = np.repeat(np.arange(4), 8)
    fit = sm.OLS(rng.normal(size=32), sm.add_constant(x)).fit()
    np.testing.assert_allclose(effective_clusters(fit, g), [4.0, 4.0], rtol=1e-12)
    # WLS: the weighted design; equal weights within each cluster's identical rows keep the balance
    wls = sm.WLS(rng.normal(size=32), sm.add_constant(x), weights=np.tile(rng.uniform(1, 2, 8), 4)).fit()
    np.testing.assert_allclose(effective_clusters(wls, g), [4.0, 4.0], rtol=1e-12)
    dummy = np.r_[np.ones(5), np.zeros(30)]
    g2 = np.r_[np.zeros(5), np.repeat([1, 2, 3], 10)].astype(int)
    fit2 = sm.OLS(rng.normal(size=35), sm.add_constant(dummy)).fit()
    shares = np.array([0.2, 1 / 90, 1 / 90, 1 / 90]) / (0.2 + 3 / 90)
    np.testing.assert_allclose(effective_clusters(fit2, g2), [3.0, 1 / (shares**2).sum()], rtol=1e-12)


def test_pooled_terms_on_few_event_dates_are_flagged(real_results):
    """The interaction model's terms each rest on the few event dates of their direction: every one gets its
    effective dates and a note; the HC3 fit of one event has neither."""
    from eventstudy.regression import FEW_EFFECTIVE_CLUSTERS

    got = real_results.regress("car ~ C(segment) * C(direction)").params.set_index("term")
    eff = got["effective_clusters"]
    assert eff.notna().all() and (eff >= 1).all() and (eff <= 33).all()
    few = eff < FEW_EFFECTIVE_CLUSTERS
    assert (got.loc[few, "term_note"].str.contains("unreliable")).all()
    assert (got.loc[~few, "term_note"] == "").all()
    # the main effect the interactions leave to the reference direction's dates: t = -22.7 from about 2 dates
    main = got.loc["C(segment)[T.miners_ex_china]"]
    assert abs(main["statistic"]) > 20 and main["effective_clusters"] < 2.5
    assert "rests on about 2.0 of the 33 event dates" in main["term_note"]
    simple = real_results.regress("car ~ C(segment)").params
    assert simple["effective_clusters"].min() > FEW_EFFECTIVE_CLUSTERS and (simple["term_note"] == "").all()
    head = real_results.regress("car ~ C(segment)", events=["jun27_deal_formalised"]).params
    assert head["effective_clusters"].isna().all() and (head["term_note"] == "").all()


# ------------------------------------------------------------------ (vi) one column vocabulary
def test_mvrm_and_regression_tables_speak_one_vocabulary(real_mvrm, real_results):
    from eventstudy.analyse.regressions import REGRESSION_TABLE_COLUMNS
    from eventstudy.regression import MVRM_COLUMNS, SIGMA_METHODS

    frame = real_mvrm.to_frame()
    assert list(frame.columns) == MVRM_COLUMNS
    assert list(real_results.analyses["regressions"].columns) == REGRESSION_TABLE_COLUMNS
    old = {"se", "t", "p", "security", "details", "car_se", "df", "f_df1", "f_df2"}
    for cols in (frame.columns, REGRESSION_TABLE_COLUMNS, real_mvrm.coefficients.columns, real_mvrm.wald.columns):
        assert not old & set(cols)
    # nobs is N: equations in the system, equations in a Wald row
    assert real_mvrm.nobs == real_mvrm.coefficients["ticker"].nunique()
    assert real_mvrm.n_security_days > 100 * real_mvrm.nobs
    assert real_mvrm.sigma_method in SIGMA_METHODS and (frame["sigma_method"] == real_mvrm.sigma_method).all()
    coef = frame[frame["kind"] == "coefficient"]
    np.testing.assert_allclose(coef["statistic"], coef["car"] / coef["std_err"], rtol=1e-12)
    np.testing.assert_allclose(coef["std_err"], 3 * coef["gamma_std_err"], rtol=1e-12)
    assert (coef["df_denom"] == real_mvrm.df_resid).all()
    wald = frame[frame["kind"] == "wald"]
    assert (wald["df_num"] >= 1).all() and (wald["df_denom"] == real_mvrm.df_resid).all()
    s = real_mvrm.summary()
    assert "std_err" in s.as_text() and real_mvrm._repr_html_() == s.as_html()
