"""Benchmarks on workload B1 (synthetic, seeded): 2 000 securities × 2 500 sessions, 50 event dates shared by every
security, 100 000 firm-events, estimation window [−250, −11], event window [−10, 10], the seven default CAR
windows and the market model.

Prints wall time, µs per firm-event and peak memory of (i) the engine, (ii) the whole test battery of the
registry's defaults, (iii) the end-to-end ``EventStudy.fit()`` from a long price table; the same firm-events
through a per-firm-event statsmodels OLS loop and a straightforward numpy loop (a subsample); the engine at 10k,
100k and 1M firm-events; the cache load of 500 tickers × 20 years into a returns panel; and 1M firm-events on a
2-worker Dask ``LocalCluster`` fed from a Parquet dataset partitioned by ticker.

    python benchmarks/run.py [--baseline 300] [--dask-events 500] [--skip-fit]
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
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's peak across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
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
    long = pd.DataFrame({"ticker": np.repeat(tickers, n_sessions), "date": np.tile(dates, n_secs), "ret": ret.ravel()})
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


def b1_study_frames(
    n_secs: int, n_sessions: int, n_events: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """B1 as a study's inputs: an events table (date-only announcements on XNYS sessions, so day 0 is the next
    session), a universe of ``n_secs`` securities on XNYS benchmarked on ``MKT``, and a long price table
    (``ticker, date, close``) on the XNYS sessions, 1 % of the prices missing."""
    from eventstudy import calendars

    dates = calendars.sessions("XNYS", "2014-01-02", "2026-12-31")[:n_sessions]
    mkt = rng.normal(0.0003, 0.01, n_sessions)
    beta = rng.uniform(0.5, 1.5, n_secs)
    ret = 0.0002 + beta[:, None] * mkt[None, :] + rng.normal(0, 0.02, (n_secs, n_sessions))
    close = 100 * np.cumprod(1 + ret, axis=1)
    tickers = np.array([f"S{i:04d}" for i in range(n_secs)])
    keep = rng.random(close.shape) >= 0.01
    rows_t, rows_d = np.nonzero(keep)
    prices = pd.DataFrame({"ticker": tickers[rows_t], "date": dates[rows_d], "close": close[keep]})
    prices = pd.concat(
        [prices, pd.DataFrame({"ticker": "MKT", "date": dates, "close": 100 * np.cumprod(1 + mkt)})],
        ignore_index=True,
    )
    universe = pd.DataFrame(
        {
            "ticker": [*tickers, "MKT"],
            "name": [*tickers, "market"],
            "group": [*[f"g{i % 4}" for i in range(n_secs)], "benchmark"],
            "exchange": "XNYS",
            "currency": "USD",
            "benchmark": [*["MKT"] * n_secs, ""],
        }
    )
    announced = np.sort(rng.choice(np.arange(260, n_sessions - 15), n_events, replace=False))
    events = pd.DataFrame(
        {
            "event_id": [f"e{i:03d}" for i in range(n_events)],
            "title": [f"event {i}" for i in range(n_events)],
            "announced_at": [f"{d:%Y-%m-%d}" for d in dates[announced]],
            "time_precision": "day",
            "timezone": "America/New_York",
            "sign_miners_ex_china": "0",
            "sign_china_rare_earths": "0",
            "sign_defense": "0",
            "headline": "false",
        }
    )
    return events, universe, prices


def reset_peak() -> None:
    """Reset this process's VmHWM to its current RSS (Linux ``/proc/self/clear_refs``), so that the next
    :func:`maxrss_mib` is the peak of what follows, not of the whole run (elsewhere the mark is left as it is)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def run_fit(args: argparse.Namespace) -> None:
    """(iii) ``EventStudy.fit()`` end to end on B1 from a long price table: returns per security on its exchange's
    sessions, day 0, alignment, engine, the battery, the CAAR and AAR tables and the results object."""
    import warnings

    from eventstudy import EventStudy

    rng = np.random.default_rng(args.seed + 1)
    events, universe, prices = b1_study_frames(args.securities, args.sessions, args.events, rng)
    reset_peak()
    rss0 = maxrss_mib()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = EventStudy(events, universe, prices, start="2013-01-01", end="2026-12-31")
        res = study.fit()
    wall = time.perf_counter() - t0
    n = len(res.firm_events)
    print(f"\n## (iii) EventStudy.fit() end to end on B1 from a long price table ({len(prices):,} price rows)")
    print("| firm-events | wall s | µs/fe | process peak RSS MiB (before → after) | tests rows | ok firm-events |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {n:,} | {wall:.1f} | {wall / n * 1e6:.0f} | {rss0:.0f} → {maxrss_mib():.0f} | {len(res.test_table):,} | "
        f"{int((res.firm_events['status'] == 'ok').sum()):,} |"
    )


