"""Many events on few securities, through the command line: time and peak memory of ``eventstudy run --no-report``.

The study (seeded, synthetic): 7 securities and one index on XNYS over 2010–2025 (one CSV file per ticker), a
market model with betas 0.6–1.2, ``--events`` (10 000) date-only events on random sessions, three directions and
the sign columns of two groups (so pooled sets of several thousand firm-events each), estimation window
[−250, −11], event window [−10, 10], the default test battery and the study file's defaults for everything else
(the placebo draws included).

The run is a fresh process, ``eventstudy run study.toml --no-report --prices-dir prices --out out``,
timed by wall clock; its peak memory is the child's maximum resident set size (``getrusage(RUSAGE_CHILDREN)``,
the same figure as ``/usr/bin/time -v``'s "Maximum resident set size"). ``--profile FILE`` runs it under cProfile
(CPU time, so that other work on the machine does not distort it) and prints the 25 most expensive functions by
cumulative time.

    python benchmarks/scale_events.py [--events 10000] [--keep DIR] [--profile FILE]

The target (issue 16): 10 000 events on 8 securities in under 10 minutes and 8 GB.
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

STUDY = """\
[study]
name = "scale"
title = "Scale: {n} events on 8 securities"
groups = ["miners", "defense"]
model = "market"
estimation_window = [-250, -11]
event_window = [-10, 10]
car_windows = [[0, 0], [-1, 1]]
"""

#: The target of issue 16.
LIMIT_SECONDS = 600.0
LIMIT_GB = 8.0


def write_study(root: Path, n_events: int, *, seed: int = 5) -> Path:
    """The study folder: study.toml, events.csv, universe.csv and prices/ (one CSV per ticker)."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2010-01-04", "2025-12-31")
    rm = rng.normal(0.0003, 0.01, sessions.size)
    tickers = [f"S{i}" for i in range(7)]
    wide = {"IDX": 100 * np.cumprod(1 + rm)}
    for i, tk in enumerate(tickers):
        wide[tk] = 20 * np.cumprod(1 + 0.0001 + (0.6 + 0.1 * i) * rm + rng.normal(0, 0.015, sessions.size))
    (root / "prices").mkdir(parents=True, exist_ok=True)
    for tk, close in wide.items():
        pd.DataFrame({"date": sessions.strftime("%Y-%m-%d"), "close": close}).to_csv(
            root / "prices" / f"{tk}.csv", index=False
        )
    pd.DataFrame(
        {
            "ticker": [*tickers, "IDX"],
            "name": [*tickers, "Index"],
            "group": ["miners"] * 4 + ["defense"] * 3 + ["benchmark"],
            "exchange": "XNYS",
            "currency": "USD",
            "benchmark": ["IDX"] * 7 + [""],
        }
    ).to_csv(root / "universe.csv", index=False)
    days = pd.DatetimeIndex(rng.choice(sessions[300:-30], n_events)).sort_values()
    pd.DataFrame(
        {
            "event_id": [f"e{i:05d}" for i in range(n_events)],
            "title": "Synthetic",
            "announced_at": days.strftime("%Y-%m-%d"),
            "time_precision": "day",
            "timezone": "America/New_York",
            "sign_miners": "+",
            "sign_defense": "-",
            "headline": ["true"] + ["false"] * (n_events - 1),
            "direction": rng.choice(["escalation", "deescalation", "industrial_policy"], n_events),
        }
    ).to_csv(root / "events.csv", index=False)
    (root / "study.toml").write_text(STUDY.format(n=n_events))
    return root


def run_cli(root: Path, *, profile: Path | None = None) -> tuple[float, float, float, subprocess.CompletedProcess[str]]:
    """Run the study in a fresh process; (wall seconds, CPU seconds, peak RSS in GB, the completed process)."""
    code = "from eventstudy.cli import app; app(prog_name='eventstudy')"
    if profile is not None:
        code = (
            "import cProfile, sys, time; from eventstudy.cli import app; code = 0\n"
            "pr = cProfile.Profile(time.process_time); pr.enable()\n"
            "try:\n    app(prog_name='eventstudy')\nexcept SystemExit as e:\n    code = e.code\n"
            f"pr.disable(); pr.dump_stats({str(profile)!r}); sys.exit(code)"
        )
    cmd = [sys.executable, "-c", code, "run", "study.toml", "--no-report", "--prices-dir", "prices", "--out", "out"]
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("EVENTSTUDY_PRICES_DIR", None)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_gb = usage.ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux
    return seconds, usage.ru_utime + usage.ru_stime, peak_gb, proc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="build the study in this folder and keep it")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the run to this file and print its top")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_study(args.keep or Path(tmp), args.events)
        seconds, cpu, peak_gb, proc = run_cli(root, profile=args.profile)
        out = root / "out"
        firm_events = pd.read_csv(out / "firm_events.csv") if (out / "firm_events.csv").exists() else None
    print(f"events: {args.events}, securities: 8, exit code: {proc.returncode}")
    stages = [line for line in proc.stderr.splitlines() if "still running" not in line]
    print("\n".join(stages[-40:]))
    if firm_events is not None:
        counts = firm_events["status"].value_counts().to_dict()
        print(f"firm-events: {len(firm_events)} ({counts})")
    print(
        f"wall time: {seconds:.1f} s (limit {LIMIT_SECONDS:.0f} s); CPU time: {cpu:.1f} s; "
        f"peak RSS: {peak_gb:.2f} GB (limit {LIMIT_GB} GB)"
    )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.profile is not None and args.profile.exists():
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(25)
    ok = proc.returncode == 0 and seconds < LIMIT_SECONDS and peak_gb < LIMIT_GB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
