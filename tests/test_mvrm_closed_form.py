"""The MVRM's closed-form GLS against ``linearmodels.system.SUR`` (METHODS §5): coefficients, Σ̂ and every Wald
statistic to 1e-10.

References:
- a balanced system with identical regressors: one shared :math:`(X'X)^{-1}` by hand (OLS = GLS), and linearmodels'
  own SUR FGLS (its Σ̂ with ``debiased=True``, its covariance, its ``wald_test`` for every Wald row);
- unbalanced systems (missing days, two benchmarks, shrunk Σ̂, portfolio form): linearmodels' SUR on the padded
  equations with one indicator per missing cell (``solver="linearmodels"``);
- the study itself (slow): the same, and Σ̂ from linearmodels' own equation-by-equation residuals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers.mvrm_panels import equations_from, make_panel, securities_frame, simulate
from linearmodels.system import SUR
from scipy import stats

from eventstudy import regression
from eventstudy.regression import mvrm

TOL = 1e-10
WALD_NUMBERS = ["statistic", "pvalue", "f_statistic", "pvalue_f", "estimate", "std_err"]
COEF_NUMBERS = ["gamma", "gamma_std_err", "car", "std_err", "statistic", "pvalue"]


def assert_close(got, want, what: str) -> None:
    """Equal to TOL in absolute terms, or relative to the larger magnitude when that exceeds 1."""
    x, y = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert x.shape == y.shape, what
    assert np.array_equal(np.isnan(x), np.isnan(y)), what
    ok = ~np.isnan(x)
    err = np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.maximum(np.abs(x[ok]), np.abs(y[ok])))
    assert err.size == 0 or err.max() <= TOL, f"{what}: max scaled difference {err.max():.3g}"


def assert_same_system(a, b) -> None:
    """Two MVRM results agree on every number: parameters, their covariance, Σ̂, coefficient and Wald tables."""
    assert list(a.params.index) == list(b.params.index)
    assert_close(a.params, b.params, "params")
    assert_close(a.cov, b.cov.loc[a.cov.index, a.cov.columns], "cov")
    assert_close(a.sigma, b.sigma, "sigma")
    assert_close(a.residual_sigma, b.residual_sigma, "residual sigma")
    assert (a.nobs, a.df_resid, a.n_security_days) == (b.nobs, b.df_resid, b.n_security_days)
    assert a.sigma_method == b.sigma_method
    pd.testing.assert_frame_equal(
        a.wald.drop(columns=WALD_NUMBERS), b.wald.drop(columns=WALD_NUMBERS), check_exact=True
    )
    for c in WALD_NUMBERS:
        assert_close(a.wald[c], b.wald[c], f"wald {c}")
    for c in COEF_NUMBERS:
        assert_close(a.coefficients[c], b.coefficients[c], f"coefficients {c}")
    assert a.covariance_note == b.covariance_note


# ------------------------------------------------------------------ balanced, identical regressors
@pytest.fixture(scope="module")
def balanced() -> tuple:
    rng = np.random.default_rng(31)
    ret, mret = simulate(rng, 6, 260, rho=0.4)
    panel = make_panel(ret, mret, securities_frame(6, ["a", "a", "a", "b", "b", "b"]), {"e1": 150, "e2": 210})
    res = mvrm(panel, events=["e1", "e2"], window=(-1, 1), shrink="none", min_estimation=50, event_pairs=[("e1", "e2")])
    eqs = equations_from(panel, ["e1", "e2"], (-1, 1))
    return res, eqs


def test_balanced_system_is_ols_with_one_shared_inverse(balanced):
    """Identical regressors: B = (X'X)^{-1} X'Y for every equation at once (Zellner 1962), by hand."""
    res, eqs = balanced
    x = next(iter(eqs.values()))["exog"]
    assert all(eq["exog"].equals(x) for eq in eqs.values())  # the regressors really are identical
    y = np.column_stack([eq["dependent"].to_numpy() for eq in eqs.values()])
    xtx_inv = np.linalg.inv(x.T.to_numpy() @ x.to_numpy())
    b = xtx_inv @ x.T.to_numpy() @ y  # (k, N)
    for j, tk in enumerate(eqs):
        for i, col in enumerate(x.columns):
            assert res.params[f"{tk}_{col}"] == pytest.approx(b[i, j], abs=1e-12)
    e = y - x.to_numpy() @ b
    n, k = x.shape
    assert_close(res.residual_sigma, e.T @ e / (n - k), "sigma = E'E/(T-k)")
    # Cov(vec B) = Σ̂ ⊗ (X'X)^{-1}
    s = res.residual_sigma.to_numpy()
    for i, ti in enumerate(eqs):
        for j, tj in enumerate(eqs):
            block = res.cov.loc[[f"{ti}_{c}" for c in x.columns], [f"{tj}_{c}" for c in x.columns]]
            assert_close(block, s[i, j] * xtx_inv, f"cov block {ti},{tj}")


def test_balanced_system_equals_linearmodels_fgls(balanced):
    """linearmodels' own SUR (FGLS, its own Σ̂): coefficients, Σ̂, covariance, and every Wald statistic computed by
    hand from linearmodels' coefficients and covariance with the row's restriction matrix."""
    res, eqs = balanced
    ref = SUR(eqs).fit(method="gls", cov_type="unadjusted", debiased=True)
    assert_close(res.params, ref.params[res.params.index], "params")
    assert_close(res.residual_sigma, ref.sigma, "sigma")
    assert_close(res.sigma, ref.sigma, "weight sigma")
    assert_close(res.cov, ref.cov.loc[res.cov.index, res.cov.columns], "cov")
    assert len(res.restrictions) == len(res.wald) > 20
    assert set(res.wald["test"]) == {"all_zero", "mean_zero", "groups_equal", "events_equal", "events_offset"}
    b, v = ref.params, ref.cov
    df2 = int(res.df_resid)
    for (_, row), r in zip(res.wald.iterrows(), res.restrictions, strict=True):
        rr = r.reindex(columns=b.index, fill_value=0.0).to_numpy()
        rb = rr @ b.to_numpy()
        rvr = rr @ v.to_numpy() @ rr.T
        stat = float(rb @ np.linalg.solve(rvr, rb))
        q = rr.shape[0]
        what = f"wald {row['hypothesis']}"
        assert row["df_num"] == q and row["df_denom"] == df2
        assert_close(row["statistic"], stat, what)
        assert_close(row["pvalue"], stats.chi2.sf(stat, q), what)
        assert_close(row["f_statistic"], stat / q, what)
        assert_close(row["pvalue_f"], stats.f.sf(stat / q, q, df2), what)
        if q == 1:
            assert_close(row["estimate"], 3 * rb[0], what)  # CAR units: L = 3 days
            assert_close(row["std_err"], 3 * np.sqrt(rvr[0, 0]), what)
    # the F version's denominator: observed security-days less the parameters
    assert df2 == 6 * len(next(iter(eqs.values()))["dependent"]) - len(b)


# ------------------------------------------------------------------ unbalanced: the padded linearmodels SUR
def unbalanced_panel(seed: int, n: int, t: int, *, benchmarks: int = 2) -> object:
    rng = np.random.default_rng(seed)
    ret, mret = simulate(rng, n, t, rho=0.4, benchmarks=benchmarks)
    # halts, holidays of one exchange, a missing benchmark day
    for col, rows in {0: [20, 21, 60], 2: [33, 61, t - 30], 3: [15], 4: [100, 101, 102]}.items():
        if col < n:
            ret.iloc[rows, col] = np.nan
    mret.iloc[[70], [1, 3]] = np.nan
    groups = ["a", "b"] * (n // 2)
    return make_panel(
        ret, mret, securities_frame(n, groups), {"e1": t - 40, "e2": t - 20}, estimation_window=(-120, -11)
    )


@pytest.mark.parametrize(
    ("n", "shrink", "form"),
    [
        (4, "none", "securities"),
        (6, "ledoit_wolf", "securities"),
        (14, "auto", "securities"),
        (6, "portfolio", "portfolios"),
    ],
)
def test_unbalanced_system_equals_linearmodels_sur(n, shrink, form):
    panel = unbalanced_panel(40 + n, n, 170)
    kw = dict(events=["e1", "e2"], window=(0, 1), group_col="group", shrink=shrink, min_estimation=60)
    kw["event_pairs"] = [("e1", "e2")]
    fast = mvrm(panel, **kw)
    ref = mvrm(panel, solver="linearmodels", **kw)
    assert fast.form == ref.form == form
    assert "missing cells" in fast.covariance_note
    assert ref.system is not None and fast.system is None
    if shrink in ("ledoit_wolf", "auto"):
        assert fast.shrinkage > 0 and "shrunk" in fast.covariance_note
    assert_same_system(fast, ref)


def test_unknown_solver_names_the_choices():
    panel = unbalanced_panel(1, 4, 170)
    with pytest.raises(ValueError, match="closed_form"):
        mvrm(panel, events=["e1"], solver="statsmodels", min_estimation=60)


# ------------------------------------------------------------------ the study
@pytest.mark.slow
@pytest.mark.parametrize("shrink", ["auto", "portfolio"])
def test_study_closed_form_equals_linearmodels_sur(real_results, shrink):
    fast = real_results.mvrm(shrink=shrink)
    ref = real_results.mvrm(shrink=shrink, solver="linearmodels")
    assert fast.nobs >= (25 if shrink == "auto" else 5)
    assert_same_system(fast, ref)


@pytest.mark.slow
def test_study_sigma_from_linearmodels_residuals(real_results):
    """Σ̂ from linearmodels' equation-by-equation OLS on the padded equations: the diagonal is linearmodels' own
    debiased Σ̂ (e_i'e_i/(n_i − k_i)); off the diagonal, the dates both equations observe,
    e_i'e_j/n_ij · sqrt(n_i n_j/((n_i − k_i)(n_j − k_j)))."""
    req = regression._mvrm_request(real_results, None, ("group", "segment"), (-1, 1), "none", None, None)
    units, _ = regression._build_units(
        req.panel, req.status, req.events, req.window, req.group_cols, None, req.min_estimation
    )
    eqs = regression._sur_equations(regression._design(units, req.events), [u.label for u in units])
    ols = SUR(eqs).fit(method="ols", cov_type="unadjusted", debiased=True)
    res = real_results.mvrm(shrink="none")
    assert res.form == "securities" and "repaired" not in res.covariance_note
    got = res.residual_sigma.loc[list(eqs), list(eqs)].to_numpy()
    assert_close(np.diag(got), np.diag(ols.sigma), "diagonal = linearmodels' debiased sigma")
    obs = np.column_stack([eq["exog"].filter(like="cell:").sum(axis=1).to_numpy() == 0 for eq in eqs.values()]).astype(
        float
    )
    k = np.array([sum(not c.startswith("cell:") for c in eq["exog"].columns) for eq in eqs.values()])
    e = ols.resids[list(eqs)].to_numpy() * obs
    n_ij = obs.T @ obs
    n_i = np.diag(n_ij)
    want = (e.T @ e) / n_ij * np.sqrt(np.outer(n_i, n_i) / np.outer(n_i - k, n_i - k))
    assert_close(got, want, "pairwise sigma")
    assert (n_ij < np.sqrt(np.outer(n_i, n_i)) - 0.5).any()  # the panel is unbalanced: the pairwise counts matter