def run_dask(args: argparse.Namespace) -> None:
    """1M firm-events (``--dask-events`` events × the B1 securities) on a 2-worker LocalCluster: the prices are
    written once to a Parquet dataset partitioned by ticker; each task reads every security's partition, aligns
    its events' firm-events, runs the engine and the test battery (``split="events"``); the client receives the
    tables. The long AR table is not sent back (``keep_ar=False``)."""
    import tempfile
    import warnings

    from distributed import Client, LocalCluster

    from eventstudy import EventStudy
    from eventstudy.backends.dask import DaskBackend, ParquetPriceSource
    from eventstudy.data.cache import write_parquet_partitions

    rng = np.random.default_rng(args.seed + 2)
    events, universe, prices = b1_study_frames(args.securities, args.sessions, args.dask_events, rng)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = prices.assign(open=np.nan, high=np.nan, low=np.nan, volume=np.nan)
        t0 = time.perf_counter()
        write_parquet_partitions(full, Path(tmp) / "prices")
        t_write = time.perf_counter() - t0
        n_rows = len(full)
        del prices, full  # from here on the client knows the prices only as the dataset on disk
        source = ParquetPriceSource(str(Path(tmp) / "prices"))
        study = EventStudy(events, universe, source, start="2013-01-01", end="2026-12-31")
        backend = DaskBackend(dataset=Path(tmp) / "prices", chunk_size=args.dask_chunk, split="events", keep_ar=False)
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="8GiB"
            ) as cluster,
            Client(cluster) as client,
        ):
            reset_peak()
            rss0 = maxrss_mib()
            t0 = time.perf_counter()
            res = study.fit(backend=backend, client=client)
            wall = time.perf_counter() - t0
            peaks = client.run(maxrss_mib)
        n = len(res.firm_events)
    print(
        f"\n## Dask: {n:,} firm-events ({args.dask_events} events × {args.securities} securities) on a 2-worker "
        f"LocalCluster (1 thread each), {args.dask_chunk:,} firm-events per task, fed from a Parquet dataset"
    )
    print("| firm-events | wall s | µs/fe (wall) | peak RSS per worker MiB | client peak RSS MiB | tests rows |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {n:,} | {wall:.1f} | {wall / n * 1e6:.1f} | "
        + ", ".join(f"{v:.0f}" for v in peaks.values())
        + f" | {rss0:.0f} → {maxrss_mib():.0f} | {len(res.test_table):,} |"
    )
    print(f"writing the Parquet dataset ({n_rows:,} rows, {args.securities + 1} tickers): {t_write:.1f} s")


