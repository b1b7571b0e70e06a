"""The machine-readable outputs of a run: CSV tables with stable column names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..output import write_csv

if TYPE_CHECKING:
    from ..results import EventStudyResults

__all__ = ["write_tables", "write_csv", "analysis_tables", "OUTPUT_FILES", "ANALYSIS_FILES"]

#: file name → what it holds
OUTPUT_FILES: dict[str, str] = {
    "firm_events.csv": "one row per firm-event: status, estimation length, alpha, beta, sigma, CAR/Var(CAR)/SCAR "
    "per CAR window",
    "ar.csv": "abnormal returns of the event window, long format",
    "tests.csv": "every test per event × group × CAR window, with a column per extra number a test reports (rbar, …)",
    "caar.csv": "CAAR per event × group × CAR window with a 95 % interval",
    "aar.csv": "AAR and CAAR path per event × group × event day",
    "day0.csv": "day 0 of each event on each exchange",
    "outcomes.csv": "the outcome code of every firm-event, with the reason",
    "outcome_summary.csv": "firm-events per outcome code",
    "data_notes.csv": "per ticker: source, span, missing and zero returns, rows treated as missing, failures",
    "mvrm.csv": "event-dummy SUR system: gamma/CAR per security × event and the Wald tests (a)-(d)",
    "regressions.csv": "cross-sectional CAR regressions: by segment for the headline event (HC3), and pooled "
    "(clustered by event date)",
    "settings.json": "the settings of the run",
    "summary.html": "a short human-readable summary",
}


#: analysis (a key of ``results.analyses``) → the file of its table in a run's outputs
ANALYSIS_FILES: dict[str, str] = {"mvrm": "mvrm.csv", "regressions": "regressions.csv"}


def analysis_tables(results: EventStudyResults) -> dict[str, pd.DataFrame]:
    """The tables of the analyse stage that a run writes, by file name (only the analyses that ran)."""
    return {
        file: results.analyses[name]
        for name, file in ANALYSIS_FILES.items()
        if isinstance(results.analyses.get(name), pd.DataFrame)
    }


def _safe_path(out: Path, name: str) -> Path:
    path = (out / name).resolve()
    if out.resolve() not in path.parents:
        raise ValueError(f"refusing to write outside {out}: {name}")
    return path


def _plain(value):
    """Settings as JSON can hold them: mappings as dicts, tuples as lists."""
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def write_tables(results: EventStudyResults, out: Path) -> list[Path]:
    """Write every CSV table and the settings into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    frames = {
        "firm_events.csv": results.firm_events,
        "ar.csv": results.ar,
        "tests.csv": results.test_table,
        "caar.csv": results.caar_table,
        "aar.csv": results.aar_table,
        "day0.csv": results.day0.assign(
            announced_at_utc=results.day0["announced_at_utc"].map(lambda t: t.isoformat() if pd.notna(t) else ""),
            day0=pd.to_datetime(results.day0["day0"]).dt.date,
        ),
        "outcomes.csv": results.outcomes,
        "outcome_summary.csv": results.outcome_counts().rename_axis("status").reset_index(name="firm_events"),
        "data_notes.csv": results.data_notes,
    }
    frames.update(analysis_tables(results))  # mvrm.csv, regressions.csv: computed by the analyse stage
    for name, frame in frames.items():
        path = _safe_path(out, name)
        write_csv(frame, path)  # text cells that a spreadsheet would run as formulas are neutralised
        written.append(path)
    path = _safe_path(out, "settings.json")
    path.write_text(json.dumps(_plain(results.settings), indent=2, default=str), encoding="utf-8")
    written.append(path)
    return written
