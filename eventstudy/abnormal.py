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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .catalog import OUTCOMES  # outcome codes of a firm-event, in order of precedence (METHODS §2)
from .models import ConstantMean, MarketAdjusted, MarketModel, NormalReturnModel
from .windows import Panel

__all__ = ["Abnormal", "OUTCOMES", "compute_abnormal"]


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
        ``(n,)`` share of zero returns in the estimation window (reported; not a reason to drop, METHODS §2).
    no_trade_share
        ``(n,)`` share of the estimation days, from the first return on, without a price (no trade; a vendor's
        zero-volume row that repeats the previous close is a halt and has no price). Above ``thin_trading_share``
        the firm-event is ``thin_trading``.
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
    no_trade_share: np.ndarray | None = None

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
    method: str = "auto",
    block_size: int = 4096,
    daily: bool = True,
) -> Abnormal:
    """Fit the model on every estimation window and compute AR, CAR, exact variances, SAR and SCAR.

    Parameters
    ----------
    panel
        The aligned firm-events (:func:`eventstudy.windows.build_panel`).
    model
        A normal-return model.
    car_windows
        Inclusive ``(start, end)`` CAR windows in event days.
    min_estimation
        Fewest valid estimation returns for a fit.
    thin_trading_share
        Largest share of estimation days without a price (no trade) before a firm-event is ``thin_trading``
        (METHODS §2). Zero returns alone never make a firm-event thin: a coarse tick makes many of them.
    method
        ``"auto"`` (default) uses the closed-form path for ``market``, ``constant_mean`` and ``market_adjusted``
        and the design-tensor path for every other model; ``"fast"`` requires the closed-form path and
        ``"generic"`` forces the design-tensor path. Both give the same numbers to rounding.
    block_size
        Firm-events per block on the closed-form path; it bounds the temporaries to a few ``block_size × T``
        arrays whatever the number of firm-events.
    daily
        ``False`` leaves out the ``(n, T)`` daily outputs (``ar``, ``var_ar``, ``sar`` and ``estimation_used`` are
        ``(n, 0)``) on the closed-form path, for a caller that needs only the CAR windows (e.g. placebo draws);
        every other output is the same.

    Notes
    -----
    The closed-form path computes, per firm-event, masked sums over the estimation window in two passes
    (means, then centred sums :math:`S_{xx} = \\sum (x-\\bar x)^2`, :math:`S_{xy}`), so for the market model
    :math:`\\hat\\beta = S_{xy}/S_{xx}`, :math:`(X'X)^{-1}` is the closed-form 2×2 inverse, the leverage of event
    day *t* is :math:`1/M + (x_t-\\bar x)^2/S_{xx}` and, for a window of length *L*,
    :math:`\\mathrm{Var}(CAR) = \\hat\\sigma^2 (L + L^2/M + (\\sum_w x_t - L\\bar x)^2 / S_{xx})`. CARs come from
    cumulative sums over the event days. No ``(n, T, k)`` array is built.
    """
    kind = _closed_form_kind(model)
    if method not in ("auto", "fast", "generic"):
        raise ValueError(f"method: must be 'auto', 'fast' or 'generic' (got {method!r}); fix: pick one")
    if method == "fast" and kind is None:
        raise ValueError(
            f"method: 'fast' has no closed form for model {getattr(model, 'name', model)!r}; "
            "fix: use method='auto' or 'generic'"
        )
    if block_size < 1:
        raise ValueError(f"block_size: must be at least 1 (got {block_size}); fix: use e.g. 4096")
    if kind is not None and method != "generic":
        # unusable firm-events divide by zero or NaN on the way; their status says why and their numbers are NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _closed_form(
                panel, kind, model, car_windows, min_estimation, thin_trading_share, int(block_size), daily=daily
            )
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _generic(panel, model, car_windows, min_estimation, thin_trading_share)
    return _merged_days(panel, out)


