"""What the user runs, timed beside two baselines in the same process and run.

Workload B1 (synthetic, seeded): ``--securities`` (2 000) securities on XNYS × ``--sessions`` (2 500) sessions of
closes, 1 % of them missing, one market index; ``--events`` (50) event dates shared by every security, so
100 000 firm-events; estimation window [−250, −11], event window [−10, 10], the seven default CAR windows, the
market model.

Timed, each as the median of ``--rounds`` interleaved rounds:

* ``EventStudy(events, universe, prices).fit()`` end to end (building the study, which validates the prices,
  then loading, alignment, estimation and the test battery; the analyse stage is left out) from a **wide
  DataFrame** of closes, with the default battery and with ``tests=()``; with ``tests=()`` also from a **long
  DataFrame** (ticker, date, close) and from a **folder** of one CSV file per ticker; and at 2 000 securities ×
  5 events (10 000 firm-events) from the wide frame, the fixed cost per security;
* the engine alone (``compute_abnormal`` on the fitted panel);
* a per-firm-event **statsmodels** OLS loop (on ``--baseline`` firm-events) and a **vectorised numpy baseline**
  from the closes (every firm-event), both computing the same AR, CAR and exact Var(CAR); the numpy baseline's
  numbers are checked against the engine's.

Peak memory is the VmHWM of a fresh process (``--only rss``) that builds the data, resets its peak mark, then
fits; it is measured at ``--events`` and at 3 × ``--events`` for the growth per firm-event. ``--main-job`` (or
``--only main-job``) also runs the study's main job by stage (``benchmarks/main_job.py --no-pdf``). ``--million`` fits
1M firm-events in memory (500 events) in a fresh process; ``--only dask`` runs them on a 2-worker Dask cluster.

    python benchmarks/run.py [--rounds 3] [--baseline 300] [--million] [--dask]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.config import DEFAULT_CAR_WINDOWS

ESTIMATION = (-250, -11)
EVENT = (-10, 10)
MIN_ESTIMATION = 120


# ------------------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------------------


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
            "headline": "false",
        }
    )
    from eventstudy import events as events_module

    for col in getattr(events_module, "SIGN_COLUMNS", ()):  # sign columns, where the events table asks for them
        events[col] = "0"
    return events, universe, prices


def wide_of(prices: pd.DataFrame) -> pd.DataFrame:
    """The long price table as a wide frame: dates × tickers, NaN where a price is missing."""
    return prices.pivot(index="date", columns="ticker", values="close")


def write_folder(prices: pd.DataFrame, folder: Path) -> None:
    """One ``<TICKER>.csv`` (``date,close``) per ticker."""
    folder.mkdir(parents=True, exist_ok=True)
    for tk, rows in prices.groupby("ticker", sort=False):
        rows[["date", "close"]].to_csv(folder / f"{tk}.csv", index=False, date_format="%Y-%m-%d")


# ------------------------------------------------------------------------------------------------------------
# Baselines: the same AR, CAR and exact Var(CAR)
# ------------------------------------------------------------------------------------------------------------


def statsmodels_loop(panel, rows: np.ndarray) -> None:
    """Per firm-event: statsmodels OLS of the security on the market over the estimation window, AR on the
    event days, and for each CAR window its sum and exact variance σ̂²L + g'Cov(b)g."""
    import statsmodels.api as sm

    ev = np.flatnonzero(panel.event)
    rel = panel.rel[ev]
    for i in rows:
        y, x = panel.ret[i], panel.mret[i]
        est = panel.estimation & np.isfinite(y) & np.isfinite(x)
        fit = sm.OLS(y[est], sm.add_constant(x[est])).fit()
        xs = np.column_stack([np.ones(ev.size), x[ev]])
        ar = y[ev] - xs @ fit.params
        cov = fit.cov_params()
        for a, b in DEFAULT_CAR_WINDOWS:
            sel = (rel >= a) & (rel <= b)
            g = xs[sel].sum(axis=0)
            _ = ar[sel].sum(), fit.scale * sel.sum() + g @ cov @ g


