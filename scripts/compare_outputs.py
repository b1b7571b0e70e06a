"""Compare the tables of two runs of a study, to a tolerance.

    python scripts/compare_outputs.py BEFORE_DIR AFTER_DIR [--tol 1e-12] [--files firm_events.csv tests.csv ...]

For each file (CSV, or Parquet such as ``results/tests.parquet``): the same columns (names), the same rows in the
same order, text columns equal, numeric columns equal within ``tol`` (absolute, and relative to the larger
magnitude), NaN where the other has NaN. Prints one line per file and exits non-zero if any file differs, naming the
first differing column, row and values.

Test tables of older runs hold the tests' outputs as JSON objects in one ``details`` column; newer ones have a
column per output (``rbar``, ``pvalue_exact``, ...). Two older tables are compared key by key, each number within
``tol``. An older table compared with a newer one has its JSON expanded into columns first, in place of
``details`` (the keys ``z`` and ``dates`` under their new names ``grank_z`` and ``n_dates``): so a change of the
layout shows that the numbers did not change. A run writes the floats of its CSV tables with 10 significant digits,
while the JSON held every digit; the numbers expanded from a CSV are therefore rounded as the run writes them
(``--csv-digits``). The Parquet copies in ``results/`` keep every digit on both sides.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_FILES = ("firm_events.csv", "tests.csv", "caar.csv", "mvrm.csv")
#: the keys of the older ``details`` JSON that are columns under another name now
RENAMED_DETAILS = {"z": "grank_z", "dates": "n_dates"}
#: significant digits of the floats in a run's CSV tables (``eventstudy.output.write_csv``: ``%.10g``)
CSV_DIGITS = 10


def expand_details(frame: pd.DataFrame, like: pd.DataFrame, digits: int | None = None) -> pd.DataFrame:
    """``frame`` with its ``details`` column of JSON objects expanded into one float column per key (NaN where a
    row lacks the key), in place of ``details``, when ``like`` has no ``details`` column; ``frame`` as it is
    otherwise. The new columns come in the order ``like`` has them; with ``digits``, their numbers are rounded to
    that many significant digits (as a CSV of ``like``'s run writes them)."""
    if "details" not in frame.columns or "details" in like.columns:
        return frame
    parsed = [json.loads(x) if isinstance(x, str) and x.strip() else {} for x in frame["details"]]
    keys = list(dict.fromkeys(RENAMED_DETAILS.get(k, k) for d in parsed for k in d))
    order = {c: i for i, c in enumerate(like.columns)}
    keys.sort(key=lambda k: order.get(k, len(order)))
    columns = {k: np.full(len(frame), np.nan) for k in keys}
    for i, d in enumerate(parsed):
        for k, v in d.items():
            columns[RENAMED_DETAILS.get(k, k)][i] = float(f"{v:.{digits}g}") if digits else float(v)
    at = list(frame.columns).index("details")
    before, after = frame.iloc[:, :at], frame.iloc[:, at + 1 :]
    return pd.concat([before, pd.DataFrame(columns, index=frame.index), after], axis=1)


def read_table(path: Path) -> pd.DataFrame:
    """A table of a run: a Parquet file as it is, a CSV with pandas' default missing values."""
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, keep_default_na=True)


def _same_json(x: str, y: str, tol: float) -> bool:
    """Whether two texts are JSON objects with the same keys and numbers equal within ``tol`` (as the columns)."""
    try:
        a, b = json.loads(x), json.loads(y)
    except ValueError:
        return False
    if not isinstance(a, dict) or not isinstance(b, dict) or list(a) != list(b):
        return False
    for k in a:
        u, v = a[k], b[k]
        if isinstance(u, int | float) and isinstance(v, int | float):
            if math.isnan(u) or math.isnan(v):
                if not (math.isnan(u) and math.isnan(v)):
                    return False
            elif u != v and not abs(u - v) <= tol * max(1.0, abs(u), abs(v)):
                return False
        elif u != v:
            return False
    return True


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (so a message shows ``0.5``, not ``np.float64(0.5)``)."""
    return value.item() if isinstance(value, np.generic) else value


def compare_frames(before: pd.DataFrame, after: pd.DataFrame, tol: float) -> list[str]:
    """Differences between two tables, in words (empty when they agree)."""
    problems: list[str] = []
    if list(before.columns) != list(after.columns):
        gone = [c for c in before.columns if c not in after.columns]
        new = [c for c in after.columns if c not in before.columns]
        problems.append(f"columns differ: missing {gone}, new {new}")
    if len(before) != len(after):
        problems.append(f"rows differ: {len(before)} before, {len(after)} after")
        return problems
    for col in [c for c in before.columns if c in after.columns]:
        a, b = before[col], after[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            nan_x, nan_y = np.isnan(x), np.isnan(y)
            scale = np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
            with np.errstate(invalid="ignore"):
                bad = (nan_x != nan_y) | (~nan_x & ~nan_y & ~(np.abs(x - y) <= tol * scale))
            # equal infinities are equal
            bad &= ~((x == y) & np.isinf(x))
        else:
            sa, sb = a.astype(str).where(a.notna(), ""), b.astype(str).where(b.notna(), "")
            bad = (sa != sb).to_numpy().copy()
            # JSON objects of numbers (the tests' details of two older runs): the same keys, each number within tol
            for i in np.flatnonzero(bad):
                bad[i] = not _same_json(sa.iloc[i], sb.iloc[i], tol)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(
                f"column {col!r}: {int(bad.sum())} rows differ; first at row {i}: {_plain(a.iloc[i])!r} vs "
                f"{_plain(b.iloc[i])!r}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tol", type=float, default=1e-12)
    parser.add_argument("--files", nargs="+", default=list(DEFAULT_FILES))
    parser.add_argument(
        "--csv-digits",
        type=int,
        default=CSV_DIGITS,
        help="significant digits to round the numbers of an older CSV's details to, as a newer run writes them",
    )
    args = parser.parse_args(argv)
    failed = False
    for name in args.files:
        pa, pb = args.before / name, args.after / name
        if not pa.exists() or not pb.exists():
            print(f"{name}: MISSING ({'before' if not pa.exists() else 'after'})")
            failed = True
            continue
        before, after = read_table(pa), read_table(pb)
        digits = args.csv_digits if pa.suffix != ".parquet" else None
        before, after = expand_details(before, after, digits), expand_details(after, before, digits)
        problems = compare_frames(before, after, args.tol)
        if problems:
            failed = True
            print(f"{name}: DIFFERS ({len(before)} rows)")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"{name}: equal to {args.tol:g} ({len(before)} rows x {before.shape[1]} columns)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
