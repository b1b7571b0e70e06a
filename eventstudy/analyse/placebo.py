"""Placebo (randomisation) inference for a claim: the same firms, model and window on pseudo-event days.

METHODS §4b. Pseudo-event days are drawn from the sessions whose claim window holds no day 0 of any study event
(on each firm's exchange) and whose estimation window lies inside the data. Every draw keeps all the group's
firms on one calendar date, so each day's cross-correlation is intact: the placebo distribution of the CAAR has
the dispersion that a shared event date gives it. The draws run through the study's own alignment and engine, all
at once (one panel of draws × firms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import calendars
from ..abnormal import compute_abnormal
from ..models import NormalReturnModel
from ..windows import build_panel

__all__ = ["placebo_pool", "placebo_caars", "placebo_pvalue"]


def placebo_pool(
    exchanges: Sequence[str],
    sessions: Mapping[str, pd.DatetimeIndex],
    study_day0: pd.DataFrame,
    window: tuple[int, int],
    estimation_window: tuple[int, int],
    event_window: tuple[int, int],
    data_start: pd.Timestamp,
    data_end: pd.Timestamp,
) -> pd.DatetimeIndex:
    """The eligible pseudo-event dates for firms on ``exchanges`` and a claim window.

    The candidates are the sessions of the first exchange. A date is eligible when, on every exchange, its day 0
    (:func:`eventstudy.calendars.date_day0`) has the whole estimation and event windows inside the data span and
    no study event's day 0 in the claim window.
    """
    exchanges = list(dict.fromkeys(exchanges))
    ref = sessions[exchanges[0]]
    cand = ref[(ref >= data_start) & (ref <= data_end)]
    ok = np.ones(len(cand), dtype=bool)
    lo = min(estimation_window[0], event_window[0])
    hi = max(estimation_window[1], event_window[1])
    for ex in exchanges:
        sess = sessions[ex]
        inside = sess[(sess >= data_start) & (sess <= data_end)]
        d0 = pd.DatetimeIndex(calendars.date_day0(cand.values, ex))
        pos = inside.get_indexer(d0)
        ok &= (pos >= 0) & (pos + lo >= 0) & (pos + hi < len(inside))
        events_at = inside.get_indexer(pd.DatetimeIndex(study_day0.loc[study_day0["exchange"] == ex, "day0"].dropna()))
        events_at = events_at[events_at >= 0]
        # a claim window [a, b] around pos holds an event day e when pos + a <= e <= pos + b
        for a_pos in events_at:
            ok &= ~((pos + window[0] <= a_pos) & (a_pos <= pos + window[1]))
    return pd.DatetimeIndex(cand[ok])


def placebo_caars(
    firms: pd.DataFrame,
    dates: pd.DatetimeIndex,
    returns: Mapping[str, pd.Series],
    sessions: Mapping[str, pd.DatetimeIndex],
    model: NormalReturnModel,
    windows: Sequence[tuple[int, int]],
    *,
    estimation_window: tuple[int, int],
    event_window: tuple[int, int],
    min_estimation: int,
    thin_trading_share: float,
) -> np.ndarray:
    """The CAAR of ``firms`` (columns ``ticker, exchange, benchmark``) with day 0 on each of ``dates``.

    Returns a ``(len(dates), len(windows))`` array: the mean CAR over the firms usable in that draw and window
    (NaN when none is). One engine call covers every draw.
    """
    n_d, n_f = len(dates), len(firms)
    if n_d == 0 or n_f == 0:
        return np.full((n_d, len(windows)), np.nan)
    day0 = np.empty((n_d, n_f), dtype="datetime64[ns]")
    for j, ex in enumerate(firms["exchange"]):
        day0[:, j] = calendars.date_day0(dates.values, ex)
    fe = pd.DataFrame(
        {
            "event_id": np.repeat(np.arange(n_d), n_f).astype(str),
            "ticker": np.tile(firms["ticker"].to_numpy(), n_d),
            "exchange": np.tile(firms["exchange"].to_numpy(), n_d),
            "benchmark": np.tile(firms["benchmark"].to_numpy(), n_d),
            "day0": day0.ravel(),
        }
    )
    panel = build_panel(fe, returns, sessions, estimation_window=estimation_window, event_window=event_window)
    abn = compute_abnormal(
        panel, model, list(windows), min_estimation=min_estimation, thin_trading_share=thin_trading_share, daily=False
    )  # the CARs only: no daily arrays for the draws
    out = np.full((n_d, len(windows)), np.nan)
    for w in range(len(windows)):
        use = abn.usable(w).reshape(n_d, n_f)
        car = np.where(use, abn.car[:, w].reshape(n_d, n_f), 0.0)
        count = use.sum(axis=1)
        out[:, w] = np.divide(car.sum(axis=1), count, out=np.full(n_d, np.nan), where=count > 0)
    return out


def placebo_pvalue(observed: float, placebo: np.ndarray) -> tuple[float, int]:
    """p = (1 + #{|placebo| ≥ |observed|}) / (1 + B) over the B finite placebo values, and B.

    Examples
    --------
    >>> placebo_pvalue(0.05, np.array([0.01, -0.06, 0.02, 0.05]))
    (0.6, 4)
    """
    vals = np.asarray(placebo, dtype=float)
    vals = vals[np.isfinite(vals)]
    b = vals.size
    if b == 0 or not np.isfinite(observed):
        return float("nan"), b
    k = int((np.abs(vals) >= abs(observed) - 1e-15).sum())
    return (1 + k) / (1 + b), b
