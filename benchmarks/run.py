"""Benchmark of the engine: synthetic, seeded firm-events; prints wall time, µs per firm-event and peak memory,
against a per-firm-event statsmodels OLS loop and a straightforward per-firm numpy loop on a subsample.

    python benchmarks/run.py [--firm-events 100000] [--baseline 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path

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


def timed(func, repeat: int = 1):
    """Best wall time of ``repeat`` runs (no tracing), then one traced run for the peak of Python allocations."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        out = None
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    out = None
    tracemalloc.start()
    out = func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, best, peak / 2**20


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def b1_panel(n_secs: int, n_sessions: int, n_events: int, rng: np.random.Generator) -> Panel:
    """B1: a long-format returns table of ``n_secs`` securities × ``n_sessions`` sessions, ``n_events`` event
    dates shared by every security, aligned in event time with :func:`build_panel`."""
    from eventstudy.windows import build_panel

    dates = pd.bdate_range("2014-01-02", periods=n_sessions)
    mkt = rng.normal(0.0003, 0.01, n_sessions)
    beta = rng.uniform(0.5, 1.5, n_secs)
    ret = 0.0002 + beta[:, None] * mkt[None, :] + rng.normal(0, 0.02, (n_secs, n_sessions))
    ret[rng.random(ret.shape) < 0.01] = np.nan
    tickers = [f"S{i:04d}" for i in range(n_secs)]
    long = pd.DataFrame(
        {"ticker": np.repeat(tickers, n_sessions), "date": np.tile(dates, n_secs), "ret": ret.ravel()}
    )
    long = pd.concat([long, pd.DataFrame({"ticker": "MKT", "date": dates, "ret": mkt})], ignore_index=True)
    returns = {
        tk: pd.Series(g["ret"].to_numpy(), index=pd.DatetimeIndex(g["date"])) for tk, g in long.groupby("ticker")
    }
    day0 = np.sort(rng.choice(np.arange(260, n_sessions - 15), n_events, replace=False))
    fe = pd.DataFrame(
        {
            "event_id": np.repeat([f"e{i:03d}" for i in range(n_events)], n_secs),
            "ticker": np.tile(tickers, n_events),
            "group": np.tile([f"g{i % 4}" for i in range(n_secs)], n_events),
            "exchange": "XNYS",
            "benchmark": "MKT",
            "day0": np.repeat(dates[day0], n_secs),
        }
    )
    return build_panel(fe, returns, {"XNYS": dates}, estimation_window=(-250, -11), event_window=(-10, 10))


def rows_of(panel: Panel, rows) -> Panel:
    return Panel(
        panel.keys.iloc[rows].reset_index(drop=True),
        panel.rel,
        panel.dates[rows],
        panel.ret[rows],
        panel.mret[rows],
        panel.estimation,
        panel.event,
        panel.excluded[rows],
    )


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


def _dask_chunk(seed: int) -> tuple[float, float, int]:
    """One Dask task: build a B1 chunk of 100 000 firm-events (50 event dates × 2 000 securities) and run the
    engine; returns (engine seconds, worker peak RSS MiB, usable firm-events)."""
    rng = np.random.default_rng(seed)
    panel = b1_panel(2_000, 2_500, 50, rng)
    t0 = time.perf_counter()
    abn = compute_abnormal(panel, MarketModel(), DEFAULT_CAR_WINDOWS, min_estimation=120)
    return time.perf_counter() - t0, maxrss_mib(), int(abn.usable(0).sum())


def run_dask(chunks: int) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(
        cluster
    ) as client:
        t0 = time.perf_counter()
        futures = client.map(_dask_chunk, range(1000, 1000 + chunks), pure=False)
        out = client.gather(futures)
        wall = time.perf_counter() - t0
        peaks = client.run(maxrss_mib)
    n = chunks * 100_000
    print(f"\n## Dask: {n:,} firm-events in {chunks} chunks on a 2-worker LocalCluster (1 thread each)")
    print("| firm-events | wall s | µs/fe (wall) | engine s (sum over tasks) | peak RSS per worker MiB |")
    print("|---|---|---|---|---|")
    print(
        f"| {n:,} | {wall:.1f} | {wall / n * 1e6:.1f} | {sum(o[0] for o in out):.1f} | "
        + ", ".join(f"{v:.0f}" for v in peaks.values())
        + " |"
    )


