"""Factor files (Fama–French 3/5, Carhart, or any frame): a CSV with a date column and one column per factor."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PriceDataError, located

__all__ = ["read_factors"]


def read_factors(path: str | os.PathLike[str], *, percent: bool = False) -> pd.DataFrame:
    """Read a factor file into a frame indexed by date, one float column per factor.

    Parameters
    ----------
    path
        CSV with a ``date`` (or ``Date``) column, then the factor columns, e.g. ``date,mkt_rf,smb,hml``.
    percent
        Whether the file is in percent (as the Kenneth French library publishes it); the values are then divided
        by 100.

    Raises
    ------
    PriceDataError
        For a missing file or date column, an unparseable date, a non-numeric cell or duplicated dates; the message
        names ``FILE:LINE:COLUMN``.
    """
    path = Path(path)
    if not path.is_file():
        raise PriceDataError(located(str(path), "factor file not found", fix="give the path of a factor CSV"))
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", sep=None, engine="python")
    raw.columns = [str(c).strip() for c in raw.columns]
    date_col = next((c for c in raw.columns if c.lower() == "date"), None)
    if date_col is None:
        raise PriceDataError(
            located(f"{path.name}:1", "no date column", value=list(raw.columns), fix="name the first column 'date'")
        )
    dates = pd.to_datetime(raw[date_col].str.strip(), errors="coerce", format="mixed")
    bad = dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PriceDataError(
            located(f"{path.name}:{i + 2}:{date_col}", "not a date", value=raw[date_col].iloc[i], fix="use YYYY-MM-DD")
        )
    if dates.duplicated().any():
        i = int(np.flatnonzero(dates.duplicated())[0])
        raise PriceDataError(
            located(
                f"{path.name}:{i + 2}:{date_col}",
                "duplicated date",
                value=raw[date_col].iloc[i],
                fix="keep one row per date",
            )
        )
    out = {}
    for col in raw.columns:
        if col == date_col:
            continue
        values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        bad = values.isna() & raw[col].notna() & (raw[col].str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PriceDataError(
                located(f"{path.name}:{i + 2}:{col}", "not a number", value=raw[col].iloc[i], fix="write a decimal")
            )
        out[col] = values.to_numpy(dtype=float) / (100.0 if percent else 1.0)
    if not out:
        raise PriceDataError(located(f"{path.name}:1", "no factor columns", fix="add at least one factor column"))
    return pd.DataFrame(out, index=pd.DatetimeIndex(dates.dt.normalize(), name="date")).sort_index()