def numpy_baseline(close: np.ndarray, market: np.ndarray, day0: np.ndarray) -> tuple[np.ndarray, ...]:
    """A straightforward vectorised numpy market model from the closes: returns of every security, then per
    event (vectorised over securities) masked OLS sums, AR, CAR and the exact Var(CAR).

    ``close`` is sessions × securities, ``market`` the market's closes, ``day0`` each event's session position.
    Returns ``ar`` (events, 21, securities), ``car`` and ``var_car`` (events, windows, securities)."""
    ret = np.full(close.shape, np.nan)
    ret[1:] = close[1:] / close[:-1] - 1
    mret = np.full(market.shape, np.nan)
    mret[1:] = market[1:] / market[:-1] - 1
    ars, cars, vars_ = [], [], []
    for p in day0:
        y = ret[p + ESTIMATION[0] : p + ESTIMATION[1] + 1]
        x = mret[p + ESTIMATION[0] : p + ESTIMATION[1] + 1, None]
        ok = np.isfinite(y) & np.isfinite(x)
        m = ok.sum(axis=0)
        xbar = np.where(ok, x, 0).sum(axis=0) / m
        ybar = np.where(ok, y, 0).sum(axis=0) / m
        dx = np.where(ok, x - xbar, 0)
        dy = np.where(ok, y - ybar, 0)
        sxx = (dx * dx).sum(axis=0)
        beta = (dx * dy).sum(axis=0) / sxx
        alpha = ybar - beta * xbar
        s2 = ((dy - beta * dx) ** 2).sum(axis=0) / (m - 2)
        ye = ret[p + EVENT[0] : p + EVENT[1] + 1]
        xe = mret[p + EVENT[0] : p + EVENT[1] + 1, None]
        ar = ye - alpha - beta * xe
        car, var = [], []
        for a, b in DEFAULT_CAR_WINDOWS:
            seg = slice(a - EVENT[0], b - EVENT[0] + 1)
            length = b - a + 1
            car.append(ar[seg].sum(axis=0))
            var.append(s2 * (length + length**2 / m + (xe[seg].sum() - length * xbar) ** 2 / sxx))
        ars.append(ar)
        cars.append(car)
        vars_.append(var)
    return np.array(ars), np.array(cars), np.array(vars_)


# ------------------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------------------


