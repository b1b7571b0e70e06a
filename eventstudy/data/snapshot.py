"""A price snapshot: one Parquet file of canonical prices, read in place and checked against its checksum.

A snapshot holds the canonical price columns (``ticker, date, open, high, low, close, volume``) plus, on every row,
``source`` (where that ticker's series came from), ``adjustment`` (how the vendor adjusted it) and
``snapshot_date`` (the date the series were collected). Beside it, ``<file>.sha256`` holds the file's SHA-256 in
the ``sha256sum`` format; :class:`SnapshotSource` refuses a file whose bytes no longer match, so a study's results
never depend on a silently changed snapshot.

The file is written and read with DuckDB (no other Parquet engine is needed), ZSTD-compressed, sorted by ticker
and date.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import PriceDataError, located
from .sources import (
    COLUMNS,
    PRICE_COLUMNS,
    SOURCES,
    FetchResult,
    _between,
    _check_range,
    _check_tickers,
    _finish,
    _span,
)

__all__ = [
    "SNAPSHOT_COLUMNS",
    "SnapshotSource",
    "checksum_path",
    "file_sha256",
    "write_snapshot",
]

SNAPSHOT_COLUMNS: tuple[str, ...] = (*COLUMNS, "source", "adjustment", "snapshot_date")
"""The columns of a snapshot file, in order."""

REBUILD_FIX = "re-run `python scripts/build_snapshot.py` to rebuild the snapshot and its checksum"


def checksum_path(path: str | os.PathLike[str]) -> Path:
    """The checksum file beside a snapshot: ``prices.parquet`` → ``prices.parquet.sha256``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def write_snapshot(
    prices: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    snapshot_date: Any,
) -> Path:
    """Write a snapshot file and its checksum file.

    Parameters
    ----------
    prices
        The canonical price frame plus the columns ``source`` and ``adjustment`` (one string per row).
    path
        The Parquet file to write; ``<path>.sha256`` is written beside it.
    snapshot_date
        The date the series were collected, stored on every row.

    Returns
    -------
    Path
        The snapshot file.
    """
    import duckdb

    path = Path(path)
    missing = [c for c in ("source", "adjustment") if c not in prices.columns]
    if missing:
        raise PriceDataError(
            located("prices", f"no {', '.join(missing)} column", fix="give every row its source and adjustment")
        )
    frame = _finish(prices)
    keyed = prices.assign(date=pd.DatetimeIndex(prices["date"]).astype("datetime64[ns]"))
    extra = keyed.set_index(["ticker", "date"])[["source", "adjustment"]]
    frame = frame.join(extra, on=["ticker", "date"])
    frame["snapshot_date"] = pd.Timestamp(snapshot_date).normalize()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # one writer thread: the same input gives the same bytes
        con.register("snapshot_rows", frame)
        con.execute(
            "COPY (SELECT ticker, CAST(date AS DATE) AS date, open, high, low, close, volume, source, adjustment, "
            "CAST(snapshot_date AS DATE) AS snapshot_date FROM snapshot_rows ORDER BY ticker, date) "
            f"TO '{_sql_path(tmp)}' (FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 19, ROW_GROUP_SIZE 1000000)"
        )
    finally:
        con.close()
    os.replace(tmp, path)
    checksum_path(path).write_text(f"{file_sha256(path)}  {path.name}\n", encoding="utf-8")
    return path


