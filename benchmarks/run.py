"""Benchmark of the engine: synthetic, seeded firm-events; prints wall time, µs per firm-event and peak memory,
against a per-firm-event statsmodels OLS loop and a straightforward per-firm numpy loop on a subsample.

    python benchmarks/run.py [--firm-events 100000] [--baseline 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np
import pandas as pd

from eventstudy.abnormal import compute_abnormal
from eventstudy.config import DEFAULT_CAR_WINDOWS, DEFAULT_TESTS
from eventstudy.inference.runner import run_tests
from eventstudy.models import MarketModel
from eventstudy.windows import Panel


def synthetic_panel(n: int, rng: np.random.Generator, groups: int = 50) -> Panel:
    rel = np.arange(-250, 11)
    t = rel.size
    mret = rng.normal(0.0003, 0.01, (n, t))
    beta = rng.uniform(0.5, 1.5, (n, 1))
    ret = 0.0002 + beta * mret + rng.normal(0, 0.02, (n, t))
    ret[rng.random((n, t)) < 0.01] = np.nan
    dates = np.array(pd.bdate_range("2015-01-01", periods=t).values, dtype="datetime64[ns]")
    keys = pd.DataFrame(
        {
            "event_id": [f"e{i % (n // groups or 1)}" for i in range(n)],
            "ticker": [f"S{i}" for i in range(n)],
            "group": [f"g{i % 3}" for i in range(n)],
            "exchange": "XNYS",
            "day0": pd.Timestamp(dates[250]),
            "first_return": pd.Timestamp(dates[0]),
            "last_return": pd.Timestamp(dates[-1]),
        }
    )
    return Panel(
        keys,
        rel,
        np.broadcast_to(dates, (n, t)),
        ret,
        mret,
        (rel >= -250) & (rel <= -11),
        (rel >= -10) & (rel <= 10),
        np.zeros((n, t), dtype=bool),
    )


def timed(func):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = func()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, dt, peak / 2**20


def statsmodels_loop(panel: Panel, rows: np.ndarray) -> None:
    import statsmodels.api as sm

    ev = np.flatnonzero(panel.event)
    for i in rows:
        y, x = panel.ret[i], panel.mret[i]
        est = panel.estimation & np.isfinite(y)
        fit = sm.OLS(y[est], sm.add_constant(x[est])).fit()
        xs = np.column_stack([np.ones(ev.size), x[ev]])
        ar = y[ev] - xs @ fit.params
        cov = fit.cov_params()
        for a, b in DEFAULT_CAR_WINDOWS:
            sel = (panel.rel[ev] >= a) & (panel.rel[ev] <= b)
            g = xs[sel].sum(axis=0)
            _ = ar[sel].sum(), fit.scale * sel.sum() + g @ cov @ g


def numpy_loop(panel: Panel, rows: np.ndarray) -> None:
    ev = np.flatnonzero(panel.event)
    for i in rows:
        y, x = panel.ret[i], panel.mret[i]
        est = panel.estimation & np.isfinite(y)
        xe = np.column_stack([np.ones(est.sum()), x[est]])
        xtx_inv = np.linalg.inv(xe.T @ xe)
        b = xtx_inv @ xe.T @ y[est]
        e = y[est] - xe @ b
        s2 = e @ e / (est.sum() - 2)
        xs = np.column_stack([np.ones(ev.size), x[ev]])
        ar = y[ev] - xs @ b
        for a, bb in DEFAULT_CAR_WINDOWS:
            sel = (panel.rel[ev] >= a) & (panel.rel[ev] <= bb)
            g = xs[sel].sum(axis=0)
            _ = ar[sel].sum(), s2 * (sel.sum() + g @ xtx_inv @ g)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firm-events", type=int, default=100_000)
    ap.add_argument("--baseline", type=int, default=300, help="subsample size for the slow loops")
    ap.add_argument("--seed", type=int, default=1985)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.firm_events
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    panel = synthetic_panel(n, rng)
    rows = np.arange(min(args.baseline, n))
    abn, t_engine, mem_engine = timed(
        lambda: compute_abnormal(panel, MarketModel(), DEFAULT_CAR_WINDOWS, min_estimation=120)
    )
    _, t_sm, _ = timed(lambda: statsmodels_loop(panel, rows))
    _, t_np, _ = timed(lambda: numpy_loop(panel, rows))
    small = min(n, 20_000)
    sub = Panel(
        panel.keys.iloc[:small],
        panel.rel,
        panel.dates[:small],
        panel.ret[:small],
        panel.mret[:small],
        panel.estimation,
        panel.event,
        panel.excluded[:small],
    )
    abn_small = compute_abnormal(sub, MarketModel(), DEFAULT_CAR_WINDOWS, min_estimation=120)
    _, t_tests, mem_tests = timed(lambda: run_tests(sub, abn_small, DEFAULT_TESTS, ("group",)))

    us = lambda seconds, count: seconds / count * 1e6  # noqa: E731
    print(f"{'step':<42}{'firm-events':>12}{'wall s':>10}{'µs/fe':>10}{'peak MiB':>10}")
    print(
        f"{'engine (AR, CAR, exact Var, SAR, SCAR)':<42}{n:>12}{t_engine:>10.2f}{us(t_engine, n):>10.1f}"
        f"{mem_engine:>10.0f}"
    )
    print(
        f"{'test battery (' + str(len(DEFAULT_TESTS)) + ' tests)':<42}{small:>12}{t_tests:>10.2f}"
        f"{us(t_tests, small):>10.1f}{mem_tests:>10.0f}"
    )
    print(f"{'baseline: statsmodels OLS per firm-event':<42}{rows.size:>12}{t_sm:>10.2f}{us(t_sm, rows.size):>10.1f}")
    print(f"{'baseline: numpy per firm-event':<42}{rows.size:>12}{t_np:>10.2f}{us(t_np, rows.size):>10.1f}")
    print(
        f"engine speed-up: {us(t_sm, rows.size) / us(t_engine, n):.0f}x vs statsmodels, "
        f"{us(t_np, rows.size) / us(t_engine, n):.1f}x vs numpy loop"
    )


if __name__ == "__main__":
    main()