def maxrss_mib() -> float:
    """This process's peak resident memory (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (``/proc/self/clear_refs``), so that the next :func:`maxrss_mib` is the
    peak of what follows."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def fit(events, universe, prices, **options):
    """``EventStudy(...).fit()`` as a user calls it (warnings silenced: B1's missing prices warn)."""
    import inspect

    from eventstudy import EventStudy

    # fit() in issue 15's sense: loading, alignment, estimation and the battery; the analyse stage's placebo
    # draws are timed in benchmarks/main_job.py, not here
    if "placebo_draws" in inspect.signature(EventStudy).parameters:
        options = {"placebo_draws": 0, **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = EventStudy(events, universe, prices, start="2013-01-01", end="2026-12-31", **options)
        return study.fit(**FIT_OPTIONS)


#: fit() stops after the tests: the analyse stage (MVRM, regressions, robustness) is not part of these timings
FIT_OPTIONS: dict = {"analyse": False}


def clock(func) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = func()
    return out, time.perf_counter() - t0


def clock_both(func) -> tuple[object, float, float]:
    """Wall time and this process's CPU time (all threads): on a shared machine the CPU time moves less."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = func()
    return out, time.perf_counter() - t0, time.process_time() - c0


def blas_info() -> str:
    env = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    try:
        from threadpoolctl import threadpool_info

        pools = ", ".join(
            f"{p['internal_api']} {p.get('version')} {p['num_threads']} threads" for p in threadpool_info()
        )
    except ImportError:
        pools = "threadpoolctl not installed"
    return f"OPENBLAS_NUM_THREADS={env}; BLAS pools: {pools}"


def run_rounds(args: argparse.Namespace) -> None:
    from eventstudy.abnormal import compute_abnormal
    from eventstudy.models import MarketModel

    rng = np.random.default_rng(args.seed)
    events, universe, prices = b1_study_frames(args.securities, args.sessions, args.events, rng)
    wide = wide_of(prices)
    small_events = events.iloc[:: max(1, len(events) // 5)].iloc[:5]
    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name) / "prices"
    write_folder(prices, folder)

    # the first fit gives the panel the baselines and the engine use, and checks the numpy baseline
    res = fit(events, universe, wide, tests=())
    n = len(res.firm_events)
    panel = res.panel
    sess = wide.index.values.astype("datetime64[ns]")
    day0 = np.searchsorted(sess, pd.DatetimeIndex(events_day0(res)).values)
    secs = [c for c in wide.columns if c != "MKT"]
    close, market = wide[secs].to_numpy(), wide["MKT"].to_numpy()
    _, car_np, var_np = numpy_baseline(close, market, day0)
    check_baseline(res, secs, car_np, var_np)
    model = MarketModel()
    subsample = np.arange(min(args.baseline, n))

    steps = {
        "fit, default battery (wide DataFrame)": lambda: fit(events, universe, wide),
        "fit, tests=() (wide DataFrame)": lambda: fit(events, universe, wide, tests=()),
        "fit, tests=() (long DataFrame)": lambda: fit(events, universe, prices, tests=()),
        "fit, tests=() (folder of CSV files)": lambda: fit(events, universe, folder, tests=()),
        "fit, tests=(), 5 events (wide DataFrame)": lambda: fit(small_events, universe, wide, tests=()),
        "engine alone (compute_abnormal)": lambda: compute_abnormal(
            panel, model, DEFAULT_CAR_WINDOWS, min_estimation=MIN_ESTIMATION
        ),
        "engine, CAR windows only (compute_abnormal, daily=False)": lambda: compute_abnormal(
            panel, model, DEFAULT_CAR_WINDOWS, min_estimation=MIN_ESTIMATION, daily=False
        ),
        "baseline: vectorised numpy from the closes": lambda: numpy_baseline(close, market, day0),
        f"baseline: statsmodels OLS loop ({subsample.size} firm-events)": lambda: statsmodels_loop(panel, subsample),
    }
    counts = dict.fromkeys(steps, n)
    counts["fit, tests=(), 5 events (wide DataFrame)"] = len(small_events) * args.securities
    counts[f"baseline: statsmodels OLS loop ({subsample.size} firm-events)"] = subsample.size
    times: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(args.rounds):
        for name, func in steps.items():
            if name.startswith("fit, default") and r >= args.battery_rounds:
                continue
            out, seconds, cpu_seconds = clock_both(func)
            del out
            times[name].append(seconds)
            cpu[name].append(cpu_seconds)
        print(f"round {r + 1} of {args.rounds} done (load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
    tmp.cleanup()

    med = {name: float(np.median(v)) for name, v in times.items()}
    us = {name: med[name] / counts[name] * 1e6 for name in steps}
    med_cpu = {name: float(np.median(v)) for name, v in cpu.items()}
    us_cpu = {name: med_cpu[name] / counts[name] * 1e6 for name in steps}
    sm_name = f"baseline: statsmodels OLS loop ({subsample.size} firm-events)"
    np_name = "baseline: vectorised numpy from the closes"
    print(
        f"\n## B1: {args.securities} securities × {args.sessions} sessions, {args.events} events = {n:,} firm-events; "
        f"median of {args.rounds} interleaved rounds (the default battery: {min(args.rounds, args.battery_rounds)})"
    )
    print(
        "| what | firm-events | wall s | wall µs/fe | × statsmodels loop (wall) | × numpy baseline (wall) | CPU s "
        "| CPU µs/fe | × statsmodels loop (CPU) | × numpy baseline (CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in steps:
        print(
            f"| {name} | {counts[name]:,} | {med[name]:.3f} | {us[name]:.2f} | {us[sm_name] / us[name]:.1f} | "
            f"{us[np_name] / us[name]:.2f} | {med_cpu[name]:.3f} | {us_cpu[name]:.2f} | "
            f"{us_cpu[sm_name] / us_cpu[name]:.1f} | {us_cpu[np_name] / us_cpu[name]:.2f} |"
        )
    spread = {name: (min(v), max(v)) for name, v in times.items()}
    print("\nper-round spread (min–max s): " + "; ".join(f"{k}: {a:.2f}–{b:.2f}" for k, (a, b) in spread.items()))


def events_day0(res) -> pd.Series:
    """Day 0 of each event, in event order (from the fitted results)."""
    d0 = res.firm_events.drop_duplicates("event_id").set_index("event_id")["day0"]
    return pd.to_datetime(d0)


def check_baseline(res, secs: list[str], car_np: np.ndarray, var_np: np.ndarray) -> None:
    """The numpy baseline computes what the engine does: compare CAR and Var(CAR) of the usable firm-events."""
    fe = res.firm_events
    ev_index = {e: i for i, e in enumerate(pd.unique(fe["event_id"]))}
    sec_index = {s: i for i, s in enumerate(secs)}
    e = fe["event_id"].map(ev_index).to_numpy()
    s = fe["ticker"].map(sec_index).to_numpy()
    worst = 0.0
    for w, window in enumerate(DEFAULT_CAR_WINDOWS):
        lab = f"{'m' if window[0] < 0 else ''}{abs(window[0])}_{'m' if window[1] < 0 else ''}{abs(window[1])}"
        got = fe[f"car_{lab}"].to_numpy()
        ok = np.isfinite(got)
        worst = max(worst, float(np.max(np.abs(got[ok] - car_np[e[ok], w, s[ok]]))))
        got_v = fe[f"var_car_{lab}"].to_numpy()
        worst = max(worst, float(np.max(np.abs(got_v[ok] - var_np[e[ok], w, s[ok]]) / got_v[ok])))
    print(f"numpy baseline vs the engine: largest difference of CAR (absolute) and Var(CAR) (relative): {worst:.1e}")
    if worst > 1e-9:
        raise SystemExit("the numpy baseline does not compute what the engine does")


def run_rss(args: argparse.Namespace) -> None:
    """In this (fresh) process: build the data, reset the peak mark, fit, print one JSON line."""
    rng = np.random.default_rng(args.seed)
    events, universe, prices = b1_study_frames(args.securities, args.sessions, args.events, rng)
    prices = wide_of(prices) if args.input == "wide" else prices
    options = {"tests": ()} if args.no_tests else {}
    reset_peak()
    before = rss_mib()
    res, seconds = clock(lambda: fit(events, universe, prices, **options))
    print(
        json.dumps(
            {
                "firm_events": len(res.firm_events),
                "seconds": seconds,
                "rss_before_mib": before,
                "peak_mib": maxrss_mib(),
                "tests": len(res.test_table),
            }
        )
    )


def fresh(args: argparse.Namespace, events: int, *extra: str) -> dict:
    cmd = [sys.executable, __file__, "--only", "rss", "--events", str(events), "--securities", str(args.securities)]
    cmd += ["--sessions", str(args.sessions), "--seed", str(args.seed), *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def run_memory(args: argparse.Namespace) -> None:
    print("\n## Peak memory of fit() in a fresh process (VmHWM; the data built first, then the mark reset)")
    print("| fit | firm-events | wall s | RSS before fit MiB | peak RSS MiB | peak − before MiB |")
    print("|---|---|---|---|---|---|")
    rows = {}
    plan = [
        ("default battery, wide DataFrame", args.events, ()),
        ("default battery, wide DataFrame", 3 * args.events, ()),
        ("tests=(), long DataFrame", args.events, ("--input", "long", "--no-tests")),
    ]
    if args.million:
        plan.append(("default battery, wide DataFrame", 500, ()))
    for label, events, extra in plan:
        got = fresh(args, events, *extra)
        rows[(label, events)] = got
        print(
            f"| {label} | {got['firm_events']:,} | {got['seconds']:.1f} | {got['rss_before_mib']:.0f} | "
            f"{got['peak_mib']:.0f} | {got['peak_mib'] - got['rss_before_mib']:.0f} |"
        )
    a = rows[("default battery, wide DataFrame", args.events)]
    b = rows[("default battery, wide DataFrame", 3 * args.events)]
    growth = (b["peak_mib"] - a["peak_mib"]) * 1024 / (b["firm_events"] - a["firm_events"])
    span = f"{a['firm_events']:,} and {b['firm_events']:,}"
    print(f"\ngrowth of the peak per firm-event between {span}: {growth:.1f} KiB")


def run_dask(args: argparse.Namespace) -> None:
    """1M firm-events (``--dask-events`` events × the B1 securities) on a 2-worker LocalCluster fed from a
    Parquet dataset partitioned by ticker (``split="events"``); the client receives the tables only."""
    from distributed import Client, LocalCluster

    from eventstudy import EventStudy
    from eventstudy.backends.dask import DaskBackend, ParquetPriceSource
    from eventstudy.data.cache import write_parquet_partitions

    rng = np.random.default_rng(args.seed + 2)
    events, universe, prices = b1_study_frames(args.securities, args.sessions, args.dask_events, rng)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = prices.assign(open=np.nan, high=np.nan, low=np.nan, volume=np.nan)
        write_parquet_partitions(full, Path(tmp) / "prices")
        del prices, full
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
            t0 = time.perf_counter()
            res = study.fit(backend=backend, client=client, **FIT_OPTIONS)
            wall = time.perf_counter() - t0
            peaks = client.run(maxrss_mib)
    n = len(res.firm_events)
    print(f"\n## Dask: {n:,} firm-events on a 2-worker LocalCluster (1 thread each), {args.dask_chunk:,} per task")
    print("| firm-events | wall s | µs/fe | peak RSS per worker MiB | client peak MiB |")
    print("|---|---|---|---|---|")
    print(
        f"| {n:,} | {wall:.1f} | {wall / n * 1e6:.1f} | "
        + ", ".join(f"{v:.0f}" for v in peaks.values())
        + f" | {maxrss_mib():.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--securities", type=int, default=2_000)
    ap.add_argument("--sessions", type=int, default=2_500)
    ap.add_argument("--events", type=int, default=50, help="event dates shared by every security")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--battery-rounds", type=int, default=3, help="rounds that include the default battery")
    ap.add_argument("--baseline", type=int, default=300, help="firm-events of the statsmodels loop")
    ap.add_argument("--million", action="store_true", help="also fit 1M firm-events in memory (fresh process)")
    ap.add_argument("--dask", action="store_true", help="also run 1M firm-events on Dask")
    ap.add_argument("--dask-events", type=int, default=500)
    ap.add_argument("--dask-chunk", type=int, default=50_000)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--seed", type=int, default=1985)
    ap.add_argument("--only", choices=("rounds", "memory", "rss", "dask", "main-job"))
    ap.add_argument("--main-job", action="store_true", help="also time the study's main job by stage (--no-pdf)")
    ap.add_argument("--input", choices=("wide", "long"), default="wide", help="with --only rss")
    ap.add_argument("--no-tests", action="store_true", help="with --only rss: tests=()")
    args = ap.parse_args()
    if args.only == "rss":
        run_rss(args)
        return
    import scipy
    import statsmodels

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, scipy {scipy.__version__}, "
        f"statsmodels {statsmodels.__version__}; load average {os.getloadavg()[0]:.1f}\n{blas_info()}"
    )
    if args.only in (None, "rounds"):
        run_rounds(args)
    if args.only in (None, "memory") and not args.skip_memory:
        run_memory(args)
    if args.only == "dask" or (args.only is None and args.dask):
        run_dask(args)
    if args.only == "main-job" or (args.only is None and args.main_job):
        run_main_job()


def run_main_job() -> None:
    """The study's main job (``benchmarks/main_job.py --no-pdf``) in a fresh process, its stage times printed."""
    script = Path(__file__).resolve().parent / "main_job.py"
    print("\n## Main job by stage (benchmarks/main_job.py --no-pdf): wall s, CPU s, stage", flush=True)
    subprocess.run([sys.executable, str(script), "--no-pdf"], check=True)


if __name__ == "__main__":
    main()