def bench_cache(n_tickers: int = 500, years: int = 20) -> None:
    import tempfile

    from eventstudy import calendars
    from eventstudy.data.cache import PriceCache

    rng = np.random.default_rng(7)
    dates = calendars.sessions("XNYS", "2005-01-03", "2026-12-31")[: 252 * years]
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
            # closes on the exchange's sessions; a missing price leaves that return and the next one missing
            wide = cache.read_wide(tickers).reindex(dates)
            return wide.pct_change(fill_method=None)

        panel, t, peak = timed(load, repeat=3)
        _, t_long, _ = timed(lambda: cache.read(tickers).pivot(index="date", columns="ticker", values="close"), 1)
    print(f"\n## Cache: {n_tickers} tickers × {years} years ({len(frame):,} rows) → returns panel {panel.shape}")
    print("| step | wall s | peak MiB (traced) |")
    print("|---|---|---|")
    print(f"| read_wide + sessions + returns | {t:.2f} | {peak:.0f} |")
    print(f"| for comparison: read (long canonical frame) + pivot | {t_long:.2f} | |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--securities", type=int, default=2_000)
    ap.add_argument("--sessions", type=int, default=2_500)
    ap.add_argument("--events", type=int, default=50, help="event dates shared by every security")
    ap.add_argument("--baseline", type=int, default=300, help="subsample size for the slow loops")
    ap.add_argument("--scale-chunks", type=int, default=10, help="chunks of B1 for the 1M point")
    ap.add_argument("--dask-events", type=int, default=500, help="events of the Dask run (0: skip)")
    ap.add_argument("--dask-chunk", type=int, default=50_000, help="firm-events per Dask task")
    ap.add_argument("--skip-fit", action="store_true", help="skip the end-to-end fit()")
    ap.add_argument("--seed", type=int, default=1985)
    ap.add_argument(
        "--only",
        choices=("fit", "dask"),
        help="run only the end-to-end fit() or only the Dask run, in a fresh process (its own peak memory)",
    )
    args = ap.parse_args()
    if args.only == "fit":
        run_fit(args)
        return
    if args.only == "dask":
        run_dask(args)
        return
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
    model = MarketModel()
    engine = lambda p=panel: compute_abnormal(p, model, DEFAULT_CAR_WINDOWS, min_estimation=120)  # noqa: E731
    abn, t_engine, mem_engine = timed(engine, repeat=3)
    rows = np.arange(min(args.baseline, n))
    t0 = time.perf_counter()
    statsmodels_loop(panel, rows)
    t_sm = time.perf_counter() - t0
    t0 = time.perf_counter()
    numpy_loop(panel, rows)
    t_np = time.perf_counter() - t0

    battery = lambda p=panel, a=abn: run_tests(  # noqa: E731
        p, a, DEFAULT_TESTS, ("group",), model=model, min_estimation=120
    )
    table, t_tests, mem_tests = timed(battery, repeat=2)
    cells = table.groupby(["event_id", "group"]).ngroups

    us = lambda seconds, count: seconds / count * 1e6  # noqa: E731
    print(f"\n## B1: {args.securities} securities × {args.sessions} sessions, {n:,} firm-events, market model")
    print("| step | firm-events | wall s | µs/fe | peak MiB (traced) |")
    print("|---|---|---|---|---|")
    print(f"| align: long returns → panel (build_panel) | {n:,} | {t_panel:.2f} | {us(t_panel, n):.1f} | |")
    print(
        f"| (i) engine (AR, CAR, exact Var, SAR, SCAR), best of 3 | {n:,} | {t_engine:.2f} | {us(t_engine, n):.2f} | "
        f"{mem_engine:.0f} |"
    )
    print(
        f"| (ii) test battery ({len(DEFAULT_TESTS)} tests × {cells} event-group cells × 7 windows = "
        f"{len(table):,} results), best of 2 | {n:,} | {t_tests:.2f} | {us(t_tests, n):.1f} | {mem_tests:.0f} |"
    )
    print(f"| baseline: statsmodels OLS per firm-event | {rows.size} | {t_sm:.2f} | {us(t_sm, rows.size):.1f} | |")
    print(f"| baseline: numpy per firm-event | {rows.size} | {t_np:.2f} | {us(t_np, rows.size):.1f} | |")
    print(f"\nprocess peak RSS so far: {maxrss_mib():.0f} MiB")
    print(
        f"engine speed-up per firm-event: {us(t_sm, rows.size) / us(t_engine, n):.0f}x vs statsmodels, "
        f"{us(t_np, rows.size) / us(t_engine, n):.0f}x vs numpy loop"
    )

    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    battery()
    prof.disable()
    print("\n## Test battery profile (top functions by own time)")
    pstats.Stats(prof).sort_stats("tottime").print_stats(10)

    print("\n## Scaling (B1 firm-events; 1M = chunks of 100k)")
    print("| firm-events | engine wall s | engine µs/fe | battery wall s | battery µs/fe |")
    print("|---|---|---|---|---|")
    small = rows_of(panel, np.arange(min(10_000, n)))
    small_abn, t10, _ = timed(lambda s=small: compute_abnormal(s, model, DEFAULT_CAR_WINDOWS, min_estimation=120), 3)
    _, b10, _ = timed(
        lambda s=small, a=small_abn: run_tests(s, a, DEFAULT_TESTS, ("group",), model=model, min_estimation=120)
    )
    print(f"| {small.n:,} | {t10:.3f} | {us(t10, small.n):.2f} | {b10:.2f} | {us(b10, small.n):.1f} |")
    print(f"| {n:,} | {t_engine:.3f} | {us(t_engine, n):.2f} | {t_tests:.2f} | {us(t_tests, n):.1f} |")
    t0 = time.perf_counter()
    for _ in range(args.scale_chunks):
        engine()
    t1m = time.perf_counter() - t0
    print(f"| {n * args.scale_chunks:,} | {t1m:.3f} | {us(t1m, n * args.scale_chunks):.2f} | (Dask run below) | |")
    del panel, abn, table, small_abn

    bench_cache()
    if not args.skip_fit:
        run_fit(args)
    if args.dask_events:
        run_dask(args)


if __name__ == "__main__":
    main()
