"""Rank tests (METHODS §4): Corrado (1989) with Corrado–Zivney (1992) standardised ranks, and the generalised rank
test GRANK of Kolari & Pynnönen (2011)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .base import Sample, TestResult, not_computable, pvalue_normal, pvalue_t, register_test


def centred_ranks(values: np.ndarray) -> np.ndarray:
    """U_it = rank(x_it)/(T_i + 1) − ½ per row over its finite values (average ranks for ties); NaN elsewhere."""
    valid = np.isfinite(values)
    ranks = stats.rankdata(np.where(valid, values, np.inf), axis=1, method="average")
    t = valid.sum(axis=1, keepdims=True)
    return np.where(valid, ranks / (t + 1.0) - 0.5, np.nan)


@register_test("rank_z")
def rank_z(s: Sample) -> TestResult:
    """Corrado rank test with Corrado–Zivney standardised ranks.

    Notes
    -----
    Each firm's estimation residuals and event-window ARs are ranked together:
    :math:`U_{it} = \\mathrm{rank}(AR_{it})/(T_i+1) - 1/2`. With :math:`\\bar U_t` the mean over the
    :math:`N_t` firms with a value on day t and :math:`S^2 = T^{-1}\\sum_t N_t \\bar U_t^2` over the T days of the
    estimation and event windows, a single day gives :math:`Z = \\sqrt{N_0}\\,\\bar U_0/S`. A window of L days
    cumulates: :math:`Z = \\sum_{t\\in w} \\sqrt{N_t}\\bar U_t / (S\\sqrt L)`, which is the single-day test for L = 1.
    N(0,1).
    """
    if s.n < 1 or s.ar_all is None or s.window_cols is None:
        return not_computable("rank_z", "N(0,1)", s.n, "no firm-events or no abnormal-return matrix")
    u = s.ranks if s.ranks is not None else centred_ranks(s.ar_all)
    have = np.isfinite(u)
    n_t = have.sum(axis=0)
    with np.errstate(invalid="ignore"):
        ubar = np.where(n_t > 0, np.nansum(u, axis=0) / np.maximum(n_t, 1), np.nan)
    days = n_t > 0
    s2 = np.sum(n_t[days] * ubar[days] ** 2) / days.sum()
    w = s.window_cols
    z = np.sum(np.sqrt(n_t[w]) * ubar[w]) / (np.sqrt(s2) * np.sqrt(len(w)))
    return TestResult("rank_z", float(z), pvalue_normal(z), "N(0,1)", s.n)


@register_test("grank_t")
def grank_t(s: Sample) -> TestResult:
    """Generalised rank test GRANK (Kolari & Pynnönen 2011) for CARs.

    Notes
    -----
    1. :math:`SCAR^*_i = SCAR_i / s(SCAR)` (cross-sectional sd, ddof 1);
    2. GSAR is the estimation-window SAR (:math:`e_{it}/\\hat\\sigma_i`) plus :math:`SCAR^*_i` as one cumulated day;
    3. :math:`U_{it} = \\mathrm{rank}(GSAR_{it})/(T_i+1) - 1/2`;
    4. :math:`Z = \\bar U_0 / S_{\\bar U}` with :math:`S_{\\bar U}^2 = T^{-1}\\sum_t (N_t/N)\\bar U_t^2` over the
       estimation days and the cumulated day;
    5. :math:`t = Z\\sqrt{(T-2)/(T-1-Z^2)}`, t(T−2).
    """
    if s.n < 2 or s.sar_all is None or s.estimation_cols is None:
        return not_computable("grank_t", "t(T-2)", s.n, "needs at least 2 firm-events")
    sd = s.scar.std(ddof=1)
    if not np.isfinite(sd) or sd == 0:
        return not_computable("grank_t", "t(T-2)", s.n, "the SCARs have no cross-sectional spread")
    gsar = np.concatenate([s.sar_all[:, s.estimation_cols], (s.scar / sd)[:, None]], axis=1)
    u = centred_ranks(gsar)
    have = np.isfinite(u)
    n_t = have.sum(axis=0)
    days = n_t > 0
    ubar = np.where(days, np.nansum(u, axis=0) / np.maximum(n_t, 1), np.nan)
    t_days = int(days.sum())
    s2 = np.sum((n_t[days] / s.n) * ubar[days] ** 2) / t_days
    z = ubar[-1] / np.sqrt(s2)
    if t_days - 1 - z**2 <= 0:
        return not_computable("grank_t", f"t({t_days - 2})", s.n, "Z too large for the t transformation")
    t = z * np.sqrt((t_days - 2) / (t_days - 1 - z**2))
    p = pvalue_t(t, t_days - 2)
    return TestResult("grank_t", float(t), p, f"t({t_days - 2})", s.n, details={"z": float(z)})
