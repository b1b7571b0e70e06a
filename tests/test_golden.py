"""The study's key tables against their stored (golden) values: any change beyond 1e-10 fails.

A change of numbers is meant to be deliberate: regenerate the tables with ``python scripts/update_golden.py`` and
commit them with the change that moved them, so the diff of ``tests/data/golden/`` shows what moved.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.scripts import load_script

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "golden"
FIX = "if the change is intended, run `python scripts/update_golden.py` and commit tests/data/golden/"


update_golden = load_script("update_golden")


def compare(name: str, got: pd.DataFrame, want: pd.DataFrame, tol: float) -> None:
    """Every column of ``want`` in ``got``, same rows; numbers within ``tol`` (NaN where NaN), the rest equal."""
    missing = [c for c in want.columns if c not in got.columns]
    assert not missing, f"{name}: columns {missing} are gone; {FIX}"
    assert len(got) == len(want), f"{name}: {len(got)} rows, golden {len(want)}; {FIX}"
    for col in want.columns:
        w = want[col]
        g = got[col]
        if pd.api.types.is_numeric_dtype(w.dtype) and not pd.api.types.is_bool_dtype(w.dtype):
            gv = pd.to_numeric(g, errors="coerce").to_numpy(dtype="float64")
            wv = w.to_numpy(dtype="float64")
            nan_moved = np.isnan(gv) != np.isnan(wv)
            assert not nan_moved.any(), f"{name}.{col}: missing at other rows (first row {np.argmax(nan_moved)}); {FIX}"
            diff = np.abs(np.nan_to_num(gv - wv))
            i = int(np.argmax(diff)) if len(diff) else 0
            assert not len(diff) or diff[i] <= tol, (
                f"{name}.{col}: row {i} is {gv[i]!r}, golden {wv[i]!r} (difference {diff[i]:.3g} > {tol}); {FIX}"
            )
        else:
            gs = g.astype(object).where(g.notna(), "").astype(str).to_numpy()
            ws = w.astype(object).where(w.notna(), "").astype(str).to_numpy()
            bad = np.flatnonzero(gs != ws)
            assert not bad.size, f"{name}.{col}: row {bad[0]} is {gs[bad[0]]!r}, golden {ws[bad[0]]!r}; {FIX}"


def _round_trip(table: pd.DataFrame, tmp_path: Path, name: str) -> pd.DataFrame:
    """The table as the golden files hold it (written and read back as CSV)."""
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
    return pd.read_csv(path, keep_default_na=True)


@pytest.fixture(scope="module")
def record() -> dict:
    path = GOLDEN / "golden.json"
    assert path.is_file(), f"{path} is missing; run `python scripts/update_golden.py`"
    return json.loads(path.read_text(encoding="utf-8"))


def test_golden_is_from_the_shipped_snapshot(record, real_results) -> None:
    assert record["source_sha256"] == real_results.settings["source_sha256"]


@pytest.mark.parametrize("name", ["day0", "firm_events", "claims"])
def test_key_table_unchanged(name: str, record, real_results, tmp_path: Path) -> None:
    tables = update_golden.key_tables(real_results)
    if name not in record["tables"]:
        assert name not in tables, f"the study now produces {name}; {FIX}"
        pytest.skip(f"the study produces no {name} table yet")
    assert name in tables, f"the study no longer produces {name}; {FIX}"
    want = pd.read_csv(GOLDEN / f"{name}.csv", keep_default_na=True)
    got = _round_trip(tables[name], tmp_path, name)
    compare(name, got, want, record["tolerance"])


def test_comparison_catches_a_small_change(real_results, tmp_path: Path) -> None:
    """The comparison itself: a CAR moved by 1e-9 fails; a move of 1e-12 passes."""
    table = update_golden.key_tables(real_results)["firm_events"]
    want = _round_trip(table, tmp_path, "want")
    col = next(c for c in table.columns if c.startswith("car_"))
    row = int(np.flatnonzero(table[col].notna().to_numpy())[0])
    moved = table.copy()
    moved.loc[row, col] += 1e-9
    with pytest.raises(AssertionError, match=f"firm_events.{col}: row {row}"):
        compare("firm_events", _round_trip(moved, tmp_path, "moved"), want, 1e-10)
    moved.loc[row, col] = table.loc[row, col] + 1e-12
    compare("firm_events", _round_trip(moved, tmp_path, "tiny"), want, 1e-10)
