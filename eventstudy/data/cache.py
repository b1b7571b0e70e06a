"""An embedded DuckDB store of canonical prices, and :func:`load_prices`, which fetches only what it lacks.

The cache is one ``.duckdb`` file with three tables:

* ``meta(key, value)`` holds ``schema_version`` (:data:`SCHEMA_VERSION`);
* ``prices(ticker, date, open, high, low, close, volume, source, fetched_at)``, keyed by ``(ticker, date)``;
* ``spans(ticker, first_date, last_date, updated_at)``: per ticker, the date range that a source has been
  asked for and has answered (``first_date`` NULL: from the first date the source has). It lets
  :func:`load_prices` know that a range starting on a holiday, or before a listing, needs no new request.

A connection is opened for each operation and closed right after it, so several processes can share one file.
When another process holds the file, an operation waits for up to ``lock_timeout`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..errors import CacheError, PriceDataError, located
from .sources import (
    COLUMNS,
    PRICE_COLUMNS,
    FetchResult,
    PriceSource,
    _check_range,
    _check_tickers,
    _concat,
    _finish,
    _span,
    empty_prices,
)

__all__ = ["SCHEMA_VERSION", "PriceCache", "load_prices"]

SCHEMA_VERSION = 1
"""The layout version of the cache file; a file with another version is refused."""

_DAY = pd.Timedelta(days=1)

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS prices (
        ticker VARCHAR, date DATE, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE,
        source VARCHAR, fetched_at TIMESTAMP, PRIMARY KEY (ticker, date))""",
    """CREATE TABLE IF NOT EXISTS spans (
        ticker VARCHAR PRIMARY KEY, first_date DATE, last_date DATE, updated_at TIMESTAMP)""",
]


