"""Parametric tests (METHODS §4): cross-sectional t, Brown–Warner CDA, Patell, BMP, Kolari–Pynnönen, CLM J1."""

from __future__ import annotations

import numpy as np

from .base import Sample, TestResult, not_computable, pvalue_normal, pvalue_t, register_test

__all__ = ["mean_residual_correlation", "pairwise_correlation"]


def _t(name: str, stat: float, df: float, n: int, notes: str = "") -> TestResult:
    p = pvalue_t(stat, df)
    return TestResult(name, float(stat), p, f"t({int(df)})", n, notes)


def _z(name: str, stat: float, n: int, notes: str = "") -> TestResult:
    p = pvalue_normal(stat)
    return TestResult(name, float(stat), p, "N(0,1)", n, notes)


@register_test("csect_t")
def csect_t(s: Sample) -> TestResult:
    """Cross-sectional t: :math:`t = \\overline{CAR} / (s_{CAR}/\\sqrt{N})`, t(N−1)."""
    if s.n < 2:
        return not_computable("csect_t", "t(N-1)", s.n, "needs at least 2 firm-events")
    sd = s.car.std(ddof=1)
    return _t("csect_t", s.car.mean() / (sd / np.sqrt(s.n)), s.n - 1, s.n)


@register_test("cda_t")
def cda_t(s: Sample) -> TestResult:
    """Brown–Warner (1980, 1985) crude dependence adjustment.

    Notes
    -----
    :math:`AAR_\\tau` is the mean of the in-sample residuals over firms on estimation day τ (event time).
    :math:`\\hat S^2 = \\sum_\\tau (AAR_\\tau - \\overline{AAR})^2/(M-1)`; :math:`t = CAAR/(\\hat S\\sqrt{L})`, t(M−1).
    """
    if s.n < 1:
        return not_computable("cda_t", "t(M-1)", s.n, "no firm-events")
    with np.errstate(invalid="ignore"):
        have = np.isfinite(s.resid).any(axis=0)
        aar = np.nanmean(s.resid[:, have], axis=0)
    m = aar.size
    if m < 3:
        return not_computable("cda_t", "t(M-1)", s.n, "fewer than 3 estimation days")
    sd = aar.std(ddof=1)
    return _t("cda_t", s.car.mean() / (sd * np.sqrt(s.length)), m - 1, s.n)


def _patell(s: Sample) -> float:
    d = s.nobs_estimation - s.df_loss
    return float(s.scar.sum() / np.sqrt(np.sum(d / (d - 2.0))))


@register_test("patell_z", aliases=("j2",))
def patell_z(s: Sample) -> TestResult:
    """Patell (1976) Z: :math:`\\sum_i SCAR_i / \\sqrt{\\sum_i (M_i-k)/(M_i-k-2)}`, N(0,1). CLM's J2."""
    if s.n < 1:
        return not_computable("patell_z", "N(0,1)", s.n, "no firm-events")
    return _z("patell_z", _patell(s), s.n)


def _bmp(s: Sample) -> float:
    return float(s.scar.mean() / (s.scar.std(ddof=1) / np.sqrt(s.n)))


@register_test("bmp_t")
def bmp_t(s: Sample) -> TestResult:
    """Boehmer, Musumeci & Poulsen (1991): :math:`\\overline{SCAR}/(s_{SCAR}/\\sqrt{N})`, t(N−1)."""
    if s.n < 2:
        return not_computable("bmp_t", "t(N-1)", s.n, "needs at least 2 firm-events")
    return _t("bmp_t", _bmp(s), s.n - 1, s.n)