def _merged_days(panel: Panel, abn: Abnormal) -> Abnormal:
    """Days merged across a benchmark's missing session (``panel.merged``, METHODS §2): a CAR window holding a
    whole merged run keeps its CAR (the run's multi-day abnormal return, since the run's other days are 0 for the
    security and the benchmark); a window holding only part of a run has no CAR; the single-day AR, its variance
    and SAR are missing on every merged day."""
    merged = panel.merged
    if merged is None or not merged.any():
        return abn
    t = merged.shape[1]
    cols = np.arange(t)
    start = merged & ~np.pad(merged, ((0, 0), (1, 0)))[:, :-1]
    end = merged & ~np.pad(merged, ((0, 0), (0, 1)))[:, 1:]
    run_first = np.maximum.accumulate(np.where(start, cols, -1), axis=1)
    run_last = np.minimum.accumulate(np.where(end, cols, t)[:, ::-1], axis=1)[:, ::-1]
    car, var_car, scar, complete = abn.car.copy(), abn.var_car.copy(), abn.scar.copy(), abn.complete.copy()
    for w, (a, b) in enumerate(abn.windows):
        lo, hi = panel.day_index(a), panel.day_index(b)
        inside = merged[:, lo : hi + 1]
        cut = (inside & ((run_first[:, lo : hi + 1] < lo) | (run_last[:, lo : hi + 1] > hi))).any(axis=1)
        car[cut, w] = np.nan
        var_car[cut, w] = np.nan
        scar[cut, w] = np.nan
        complete[cut, w] = False
    status = abn.status.astype(object)  # a copy wide enough for any outcome code
    status[(status == "ok") & ~complete.all(axis=1)] = "missing_event_window"
    days = abn.ar.shape[1] == t  # without the daily arrays (daily=False) there are none to blank
    return replace(
        abn,
        ar=np.where(merged, np.nan, abn.ar) if days else abn.ar,
        var_ar=np.where(merged, np.nan, abn.var_ar) if days else abn.var_ar,
        sar=np.where(merged, np.nan, abn.sar) if days else abn.sar,
        car=car,
        var_car=var_car,
        scar=scar,
        complete=complete,
        status=status,
    )


def _generic(
    panel: Panel,
    model: NormalReturnModel,
    car_windows: Sequence[tuple[int, int]],
    min_estimation: int,
    thin_trading_share: float,
) -> Abnormal:
    """The design-tensor path: any linear model, through ``(n, T, k)`` designs and batched inverses."""
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
        if hasattr(model, "coefficients"):  # a linear model whose coefficients are not OLS (Scholes–Williams)
            b = model.coefficients(panel, y, est)
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

    no_trade = no_trade_share(panel)
    status = _status(
        panel, m, fit_ok, no_trade, complete, min_estimation, thin_trading_share, sigma2=sigma2, model=model
    )
    bad = ~np.isin(status, ("ok", "missing_event_window"))
    params = np.where(bad[:, None], np.nan, b)
    return Abnormal(
        windows=tuple((int(w[0]), int(w[1])) for w in car_windows),
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
        no_trade_share=no_trade,
    )


def _closed_form_kind(model: NormalReturnModel) -> str | None:
    """``"market"``, ``"constant_mean"`` or ``"market_adjusted"`` when ``model`` is one of those, as registered."""
    for cls in (MarketModel, ConstantMean, MarketAdjusted):
        if type(model) is cls:
            default = cls()
            return default.name if model == default else None
    return None


