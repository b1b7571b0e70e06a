"""Normal-return models: every registered model passes the same checks; factor models against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.abnormal import compute_abnormal
from eventstudy.errors import ConfigError
from eventstudy.models import MODELS, ConstantMean, FactorModel, MarketAdjusted, MarketModel, get_model, world_model
from eventstudy.simulate import SimulationDesign, simulate_panel

WINDOWS = [(0, 0), (-1, 1), (0, 5)]


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(SimulationDesign(n_firms=8, rbar=0.1), 2, rng=11)


def _factor_frame(panel, values):
    return pd.DataFrame(values, index=pd.DatetimeIndex(panel.dates[0]))


@pytest.mark.parametrize(
    "model",
    [ConstantMean(), MarketAdjusted(), MarketModel()],
    ids=lambda m: m.name,
)
def test_shared_model_conformance(panel, model):
    """Every model: CAR = ΣAR, finite positive variances for usable firm-events, SCAR = CAR/√Var."""
    abn = compute_abnormal(panel, model, WINDOWS, min_estimation=100)
    assert (abn.status == "ok").all()
    for w, (a, b) in enumerate(WINDOWS):
        seg = abn.ar[:, panel.day_index(a) : panel.day_index(b) + 1].sum(axis=1)
        np.testing.assert_allclose(abn.car[:, w], seg, atol=1e-14)
        assert (abn.var_car[:, w] > 0).all()
        np.testing.assert_allclose(abn.scar[:, w], abn.car[:, w] / np.sqrt(abn.var_car[:, w]), rtol=1e-14)


def test_factor_model_with_the_market_as_its_factor_equals_the_market_model(panel):
    """The generic k-regressor path and the closed-form market-model path agree to 1e-10."""
    # one replication shares its dates and its market: use the first replication's firm-events only
    from dataclasses import replace

    rows = np.flatnonzero(panel.keys["event_id"] == "r0")
    one = replace(
        panel,
        keys=panel.keys.iloc[rows].reset_index(drop=True),
        dates=panel.dates[rows],
        ret=panel.ret[rows],
        mret=panel.mret[rows],
        excluded=panel.excluded[rows],
    )
    fm = FactorModel(_factor_frame(one, {"mkt": one.mret[0]}))
    a = compute_abnormal(one, fm, WINDOWS, min_estimation=100)
    b = compute_abnormal(one, MarketModel(), WINDOWS, min_estimation=100)
    np.testing.assert_allclose(a.params, b.params, atol=1e-10)
    np.testing.assert_allclose(a.var_car, b.var_car, rtol=1e-10)
    np.testing.assert_allclose(a.car, b.car, atol=1e-10)


def test_world_model_equals_statsmodels_two_regressors(panel):
    rng = np.random.default_rng(4)
    world = pd.Series(rng.normal(0, 0.008, panel.rel.size), index=pd.DatetimeIndex(panel.dates[0]))
    model = world_model(world)
    assert model.k == 3 and model.name == "world"
    abn = compute_abnormal(panel, model, WINDOWS, min_estimation=100)
    for i in (0, 9):
        est = panel.estimation
        x = np.column_stack([np.ones(est.sum()), panel.mret[i, est], world.to_numpy()[est]])
        fit = sm.OLS(panel.ret[i, est], x).fit()
        np.testing.assert_allclose(abn.params[i], fit.params, atol=1e-10)
        sel = (panel.rel >= -1) & (panel.rel <= 1)
        xs = np.column_stack([np.ones(sel.sum()), panel.mret[i, sel], world.to_numpy()[sel]])
        g = xs.sum(axis=0)
        assert abn.var_car[i, 1] == pytest.approx(fit.scale * 3 + g @ fit.cov_params() @ g, rel=1e-10)


def test_factor_dates_missing_leave_the_day_out(panel):
    frame = _factor_frame(panel, {"f": np.linspace(-0.01, 0.01, panel.rel.size)}).iloc[5:]
    abn = compute_abnormal(panel, FactorModel(frame), WINDOWS, min_estimation=100)
    assert (abn.nobs == panel.estimation.sum() - 5).all()


def test_registry_lists_every_model_and_errors_name_them():
    assert MODELS.names() == ["constant_mean", "market_adjusted", "market", "scholes_williams", "factor", "world"]
    with pytest.raises(
        ConfigError, match="valid models are: constant_mean, market_adjusted, market, scholes_williams, factor, world"
    ):
        get_model("marekt")
    with pytest.raises(ConfigError, match="FactorModel"):
        get_model("factor")
    with pytest.raises(ConfigError, match="indexed by date"):
        FactorModel(pd.DataFrame({"f": [0.1, 0.2]}))


def test_scholes_williams_against_its_formula(panel):
    """β = (β₋₁ + β₀ + β₊₁)/(1 + 2ρ_m) from three statsmodels regressions and the benchmark's autocorrelation."""
    from eventstudy.models import ScholesWilliams

    abn = compute_abnormal(panel, ScholesWilliams(), WINDOWS, min_estimation=100)
    i = 3
    y, rm = panel.ret[i], panel.mret[i]
    est = np.flatnonzero(panel.estimation)
    betas = []
    for j in (-1, 0, 1):
        days = est[1:] if j == -1 else est  # the first estimation day has no lagged benchmark in the panel
        fit = sm.OLS(y[days], sm.add_constant(rm[days + j])).fit()
        betas.append(fit.params[1])
    rho = np.corrcoef(rm[est[1:]], rm[est[1:] - 1])[0, 1]
    beta = sum(betas) / (1 + 2 * rho)
    alpha = y[est].mean() - beta * rm[est].mean()
    assert abn.params[i, 1] == pytest.approx(beta, rel=1e-10)
    assert abn.params[i, 0] == pytest.approx(alpha, abs=1e-12)
    e = y[est] - alpha - beta * rm[est]
    assert abn.sigma2[i] == pytest.approx(e @ e / (est.size - 2), rel=1e-10)
    d0 = panel.day_index(0)
    assert abn.ar[i, d0] == pytest.approx(y[d0] - alpha - beta * rm[d0], abs=1e-12)
