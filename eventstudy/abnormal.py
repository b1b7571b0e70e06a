"""AR, CAR, exact forecast-error variances, SAR and SCAR: arrays in, arrays out, all firm-events at once.

Notes
-----
For firm-event *i* with estimation design :math:`X_i` (:math:`M_i \\times k`) and event-window design
:math:`X^*_i`, OLS gives :math:`b_i`, residuals :math:`e_i` and :math:`\\hat\\sigma_i^2 = e_i'e_i/(M_i-k)`. The
forecast-error covariance is :math:`V_i = \\hat\\sigma_i^2 (I + X^*_i (X_i'X_i)^{-1} X^{*\\prime}_i)`
(MacKinlay 1997, eq. 7–8), so for a CAR window with selector :math:`\\gamma` and :math:`g = X^{*\\prime}\\gamma`,
:math:`\\mathrm{Var}(CAR_i) = \\hat\\sigma_i^2 (L + g'(X_i'X_i)^{-1} g)`. Everything is computed with batched
``einsum`` over masks; there is no per-firm loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .models import NormalReturnModel
from .windows import Panel

__all__ = ["Abnormal", "OUTCOMES", "compute_abnormal"]

#: Outcome codes of a firm-event, in order of precedence (METHODS §2).
OUTCOMES: dict[str, str] = {
    "ok": "usable for every CAR window",
    "no_data": "no prices for the security or its benchmark around the event",
    "pre_listing": "day 0 is not after the first valid price (not yet listed, or a shell before it)",
    "short_estimation": "fewer valid estimation-window returns than min_estimation",
    "thin_trading": "more than the allowed share of zero returns in the estimation window",
    "missing_event_window": "a return is missing inside at least one CAR window (other windows are still used)",
}


@dataclass(frozen=True)
class Abnormal:
    """Engine output for ``n`` firm-events, ``T`` event days and ``W`` CAR windows.

    Attributes
    ----------
    params
        ``(n, k)`` OLS coefficients (NaN when the firm-event is unusable).
    sigma2
        ``(n,)`` residual variance σ̂².
    nobs
        ``(n,)`` valid estimation returns M_i.
    ar
        ``(n, T)``: in-sample residuals on estimation days, abnormal returns on event days, NaN elsewhere.
    var_ar
        ``(n, T)``: forecast-error variance of each event-day AR (V_i[t, t]); σ̂² on estimation days.
    sar
        ``(n, T)``: ``ar / sqrt(var_ar)``.
    estimation_used
        ``(n, T)`` mask of the estimation days used in the fit.
    car, var_car, scar
        ``(n, W)`` per CAR window.
    complete
        ``(n, W)``: every AR of the window is present.
    status
        ``(n,)`` outcome codes (see :data:`OUTCOMES`).
    zero_share
        ``(n,)`` share of zero returns in the estimation window.
    """

    windows: tuple[tuple[int, int], ...]
    params: np.ndarray
    sigma2: np.ndarray
    nobs: np.ndarray
    ar: np.ndarray
    var_ar: np.ndarray
    sar: np.ndarray
    estimation_used: np.ndarray
    car: np.ndarray
    var_car: np.ndarray
    scar: np.ndarray
    complete: np.ndarray
    status: np.ndarray
    zero_share: np.ndarray
    df_loss: int

    def usable(self, w: int) -> np.ndarray:
        """Firm-events usable for CAR window number ``w``: estimated and with that window complete."""
        return np.isin(self.status, ("ok", "missing_event_window")) & self.complete[:, w]


def compute_abnormal(
    panel: Panel,
    model: NormalReturnModel,
    car_windows: Sequence[tuple[int, int]],
    *,
    min_estimation: int = 120,
    thin_trading_share: float = 0.2,
) -> Abnormal:
    """Fit the model on every estimation window and compute AR, CAR, exact variances, SAR and SCAR."""
    x, offset = model.design(panel)
    y = panel.ret if offset is None else panel.ret - offset
    k = model.k
    x_ok = np.isfinite(x).all(axis=2) if k else np.ones(y.shape, dtype=bool)
    valid = np.isfinite(y) & x_ok
    est = valid & panel.estimation[None, :] & ~panel.excluded
    m = est.sum(axis=1)

    # estimation-window return health, on the raw returns
    est_ret_ok = np.isfinite(panel.ret) & panel.estimation[None, :] & ~panel.excluded
    zeros = ((panel.ret == 0) & est_ret_ok).sum(axis=1)
    zero_share = np.divide(zeros, est_ret_ok.sum(axis=1), out=np.zeros(len(m)), where=est_ret_ok.sum(axis=1) > 0)

    fit_ok = m >= max(min_estimation, model.df_loss + 3)
    n, t = y.shape
    xe = np.where(est[:, :, None], x, 0.0)
    ye = np.where(est, y, 0.0)
    if k:
        xtx = np.einsum("ntk,ntl->nkl", xe, xe)
        xty = np.einsum("ntk,nt->nk", xe, ye)
        # guard singular systems of unusable firm-events so that the batched inverse succeeds
        eye = np.broadcast_to(np.eye(k), xtx.shape)
        det_ok = np.abs(np.linalg.det(xtx)) > 1e-300
        fit_ok &= det_ok
        xtx_safe = np.where(fit_ok[:, None, None], xtx, eye)
        inv = np.linalg.inv(xtx_safe)
        b = np.einsum("nkl,nl->nk", inv, xty)
        fitted = np.einsum("ntk,nk->nt", np.where(np.isfinite(x), x, 0.0), b)
    else:
        inv = np.zeros((n, 0, 0))
        b = np.zeros((n, 0))
        fitted = np.zeros_like(y)
    resid = np.where(valid, y - fitted, np.nan)
    e = np.where(est, resid, 0.0)
    if model.demean_residuals:
        mean_e = e.sum(axis=1) / np.maximum(m, 1)
        ssr = (np.where(est, resid - mean_e[:, None], 0.0) ** 2).sum(axis=1)
    else:
        ssr = (e**2).sum(axis=1)
    sigma2 = np.where(fit_ok, ssr / np.maximum(m - model.df_loss, 1), np.nan)

    # forecast-error variance of each event-day AR: σ²(1 + x_t' (X'X)^-1 x_t); σ² in the estimation window
    if k:
        xs = np.where(np.isfinite(x), x, 0.0)
        lev = np.einsum("ntk,nkl,ntl->nt", xs, inv, xs)
    else:
        lev = np.zeros((n, t))
    var_ar = np.where(panel.event[None, :], sigma2[:, None] * (1.0 + lev), sigma2[:, None])
    ar = np.where(fit_ok[:, None] & ((panel.event[None, :] & valid) | est), resid, np.nan)
    var_ar = np.where(np.isfinite(ar), var_ar, np.nan)
    sar = ar / np.sqrt(var_ar)

    nw = len(car_windows)
    car = np.full((n, nw), np.nan)
    var_car = np.full((n, nw), np.nan)
    complete = np.zeros((n, nw), dtype=bool)
    for w, (a, bnd) in enumerate(car_windows):
        cols = slice(panel.day_index(a), panel.day_index(bnd) + 1)
        length = bnd - a + 1
        seg = ar[:, cols]
        complete[:, w] = np.isfinite(seg).all(axis=1)
        car[:, w] = np.where(complete[:, w], seg.sum(axis=1), np.nan)
        if k:
            g = x[:, cols, :].sum(axis=1)
            quad = np.einsum("nk,nkl,nl->n", np.where(np.isfinite(g), g, 0.0), inv, np.where(np.isfinite(g), g, 0.0))
        else:
            quad = np.zeros(n)
        var_car[:, w] = np.where(complete[:, w], sigma2 * (length + quad), np.nan)
    scar = car / np.sqrt(var_car)

    status = _status(panel, m, fit_ok, zero_share, complete, min_estimation, thin_trading_share)
    bad = ~np.isin(status, ("ok", "missing_event_window"))
    params = np.where(bad[:, None], np.nan, b)
    return Abnormal(
        windows=tuple(tuple(w) for w in car_windows),
        params=params,
        sigma2=np.where(bad, np.nan, sigma2),
        nobs=m,
        ar=np.where(bad[:, None], np.nan, ar),
        var_ar=np.where(bad[:, None], np.nan, var_ar),
        sar=np.where(bad[:, None], np.nan, sar),
        estimation_used=est & ~bad[:, None],
        car=np.where(bad[:, None], np.nan, car),
        var_car=np.where(bad[:, None], np.nan, var_car),
        scar=np.where(bad[:, None], np.nan, scar),
        complete=complete & ~bad[:, None],
        status=status,
        zero_share=zero_share,
        df_loss=model.df_loss,
    )


def _status(
    panel: Panel,
    m: np.ndarray,
    fit_ok: np.ndarray,
    zero_share: np.ndarray,
    complete: np.ndarray,
    min_estimation: int,
    thin_trading_share: float,
) -> np.ndarray:
    keys = panel.keys
    day0 = pd.DatetimeIndex(keys["day0"]).values
    first = keys["first_return"].to_numpy(dtype="datetime64[ns]")
    last = keys["last_return"].to_numpy(dtype="datetime64[ns]")
    no_data = np.isnat(first) | np.isnat(day0)
    bench_any = np.isfinite(panel.mret).any(axis=1)
    no_data |= ~bench_any
    # the security's returns end before the event window starts
    window_start = panel.dates[:, int(np.argmax(panel.event))]
    no_data |= ~np.isnat(last) & ~np.isnat(window_start) & (last < window_start)
    pre_listing = ~no_data & (day0 <= first)
    status = np.full(len(m), "ok", dtype=object)
    status[~complete.all(axis=1)] = "missing_event_window"
    status[zero_share > thin_trading_share] = "thin_trading"
    status[(m < min_estimation) | ~fit_ok] = "short_estimation"
    status[pre_listing] = "pre_listing"
    status[no_data] = "no_data"
    return status.astype(str)
