"""Run the registered tests over every event × group × CAR window, vectorised per cell."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..abnormal import Abnormal, compute_abnormal
from ..config import window_label
from ..models import NormalReturnModel
from ..windows import Panel
from .base import TESTS, Sample
from .parametric import pairwise_correlation
from .rank import centred_ranks

__all__ = ["make_sample", "run_tests", "group_cells"]

TEST_COLUMNS = [
    "event_id",
    "group",
    "window",
    "test",
    "statistic",
    "pvalue",
    "distribution",
    "nobs",
    "notes",
    "details",
]


def make_sample(
    panel: Panel,
    abn: Abnormal,
    rows: np.ndarray,
    w: int,
    *,
    corr: np.ndarray | None = None,
    model: NormalReturnModel | None = None,
    min_estimation: int = 3,
    rng: np.random.Generator | None = None,
    portfolio_cache: dict[bytes, Abnormal] | None = None,
    ranks: np.ndarray | None = None,
) -> Sample:
    """The :class:`Sample` of firm-events ``rows`` for CAR window number ``w`` (rows must be usable).

    With ``model`` given, the sample can also fit the equally weighted portfolio of its firm-events.
    """
    est = abn.estimation_used[rows]
    cols = np.flatnonzero(panel.estimation)
    resid = np.where(est[:, cols], abn.ar[rows][:, cols], np.nan)
    a, b = abn.windows[w]
    wcols = np.arange(panel.day_index(a), panel.day_index(b) + 1)
    keep = est | panel.event[None, :]
    portfolio = None
    if model is not None:

        def portfolio() -> list[tuple[float, float, int, int]]:
            """(CAR_p, Var(CAR_p), M_p, N_p) of each calendar-aligned portfolio: one per exchange and day 0."""
            keys = panel.keys.iloc[rows]
            out = []
            for _, sub in keys.groupby([keys["exchange"].astype(str), pd.DatetimeIndex(keys["day0"])], sort=True):
                members = rows[np.isin(np.arange(rows.size), np.flatnonzero(keys.index.isin(sub.index)))]
                key = members.tobytes()
                if portfolio_cache is not None and key in portfolio_cache:
                    res = portfolio_cache[key]
                else:
                    res = portfolio_fit(panel, members, model, abn.windows, min_estimation=min_estimation)
                    if portfolio_cache is not None:
                        portfolio_cache[key] = res
                out.append((float(res.car[0, w]), float(res.var_car[0, w]), int(res.nobs[0]), int(members.size)))
            return out

    return Sample(
        car=abn.car[rows, w],
        var_car=abn.var_car[rows, w],
        scar=abn.scar[rows, w],
        nobs_estimation=abn.nobs[rows].astype(float),
        df_loss=abn.df_loss,
        length=b - a + 1,
        resid=resid,
        resid_dates=panel.dates[rows][:, cols],
        corr=corr,
        ar_all=np.where(keep, abn.ar[rows], np.nan),
        sar_all=np.where(keep, abn.sar[rows], np.nan),
        window_cols=wcols,
        estimation_cols=cols,
        portfolio=portfolio,
        rng=rng,
        ranks=ranks,
    )


def portfolio_fit(
    panel: Panel,
    rows: np.ndarray,
    model: NormalReturnModel,
    windows: Sequence[tuple[int, int]],
    *,
    min_estimation: int = 3,
) -> Abnormal:
    """The engine's output for the equally weighted portfolio of ``rows``, which share an exchange and a day 0.

    On each session the portfolio return is the mean over the members with a return that day, and its benchmark
    return the mean of their benchmarks; the model is then fitted to the portfolio like one security. A day that
    the clean-estimation mask removes for any member leaves the portfolio's estimation window.
    """
    from dataclasses import replace

    ret = panel.ret[rows]
    mret = panel.mret[rows]
    both = np.isfinite(ret) & np.isfinite(mret)
    count = both.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = np.where(both, ret, 0.0).sum(axis=0) / count
        pm = np.where(both, mret, 0.0).sum(axis=0) / count
    excluded = panel.excluded[rows].any(axis=0)
    valid = np.isfinite(pr)
    dates = panel.dates[rows[:1]]
    keys = pd.DataFrame(
        {
            "event_id": ["portfolio"],
            "ticker": ["portfolio"],
            "day0": [dates[0, panel.day_index(0)] if panel.rel[0] <= 0 <= panel.rel[-1] else np.datetime64("NaT")],
            "first_return": [dates[0, np.argmax(valid)] if valid.any() else np.datetime64("NaT")],
            "last_return": [dates[0, len(valid) - 1 - np.argmax(valid[::-1])] if valid.any() else np.datetime64("NaT")],
        }
    )
    one = replace(panel, keys=keys, dates=dates, ret=pr[None, :], mret=pm[None, :], excluded=excluded[None, :])
    return compute_abnormal(one, model, list(windows), min_estimation=min_estimation, thin_trading_share=1.0)


def portfolio_car(
    panel: Panel, rows: np.ndarray, model: NormalReturnModel, window: tuple[int, int], *, min_estimation: int = 3
) -> tuple[float, float, int]:
    """CAR, exact Var(CAR) and M of the equally weighted portfolio of ``rows`` (:func:`portfolio_fit`)."""
    if rows.size == 0:
        return float("nan"), float("nan"), 0
    res = portfolio_fit(panel, rows, model, [window], min_estimation=min_estimation)
    return float(res.car[0, 0]), float(res.var_car[0, 0]), int(res.nobs[0])


def group_cells(
    keys: pd.DataFrame, group_by: Sequence[str], pools: Mapping[str, Sequence[str]] | None = None
) -> list[tuple[str, str, np.ndarray]]:
    """``(event_id, group label, row indices)`` for every event and every label of the ``group_by`` columns.

    ``pools`` maps a pooled-set name (e.g. ``"pooled:escalation"``) to event ids; each pooled set is one more
    "event" whose firm-events are those of its member events (each firm-event counted once).
    """
    cells: list[tuple[str, str, np.ndarray]] = []
    sets = [(eid, ev) for eid, ev in keys.groupby("event_id", sort=False)]
    for name, members in (pools or {}).items():
        sub = keys[keys["event_id"].isin(list(members))]
        if len(sub):
            sets.append((name, sub))
    for event_id, ev in sets:
        seen: dict[str, bytes] = {}
        for col in group_by:
            for label, sub in ev.groupby(col, sort=True):
                label = str(label)
                rows = sub.index.to_numpy()
                if label in seen:
                    if seen[label] == rows.tobytes():
                        continue  # the same firm-events under the same name (e.g. group "etf", segment "etf")
                    label = f"{col}:{label}"  # the same name for other firm-events: keep both, apart
                seen[label] = rows.tobytes()
                cells.append((str(event_id), label, rows))
    return cells


def run_tests(
    panel: Panel,
    abn: Abnormal,
    tests: Sequence[str],
    group_by: Sequence[str],
    *,
    model: NormalReturnModel | None = None,
    min_estimation: int = 3,
    pools: Mapping[str, Sequence[str]] | None = None,
    rng: np.random.Generator | int | None = 0,
) -> pd.DataFrame:
    """Every test of ``tests`` on every event × group × CAR window (and pooled set); one row per result."""
    funcs = [(name, TESTS.get(name, where="tests")) for name in tests]
    need_corr = any(name.startswith("kp_") for name in tests)
    need_ranks = "rank_z" in tests
    # each cell's resampling stream is its own, so adding a test, a group or an event changes no other p-value
    base_seed = int(rng) if isinstance(rng, int | np.integer) else int(np.random.default_rng(rng).integers(2**32))
    records = []
    for event_id, label, rows in group_cells(panel.keys, group_by, pools):
        fitted = rows[np.isin(abn.status[rows], ("ok", "missing_event_window"))]
        cache: dict[bytes, Abnormal] = {}
        corr_all = None
        if need_corr and fitted.size > 1:
            base = make_sample(panel, abn, fitted, 0)
            corr_all = pairwise_correlation(base.resid, base.resid_dates)
        ranks_all = None
        if need_ranks and fitted.size:
            keep_days = abn.estimation_used[fitted] | panel.event[None, :]
            ranks_all = centred_ranks(np.where(keep_days, abn.ar[fitted], np.nan))
        for w, window in enumerate(abn.windows):
            keep = abn.usable(w)[fitted]
            use = fitted[keep]
            corr = corr_all[np.ix_(keep, keep)] if corr_all is not None else None
            rng = np.random.default_rng([base_seed, zlib.crc32(f"{event_id}|{label}|{window}".encode())])
            sample = make_sample(
                panel,
                abn,
                use,
                w,
                corr=corr,
                model=model,
                min_estimation=min_estimation,
                rng=rng,
                portfolio_cache=cache,
                ranks=ranks_all[keep] if ranks_all is not None else None,
            )
            for name, func in funcs:
                with np.errstate(all="ignore"):
                    res = func(sample)
                records.append(
                    (
                        event_id,
                        label,
                        window_label(window),
                        name,
                        res.statistic,
                        res.pvalue,
                        res.distribution,
                        res.nobs,
                        res.notes,
                        json.dumps(dict(res.details)) if res.details else "",
                    )
                )
    return pd.DataFrame.from_records(records, columns=TEST_COLUMNS)


def caar_table(
    panel: Panel,
    abn: Abnormal,
    group_by: Sequence[str],
    *,
    level: float = 0.95,
    pools: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """CAAR per event × group × window with the cross-sectional t interval at ``level``."""
    from scipy import stats

    records = []
    for event_id, label, rows in group_cells(panel.keys, group_by, pools):
        for w, window in enumerate(abn.windows):
            car = abn.car[rows[abn.usable(w)[rows]], w]
            n = car.size
            mean = float(car.mean()) if n else float("nan")
            sd = float(car.std(ddof=1)) if n > 1 else float("nan")
            half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
            records.append((event_id, label, window_label(window), n, mean, sd, mean - half, mean + half))
    return pd.DataFrame.from_records(
        records, columns=["event_id", "group", "window", "nobs", "caar", "sd_car", "ci_low", "ci_high"]
    )


def aar_table(panel: Panel, abn: Abnormal, group_by: Sequence[str], *, level: float = 0.95) -> pd.DataFrame:
    """AAR and CAAR (cumulated from the event window's start) per event × group × event day, with the cross-sectional
    t interval of the CAAR at ``level`` on every day.

    The firm-events are those usable for the whole event window, so the path is over one fixed set. The interval on
    day τ is CAAR_τ ± t(N−1) · s_τ/√N, s_τ being the cross-sectional sd (ddof 1) of the firms' cumulative ARs.
    """
    from scipy import stats

    cols = np.flatnonzero(panel.event)
    days = panel.rel[cols]
    full = np.isin(abn.status, ("ok", "missing_event_window")) & np.isfinite(abn.ar[:, cols]).all(axis=1)
    frames = []
    columns = ["event_id", "group", "event_day", "nobs", "aar", "caar", "sd_car", "ci_low", "ci_high"]
    for event_id, label, rows in group_cells(panel.keys, group_by):
        use = rows[full[rows]]
        ar = abn.ar[use][:, cols]
        n = len(use)
        aar = ar.mean(axis=0) if n else np.full(len(cols), np.nan)
        cum = np.cumsum(ar, axis=1)
        sd = cum.std(axis=0, ddof=1) if n > 1 else np.full(len(cols), np.nan)
        half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.full(len(cols), np.nan)
        caar = np.cumsum(aar)
        frames.append(
            pd.DataFrame(
                {
                    "event_id": event_id,
                    "group": label,
                    "event_day": days,
                    "nobs": n,
                    "aar": aar,
                    "caar": caar,
                    "sd_car": sd,
                    "ci_low": caar - half,
                    "ci_high": caar + half,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)