def bench_cache(n_tickers: int = 500, years: int = 20) -> None:
    import tempfile

    from eventstudy.data.cache import PriceCache

    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2005-01-03", periods=252 * years)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_tickers, dates.size)), axis=1))
    tickers = [f"T{i:03d}" for i in range(n_tickers)]
    frame = pd.DataFrame(
        {
            "ticker": np.repeat(tickers, dates.size),
            "date": np.tile(dates, n_tickers),
            "open": closes.ravel(),
            "high": closes.ravel(),
            "low": closes.ravel(),
            "close": closes.ravel(),
            "volume": 1e6,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        cache = PriceCache(Path(tmp) / "cache.duckdb")
        cache.write(frame, source="synthetic")

        def load():
            prices = cache.read(tickers)
            wide = prices.pivot(index="date", columns="ticker", values="close")
            return wide.pct_change(fill_method=None)

        panel, t, peak = timed(load, repeat=3)
    print(f"\n## Cache: {n_tickers} tickers × {years} years ({len(frame):,} rows) → returns panel {panel.shape}")
    print(f"| read + pivot + returns | {t:.2f} s | peak {peak:.0f} MiB |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--securities", type=int, default=2_000)
    ap.add_argument("--sessions", type=int, default=2_500)
    ap.add_argument("--events", type=int, default=50, help="event dates shared by every security")
    ap.add_argument("--baseline", type=int, default=300, help="subsample size for the slow loops")
    ap.add_argument("--battery-events", type=int, default=5, help="events of B1 in the timed test battery")
    ap.add_argument("--scale-chunks", type=int, default=10, help="chunks of B1 for the 1M point")
    ap.add_argument("--dask-chunks", type=int, default=10, help="100k chunks on the Dask cluster (0: skip)")
    ap.add_argument("--seed", type=int, default=1985)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    import scipy
    import statsmodels

    print(
        f"machine: {platform.machine()} {platform.processor()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, scipy "
        f"{scipy.__version__}, statsmodels {statsmodels.__version__}; load average {os.getloadavg()[0]:.1f}"
    )
    t0 = time.perf_counter()
    panel = b1_panel(args.securities, args.sessions, args.events, rng)
    t_panel = time.perf_counter() - t0
    n = panel.n
    engine = lambda p=panel: compute_abnormal(p, MarketModel(), DEFAULT_CAR_WINDOWS, min_estimation=120)  # noqa: E731
    abn, t_engine, mem_engine = timed(engine, repeat=3)
    rows = np.arange(min(args.baseline, n))
    t0 = time.perf_counter()
    statsmodels_loop(panel, rows)
    t_sm = time.perf_counter() - t0
    t0 = time.perf_counter()
    numpy_loop(panel, rows)
    t_np = time.perf_counter() - t0

    n_bat = args.securities * args.battery_events
    sub = rows_of(panel, np.arange(n_bat))
    abn_sub = compute_abnormal(sub, MarketModel(), DEFAULT_CAR_WINDOWS, min_estimation=120)
    _, t_tests, mem_tests = timed(lambda: run_tests(sub, abn_sub, DEFAULT_TESTS, ("group",)))

    us = lambda seconds, count: seconds / count * 1e6  # noqa: E731
    print(f"\n## B1: {args.securities} securities × {args.sessions} sessions, {n:,} firm-events, market model")
    print("| step | firm-events | wall s | µs/fe | peak MiB (traced) |")
    print("|---|---|---|---|---|")
    print(f"| align: long returns → panel (build_panel) | {n:,} | {t_panel:.2f} | {us(t_panel, n):.1f} | |")
    print(
        f"| engine (AR, CAR, exact Var, SAR, SCAR) | {n:,} | {t_engine:.2f} | {us(t_engine, n):.2f} | "
        f"{mem_engine:.0f} |"
    )
    print(
        f"| test battery ({len(DEFAULT_TESTS)} tests, {args.battery_events} events × 4 groups × 7 windows) | "
        f"{n_bat:,} | {t_tests:.2f} | {us(t_tests, n_bat):.1f} | {mem_tests:.0f} |"
    )
    print(f"| baseline: statsmodels OLS per firm-event | {rows.size} | {t_sm:.2f} | {us(t_sm, rows.size):.1f} | |")
    print(f"| baseline: numpy per firm-event | {rows.size} | {t_np:.2f} | {us(t_np, rows.size):.1f} | |")
    print(f"\nprocess peak RSS so far: {maxrss_mib():.0f} MiB")
    print(
        f"engine speed-up per firm-event: {us(t_sm, rows.size) / us(t_engine, n):.0f}x vs statsmodels, "
        f"{us(t_np, rows.size) / us(t_engine, n):.0f}x vs numpy loop"
    )
    full_battery = t_tests / n_bat * n
    print(f"test battery extrapolated to {n:,} firm-events: {full_battery:.0f} s")

    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    run_tests(sub, abn_sub, DEFAULT_TESTS, ("group",))
    prof.disable()
    print("\n## Test battery profile (top functions by cumulative time)")
    pstats.Stats(prof).sort_stats("tottime").print_stats(8)

    print("\n## Scaling of the engine (B1 firm-events; 1M = chunks of 100k)")
    print("| firm-events | wall s | µs/fe |")
    print("|---|---|---|")
    small = rows_of(panel, np.arange(min(10_000, n)))
    _, t10, _ = timed(lambda: compute_abnormal(small, MarketModel(), DEFAULT_CAR_WINDOWS, min_estimation=120), 3)
    print(f"| {small.n:,} | {t10:.3f} | {us(t10, small.n):.2f} |")
    print(f"| {n:,} | {t_engine:.3f} | {us(t_engine, n):.2f} |")
    t0 = time.perf_counter()
    for _ in range(args.scale_chunks):
        engine()
    t1m = time.perf_counter() - t0
    print(f"| {n * args.scale_chunks:,} | {t1m:.3f} | {us(t1m, n * args.scale_chunks):.2f} |")

    bench_cache()
    if args.dask_chunks:
        run_dask(args.dask_chunks)


if __name__ == "__main__":
    main()
