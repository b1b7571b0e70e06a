"""The main job, stage by stage: the study file end to end on its shipped prices, with each stage's time.

    python benchmarks/main_job.py [--study study.toml] [--prices-dir DIR] [--no-pdf] [--out DIR]

Stages: the fit's own steps as it reports them (load, day 0, align, estimate, tests, and the analyse stage where
the fit runs it), then the tables (with MVRM and regressions where they are written), the summary, and the report
(robustness, figures, HTML, and the PDF unless --no-pdf; run once with --no-pdf to see the PDF's share). Prints one
line per stage and the total (wall time, then this process's CPU time); the outputs go to a temporary folder unless
--out is given.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """Stage times from one message per stage (each message ends the previous stage): wall time and this process's
    CPU time (all threads), which moves less than the wall time when other work shares the machine."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float, float]] = []
        self._name: str | None = None
        self._t0 = 0.0
        self._c0 = 0.0

    def __call__(self, message: str) -> None:
        self.stop()
        self._name, self._t0, self._c0 = message, time.perf_counter(), time.process_time()

    def stop(self) -> None:
        if self._name is not None:
            wall, cpu = time.perf_counter() - self._t0, time.process_time() - self._c0
            self.times.append((self._name, wall, cpu))
            print(f"{wall:7.2f} s  {cpu:7.2f} s CPU  {self._name}", flush=True)
            self._name = None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--study", type=Path, default=ROOT / "study.toml")
    ap.add_argument("--prices-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t_all = time.perf_counter()
    clock = Clock()
    clock("import eventstudy")
    from eventstudy.config import read_study
    from eventstudy.report.html import render_report
    from eventstudy.report.summary import render_summary
    from eventstudy.report.tables import write_tables
    from eventstudy.study import EventStudy

    clock("read the study file")
    spec = read_study(args.study)
    if args.prices_dir is not None:
        spec = spec.with_options(prices_dir=args.prices_dir)
    study = EventStudy.from_spec(spec)
    results = study.fit(progress=clock)
    out = args.out or Path(tempfile.mkdtemp(prefix="main_job_"))
    clock("tables (with MVRM and regressions where they are written)")
    paths = write_tables(results, out)
    clock("summary.html")
    paths.append(render_summary(results, out / "summary.html", title=spec.title, files=[p.name for p in paths]))
    clock("report: robustness, figures, HTML" + ("" if args.no_pdf else ", PDF"))
    paths += render_report(results, out, title=spec.title, files=[p.name for p in paths], pdf=not args.no_pdf)
    clock.stop()
    total = time.perf_counter() - t_all
    print(f"{total:7.2f} s  {time.process_time():7.2f} s CPU  total; {len(paths)} files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
