"""Hostile input, spreadsheets: no CSV the project writes holds a cell a spreadsheet would run as a formula.

Free text (titles, descriptions, security names, notes) starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is written with a leading ``'`` (OWASP, CSV injection); numbers stay numbers (negative ones included) and the
expected-sign codes (``+``, ``-``, ``+/-``) stay as they are. Ids, tickers and groups cannot start a formula at all
(see tests/test_hostile_paths.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from test_hostile_paths import make_study_dir, run, snapshot
from test_reliability import events_frame, universe_frame

from eventstudy.output import FORMULA_TRIGGERS, neutralise_cells


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_study_dir(tmp_path, monkeypatch)


PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd"]


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dangerous(cell: str) -> bool:
    return cell.startswith(FORMULA_TRIGGERS) and not _is_number(cell) and cell not in ("+", "-", "+/-")


def test_neutralise_cells_prefixes_formulas_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "title": [*PAYLOADS, "\tTabbed", "\rCR", "Plain", "-0.5", "+/-"],
            "car": [-0.1, 0.2, -3.0, 1e-9, -0.0, 5.0, 7.0, -1.0, 2.0],
        }
    )
    out = neutralise_cells(frame)
    assert list(out["title"]) == [*("'" + p for p in PAYLOADS), "'\tTabbed", "'\rCR", "Plain", "-0.5", "+/-"]
    assert out["car"].dtype == float and list(out["car"]) == list(frame["car"])
    assert frame["title"].iloc[0] == PAYLOADS[0]  # the frame given is not changed
    header = neutralise_cells(pd.DataFrame({"=bad": [1]}))
    assert list(header.columns) == ["'=bad"]


def test_every_output_csv_is_neutralised(study_dir: Path) -> None:
    events = events_frame(title=PAYLOADS[0], description=PAYLOADS[1])
    events.to_csv(study_dir / "events.csv", index=False)
    universe = universe_frame()
    universe["name"] = [PAYLOADS[2], PAYLOADS[3], "S&P 500 ETF"]
    universe["notes"] = ["\t=1+1", "", "@x"]
    universe.to_csv(study_dir / "universe.csv", index=False)
    before = snapshot(study_dir, skip=study_dir / "out")
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    written = sorted((study_dir / "out").glob("*.csv"))
    assert len(written) >= 9
    seen = set()
    for path in written:
        for cell in _cells(path):
            assert not dangerous(cell), (path.name, cell)
            seen.add(cell)
    assert "'" + PAYLOADS[2] in seen and "'" + PAYLOADS[3] in seen  # the names, kept, as text
    caar = pd.read_csv(study_dir / "out" / "caar.csv")
    assert caar["caar"].dtype == float and (caar["ci_low"] < 0).any()  # negative numbers stay numbers
    assert snapshot(study_dir, skip=study_dir / "out") == before