def pairwise_correlation(resid: np.ndarray, dates: np.ndarray, *, min_periods: int = 5) -> np.ndarray:
    """Pearson correlations of the rows of ``resid``, each pair over its common dates (pairwise complete).

    ``resid`` and ``dates`` are ``(N, T)``; rows are aligned by date, not by position. Pairs with fewer than
    ``min_periods`` common dates get NaN. Computed with matrix products over a date × firm matrix.
    """
    n = resid.shape[0]
    valid = np.isfinite(resid) & ~np.isnat(dates)
    uniq, inv = np.unique(dates[valid], return_inverse=True)
    rows = np.nonzero(valid)[0]
    e = np.zeros((uniq.size, n))
    w = np.zeros((uniq.size, n))
    e[inv, rows] = resid[valid]
    w[inv, rows] = 1.0
    cnt = w.T @ w
    s = e.T @ w  # s[i, j]: sum of firm i's residuals over dates common with j
    q = (e * e).T @ w
    p = e.T @ e
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = p - s * s.T / cnt
        var_i = q - s * s / cnt
        corr = cov / np.sqrt(var_i * var_i.T)
    corr[cnt < min_periods] = np.nan
    return corr


def mean_residual_correlation(s: Sample, *, min_periods: int = 5) -> float:
    """r̄: the mean off-diagonal Pearson correlation of estimation residuals, each pair over its common dates."""
    if s.n < 2:
        return float("nan")
    corr = s.corr if s.corr is not None else pairwise_correlation(s.resid, s.resid_dates, min_periods=min_periods)
    off = corr[~np.eye(corr.shape[0], dtype=bool)]
    off = off[np.isfinite(off)]
    return float(off.mean()) if off.size else float("nan")


def _kp_factor(s: Sample) -> tuple[float, float]:
    r = mean_residual_correlation(s)
    return float(np.sqrt((1 - r) / (1 + (s.n - 1) * r))), r


@register_test("kp_bmp_t")
def kp_bmp_t(s: Sample) -> TestResult:
    """Kolari & Pynnönen (2010) adjusted BMP: :math:`t_{BMP}\\sqrt{(1-\\bar r)/(1+(N-1)\\bar r)}`, t(N−1)."""
    if s.n < 2:
        return not_computable("kp_bmp_t", "t(N-1)", s.n, "needs at least 2 firm-events")
    factor, r = _kp_factor(s)
    res = _t("kp_bmp_t", _bmp(s) * factor, s.n - 1, s.n)
    return TestResult(**{**res.__dict__, "details": {"rbar": r}})


@register_test("kp_patell_z")
def kp_patell_z(s: Sample) -> TestResult:
    """Kolari & Pynnönen (2010) adjusted Patell Z, N(0,1)."""
    if s.n < 2:
        return not_computable("kp_patell_z", "N(0,1)", s.n, "needs at least 2 firm-events")
    factor, r = _kp_factor(s)
    res = _z("kp_patell_z", _patell(s) * factor, s.n)
    return TestResult(**{**res.__dict__, "details": {"rbar": r}})


@register_test("j1")
def j1(s: Sample) -> TestResult:
    """Campbell, Lo & MacKinlay J1: :math:`CAAR/\\sqrt{\\sum_i Var(CAR_i)/N^2}`, N(0,1)."""
    if s.n < 1:
        return not_computable("j1", "N(0,1)", s.n, "no firm-events")
    return _z("j1", s.car.mean() / np.sqrt(s.var_car.sum() / s.n**2), s.n)


@register_test("portfolio_t")
def portfolio_t(s: Sample) -> TestResult:
    """Portfolio test: the equally weighted portfolio of the sample, aligned in event time, fitted like one security.

    Notes
    -----
    :math:`t = CAR_p/\\sqrt{Var(CAR_p)}` with the exact forecast-error variance, t(M−k). Cross-correlation between
    the members is inside the portfolio's residual variance, so the test is immune to it by construction.
    Securities on exchanges with other day-0 dates enter on their own event days (event-time alignment).
    """
    if s.n < 1:
        return not_computable("portfolio_t", "t(M-k)", s.n, "no firm-events")
    if s.portfolio is None:
        return not_computable("portfolio_t", "t(M-k)", s.n, "the sample carries no model for the portfolio fit")
    car, var, m = s.portfolio()
    if not np.isfinite(car) or not np.isfinite(var):
        return not_computable("portfolio_t", "t(M-k)", s.n, "the portfolio has too few estimation days")
    res = _t("portfolio_t", car / np.sqrt(var), m - s.df_loss, s.n)
    return TestResult(**{**res.__dict__, "details": {"car_p": car, "var_car_p": var}})