def _column_selector(mask: np.ndarray) -> slice | np.ndarray:
    """A slice when the True entries of ``mask`` are contiguous (a view, no copy), else their indices."""
    idx = np.flatnonzero(mask)
    if idx.size and idx[-1] - idx[0] + 1 == idx.size:
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _closed_form(
    panel: Panel,
    kind: str,
    model: NormalReturnModel,
    car_windows: Sequence[tuple[int, int]],
    min_estimation: int,
    thin_trading_share: float,
    block_size: int,
    *,
    daily: bool = True,
) -> Abnormal:
    """Masked sums and closed-form inverses for k ≤ 2 (market, constant_mean, market_adjusted), block by block.

    ``daily=False`` keeps only the per-window outputs: the daily arrays are ``(n, 0)`` and never written."""
    n, t = panel.ret.shape
    k = model.k
    with_x = kind == "market"
    intercept = kind != "market_adjusted"
    ecols = _column_selector(panel.event)
    scols = _column_selector(panel.estimation)
    ev_idx = np.flatnonzero(panel.event)
    n_ev = ev_idx.size
    # CAR windows as positions in the event-day block (cumulative sums carry a leading zero column)
    spans = []
    for a, bnd in car_windows:
        lo, hi = panel.day_index(a), panel.day_index(bnd)
        i0, i1 = int(np.searchsorted(ev_idx, lo)), int(np.searchsorted(ev_idx, hi)) + 1
        if i1 - i0 != hi - lo + 1 or ev_idx[i0] != lo:
            raise ValueError(f"car_windows: {(a, bnd)} is not inside the event window; fix: shorten it")
        spans.append((i0, i1, bnd - a + 1))
    nw = len(spans)
    min_m = max(min_estimation, model.df_loss + 3)

    params = np.full((n, k), np.nan)
    sigma2 = np.full(n, np.nan)
    nobs = np.zeros(n, dtype=np.int64)
    # every column is an estimation or an event day (the usual layout): each cell is written below, so the
    # (n, T) outputs need no filling first
    make = np.empty if bool((panel.estimation | panel.event).all()) else (lambda shape: np.full(shape, np.nan))
    ar = make((n, t)) if daily else np.empty((n, 0))
    var_ar = make((n, t)) if daily else np.empty((n, 0))
    sar = make((n, t)) if daily else np.empty((n, 0))
    est_used = np.zeros((n, t) if daily else (n, 0), dtype=bool)
    car = np.full((n, nw), np.nan)
    var_car = np.full((n, nw), np.nan)
    complete = np.zeros((n, nw), dtype=bool)
    fit_ok_all = np.zeros(n, dtype=bool)
    zero_share = np.zeros(n)
    est_mask = panel.estimation[scols]

    any_excluded = bool(panel.excluded[:, scols].any())
    # the estimation columns are one run and all estimation days: outputs are written in place through views
    plain = isinstance(scols, slice) and bool(est_mask.all())

    for start in range(0, n, block_size):
        r = slice(start, min(start + block_size, n))
        ret = panel.ret[r]
        excl = panel.excluded[r]
        if with_x and plain:
            alpha, beta, xbar, sxx_safe, m, mf, s2, fit_ok, zs = _market_block(
                ret[:, scols],
                panel.mret[r][:, scols],
                excl[:, scols] if any_excluded else None,
                min_m,
                model.df_loss,
                (ar[r, scols], var_ar[r, scols], sar[r, scols], est_used[r, scols]) if daily else None,
            )
            zero_share[r] = zs
            params[r, 0] = alpha
            params[r, 1] = beta
            sigma2[r] = s2
            nobs[r] = m
            fit_ok_all[r] = fit_ok
        else:
            if not daily:  # the general block writes the estimation days: it gets full-width scratch arrays
                ar, var_ar, sar = (np.full((n, t), np.nan) for _ in range(3))
                est_used = np.zeros((n, t), dtype=bool)
                daily = True
            alpha, beta, xbar, sxx_safe, m, mf, s2, fit_ok = _general_block(
                panel,
                r,
                ret,
                excl,
                scols,
                est_mask,
                kind,
                with_x,
                intercept,
                model.df_loss,
                min_m,
                params,
                sigma2,
                nobs,
                fit_ok_all,
                zero_share,
                ar,
                var_ar,
                sar,
                est_used,
            )

        # event days: abnormal returns, exact forecast-error variances, CARs from cumulative sums
        ye = ret[:, ecols]
        if kind == "market_adjusted":
            ye = ye - panel.mret[r][:, ecols]
        if with_x:
            xe = panel.mret[r][:, ecols]
            ar_e = ye - (alpha[:, None] + beta[:, None] * xe)
            dxe = xe - xbar[:, None]
            lev = 1.0 / mf[:, None] + dxe * dxe / sxx_safe[:, None]
        elif intercept:
            ar_e = ye - alpha[:, None]
            lev = 1.0 / mf[:, None]
        else:
            ar_e = ye
            lev = 0.0
        ar_e = np.where(fit_ok[:, None], ar_e, np.nan)
        if daily:
            v_e = s2[:, None] * (1.0 + lev)
            v_e = np.where(np.isfinite(ar_e), v_e, np.nan)
            ar[r, ecols] = ar_e
            var_ar[r, ecols] = v_e
            sar[r, ecols] = ar_e / np.sqrt(v_e)

        nb = ar_e.shape[0]
        miss = np.zeros((nb, n_ev + 1), dtype=np.int32)
        np.cumsum(~np.isfinite(ar_e), axis=1, out=miss[:, 1:])
        cs = np.zeros((nb, n_ev + 1))
        np.cumsum(np.where(np.isfinite(ar_e), ar_e, 0.0), axis=1, out=cs[:, 1:])
        if with_x:
            cx = np.zeros((nb, n_ev + 1))
            np.cumsum(np.where(np.isfinite(xe), xe, 0.0), axis=1, out=cx[:, 1:])
        for w, (i0, i1, length) in enumerate(spans):
            ok = miss[:, i1] == miss[:, i0]
            complete[r, w] = ok
            car[r, w] = np.where(ok, cs[:, i1] - cs[:, i0], np.nan)
            if with_x:
                dev = (cx[:, i1] - cx[:, i0]) - length * xbar
                quad = length * length / mf + dev * dev / sxx_safe
            elif intercept:
                quad = length * length / mf
            else:
                quad = 0.0
            var_car[r, w] = np.where(ok, s2 * (length + quad), np.nan)
    scar = car / np.sqrt(var_car)

    no_trade = no_trade_share(panel)
    status = _status(
        panel, nobs, fit_ok_all, no_trade, complete, min_estimation, thin_trading_share, sigma2=sigma2, model=model
    )
    bad = ~np.isin(status, ("ok", "missing_event_window"))
    if bad.any():
        rows = np.flatnonzero(bad)
        for arr in (params, ar, var_ar, sar, car, var_car, scar):
            arr[rows] = np.nan
        sigma2[rows] = np.nan
        est_used[rows] = False
        complete[rows] = False
    return Abnormal(
        windows=tuple((int(w[0]), int(w[1])) for w in car_windows),
        params=params,
        sigma2=sigma2,
        nobs=nobs,
        ar=ar,
        var_ar=var_ar,
        sar=sar,
        estimation_used=est_used,
        car=car,
        var_car=var_car,
        scar=scar,
        complete=complete,
        status=status,
        zero_share=zero_share,
        df_loss=model.df_loss,
        no_trade_share=no_trade,
    )


