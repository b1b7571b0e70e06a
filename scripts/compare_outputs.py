"""Compare the tables of two runs of a study, to a tolerance.

    python scripts/compare_outputs.py BEFORE_DIR AFTER_DIR [--tol 1e-12] [--files firm_events.csv tests.csv ...]

For each file: the same columns (names), the same rows in the same order, text columns equal, numeric columns equal
within ``tol`` (absolute, and relative to the larger magnitude), NaN where the other has NaN; text that holds JSON
objects of numbers (the tests' details) is compared key by key, its numbers within ``tol``. Prints one line per
file and exits non-zero if any file differs, naming the first differing column, row and values.
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
            # JSON objects of numbers (the tests' details): the same keys, each number within tol
            for i in np.flatnonzero(bad):
                bad[i] = not _same_json(sa.iloc[i], sb.iloc[i], tol)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(
                f"column {col!r}: {int(bad.sum())} rows differ; first at row {i}: {a.iloc[i]!r} vs {b.iloc[i]!r}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tol", type=float, default=1e-12)
    parser.add_argument("--files", nargs="+", default=list(DEFAULT_FILES))
    args = parser.parse_args(argv)
    failed = False
    for name in args.files:
        pa, pb = args.before / name, args.after / name
        if not pa.exists() or not pb.exists():
            print(f"{name}: MISSING ({'before' if not pa.exists() else 'after'})")
            failed = True
            continue
        before, after = pd.read_csv(pa, keep_default_na=True), pd.read_csv(pb, keep_default_na=True)
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