class PriceCache:
    """Canonical prices kept in an embedded DuckDB file.

    Parameters
    ----------
    path
        The ``.duckdb`` file; it and its parent folders are created when missing.
    lock_timeout
        Seconds to wait when another process holds the file, before raising :class:`CacheError`.

    Raises
    ------
    CacheError
        The file is not a DuckDB database, is not an eventstudy cache, has another schema version, or stays
        locked.
    """

    def __init__(self, path: str | Path, *, lock_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.lock_timeout = float(lock_timeout)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                located(
                    str(self.path.parent),
                    f"cannot create the cache folder: {exc.strerror}",
                    fix="choose a writable --cache path",
                )
            ) from None
        self._init_schema()

    def __repr__(self) -> str:
        return f"PriceCache({str(self.path)!r})"

    # ---- connections ------------------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection; waits while another process holds the file lock."""
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.Error as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise CacheError(
                        located(
                            str(self.path),
                            f"cannot open the price cache ({' '.join(text.split())})",
                            fix="delete the file to rebuild the cache, or choose another --cache path",
                        )
                    ) from None
                if time.monotonic() >= deadline:
                    raise CacheError(
                        located(
                            str(self.path),
                            f"the price cache is locked: another eventstudy process is using it "
                            f"(waited {self.lock_timeout:g} s)",
                            fix="wait for the other run to finish, or give this run its own --cache file",
                        )
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside ``BEGIN … COMMIT``; ``ROLLBACK`` when the block raises."""
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _init_schema(self) -> None:
        with self._transaction() as con:
            tables = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                ).fetchall()
            }
            if "meta" in tables:
                row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                found = None if row is None else row[0]
                if found != str(SCHEMA_VERSION):
                    raise CacheError(
                        located(
                            str(self.path),
                            f"price cache schema version {found} is not supported (expected {SCHEMA_VERSION})",
                            fix="delete the file to rebuild the cache, or upgrade eventstudy to a version "
                            "that reads it",
                        )
                    )
                return
            if tables:
                raise CacheError(
                    located(
                        str(self.path),
                        "not an eventstudy price cache (it has no meta table)",
                        value=sorted(tables),
                        fix="choose another --cache path",
                    )
                )
            for stmt in _SCHEMA:
                con.execute(stmt)
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    # ---- writing ----------------------------------------------------------------------------------------

    def write(
        self,
        prices: pd.DataFrame,
        *,
        source: str,
        fetched_at: datetime | pd.Timestamp | None = None,
        covered: Mapping[str, tuple[Any, Any]] | None = None,
    ) -> int:
        """Upsert canonical prices in one transaction; returns the number of rows written.

        Rows whose ``(ticker, date)`` is already cached are replaced.

        Parameters
        ----------
        prices
            A canonical price frame (extra columns are ignored; missing price columns are stored as NULL).
        source
            The name of the source the rows came from.
        fetched_at
            When they were fetched (default: now, UTC).
        covered
            ticker → ``(first, last)``: the date range the source was asked for and answered (``first`` None:
            from the source's first date). It widens the ticker's recorded span to the hull of the old span
            and this range, so it must touch or overlap what is cached.
        """
        frame = _checked_frame(prices)
        stamp = _utc_naive(fetched_at)
        spans = _spans_frame(covered or {}, stamp)
        if frame.empty and spans.empty:
            return 0
        with self._transaction() as con:
            con.register("incoming_prices", frame)
            con.register("incoming_spans", spans)
            try:
                self._upsert(con, source=str(source), fetched_at=stamp)
                self._widen_spans(con)
            finally:
                con.unregister("incoming_prices")
                con.unregister("incoming_spans")
        return len(frame)

    def _upsert(self, con: duckdb.DuckDBPyConnection, *, source: str, fetched_at: pd.Timestamp) -> None:
        """Replace the ``(ticker, date)`` rows of ``incoming_prices`` (inside the caller's transaction)."""
        con.execute(
            """DELETE FROM prices USING incoming_prices AS i
               WHERE prices.ticker = i.ticker AND prices.date = CAST(i.date AS DATE)"""
        )
        con.execute(
            """INSERT INTO prices
               SELECT ticker, CAST(date AS DATE), open, high, low, close, volume, ?, ?
               FROM incoming_prices""",
            [source, fetched_at.to_pydatetime()],
        )

    def _widen_spans(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            """INSERT INTO spans
               SELECT ticker, CAST(first_date AS DATE), CAST(last_date AS DATE), updated_at
               FROM incoming_spans
               ON CONFLICT (ticker) DO UPDATE SET
                 first_date = CASE WHEN spans.first_date IS NULL OR excluded.first_date IS NULL THEN NULL
                                   ELSE least(spans.first_date, excluded.first_date) END,
                 last_date = greatest(spans.last_date, excluded.last_date),
                 updated_at = excluded.updated_at"""
        )

    # ---- reading ----------------------------------------------------------------------------------------

    def read(
        self,
        tickers: Sequence[str] | None = None,
        start: Any = None,
        end: Any = None,
        *,
        with_provenance: bool = False,
    ) -> pd.DataFrame:
        """Cached rows of ``tickers`` (all when None) with dates in ``[start, end]``, as the canonical frame.

        With ``with_provenance=True`` the frame also has ``source`` and ``fetched_at`` columns.
        """
        s, e = _check_range(start, end)
        wanted = None if tickers is None else _check_tickers(tickers)
        if wanted is not None and not wanted:
            return _with_provenance(empty_prices()) if with_provenance else empty_prices()
        sql = "SELECT ticker, date, open, high, low, close, volume, source, fetched_at FROM prices WHERE TRUE"
        params: list[Any] = []
        if wanted is not None:
            sql += " AND list_contains(?, ticker)"
            params.append(wanted)
        if s is not None:
            sql += " AND date >= ?"
            params.append(s.date())
        if e is not None:
            sql += " AND date <= ?"
            params.append(e.date())
        sql += " ORDER BY ticker, date"
        with self._connect() as con:
            raw = con.execute(sql, params).df()
        frame = _finish(raw)
        if not with_provenance:
            return frame
        out = frame.copy()
        out["source"] = raw["source"].astype(str).to_numpy() if len(raw) else pd.Series(dtype=str)
        out["fetched_at"] = pd.DatetimeIndex(raw["fetched_at"]).astype("datetime64[ns]")
        return out

    def read_wide(
        self, tickers: Sequence[str], start: Any = None, end: Any = None, *, column: str = "close"
    ) -> pd.DataFrame:
        """One price column of ``tickers`` as a date × ticker frame, the layout of a returns panel.

        Rows are the dates on which any of the tickers has a cached row, in order; a ticker without a row that
        date holds NaN. The same numbers as pivoting :meth:`read`, without building the long canonical frame:
        DuckDB returns integer positions and the frame is filled by numpy. Tickers with no cached rows are kept
        as all-NaN columns.
        """
        if column not in PRICE_COLUMNS:
            raise ValueError(f"column: {column!r} is not a price column; fix: use one of {', '.join(PRICE_COLUMNS)}")
        s, e = _check_range(start, end)
        wanted = _check_tickers(tickers)
        sql = (
            f"SELECT w.pos - 1 AS pos, p.date, p.{column} AS value FROM prices p "
            "JOIN (SELECT unnest(?) AS ticker, generate_subscripts(?, 1) AS pos) w USING (ticker) WHERE TRUE"
        )
        params: list[Any] = [wanted, wanted]
        if s is not None:
            sql += " AND p.date >= ?"
            params.append(s.date())
        if e is not None:
            sql += " AND p.date <= ?"
            params.append(e.date())
        with self._connect() as con:
            raw = con.execute(sql, params).fetchnumpy()
        days = np.asarray(raw["date"], dtype="datetime64[ns]")
        dates, row = np.unique(days, return_inverse=True)
        wide = np.full((dates.size, len(wanted)), np.nan)
        wide[row, np.asarray(raw["pos"], dtype=np.int64)] = np.asarray(raw["value"], dtype="float64")
        return pd.DataFrame(wide, index=pd.DatetimeIndex(dates, name="date"), columns=pd.Index(wanted, name="ticker"))

    def coverage(self) -> pd.DataFrame:
        """One row per cached ticker: ``ticker, first_date, last_date, rows, source, fetched_at``.

        ``source`` and ``fetched_at`` are those of the ticker's most recent write.
        """
        with self._connect() as con:
            raw = con.execute(
                """SELECT ticker, min(date) AS first_date, max(date) AS last_date, count(*) AS rows,
                          arg_max(source, fetched_at) AS source, max(fetched_at) AS fetched_at
                   FROM prices GROUP BY ticker ORDER BY ticker"""
            ).df()
        return _coverage_frame(raw)

    def _covered(self, tickers: Sequence[str]) -> pd.DataFrame:
        """Per cached ticker, the range known to the cache: the hull of its rows and its recorded span.

        Columns ``ticker, first, last, unbounded_start``; ``first`` is NaT when the span starts at the
        source's first date.
        """
        with self._connect() as con:
            raw = con.execute(
                """WITH r AS (SELECT ticker, min(date) AS first_date, max(date) AS last_date FROM prices
                              WHERE list_contains(?, ticker) GROUP BY ticker),
                        s AS (SELECT * FROM spans WHERE list_contains(?, ticker))
                   SELECT coalesce(r.ticker, s.ticker) AS ticker,
                          (s.ticker IS NOT NULL AND s.first_date IS NULL) AS unbounded_start,
                          least(r.first_date, s.first_date) AS first,
                          greatest(r.last_date, s.last_date) AS last
                   FROM r FULL OUTER JOIN s ON r.ticker = s.ticker""",
                [list(tickers), list(tickers)],
            ).df()
        raw["first"] = pd.to_datetime(raw["first"]).astype("datetime64[ns]")
        raw["last"] = pd.to_datetime(raw["last"]).astype("datetime64[ns]")
        raw.loc[raw["unbounded_start"].astype(bool), "first"] = pd.NaT
        return raw

    def export_parquet(self, directory: str | Path, tickers: Sequence[str] | None = None) -> Path:
        """Write cached prices as a Parquet dataset partitioned by ticker (``directory/ticker=…/*.parquet``).

        Each ticker's rows go to its own partition, sorted by date, with the canonical columns
        ``date, open, high, low, close, volume`` (the ticker is the partition key). Partitions already in
        ``directory`` for the same tickers are replaced. Read one back with :func:`read_parquet_partition`.

        Parameters
        ----------
        directory
            The dataset's root folder; created when missing. Use shared storage when workers on other machines
            read it.
        tickers
            The tickers to export (all cached tickers when None).
        """
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        wanted = None if tickers is None else _check_tickers(tickers)
        with self._connect() as con:
            sql = "SELECT ticker, date, open, high, low, close, volume FROM prices"
            if wanted is not None:
                con.register("export_tickers", pd.DataFrame({"ticker": pd.Series(wanted, dtype=str)}))
                sql += " WHERE ticker IN (SELECT ticker FROM export_tickers)"
            con.execute(
                f"COPY ({sql} ORDER BY ticker, date) TO '{_sql_path(root)}' "
                "(FORMAT PARQUET, PARTITION_BY (ticker), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'prices_{i}')"
            )
        return root


def _utc_naive(value: datetime | pd.Timestamp | None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp(datetime.now(UTC)).tz_localize(None)
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def _checked_frame(prices: pd.DataFrame) -> pd.DataFrame:
    """The canonical columns of ``prices``, checked for what the table's key needs."""
    if not isinstance(prices, pd.DataFrame):
        raise PriceDataError(
            located(
                "prices",
                "expected a canonical price frame",
                value=type(prices).__name__,
                fix="pass the .prices of a FetchResult",
            )
        )
    missing = [c for c in ("ticker", "date", "close") if c not in prices.columns]
    if missing:
        raise PriceDataError(
            located(
                "prices",
                f"missing column(s) {', '.join(missing)}",
                value=list(map(str, prices.columns)),
                fix=f"pass a canonical frame with columns {', '.join(COLUMNS)}",
            )
        )
    if prices.empty:
        return empty_prices()
    frame = _finish(prices)
    if frame["date"].isna().any() or frame["ticker"].isna().any():
        raise PriceDataError(located("prices", "empty ticker or date", fix="drop rows without ticker or date"))
    dup = frame.duplicated(["ticker", "date"])
    if dup.any():
        row = frame.loc[dup].iloc[0]
        raise PriceDataError(
            located(
                f"prices[{row['ticker']} {row['date']:%Y-%m-%d}]",
                "duplicated (ticker, date)",
                fix="keep one row per ticker and date",
            )
        )
    for col in PRICE_COLUMNS:
        frame[col] = frame[col].astype("float64")
    return frame


def _spans_frame(covered: Mapping[str, tuple[Any, Any]], stamp: pd.Timestamp) -> pd.DataFrame:
    rows = [
        (str(t), pd.NaT if a is None else pd.Timestamp(a), pd.Timestamp(b))
        for t, (a, b) in covered.items()
        if b is not None and not pd.isna(b)
    ]
    frame = pd.DataFrame(rows, columns=["ticker", "first_date", "last_date"])
    frame["ticker"] = frame["ticker"].astype(str)
    frame["first_date"] = pd.to_datetime(frame["first_date"]).astype("datetime64[ns]")
    frame["last_date"] = pd.to_datetime(frame["last_date"]).astype("datetime64[ns]")
    frame["updated_at"] = stamp
    return frame


def _with_provenance(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["source"] = pd.Series(dtype=str)
    out["fetched_at"] = pd.Series(dtype="datetime64[ns]")
    return out


def _coverage_frame(raw: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "ticker": raw["ticker"].astype(str),
            "first_date": pd.to_datetime(raw["first_date"]).astype("datetime64[ns]"),
            "last_date": pd.to_datetime(raw["last_date"]).astype("datetime64[ns]"),
            "rows": raw["rows"].astype("int64"),
            "source": raw["source"].astype(str),
            "fetched_at": pd.to_datetime(raw["fetched_at"]).astype("datetime64[ns]"),
        }
    )
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------
# load_prices
# ------------------------------------------------------------------------------------------------------------


def load_prices(
    tickers: Sequence[str],
    start: Any = None,
    end: Any = None,
    *,
    source: PriceSource,
    cache: PriceCache | None = None,
    offline: bool = False,
) -> FetchResult:
    """Prices of ``tickers`` over ``[start, end]`` (inclusive), from the cache where it has them.

    Without a cache, this is ``source.fetch(tickers, start, end)``. With one, each ticker's cached range is
    read and only the missing ends are fetched: ``[start, first cached date - 1]`` and
    ``[last cached date + 1, end]``, or the whole ``[start, end]`` for a ticker that is not cached.
    Tickers that need the same range are fetched in one call. The fetched rows are written to the cache in one
    transaction, and the union is returned.

    Parameters
    ----------
    offline
        Never call the source: a ticker without cached rows in the range goes to ``failures`` with "not in the
        cache (offline)".

    Notes
    -----
    A failed refresh of a ticker that has cached rows does not make it a failure: its cached rows are returned
    and :attr:`FetchResult.notes` says what could not be refreshed. A gap inside the cached range is not
    refetched (holidays and halts make such gaps normal).
    """
    wanted = _check_tickers(tickers)
    s, e = _check_range(start, end)
    if cache is None:
        if offline:
            missing = dict.fromkeys(wanted, "not in the cache (offline; no cache configured)")
            return FetchResult(prices=empty_prices(), failures=missing, source=_name(source))
        return source.fetch(wanted, s, e)

    cached = cache.read(wanted, s, e)
    known = cache._covered(wanted).set_index("ticker")
    if offline:
        have = set(cached["ticker"])
        failures: dict[str, str] = {}
        for t in wanted:
            if t in have:
                continue
            if t in known.index:
                k = known.loc[t]
                failures[t] = (
                    f"not in the cache (offline): no cached rows in {_span(s, e)} "
                    f"(cached {_span(_ts(k['first']), _ts(k['last']))})"
                )
            else:
                failures[t] = "not in the cache (offline)"
        return FetchResult(prices=cached, failures=failures, source=_name(source))

    requests = _plan(wanted, s, e, known)
    fetched: list[pd.DataFrame] = []
    failures = {}
    notes: dict[str, str] = {}
    covered: dict[str, tuple[Any, Any]] = {}
    for (a, b), group in requests.items():
        result = source.fetch(group, a, b)
        fetched.append(result.prices)
        for t, why in result.notes.items():
            notes[t] = why
        got = result.prices.groupby("ticker")["date"].agg(["min", "max"]) if len(result.prices) else None
        for t in group:
            in_cache = t in known.index
            if t in result.failures:
                if in_cache:
                    notes[t] = _join(notes.get(t), f"refresh of {_span(a, b)} failed: {result.failures[t]}")
                    # A gap the source answered with "no rows" (a holiday, before listing) is still answered.
                    if _answered_empty(result.failures[t]):
                        covered[t] = _answered(a, b, None)
                else:
                    failures[t] = result.failures[t]
                continue
            last_seen = None if got is None or t not in got.index else got.loc[t, "max"]
            covered[t] = _answered(a, b, last_seen)
    new = _concat(fetched)
    if len(new) or covered:
        cache.write(new, source=_name(source), covered=covered)
    prices = _union(cached, _between_frame(new, s, e))
    for t in wanted:
        if t not in failures and t not in set(prices["ticker"]):
            failures[t] = f"no rows in {_span(s, e)} (neither cached nor returned by {_name(source)})"
    notes = {t: v for t, v in notes.items() if t not in failures}
    return FetchResult(prices=prices, failures=failures, source=_name(source), notes=notes)


def _name(source: PriceSource) -> str:
    return str(getattr(source, "name", type(source).__name__))


def _ts(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _join(a: str | None, b: str) -> str:
    return b if not a else f"{a}; {b}"


def _answered_empty(reason: str) -> bool:
    return reason.startswith("no rows in ") or " returned no rows for " in reason


def _answered(a: pd.Timestamp | None, b: pd.Timestamp | None, last_seen: Any) -> tuple[Any, Any]:
    """The range a successful answer covers. With an open end only up to the last row returned (newer rows can
    appear later)."""
    if b is None:
        return (a, None if last_seen is None or pd.isna(last_seen) else pd.Timestamp(last_seen))
    return (a, b)


def _plan(
    wanted: Sequence[str], s: pd.Timestamp | None, e: pd.Timestamp | None, known: pd.DataFrame
) -> dict[tuple[pd.Timestamp | None, pd.Timestamp | None], list[str]]:
    """The ranges to fetch, grouped: (start, end) → tickers."""
    plan: dict[tuple[pd.Timestamp | None, pd.Timestamp | None], list[str]] = {}
    for t in wanted:
        if t not in known.index:
            plan.setdefault((s, e), []).append(t)
            continue
        first, last = _ts(known.at[t, "first"]), _ts(known.at[t, "last"])
        unbounded = bool(known.at[t, "unbounded_start"])
        # Each gap reaches up to the cached range, even when the request stops short of it, so that what is
        # known stays one contiguous range.
        if not unbounded and first is not None and (s is None or s < first):
            plan.setdefault((s, first - _DAY), []).append(t)
        if last is not None and (e is None or e > last):
            plan.setdefault((last + _DAY, e), []).append(t)
    return plan


def _between_frame(frame: pd.DataFrame, s: pd.Timestamp | None, e: pd.Timestamp | None) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if s is not None:
        keep &= (frame["date"] >= s).to_numpy()
    if e is not None:
        keep &= (frame["date"] <= e).to_numpy()
    return frame.loc[keep]


def _union(cached: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Cached rows plus fetched rows; a fetched row replaces the cached row of the same ticker and date."""
    if new.empty:
        return cached
    both = pd.concat([cached, new], ignore_index=True)
    both = both.drop_duplicates(["ticker", "date"], keep="last")
    return _concat([both])


# ------------------------------------------------------------------------------------------------------------
# Parquet datasets partitioned by ticker
# ------------------------------------------------------------------------------------------------------------


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def write_parquet_partitions(prices: pd.DataFrame, directory: str | Path) -> Path:
    """Add a canonical price frame to a Parquet dataset partitioned by ticker (the layout of
    :meth:`PriceCache.export_parquet`); a ticker's existing partition files of the same name are replaced."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    frame = _checked_frame(prices)
    if frame.empty:
        return root
    con = duckdb.connect()
    try:
        con.register("incoming_prices", frame)
        con.execute(
            "COPY (SELECT ticker, CAST(date AS DATE) AS date, open, high, low, close, volume FROM incoming_prices "
            f"ORDER BY ticker, date) TO '{_sql_path(root)}' "
            "(FORMAT PARQUET, PARTITION_BY (ticker), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'prices_{i}')"
        )
    finally:
        con.close()
    return root


def read_parquet_partition(directory: str | Path, ticker: str, start: Any = None, end: Any = None) -> pd.DataFrame:
    """One ticker's rows of a Parquet dataset partitioned by ticker, as the canonical price frame.

    Only that ticker's partition is read (DuckDB prunes the others by the ``ticker=`` folder name). A ticker
    without a partition gives an empty frame.
    """
    return read_parquet_partitions(directory, [ticker], start, end)


def read_parquet_partitions(
    directory: str | Path, tickers: Sequence[str], start: Any = None, end: Any = None
) -> pd.DataFrame:
    """The rows of ``tickers`` in a Parquet dataset partitioned by ticker, in one scan that reads only their
    partitions; sorted by ticker and date, as the canonical price frame."""
    root = Path(directory)
    s, e = _check_range(start, end)
    wanted = [str(t) for t in tickers]
    if not wanted or not root.exists() or not any(root.glob("ticker=*")):
        return empty_prices()
    sql = (
        f"SELECT ticker, date, open, high, low, close, volume FROM read_parquet('{_sql_path(root)}/*/*.parquet', "
        "hive_partitioning = true, hive_types = {'ticker': VARCHAR}) WHERE list_contains(?, ticker)"
    )
    params: list[Any] = [wanted]
    if s is not None:
        sql += " AND date >= ?"
        params.append(s.date())
    if e is not None:
        sql += " AND date <= ?"
        params.append(e.date())
    con = duckdb.connect()
    try:
        raw = con.execute(sql + " ORDER BY ticker, date", params).df()
    finally:
        con.close()
    return _finish(raw)