def _general_block(
    panel: Panel,
    r: slice,
    ret: np.ndarray,
    excl: np.ndarray,
    scols: slice | np.ndarray,
    est_mask: np.ndarray,
    kind: str,
    with_x: bool,
    intercept: bool,
    df_loss: int,
    min_m: int,
    params: np.ndarray,
    sigma2: np.ndarray,
    nobs: np.ndarray,
    fit_ok_all: np.ndarray,
    zero_share: np.ndarray,
    ar: np.ndarray,
    var_ar: np.ndarray,
    sar: np.ndarray,
    est_used: np.ndarray,
) -> tuple:
    """The estimation window of one block of rows for any closed-form model and column layout."""
    alpha: Any = None
    beta: Any = None
    xbar: Any = None
    sxx_safe: Any = None
    # estimation window: masked sums, two passes (means, then centred sums)
    ys = ret[:, scols]
    ret_ok = np.isfinite(ys) & est_mask & ~excl[:, scols]
    zeros = np.count_nonzero((ys == 0) & ret_ok, axis=1)
    n_ret = np.count_nonzero(ret_ok, axis=1)
    zero_share[r] = np.divide(zeros, n_ret, out=np.zeros(zeros.shape), where=n_ret > 0)
    if kind == "market_adjusted":
        ys = ys - panel.mret[r][:, scols]
        est = np.isfinite(ys) & est_mask & ~excl[:, scols]
    elif with_x:
        xs = panel.mret[r][:, scols]
        est = ret_ok & np.isfinite(xs)
    else:
        est = ret_ok
    m = np.count_nonzero(est, axis=1)
    mf = np.maximum(m, 1).astype(float)
    ybar = np.where(est, ys, 0.0).sum(axis=1) / mf
    dy = np.where(est, ys - ybar[:, None], 0.0)
    fit_ok = m >= min_m
    if with_x:
        xbar = np.where(est, xs, 0.0).sum(axis=1) / mf
        dx = np.where(est, xs - xbar[:, None], 0.0)
        sxx = np.einsum("ij,ij->i", dx, dx)
        sxy = np.einsum("ij,ij->i", dx, dy)
        fit_ok &= np.abs(m * sxx) > 1e-300  # det(X'X) = M S_xx
        sxx_safe = np.where(fit_ok, sxx, 1.0)
        beta = sxy / sxx_safe
        alpha = ybar - beta * xbar
        e = dy - beta[:, None] * dx
        ssr = np.einsum("ij,ij->i", e, e)
        params[r, 0] = alpha
        params[r, 1] = beta
    else:
        ssr = np.einsum("ij,ij->i", dy, dy)
        if intercept:
            params[r, 0] = ybar
            alpha = ybar
    s2 = np.where(fit_ok, ssr / np.maximum(m - df_loss, 1), np.nan)
    sigma2[r] = s2
    nobs[r] = m
    fit_ok_all[r] = fit_ok

    # estimation days: in-sample residuals, σ̂² as their variance
    use = est & fit_ok[:, None]
    if with_x:
        fitted_s = alpha[:, None] + beta[:, None] * xs
    elif intercept:
        fitted_s = ybar[:, None]
    else:
        fitted_s = 0.0
    ar_s = np.where(use, ys - fitted_s, np.nan)
    ar[r, scols] = ar_s
    var_ar[r, scols] = np.where(use, s2[:, None], np.nan)
    sar[r, scols] = ar_s / np.sqrt(s2)[:, None]
    est_used[r, scols] = est
    return alpha, beta, xbar, sxx_safe, m, mf, s2, fit_ok


