"""Run the registered tests over every event × group × CAR window, vectorised per cell."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..abnormal import Abnormal
from ..config import window_label
from ..windows import Panel
from .base import TESTS, Sample
from .parametric import pairwise_correlation

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


def make_sample(panel: Panel, abn: Abnormal, rows: np.ndarray, w: int, *, corr: np.ndarray | None = None) -> Sample:
    """The :class:`Sample` of firm-events ``rows`` for CAR window number ``w`` (rows must be usable)."""
    est = abn.estimation_used[rows]
    cols = np.flatnonzero(panel.estimation)
    resid = np.where(est[:, cols], abn.ar[rows][:, cols], np.nan)
    a, b = abn.windows[w]
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
    )


def group_cells(keys: pd.DataFrame, group_by: Sequence[str]) -> list[tuple[str, str, np.ndarray]]:
    """``(event_id, group label, row indices)`` for every event and every label of the ``group_by`` columns."""
    cells: list[tuple[str, str, np.ndarray]] = []
    for event_id, ev in keys.groupby("event_id", sort=False):
        seen: set[str] = set()
        for col in group_by:
            for label, sub in ev.groupby(col, sort=True):
                label = str(label)
                if label in seen:
                    continue
                seen.add(label)
                cells.append((str(event_id), label, sub.index.to_numpy()))
    return cells


def run_tests(
    panel: Panel,
    abn: Abnormal,
    tests: Sequence[str],
    group_by: Sequence[str],
) -> pd.DataFrame:
    """Every test of ``tests`` on every event × group × CAR window; one row per result."""
    funcs = [(name, TESTS.get(name, where="tests")) for name in tests]
    need_corr = any(name.startswith("kp_") for name in tests)
    records = []
    for event_id, label, rows in group_cells(panel.keys, group_by):
        fitted = rows[np.isin(abn.status[rows], ("ok", "missing_event_window"))]
        corr_all = None
        if need_corr and fitted.size > 1:
            base = make_sample(panel, abn, fitted, 0)
            corr_all = pairwise_correlation(base.resid, base.resid_dates)
        for w, window in enumerate(abn.windows):
            keep = abn.usable(w)[fitted]
            use = fitted[keep]
            corr = corr_all[np.ix_(keep, keep)] if corr_all is not None else None
            sample = make_sample(panel, abn, use, w, corr=corr)
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


def caar_table(panel: Panel, abn: Abnormal, group_by: Sequence[str], *, level: float = 0.95) -> pd.DataFrame:
    """CAAR per event × group × window with the cross-sectional t interval at ``level``."""
    from scipy import stats

    records = []
    for event_id, label, rows in group_cells(panel.keys, group_by):
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


def aar_table(panel: Panel, abn: Abnormal, group_by: Sequence[str]) -> pd.DataFrame:
    """AAR and CAAR (cumulated from the event window's start) per event × group × event day.

    The firm-events are those usable for the whole event window, so the path is over one fixed set.
    """
    cols = np.flatnonzero(panel.event)
    days = panel.rel[cols]
    full = np.isin(abn.status, ("ok", "missing_event_window")) & np.isfinite(abn.ar[:, cols]).all(axis=1)
    frames = []
    for event_id, label, rows in group_cells(panel.keys, group_by):
        use = rows[full[rows]]
        ar = abn.ar[use][:, cols]
        n = len(use)
        aar = ar.mean(axis=0) if n else np.full(len(cols), np.nan)
        frames.append(
            pd.DataFrame(
                {"event_id": event_id, "group": label, "event_day": days, "nobs": n, "aar": aar, "caar": np.cumsum(aar)}
            )
        )
    if not frames:
        return pd.DataFrame(columns=["event_id", "group", "event_day", "nobs", "aar", "caar"])
    return pd.concat(frames, ignore_index=True)
