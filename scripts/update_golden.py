"""Regenerate the golden tables that tests/test_golden.py compares the study against.

Run it only when a change of the study's numbers is intended, and commit the new tables with that change (the diff
of tests/data/golden/ is the reviewed record of what moved)::

    python scripts/update_golden.py

It fits the study file (study.toml) on the shipped snapshot and writes, under tests/data/golden/: day0.csv (day 0
per event and exchange), firm_events.csv (every firm-event's status, estimation length, parameters, CARs, their
variances and SCARs), claims.csv (the claims' statistics, when the study produces them) and golden.json (what the
tables were computed from).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"
STUDY = ROOT / "study.toml"
TOLERANCE = 1e-10
"""The largest absolute difference tests/test_golden.py accepts in any number of the golden tables."""


def fit_study():
    """The study file fitted on its snapshot (never on a folder named by the environment)."""
    from eventstudy.config import read_study
    from eventstudy.data.snapshot import SnapshotSource
    from eventstudy.study import EventStudy

    spec = read_study(STUDY)
    return EventStudy.from_spec(spec, prices=SnapshotSource(spec.snapshot)).fit()


def key_tables(res) -> dict[str, pd.DataFrame]:
    """The tables kept as golden outputs, in a stable row order."""
    tables = {
        "day0": res.day0.sort_values(["event_id", "exchange"]).reset_index(drop=True),
        "firm_events": res.firm_events.sort_values(["event_id", "ticker"]).reset_index(drop=True),
    }
    claims = res.claims
    if claims is not None and len(claims):
        keys = [c for c in ("event_id", "group", "window") if c in claims.columns]
        tables["claims"] = claims.sort_values(keys).reset_index(drop=True) if keys else claims.reset_index(drop=True)
    return tables


def write_golden(res, directory: Path = GOLDEN) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("day0", "firm_events", "claims"):
        (directory / f"{name}.csv").unlink(missing_ok=True)
    for name, table in key_tables(res).items():
        path = directory / f"{name}.csv"
        table.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
        paths.append(path)
    record = {
        "study": STUDY.name,
        "source": res.settings.get("source"),
        "source_sha256": res.settings.get("source_sha256"),
        "tables": sorted(p.stem for p in paths),
        "tolerance": TOLERANCE,
    }
    path = directory / "golden.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return [*paths, path]


def main() -> int:
    paths = write_golden(fit_study())
    for p in paths:
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
