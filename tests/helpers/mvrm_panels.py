"""Synthetic panels for the MVRM tests: market-model returns on one calendar with equicorrelated errors, the
Panel mvrm reads, and the same equations built independently of eventstudy.regression."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.windows import Panel


def make_panel(
    ret: pd.DataFrame,
    mret: pd.DataFrame,
    securities: pd.DataFrame,
    day0: dict[str, int],
    *,
    estimation_window: tuple[int, int] = (-100, -11),
    event_window: tuple[int, int] = (-5, 5),
) -> Panel:
    """A Panel from wide returns on one calendar: ``ret``/``mret`` dates × tickers, ``day0`` event → row position.

    ``mret`` holds each ticker's benchmark return in the ticker's column.
    """
    rel = np.arange(min(estimation_window[0], event_window[0]), max(estimation_window[1], event_window[1]) + 1)
    keys, rows_r, rows_m, rows_d = [], [], [], []
    dates = ret.index.values
    for ev, p0 in day0.items():
        pos = p0 + rel
        for _, sec in securities.iterrows():
            keys.append({**sec.to_dict(), "event_id": ev, "day0": ret.index[p0]})
            rows_r.append(ret[sec["ticker"]].to_numpy()[pos])
            rows_m.append(mret[sec["ticker"]].to_numpy()[pos])
            rows_d.append(dates[pos])
    n = len(keys)
    return Panel(
        keys=pd.DataFrame(keys),
        rel=rel,
        dates=np.array(rows_d, dtype="datetime64[ns]"),
        ret=np.array(rows_r),
        mret=np.array(rows_m),
        estimation=(rel >= estimation_window[0]) & (rel <= estimation_window[1]),
        event=(rel >= event_window[0]) & (rel <= event_window[1]),
        excluded=np.zeros((n, rel.size), dtype=bool),
    )


def simulate(
    rng: np.random.Generator,
    n: int,
    t: int,
    *,
    rho: float = 0.3,
    sigma: float = 0.02,
    benchmarks: int = 1,
    effects: dict[tuple[str, int], float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Market-model returns with equicorrelated errors; ``effects[(ticker, row)]`` adds an abnormal return."""
    idx = pd.bdate_range("2024-01-02", periods=t)
    tickers = [f"S{i:02d}" for i in range(n)]
    m = rng.normal(0.0003, 0.01, size=(t, benchmarks))
    common = rng.normal(size=(t, 1))
    e = sigma * (np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.normal(size=(t, n)))
    beta = rng.uniform(0.5, 1.5, size=n)
    bench = np.arange(n) % benchmarks
    mr = m[:, bench]
    r = 0.0002 + beta * mr + e
    ret = pd.DataFrame(r, index=idx, columns=tickers)
    for (tk, row), g in (effects or {}).items():
        ret.iloc[row, tickers.index(tk)] += g
    return ret, pd.DataFrame(mr, index=idx, columns=tickers)


def securities_frame(n: int, groups: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": [f"S{i:02d}" for i in range(n)],
            "group": groups,
            "segment": groups,
            "exchange": "XNYS",
            "benchmark": "M",
        }
    )


def equations_from(panel: Panel, events: list[str], window: tuple[int, int]) -> dict[str, dict]:
    """The same equations as mvrm builds, built here independently for a balanced one-calendar panel."""
    keys = panel.keys
    lo, hi = panel.day_index(window[0]), panel.day_index(window[1]) + 1
    eqs = {}
    for tk in pd.unique(keys["ticker"]):
        rows = np.flatnonzero(keys["ticker"].to_numpy() == tk)
        span = panel.estimation | panel.event  # the union of the estimation and event windows
        d = pd.DatetimeIndex(panel.dates[rows][:, span].ravel())
        frame = pd.DataFrame({"y": panel.ret[rows][:, span].ravel(), "m": panel.mret[rows][:, span].ravel()}, index=d)
        frame = frame[~frame.index.duplicated()].sort_index()
        x = pd.DataFrame({"const": 1.0, "market": frame["m"]}, index=frame.index)
        for r in rows:
            ev = keys.at[r, "event_id"]
            if ev in events:
                x[f"gamma:{ev}"] = frame.index.isin(pd.DatetimeIndex(panel.dates[r, lo:hi])).astype(float)
        eqs[tk] = {"dependent": frame["y"], "exog": x}
    return eqs