def _market_block(
    ys: np.ndarray,
    xs: np.ndarray,
    excl: np.ndarray | None,
    min_m: int,
    df_loss: int,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple:
    """The market model on the estimation window of one block of rows, written in place into the views
    ``out = (ar, var_ar, sar, est_used)`` unless ``out`` is None (the same operations as :func:`_general_block`, in
    the same order, with two reused buffers instead of a fresh array per step)."""
    nb, _ = ys.shape
    ok = np.isfinite(ys)
    if excl is not None:
        ok &= ~excl
    n_ret = np.count_nonzero(ok, axis=1)
    zero = ys == 0  # False on NaN
    if excl is not None:
        zero &= ok
    zeros = np.count_nonzero(zero, axis=1)
    zero_share = np.divide(zeros, n_ret, out=np.zeros(nb), where=n_ret > 0)
    est = np.isfinite(xs, out=zero)
    est &= ok
    skip = np.logical_not(est, out=ok)
    m = np.count_nonzero(est, axis=1)
    mf = np.maximum(m, 1).astype(float)
    a = np.where(est, ys, 0.0)
    ybar = a.sum(axis=1) / mf
    b = np.where(est, xs, 0.0)
    xbar = b.sum(axis=1) / mf
    np.subtract(ys, ybar[:, None], out=a)
    np.copyto(a, 0.0, where=skip)  # dy
    np.subtract(xs, xbar[:, None], out=b)
    np.copyto(b, 0.0, where=skip)  # dx
    sxx = np.einsum("ij,ij->i", b, b)
    sxy = np.einsum("ij,ij->i", b, a)
    fit_ok = m >= min_m
    fit_ok &= np.abs(m * sxx) > 1e-300  # det(X'X) = M S_xx
    sxx_safe = np.where(fit_ok, sxx, 1.0)
    beta = sxy / sxx_safe
    alpha = ybar - beta * xbar
    b *= beta[:, None]
    a -= b  # e = dy - beta dx
    ssr = np.einsum("ij,ij->i", a, a)
    s2 = np.where(fit_ok, ssr / np.maximum(m - df_loss, 1), np.nan)
    if out is None:
        return alpha, beta, xbar, sxx_safe, m, mf, s2, fit_ok, zero_share
    ar, var_ar, sar, est_used = out
    # estimation days: in-sample residuals ys - (alpha + beta xs), σ̂² as their variance
    np.multiply(beta[:, None], xs, out=ar)
    ar += alpha[:, None]
    np.subtract(ys, ar, out=ar)
    skip |= ~fit_ok[:, None]
    np.copyto(ar, np.nan, where=skip)
    var_ar[...] = s2[:, None]
    np.copyto(var_ar, np.nan, where=skip)
    np.divide(ar, np.sqrt(s2)[:, None], out=sar)
    est_used[...] = est
    return alpha, beta, xbar, sxx_safe, m, mf, s2, fit_ok, zero_share


def no_trade_share(panel: Panel) -> np.ndarray:
    """Share of each firm-event's estimation days without a price (no trade), from its first return on.

    A return needs the prices of its day and of the session before (METHODS §1), so a session without a price
    leaves its own return and the next one missing: day *t* has no price exactly when the returns of *t* and
    *t + 1* are both missing. Days before the first return (not yet listed) and excluded days do not count.
    """
    first = panel.keys["first_return"].to_numpy(dtype="datetime64[ns]")
    last = panel.keys["last_return"].to_numpy(dtype="datetime64[ns]")
    listed = (panel.dates >= first[:, None]) & (panel.dates <= last[:, None])
    missing = ~np.isfinite(panel.ret) & listed
    no_price = np.zeros_like(missing)
    no_price[:, :-1] = missing[:, :-1] & missing[:, 1:]
    days = panel.estimation[None, :] & ~panel.excluded & listed
    n_days = days.sum(axis=1)
    return np.divide((no_price & days).sum(axis=1), n_days, out=np.zeros(len(n_days)), where=n_days > 0)


def _status(
    panel: Panel,
    m: np.ndarray,
    fit_ok: np.ndarray,
    no_trade: np.ndarray,
    complete: np.ndarray,
    min_estimation: int,
    thin_trading_share: float,
    *,
    sigma2: np.ndarray | None = None,
    model: NormalReturnModel | None = None,
) -> np.ndarray:
    keys = panel.keys
    day0 = pd.DatetimeIndex(keys["day0"]).values
    first = keys["first_return"].to_numpy(dtype="datetime64[ns]")
    last = keys["last_return"].to_numpy(dtype="datetime64[ns]")
    no_data = np.isnat(first) | np.isnat(day0)
    if getattr(model, "uses_benchmark", True):  # a model without the market (constant_mean) needs no benchmark
        no_data |= ~np.isfinite(panel.mret).any(axis=1)
    # the security's returns end before the event window starts
    window_start = panel.dates[:, int(np.argmax(panel.event))]
    no_data |= ~np.isnat(last) & ~np.isnat(window_start) & (last < window_start)
    pre_listing = ~no_data & (day0 <= first)
    status = np.full(len(m), "ok", dtype=object)
    status[~complete.all(axis=1)] = "missing_event_window"
    status[no_trade > thin_trading_share] = "thin_trading"
    if sigma2 is not None:
        # no residual variation at all (a constant price): nothing can be standardised
        with np.errstate(invalid="ignore"):
            status[fit_ok & ~(sigma2 > 0)] = "thin_trading"
    status[(m < min_estimation) | ~fit_ok] = "short_estimation"
    status[pre_listing] = "pre_listing"
    status[no_data] = "no_data"
    return status.astype(str)