class SnapshotSource:
    """Prices from a snapshot file (see the module docstring), read in place.

    Parameters
    ----------
    path
        The snapshot's Parquet file.
    name
        The source's name in results.
    verify
        Check the file against ``<path>.sha256`` before reading it (default True).

    Raises
    ------
    PriceDataError
        When the file or its checksum file is missing, or the checksum does not match (one line naming the file
        and the fix).
    """

    def __init__(self, path: str | os.PathLike[str], *, name: str = "snapshot", verify: bool = True) -> None:
        self.path = Path(path)
        self.name = name
        self.verify = verify
        self._frame: pd.DataFrame | None = None
        self._sha256: str | None = None

    def __repr__(self) -> str:
        return f"SnapshotSource({str(self.path)!r}, name={self.name!r})"

    @property
    def sha256(self) -> str:
        """The SHA-256 the checksum file records (verified when ``verify`` is on)."""
        if self._sha256 is None:
            self._sha256 = self.check()
        return self._sha256

    def check(self) -> str:
        """Verify the file against its checksum file; returns the checksum."""
        if not self.path.is_file():
            raise PriceDataError(located(str(self.path), "snapshot file not found", fix=REBUILD_FIX))
        sums = checksum_path(self.path)
        if not sums.is_file():
            raise PriceDataError(located(str(sums), "checksum file of the snapshot not found", fix=REBUILD_FIX))
        recorded = sums.read_text(encoding="utf-8").split()
        expected = recorded[0].lower() if recorded else ""
        if not self.verify:
            return expected
        actual = file_sha256(self.path)
        if actual != expected:
            raise PriceDataError(
                located(
                    str(self.path),
                    f"checksum mismatch: the file's SHA-256 is {actual[:12]}…, {sums.name} records "
                    f"{expected[:12] or 'nothing'}…",
                    fix=REBUILD_FIX,
                )
            )
        return actual

    def frame(self) -> pd.DataFrame:
        """Every row of the snapshot (the canonical columns plus source, adjustment and snapshot_date)."""
        if self._frame is None:
            import duckdb

            self._sha256 = self.check()
            con = duckdb.connect()
            try:
                raw = con.execute(f"SELECT * FROM read_parquet('{_sql_path(self.path)}') ORDER BY ticker, date").df()
            except duckdb.Error as exc:
                raise PriceDataError(
                    located(str(self.path), f"cannot read the snapshot ({type(exc).__name__})", fix=REBUILD_FIX)
                ) from None
            finally:
                con.close()
            missing = [c for c in SNAPSHOT_COLUMNS if c not in raw.columns]
            if missing:
                raise PriceDataError(
                    located(str(self.path), f"not a snapshot: no {', '.join(missing)} column", fix=REBUILD_FIX)
                )
            raw["date"] = pd.DatetimeIndex(raw["date"]).astype("datetime64[ns]")
            raw["snapshot_date"] = pd.DatetimeIndex(raw["snapshot_date"]).astype("datetime64[ns]")
            for col in PRICE_COLUMNS:
                raw[col] = raw[col].astype("float64")
            raw["ticker"] = raw["ticker"].astype(str)
            self._frame = raw[list(SNAPSHOT_COLUMNS)]
        return self._frame

    def manifest(self) -> pd.DataFrame:
        """One row per ticker: source, adjustment, snapshot_date, first_date, last_date and rows."""
        f = self.frame()
        return (
            f.groupby("ticker", sort=True)
            .agg(
                source=("source", "first"),
                adjustment=("adjustment", "first"),
                snapshot_date=("snapshot_date", "first"),
                first_date=("date", "min"),
                last_date=("date", "max"),
                rows=("date", "size"),
            )
            .reset_index()
        )

    def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
        """The rows of ``tickers`` with dates in ``[start, end]`` (inclusive)."""
        wanted = _check_tickers(tickers)
        s, e = _check_range(start, end)
        f = self.frame()
        have = f[f["ticker"].isin(wanted)]
        kept = _between(have, s, e)
        present = set(pd.unique(kept["ticker"]))
        in_file = set(pd.unique(have["ticker"]))
        failures = {
            t: (f"no rows in {_span(s, e)} in the snapshot" if t in in_file else f"{t} is not in the snapshot")
            for t in wanted
            if t not in present
        }
        return FetchResult(prices=_finish(kept[list(COLUMNS)]), failures=failures, source=self.name)


SOURCES.add("snapshot", SnapshotSource)
