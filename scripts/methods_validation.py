"""Size and power of every test by simulation (Brown & Warner 1985; Kolari & Pynnönen 2010).

Writes ``reports/methods_validation.csv`` and ``reports/methods_validation.html``:

    python scripts/methods_validation.py [--reps 1000] [--seed 2025]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from eventstudy.config import DEFAULT_TESTS
from eventstudy.simulate import SimulationDesign, rejection_rates

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--out", type=Path, default=ROOT / "reports")
    args = ap.parse_args()
    frames = []
    t0 = time.perf_counter()
    for rbar in (0.0, 0.1, 0.3):
        for n in (10, 30, 50):
            for effect in (0.0, 0.005, 0.01):
                design = SimulationDesign(n_firms=n, rbar=rbar, effect=effect)
                frames.append(rejection_rates(design, DEFAULT_TESTS, n_reps=args.reps, rng=args.seed))
                print(f"rbar={rbar} N={n} effect={effect}: {time.perf_counter() - t0:.0f} s", flush=True)
    table = pd.concat(frames, ignore_index=True)
    table["alpha"] = 0.05
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "methods_validation.csv", index=False, float_format="%.4f")
    size = table[table["effect"] == 0].pivot_table(index="test", columns=["rbar", "n_firms"], values="rejection_rate")
    power = table[table["n_firms"] == 30].pivot_table(index="test", columns=["rbar", "effect"], values="rejection_rate")
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Methods validation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:75em;margin:2em auto}}table{{border-collapse:collapse;
font-size:.85em}}td,th{{border-bottom:1px solid #ddd;padding:.2em .5em;text-align:right}}</style></head><body>
<h1>Size and power by simulation</h1>
<p>Market-model returns with equicorrelated errors (r̄), a common day 0, estimation window [−250, −11],
{args.reps} replications per cell, seed {args.seed}; rejection rates at 5 % on the [0, 0] window. Under no effect a
well-specified test rejects in about 5 % of replications (95 % band for 1 000 replications: 3.7 %–6.4 %).</p>
<h2>Size (no abnormal return), by r̄ and N</h2>{size.to_html(float_format=lambda x: f"{x:.3f}")}
<h2>Power at N = 30, by r̄ and injected abnormal return</h2>{power.to_html(float_format=lambda x: f"{x:.3f}")}
</body></html>"""
    (args.out / "methods_validation.html").write_text(html, encoding="utf-8")
    print(size.round(3).to_string())


if __name__ == "__main__":
    main()
