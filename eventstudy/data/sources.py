"""Price sources: Yahoo Finance, a folder of price files, and a caller's DataFrame.

Every source returns the **canonical price frame**: long format with the columns ``ticker`` (str), ``date``
(``datetime64[ns]``, tz-naive midnight of the exchange-local trading date), ``open``, ``high``, ``low``,
``close`` and ``volume`` (float64, NaN where the source has none), sorted by ticker and date. ``close`` is the
split- and dividend-adjusted close.

A ticker that cannot be had goes into :attr:`FetchResult.failures` with a one-line reason (the study gives it
the outcome ``no_data``); only a misuse of the source itself raises. Invalid data in a file or frame raises a
:class:`~eventstudy.errors.PriceDataError` that names the file, line and column, the value and the fix.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .._registry import Registry
from ..errors import ConfigError, PriceDataError, SourceError, located
from ..paths import check_ticker, not_csv_text
from .stamps import trading_dates, warn_converted, zones_of

__all__ = [
    "PRICE_COLUMNS",
    "COLUMNS",
    "YIELD_TICKERS",
    "FetchResult",
    "PriceMatrix",
    "PriceSource",
    "FileSource",
    "FrameSource",
    "YahooSource",
    "SOURCES",
    "get_source",
    "empty_prices",
    "read_price_file",
    "to_timestamp",
]

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
"""The numeric columns of the canonical price frame."""

COLUMNS: tuple[str, ...] = ("ticker", "date", *PRICE_COLUMNS)
"""The columns of the canonical price frame, in order."""

YIELD_TICKERS: frozenset[str] = frozenset({"^IRX", "^FVX", "^TNX", "^TYX"})
"""Yahoo's Treasury-yield indices. Their "close" is a yield in percent, which can be zero or negative (^IRX
printed negative yields in March 2020), so the positive-close check does not apply to them."""

# Header spellings (lower-cased, stripped) understood in files and frames, mapped to canonical names.
_HEADER_ALIASES: dict[str, str] = {
    "date": "date",
    "datetime": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "adj close": "adj_close",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted close": "adj_close",
    "adjusted_close": "adj_close",
}
_MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "nat", "#n/a", "#na", "#null!", "n.a."})
_DAY = pd.Timedelta(days=1)


# ------------------------------------------------------------------------------------------------------------
# The result type and the protocol
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """What a price source returns.

    Attributes
    ----------
    prices
        The canonical price frame (see the module docstring).
    failures
        ticker → one-line reason, for each requested ticker that the source could not deliver.
    source
        The name of the source.
    notes
        ticker → one-line remark about data that was delivered but is incomplete or was cleaned (e.g. rows a
        vendor sent twice, or a cache refresh that failed). Empty when there is nothing to say.
    """

    prices: pd.DataFrame
    failures: dict[str, str]
    source: str
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def tickers(self) -> list[str]:
        """The tickers that have at least one row, in frame order."""
        return list(pd.unique(self.prices["ticker"]))


@dataclass(frozen=True)
class PriceMatrix:
    """Prices of many tickers as one date × ticker matrix per field: the shape loading works on.

    Attributes
    ----------
    dates
        ``(D,)`` sorted, unique ``datetime64[ns]`` midnights: every date on which some ticker has a row.
    tickers
        ``(N,)`` ticker names, one per column.
    fields
        Canonical column name (``close`` always; ``volume``, ``open``, ``high``, ``low`` when known) → ``(D, N)``
        float64 matrix, NaN where there is no value.
    present
        ``(D, N)`` mask of the cells that are a row of the source (a row may hold an empty close); ``None``
        means the cells with a close.
    failures, source, notes
        As in :class:`FetchResult`.
    """

    dates: np.ndarray
    tickers: np.ndarray
    fields: Mapping[str, np.ndarray]
    present: np.ndarray | None = None
    failures: dict[str, str] = field(default_factory=dict)
    source: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def close(self) -> np.ndarray:
        return self.fields["close"]

    def rows(self) -> np.ndarray:
        """The ``present`` mask, computed from the closes when the source gave none."""
        return ~np.isnan(self.close) if self.present is None else self.present

    @classmethod
    def from_long(cls, fetched: FetchResult) -> PriceMatrix:
        """The matrix of a canonical long frame, in one pass (no per-ticker work).

        Raises
        ------
        PriceDataError
            When a ticker has two rows on one date (``close[DATE]: duplicated date``, as :func:`to_returns` says).
        """
        prices = fetched.prices
        codes, tickers = pd.factorize(prices["ticker"].to_numpy(), sort=True)
        stamps = prices["date"].to_numpy(dtype="datetime64[ns]")
        dates, dpos = np.unique(stamps, return_inverse=True)
        d, n = dates.size, len(tickers)
        flat = codes.astype(np.int64) * d + dpos.astype(np.int64)
        counts = np.bincount(flat, minlength=d * n)
        if d * n and counts.max() > 1:
            i = int(np.flatnonzero(counts[flat] > 1)[0])
            raise PriceDataError(
                located(f"close[{pd.Timestamp(stamps[i]):%Y-%m-%d}]", "duplicated date", fix="keep one row per date")
            )
        present = (counts > 0).reshape(n, d).T.copy()
        fields = {}
        for col in PRICE_COLUMNS:
            values = prices[col].to_numpy(dtype="float64", na_value=np.nan) if col in prices else None
            if values is None or (col != "close" and np.isnan(values).all()):
                continue
            mat = np.full((d, n), np.nan)
            mat[dpos, codes] = values
            fields[col] = mat
        return cls(
            dates=dates,
            tickers=np.asarray(tickers, dtype=object),
            fields=fields,
            present=present,
            failures=dict(fetched.failures),
            source=fetched.source,
            notes=dict(fetched.notes),
        )

    def to_long(self) -> pd.DataFrame:
        """The canonical long frame of the matrix (rows sorted by ticker and date)."""
        order = np.argsort(self.tickers.astype(str), kind="stable")
        present = self.rows()[:, order]
        cols, rows = np.nonzero(present.T)
        if rows.size == 0:
            return empty_prices()
        out = pd.DataFrame({"ticker": self.tickers[order][cols].astype(str), "date": self.dates[rows]})
        for col in PRICE_COLUMNS:
            mat = self.fields.get(col)
            out[col] = mat[:, order][rows, cols] if mat is not None else np.nan
        out["ticker"] = out["ticker"].astype(str)
        return out


@runtime_checkable
class PriceSource(Protocol):
    """Anything that delivers canonical prices for a list of tickers.

    ``start`` and ``end`` are inclusive dates (``None``: unbounded). A ticker that cannot be had goes into
    ``failures``; only a misuse of the source raises.
    """

    name: str

    def fetch(
        self,
        tickers: Sequence[str],
        start: Any = None,
        end: Any = None,
    ) -> FetchResult: ...


# ------------------------------------------------------------------------------------------------------------
# Small helpers shared by the sources (and by the cache)
# ------------------------------------------------------------------------------------------------------------


def empty_prices() -> pd.DataFrame:
    """An empty canonical price frame with the right dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    frame["ticker"] = frame["ticker"].astype(str)
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns, dtypes and order of the canonical frame (missing numeric columns become NaN)."""
    if frame.empty:
        return empty_prices()
    out = pd.DataFrame(index=range(len(frame)))
    ticker = frame["ticker"]
    out["ticker"] = ticker.to_numpy() if pd.api.types.is_string_dtype(ticker.dtype) else ticker.astype(str).to_numpy()
    out["ticker"] = out["ticker"].astype(str)
    out["date"] = pd.DatetimeIndex(frame["date"]).astype("datetime64[ns]")
    for col in PRICE_COLUMNS:
        out[col] = frame[col].to_numpy(dtype="float64") if col in frame else np.nan
    return out.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_prices()
    return _finish(pd.concat(frames, ignore_index=True))


def to_timestamp(value: Any, *, where: str) -> pd.Timestamp | None:
    """A date-like parameter as a tz-naive midnight :class:`pandas.Timestamp` (``None`` stays ``None``).

    A tz-aware value keeps its local date.
    """
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ConfigError(located(where, "not a date", value=value, fix="pass a date such as '2025-04-04'"))
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _check_range(start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    s = to_timestamp(start, where="start")
    e = to_timestamp(end, where="end")
    if s is not None and e is not None and s > e:
        raise ConfigError(
            located("start", f"start is after end {e:%Y-%m-%d}", value=f"{s:%Y-%m-%d}", fix="swap start and end")
        )
    return s, e


def _check_tickers(tickers: Sequence[str]) -> list[str]:
    """The requested tickers, de-duplicated in order; a bare string or a non-string ticker is a misuse."""
    if isinstance(tickers, str | bytes):
        raise ConfigError(
            located(
                "tickers",
                "expected a list of tickers, not one string",
                value=tickers,
                fix=f"pass [{tickers!r}]",
            )
        )
    out: list[str] = []
    for t in tickers:
        if not isinstance(t, str) or not t.strip():
            raise ConfigError(
                located(
                    "tickers",
                    "each ticker must be a non-empty string",
                    value=t,
                    fix="spell tickers as Yahoo does, e.g. 'LYC.AX'",
                )
            )
        if t not in out:
            out.append(t)
    return out


def _between(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["date"] >= start).to_numpy()
    if end is not None:
        keep &= (frame["date"] <= end).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


def _no_rows_reason(frame: pd.DataFrame, start: Any, end: Any, path: Path) -> str:
    """Why a price file gave no rows in the requested span: it is empty, or it covers other dates."""
    have = (
        "the file has no rows"
        if frame.empty
        else f"the file covers {_span(frame['date'].iloc[0], frame['date'].iloc[-1])}"
    )
    return f"no rows in {_span(start, end)} in {path.name} ({have})"


def _span(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    a = "the first date" if start is None else f"{start:%Y-%m-%d}"
    b = "the last date" if end is None else f"{end:%Y-%m-%d}"
    return f"{a}..{b}"


def _to_float(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of cells into float64.

    Returns ``(values, missing, bad)``: the numbers (NaN where missing or bad), a mask of empty/NA cells and a
    mask of cells that are neither numbers nor empty.
    """
    if pd.api.types.is_bool_dtype(raw.dtype):
        n = len(raw)
        return np.full(n, np.nan), np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(values)
        return values, missing, np.zeros(len(raw), dtype=bool)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    missing = np.zeros(len(raw), dtype=bool)
    unparsed = np.flatnonzero(np.isnan(numbers))
    if unparsed.size:
        cells = raw.iloc[unparsed]
        text = cells.astype(object).where(cells.notna(), "").astype(str).str.strip().str.lower()
        missing[unparsed] = text.isin(_MISSING_TOKENS).to_numpy()
    bad = np.isnan(numbers) & ~missing
    return numbers, missing, bad


def _parse_dates(raw: pd.Series) -> pd.Series:
    """Dates as datetime64[ns] midnight (NaT where unparseable).

    Strings are read as ISO dates from their first 10 characters, so ``2024-01-02 00:00:00+11:00`` is the
    local date 2024-01-02. Datetime values keep their local date (a tz-aware value is not converted to UTC).
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.dt.normalize().astype("datetime64[ns]")
    if raw.dtype == object:
        # Python date/datetime/Timestamp objects (e.g. from a DataFrame built by hand).
        stamps = raw.map(lambda v: v if isinstance(v, str) else _date_like(v))
        raw = stamps
    if not pd.api.types.is_string_dtype(raw.dtype) or raw.isna().any():
        raw = raw.astype(object).where(raw.notna(), "").astype(str)
    text = raw.str.strip().str.slice(0, 10)
    return pd.Series(pd.to_datetime(text, format="%Y-%m-%d", errors="coerce"), index=raw.index).astype("datetime64[ns]")


def _date_like(value: Any) -> str:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(ts):
        return ""
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return f"{ts:%Y-%m-%d}"


def _validate(
    raw_dates: pd.Series,
    raw_values: Mapping[str, pd.Series],
    *,
    where: Callable[[int, str], str],
    display: Mapping[str, str],
    allow_nonpositive: bool,
    require_sorted: bool,
    fix_sort: str = "sort the file by date",
    zone: str | None = None,
) -> pd.DataFrame:
    """Validate one ticker's rows and return ``date`` plus the numeric columns (positional index).

    ``where(i, column)`` formats the location of row position ``i``; ``display`` maps canonical names to the
    column names the user wrote. Timestamps that are not dates are read in the exchange's ``zone``, or refused
    (:func:`eventstudy.data.stamps.trading_dates`); what was converted is in ``attrs["date_note"]``.
    """
    n = len(raw_dates)
    stamped = trading_dates(raw_dates, zone=zone, where=lambda i: where(i, display["date"]))
    dates = stamped.dates
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise PriceDataError(
            located(
                where(i, display["date"]),
                "unparseable date",
                value=_cell(raw_dates.iloc[i]),
                fix="write dates as YYYY-MM-DD (a time or UTC-offset suffix is allowed)",
            )
        )

    out = pd.DataFrame({"date": dates})
    out.attrs["date_note"] = stamped.note
    for col, raw in raw_values.items():
        values, missing, bad_mask = _to_float(raw.reset_index(drop=True))
        if bad_mask.any():
            i = int(np.flatnonzero(bad_mask)[0])
            value = _cell(raw.iloc[i])
            fix = "write a plain number with '.' as the decimal mark, or leave the cell empty"
            if isinstance(value, str) and "," in value:
                fix = "write numbers with '.' as the decimal mark and no thousands separator"
            raise PriceDataError(located(where(i, display[col]), "not a number", value=value, fix=fix))
        inf = np.isinf(values)
        if inf.any():
            i = int(np.flatnonzero(inf)[0])
            raise PriceDataError(
                located(
                    where(i, display[col]),
                    "infinite value",
                    value=_cell(raw.iloc[i]),
                    fix="replace it with the real value or leave the cell empty",
                )
            )
        if col == "close":
            if missing.any():
                i = int(np.flatnonzero(missing)[0])
                raise PriceDataError(
                    located(
                        where(i, display[col]),
                        "empty close",
                        value=_cell(raw.iloc[i]),
                        fix="fill in the adjusted close or delete the row (a missing day needs no row)",
                    )
                )
            if not allow_nonpositive:
                nonpos = values <= 0
                if nonpos.any():
                    i = int(np.flatnonzero(nonpos)[0])
                    raise PriceDataError(
                        located(
                            where(i, display[col]),
                            "close must be positive",
                            value=_cell(raw.iloc[i]),
                            fix="correct the price or delete the row",
                        )
                    )
        out[col] = values

    stamps = dates.to_numpy()
    if n > 1:
        dup = np.flatnonzero(dates.duplicated().to_numpy())
        if dup.size:
            i = int(dup[0])
            j = int(np.flatnonzero(stamps == stamps[i])[0])
            raise PriceDataError(
                located(
                    where(i, display["date"]),
                    f"duplicated date, first at {where(j, display['date'])}",
                    value=_cell(raw_dates.iloc[i]),
                    fix="keep one row per date",
                )
            )
        if require_sorted:
            back = np.flatnonzero(stamps[1:] < stamps[:-1])
            if back.size:
                i = int(back[0]) + 1
                raise PriceDataError(
                    located(
                        where(i, display["date"]),
                        f"dates are not sorted ascending ({_cell(raw_dates.iloc[i])} comes after "
                        f"{_cell(raw_dates.iloc[i - 1])})",
                        value=_cell(raw_dates.iloc[i]),
                        fix=fix_sort,
                    )
                )
    return out


def _cell(value: Any) -> Any:
    """A cell value for an error message (numpy scalars as plain Python values)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return str(value)
    return value


def _map_headers(columns: Sequence[Hashable], *, where: str) -> tuple[dict[str, str], list[str]]:
    """Canonical name → the column's name as written, for the columns we understand.

    Raises when two columns map to the same canonical name.
    """
    found: dict[str, str] = {}
    for col in columns:
        name = str(col).strip().lstrip("\ufeff").strip().strip('"').lower()
        canon = _HEADER_ALIASES.get(name)
        if canon is None:
            continue
        if canon in found:
            raise PriceDataError(
                located(where, f"columns {found[canon]!r} and {col!r} both mean {canon!r}", fix="keep one of them")
            )
        found[canon] = str(col)
    return found, [str(c) for c in columns]


def _require_columns(found: Mapping[str, str], names: Sequence[str], *, where: str) -> None:
    missing = [c for c in ("date", "close") if c not in found and not (c == "close" and "adj_close" in found)]
    if missing:
        raise PriceDataError(
            located(
                where,
                f"no {' or '.join(repr(m) for m in missing)} column (columns found: "
                f"{', '.join(names) if names else 'none'})",
                fix="name the columns date and close (or Date and Adj Close); open, high, low and volume are optional",
            )
        )


def _price_columns(found: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """Which source column feeds each canonical price column, and whether open/high/low need rescaling.

    With an ``Adj Close`` column, it is the close; a raw ``Close`` beside it only serves to put open, high and
    low on the adjusted basis (multiplied by adj_close / close, as yfinance's ``auto_adjust`` does).
    """
    use = {c: found[c] for c in PRICE_COLUMNS if c in found}
    rescale = False
    if "adj_close" in found:
        use["close"] = found["adj_close"]
        rescale = "close" in found
    return use, rescale


def _adjust_ohl(checked: pd.DataFrame, raw_close: pd.Series, *, where: Callable[[int, str], str], column: str) -> None:
    """Put open/high/low on the adjusted basis: multiply by adjusted close / raw close (in place)."""
    raw = raw_close.reset_index(drop=True)
    values, _, bad = _to_float(raw)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PriceDataError(
            located(
                where(i, column),
                "not a number",
                value=_cell(raw.iloc[i]),
                fix="write a plain number with '.' as the decimal mark, or leave the cell empty",
            )
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = checked["close"].to_numpy() / values
    ratio[~np.isfinite(ratio)] = np.nan
    for col in ("open", "high", "low"):
        if col in checked:
            checked[col] = checked[col].to_numpy() * ratio


# ------------------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------------------


def read_price_file(
    path: str | Path,
    *,
    ticker: str | None = None,
    allow_nonpositive: bool | None = None,
    zone: str | None = None,
) -> pd.DataFrame:
    """Read and validate one price file (``.csv`` or ``.parquet``) into the canonical frame.

    Parameters
    ----------
    path
        The file. CSV files may be comma-, semicolon- or tab-delimited, with or without a UTF-8 BOM and with
        LF or CRLF line endings; headers are matched case-insensitively.
    ticker
        The ticker written into the ``ticker`` column; default: the file name without its extension.
    allow_nonpositive
        Accept zero and negative closes (for yields). Default: only for :data:`YIELD_TICKERS`.
    zone
        The IANA zone of the ticker's exchange: date-times with a UTC offset are read as its trading dates (with
        a :class:`~eventstudy.errors.DataWarning`); without it they are refused (:mod:`eventstudy.data.stamps`).

    Notes
    -----
    Accepted layouts: the canonical ``date,open,high,low,close,volume`` (every column except ``date`` and
    ``close`` may be absent or empty), and yfinance's
    ``Date,Open,High,Low,Close,Adj Close,Volume[,Dividends,Stock Splits]``. With ``Adj Close``, it becomes
    ``close`` and open/high/low are rescaled by ``Adj Close / Close``. A date with midnight and any UTC offset
    (``2024-01-02 00:00:00+11:00``) is that date; other times follow :mod:`eventstudy.data.stamps`. Unknown
    columns are ignored.

    Raises
    ------
    PriceDataError
        Naming ``FILE:LINE:COLUMN`` (line 1 is the header; for Parquet, ``FILE:row N:COLUMN`` with data rows
        from 1): missing ``date``/``close`` column, unparseable date, non-numeric cell, empty, zero, negative
        or infinite close, duplicated date, dates not sorted ascending.
    """
    path = Path(path)
    ticker = ticker if ticker is not None else _ticker_of(path)
    if allow_nonpositive is None:
        allow_nonpositive = ticker.upper() in YIELD_TICKERS
    checked = _read_checked(path, allow_nonpositive=allow_nonpositive, zone=zone)
    checked.insert(0, "ticker", ticker)
    out = _finish(checked)
    out.attrs["date_note"] = checked.attrs.get("date_note", "")
    return out


def _read_checked(path: Path, *, allow_nonpositive: bool, zone: str | None = None) -> pd.DataFrame:
    """One price file read and validated (:func:`read_price_file`): ``date`` and the price columns it has, in
    date order, without the ticker column (``attrs["date_note"]``: the timestamps converted, if any)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = _read_parquet(path)

        def where(i: int, col: str) -> str:
            return f"{path}:row {i + 1}:{col}"

        header_where = str(path)
    else:
        table = _read_csv(path)

        def where(i: int, col: str) -> str:
            return f"{path}:{i + 2}:{col}"

        header_where = f"{path}:1"
    found, names = _map_headers(table.columns, where=header_where)
    _require_columns(found, names, where=header_where)
    use, rescale = _price_columns(found)
    display = {"date": found["date"], **use}
    if suffix != ".parquet" and len(table):
        # Blank lines (e.g. a trailing empty line) are not data rows.
        maybe = np.flatnonzero((table[found["date"]].str.strip() == "").to_numpy())
        if maybe.size:
            cells = table.iloc[maybe].astype(str).apply(lambda col: col.str.strip())
            blank = maybe[(cells == "").all(axis=1).to_numpy()]
            table = table.drop(index=table.index[blank])
    positions = table.index.to_numpy()

    def where_row(i: int, col: str) -> str:
        return where(int(positions[i]), col)

    checked = _validate(
        table[found["date"]],
        {c: table[src] for c, src in use.items()},
        where=where_row,
        display=display,
        allow_nonpositive=allow_nonpositive,
        require_sorted=True,
        zone=zone,
    )
    if checked.attrs.get("date_note"):
        warn_converted(str(path), checked.attrs["date_note"])
    if rescale:
        _adjust_ohl(checked, table[found["close"]], where=where_row, column=found["close"])
    return checked


def _ticker_of(path: Path) -> str:
    name = path.name
    for ext in (".csv", ".parquet"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return path.stem


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
        binary = not_csv_text(raw[:8])
        if binary is not None:
            raise PriceDataError(located(f"{path}:1", binary[0], fix=binary[1]))
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PriceDataError(
            located(str(path), f"not UTF-8 text (byte {exc.start})", fix="save the file as UTF-8 CSV")
        ) from None
    except OSError as exc:
        raise PriceDataError(
            located(str(path), f"cannot read the file: {exc.strerror}", fix="check the path and its permissions")
        ) from None
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise PriceDataError(
            located(f"{path}:1", "empty file or empty header line", fix="start the file with a header: date,close")
        )
    sep = max((",", ";", "\t"), key=header.count)
    names = [c.strip().lstrip("\ufeff").strip().strip('"').lower() for c in next(csv.reader([header], delimiter=sep))]
    seen: dict[str, int] = {}
    for i, col in enumerate(names, start=1):
        if col and col in seen:
            raise PriceDataError(
                located(
                    f"{path}:1",
                    f"column {col!r} appears twice (columns {seen[col]} and {i})",
                    fix="delete one of them",
                )
            )
        seen[col] = i
    try:
        return pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, na_filter=False, skip_blank_lines=False, engine="c", index_col=False
        )
    except pd.errors.ParserError as exc:
        raise PriceDataError(
            located(
                str(path),
                f"malformed CSV: {exc}".strip(),
                fix="every line needs as many fields as the header",
            )
        ) from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise PriceDataError(
            located(
                str(path),
                f"cannot read the Parquet file ({type(exc).__name__}: {exc})",
                fix="rewrite it with pandas.DataFrame.to_parquet, or use CSV",
            )
        ) from None
    idx_name = str(table.index.name or "").strip().lower()
    if isinstance(table.index, pd.DatetimeIndex) or _HEADER_ALIASES.get(idx_name) == "date":
        name = table.index.name or "date"
        table = table.rename_axis(name).reset_index()
    else:
        table = table.reset_index(drop=True)
    return table


class FileSource:
    """Prices from a folder with one file per ticker: ``<TICKER>.csv`` or ``<TICKER>.parquet``.

    The ticker is spelled as Yahoo spells it (``LYC.AX.csv``, ``^TNX.csv``, ``600111.SS.csv``). See
    :func:`read_price_file` for the accepted layouts and the validation.

    Parameters
    ----------
    directory
        The folder (the command line's ``--prices-dir`` or ``EVENTSTUDY_PRICES_DIR``).
    name
        The source's name in results and in the cache.
    yield_tickers
        Tickers whose close is a yield and may be zero or negative.
    zones
        Ticker → the IANA zone of its exchange: date-times with a UTC offset are read as trading dates there
        (:mod:`eventstudy.data.stamps`; a study sets them from its universe, :meth:`with_zones`).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        name: str = "files",
        yield_tickers: Collection[str] = YIELD_TICKERS,
        zones: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.name = name
        self.yield_tickers = frozenset(t.upper() for t in yield_tickers)
        self.zones = dict(zones or {})
        self._check_dir()

    def with_zones(self, zones: Mapping[str, str]) -> FileSource:
        """The same folder, each ticker's timestamps read in its exchange's zone."""
        return FileSource(self.directory, name=self.name, yield_tickers=self.yield_tickers, zones=zones)

    def __repr__(self) -> str:
        return f"FileSource({str(self.directory)!r}, name={self.name!r})"

    def _check_dir(self) -> None:
        if not self.directory.is_dir():
            what = "is not a directory" if self.directory.exists() else "does not exist"
            raise PriceDataError(
                located(
                    str(self.directory),
                    f"price directory {what}",
                    fix="point --prices-dir (or EVENTSTUDY_PRICES_DIR) at the folder of <TICKER>.csv files",
                )
            )

    def path_of(self, ticker: str) -> Path | None:
        """The file holding ``ticker`` (exact name first, then case-insensitive), or None.

        The ticker must match :data:`eventstudy.paths.TICKER_PATTERN` (no separator, no ``..``), and the file must
        lie directly inside the folder: a symbolic link that leads elsewhere is refused.
        """
        check_ticker(ticker, where=f"{self.directory}: ticker", error=PriceDataError)
        found = []
        for ext in (".csv", ".parquet"):
            p = self.directory / f"{ticker}{ext}"
            if p.is_file():
                found.append(p)
        if not found:
            wanted = {f"{ticker}.csv".lower(), f"{ticker}.parquet".lower()}
            found = sorted(p for p in self.directory.iterdir() if p.name.lower() in wanted and p.is_file())
        if len(found) > 1:
            raise PriceDataError(
                located(
                    str(self.directory),
                    f"several files for ticker {ticker}",
                    value=[p.name for p in found],
                    fix="keep one file per ticker",
                )
            )
        if not found:
            return None
        path = found[0]
        if path.resolve().parent != self.directory.resolve():
            raise PriceDataError(
                located(
                    str(path),
                    f"the price file of {ticker} is a link to a file outside {self.directory}",
                    value=str(path.resolve()),
                    fix="copy the file into the price folder instead of linking it",
                )
            )
        return path

    def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
        """Read the files of ``tickers``, keeping the dates in ``[start, end]`` (inclusive)."""
        wanted = _check_tickers(tickers)
        s, e = _check_range(start, end)
        self._check_dir()
        frames, failures, notes = [], {}, {}
        for ticker in wanted:
            path = self.path_of(ticker)
            if path is None:
                failures[ticker] = f"no price file {ticker}.csv or .parquet in {self.directory}"
                continue
            frame = read_price_file(
                path,
                ticker=ticker,
                allow_nonpositive=ticker.upper() in self.yield_tickers,
                zone=zones_of(self.zones, ticker),
            )
            if frame.attrs.get("date_note"):
                notes[ticker] = f"{path.name}: {frame.attrs['date_note']}"
            kept = _between(frame, s, e)
            if kept.empty:
                failures[ticker] = _no_rows_reason(frame, s, e, path)
                continue
            frames.append(kept)
        return FetchResult(prices=_concat(frames), failures=failures, source=self.name, notes=notes)

    def fetch_matrix(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> PriceMatrix:
        """:meth:`fetch` as a :class:`PriceMatrix`: each file is read and validated as by :func:`read_price_file`,
        and its rows go straight into the matrix (no long frame of every ticker's rows is built)."""
        wanted = _check_tickers(tickers)
        s, e = _check_range(start, end)
        self._check_dir()
        kept: list[tuple[str, pd.DataFrame]] = []
        failures, notes = {}, {}
        for ticker in wanted:
            path = self.path_of(ticker)
            if path is None:
                failures[ticker] = f"no price file {ticker}.csv or .parquet in {self.directory}"
                continue
            frame = _read_checked(
                path, allow_nonpositive=ticker.upper() in self.yield_tickers, zone=zones_of(self.zones, ticker)
            )
            if frame.attrs.get("date_note"):
                notes[ticker] = f"{path.name}: {frame.attrs['date_note']}"
            rows = _between(frame, s, e)
            if rows.empty:
                failures[ticker] = _no_rows_reason(frame, s, e, path)
                continue
            kept.append((ticker, rows))
        stamps = [rows["date"].to_numpy(dtype="datetime64[ns]") for _, rows in kept]
        dates = np.unique(np.concatenate(stamps)) if stamps else np.array([], dtype="datetime64[ns]")
        fields: dict[str, np.ndarray] = {}
        for j, ((_, rows), at) in enumerate(zip(kept, stamps, strict=True)):
            pos = np.searchsorted(dates, at)
            for col in PRICE_COLUMNS:
                if col in rows:
                    mat = fields.get(col)
                    if mat is None:
                        mat = fields[col] = np.full((dates.size, len(kept)), np.nan)
                    mat[pos, j] = rows[col].to_numpy(dtype="float64")
        fields.setdefault("close", np.full((dates.size, len(kept)), np.nan))
        present = np.zeros((dates.size, len(kept)), dtype=bool)
        for j, at in enumerate(stamps):
            present[np.searchsorted(dates, at), j] = True
        return PriceMatrix(
            dates=dates,
            tickers=np.array([t for t, _ in kept], dtype=object),
            fields=fields,
            present=present,
            failures=failures,
            source=self.name,
            notes=notes,
        )

    def manifest(self) -> pd.DataFrame:
        """``MANIFEST.csv`` of the folder as a frame of strings (an empty frame when there is none)."""
        path = self.directory / "MANIFEST.csv"
        if not path.is_file():
            return pd.DataFrame()
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


# ------------------------------------------------------------------------------------------------------------
# A caller's DataFrame
# ------------------------------------------------------------------------------------------------------------


class FrameSource:
    """Prices from a DataFrame the caller already has.

    Two shapes are accepted:

    * **long**: columns ``ticker``, ``date``, ``close`` and optionally ``open``, ``high``, ``low``, ``volume``
      (or ``Adj Close``), matched case-insensitively; the date may also be the index;
    * **wide**: a DatetimeIndex of dates and one column of closes per ticker. Empty cells mean "no price that
      day" (a wide frame pads the union of dates) and are skipped.

    The frame is validated when the source is built, with the checks of :func:`read_price_file`; errors name
    the row by ticker and date, and the column. Rows need not be sorted.

    The source keeps the prices as one date × ticker matrix (:class:`PriceMatrix`, see :meth:`fetch_matrix`);
    the checks run on whole columns at once, and only when one fails are the rows checked ticker by ticker, to
    name the first offending row exactly.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        name: str = "frame",
        yield_tickers: Collection[str] = YIELD_TICKERS,
    ) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise ConfigError(
                located(
                    "frame",
                    "expected a pandas DataFrame",
                    value=type(frame).__name__,
                    fix="pass a long (ticker, date, close) or wide (dates × tickers) frame",
                )
            )
        self.name = name
        self.yield_tickers = frozenset(t.upper() for t in yield_tickers)
        lowered = {str(c).strip().lower() for c in frame.columns}
        self._matrix = self._long(frame) if "ticker" in lowered else self._wide(frame)
        self._prices: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"FrameSource(<{len(self._matrix.tickers)} tickers>, name={self.name!r})"

    @property
    def prices(self) -> pd.DataFrame:
        """The validated prices as the canonical long frame (built on first use)."""
        if self._prices is None:
            self._prices = self._matrix.to_long()
        return self._prices

    def _matrix_of(self, frame: pd.DataFrame) -> PriceMatrix:
        return PriceMatrix.from_long(FetchResult(prices=frame, failures={}, source=self.name))

    def _long(self, frame: pd.DataFrame) -> PriceMatrix:
        idx_name = str(frame.index.name or "").strip().lower()
        has_date_col = any(_HEADER_ALIASES.get(str(c).strip().lower()) == "date" for c in frame.columns)
        if not has_date_col and (isinstance(frame.index, pd.DatetimeIndex) or idx_name in ("date", "datetime")):
            frame = frame.rename_axis(frame.index.name or "date").reset_index()
        found, names = _map_headers(frame.columns, where="frame")
        tcol = next(c for c in frame.columns if str(c).strip().lower() == "ticker")
        _require_columns(found, names, where="frame")
        use, rescale = _price_columns(found)
        fast = self._long_fast(frame, tcol, found, use, rescale)
        if fast is not None:
            return fast
        return self._matrix_of(self._long_rows(frame, tcol, found, use, rescale))

    def _long_fast(
        self, frame: pd.DataFrame, tcol: Hashable, found: Mapping[str, str], use: Mapping[str, str], rescale: bool
    ) -> PriceMatrix | None:
        """The matrix of a long frame with every check run on whole columns; None when any check fails (the
        ticker-by-ticker path then names the first offending row)."""
        codes, uniques = pd.factorize(frame[tcol].to_numpy(), use_na_sentinel=True)
        labels = np.array([str(u) for u in uniques], dtype=object)
        if (codes < 0).any() or any(not u.strip() for u in labels) or len(set(labels)) < len(labels):
            return None
        dates = _parse_dates(frame[found["date"]].reset_index(drop=True))
        if dates.isna().any():
            return None
        fields = {}
        for col, src in use.items():
            values, missing, bad = _to_float(frame[src].reset_index(drop=True))
            if bad.any() or np.isinf(values).any():
                return None
            if col == "close":
                if missing.any():
                    return None
                allowed = np.array([u.upper() in self.yield_tickers for u in labels], dtype=bool)
                if (~allowed[codes] & (values <= 0)).any():
                    return None
            fields[col] = values
        if rescale:
            raw, _, bad = _to_float(frame[found["close"]].reset_index(drop=True))
            if bad.any():
                return None
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = fields["close"] / raw
            ratio[~np.isfinite(ratio)] = np.nan
            for col in ("open", "high", "low"):
                if col in fields:
                    fields[col] = fields[col] * ratio
        order = np.argsort(labels.astype(str), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        codes = rank[codes]
        uniq, dpos = np.unique(dates.to_numpy(dtype="datetime64[ns]"), return_inverse=True)
        d, n = uniq.size, labels.size
        flat = codes.astype(np.int64) * d + dpos.astype(np.int64)
        counts = np.bincount(flat, minlength=d * n)
        if d * n and counts.max() > 1:
            return None  # a duplicated date: named by the row-by-row path
        out = {}
        for col, values in fields.items():
            mat = np.full((d, n), np.nan)
            mat[dpos, codes] = values
            out[col] = mat
        return PriceMatrix(dates=uniq, tickers=labels[order], fields=out, source=self.name)

    def _long_rows(
        self, frame: pd.DataFrame, tcol: Hashable, found: Mapping[str, str], use: Mapping[str, str], rescale: bool
    ) -> pd.DataFrame:
        """The long frame checked ticker by ticker: slow, but it names the first offending row of the first
        ticker (in sorted order) exactly."""
        display = {"date": found["date"], **use}
        tickers = frame[tcol]
        bad = tickers.isna() | (tickers.astype(object).astype(str).str.strip() == "")
        if bad.any():
            label = frame.index[np.flatnonzero(bad.to_numpy())[0]]
            raise PriceDataError(located(f"frame[row {label!r}]:{tcol}", "empty ticker", fix="give every row a ticker"))
        frames = []
        for ticker, rows in frame.groupby(tickers.astype(str), sort=True):
            dates = rows[found["date"]]

            def where(i: int, col: str, _t: str = str(ticker), _d: pd.Series = dates) -> str:
                return f"frame[{_t} {_date_label(_d.iloc[i])}]:{col}"

            checked = _validate(
                dates,
                {c: rows[src] for c, src in use.items()},
                where=where,
                display=display,
                allow_nonpositive=str(ticker).upper() in self.yield_tickers,
                require_sorted=False,
            )
            if rescale:
                _adjust_ohl(checked, rows[found["close"]], where=where, column=found["close"])
            checked.insert(0, "ticker", str(ticker))
            frames.append(checked)
        return _concat(frames)

    def _wide(self, frame: pd.DataFrame) -> PriceMatrix:
        index = pd.Series(frame.index, index=range(len(frame)))
        dates = _parse_dates(index)
        if dates.isna().any():
            i = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise PriceDataError(
                located(
                    f"frame.index[{i}]",
                    "not a date",
                    value=_cell(index.iloc[i]),
                    fix="index a wide frame by date (a DatetimeIndex), one column of closes per ticker, or "
                    "pass a long frame with ticker, date and close columns",
                )
            )
        fast = self._wide_fast(frame, dates)
        if fast is not None:
            return fast
        return self._matrix_of(self._wide_rows(frame, index, dates))

    def _wide_fast(self, frame: pd.DataFrame, dates: pd.Series) -> PriceMatrix | None:
        """The matrix of a wide frame of numbers with every check run on the whole matrix; None when a check
        fails or the frame needs the column-by-column path (repeated dates or tickers, cells that are not
        numbers)."""
        labels = np.array([str(c) for c in frame.columns], dtype=object)
        if len(set(labels)) < labels.size or dates.duplicated().any():
            return None
        if not all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes):
            return None
        values = frame.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        if np.isinf(values).any():
            return None
        allowed = np.array([u.upper() in self.yield_tickers for u in labels], dtype=bool)
        with np.errstate(invalid="ignore"):
            if ((values <= 0) & ~allowed[None, :]).any():
                return None
        stamps = dates.to_numpy(dtype="datetime64[ns]")
        order = np.argsort(stamps, kind="stable")
        cols = np.argsort(labels.astype(str), kind="stable")
        if not (np.all(order == np.arange(order.size)) and np.all(cols == np.arange(cols.size))):
            values = values[np.ix_(order, cols)]
        return PriceMatrix(dates=stamps[order], tickers=labels[cols], fields={"close": values}, source=self.name)

    def _wide_rows(self, frame: pd.DataFrame, index: pd.Series, dates: pd.Series) -> pd.DataFrame:
        """The wide frame checked column by column (names the first offending cell exactly)."""
        frames = []
        for col in frame.columns:
            raw = frame[col].reset_index(drop=True)
            _, missing, _ = _to_float(raw)
            keep = ~missing
            rows_dates = index[keep]

            def where(i: int, c: str, _d: pd.Series = rows_dates) -> str:
                return f"frame[{_date_label(_d.iloc[i])}]:{c}"

            checked = _validate(
                rows_dates,
                {"close": raw[keep]},
                where=where,
                display={"date": "index", "close": str(col)},
                allow_nonpositive=str(col).upper() in self.yield_tickers,
                require_sorted=False,
            )
            checked.insert(0, "ticker", str(col))
            frames.append(checked)
        return _concat(frames)

    def fetch_matrix(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> PriceMatrix:
        """The prices of ``tickers`` with dates in ``[start, end]`` (inclusive) as a :class:`PriceMatrix`, one
        column per requested ticker that has a row there (the others in ``failures``, as :meth:`fetch` says)."""
        wanted = _check_tickers(tickers)
        s, e = _check_range(start, end)
        m = self._matrix
        keep = np.ones(m.dates.size, dtype=bool)
        if s is not None:
            keep &= m.dates >= np.datetime64(s, "ns")
        if e is not None:
            keep &= m.dates <= np.datetime64(e, "ns")
        at = pd.Index(m.tickers).get_indexer(wanted)
        rows = np.flatnonzero(keep)
        present = m.rows()
        failures, cols, names = {}, [], []
        for t, j in zip(wanted, at, strict=True):
            if j < 0:
                failures[t] = f"{t} is not in the frame"
            elif not present[rows, j].any():
                failures[t] = f"no rows in {_span(s, e)} in the frame"
            else:
                cols.append(j)
                names.append(t)
        sub = np.ix_(rows, np.asarray(cols, dtype=np.int64))
        return PriceMatrix(
            dates=m.dates[rows],
            tickers=np.asarray(names, dtype=object),
            fields={k: v[sub] for k, v in m.fields.items()},
            present=None if m.present is None else m.present[sub],
            failures=failures,
            source=self.name,
        )

    def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
        """The rows of ``tickers`` with dates in ``[start, end]`` (inclusive)."""
        got = self.fetch_matrix(tickers, start, end)
        return FetchResult(prices=got.to_long(), failures=got.failures, source=self.name)


def _date_label(value: Any) -> str:
    if isinstance(value, pd.Timestamp | np.datetime64):
        ts = pd.Timestamp(value)
        return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else str(ts)
    return str(value)


# ------------------------------------------------------------------------------------------------------------
# Yahoo Finance
# ------------------------------------------------------------------------------------------------------------

_YAHOO_FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
_YAHOO_ALL_FIELDS = {*_YAHOO_FIELDS, "Adj Close", "Dividends", "Stock Splits", "Capital Gains", "Repaired?"}


class YahooSource:
    """Daily prices from Yahoo Finance through :func:`yfinance.download` (``auto_adjust=True``).

    Parameters
    ----------
    batch_size
        Tickers per ``yfinance.download`` call.
    retries
        How many times a batch is retried after throttling: HTTP 429, a rate limit, a server error, a read
        timeout, or an empty answer (Yahoo's usual answer to throttling). After the last retry the batch's
        tickers go to ``failures`` with the last reason. A connection, DNS or TLS failure is never retried: the
        fetch stops at the first one with :class:`~eventstudy.data.network.NoNetworkError`.
    backoff
        Base of the exponential backoff: retry ``a`` (from 0) waits ``backoff * 2**a`` seconds plus a jitter
        drawn uniformly from ``[0, backoff)``.
    timeout
        Passed to ``yfinance.download``.
    progress
        Show a progress bar over the batches on stderr.
    download
        The download function (default :func:`yfinance.download`); injectable for tests.
    sleep
        The sleep function (default :func:`time.sleep`); injectable for tests.
    rng
        A :class:`numpy.random.Generator` or a seed for the jitter.
    yield_tickers
        Tickers whose close is a yield and may be zero or negative.
    probe
        Called once before the first download; raises :class:`~eventstudy.data.network.NoNetworkError` when
        Yahoo cannot be reached (default: :func:`~eventstudy.data.network.probe` with yfinance's own download,
        none with an injected one).

    Notes
    -----
    The retries are :mod:`tenacity`'s. What yfinance and the HTTP libraries log or print is captured, never
    shown: a ticker's error message becomes its reason in ``failures`` (and so in ``data_notes.csv``).

    yfinance's ``end`` is exclusive; this source asks for ``end + 1 day`` so that ``end`` is inclusive. With
    ``start=None`` the whole history is asked for (``period="max"``). yfinance pads every ticker of a batch to
    the union of dates; rows whose close is NaN are dropped for that ticker only. Rows with a zero, negative
    or infinite close, or a date sent twice, are dropped too and reported in :attr:`FetchResult.notes`.
    """

    def __init__(
        self,
        *,
        batch_size: int = 50,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 30.0,
        progress: bool = True,
        download: Callable[..., pd.DataFrame | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: np.random.Generator | int | None = None,
        name: str = "yahoo",
        yield_tickers: Collection[str] = YIELD_TICKERS,
        probe: Callable[[], None] | str | None = "default",
    ) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(located("batch_size", "must be a positive integer", value=batch_size, fix="use e.g. 50"))
        if not isinstance(retries, int) or retries < 0:
            raise ConfigError(located("retries", "must be an integer >= 0", value=retries, fix="use e.g. 4"))
        if not (backoff >= 0 and math.isfinite(backoff)):
            raise ConfigError(
                located("backoff", "must be a finite number >= 0", value=backoff, fix="use e.g. 1.0 (seconds)")
            )
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = float(backoff)
        self.timeout = timeout
        self.progress = progress
        self._download = download
        self._sleep = sleep
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.name = name
        self.yield_tickers = frozenset(t.upper() for t in yield_tickers)
        if probe == "default":
            from . import network

            probe = network.probe if download is None else None
        self._probe: Callable[[], None] | None = probe if callable(probe) else None

    def __repr__(self) -> str:
        return f"YahooSource(batch_size={self.batch_size}, retries={self.retries}, backoff={self.backoff})"

    def _downloader(self) -> Callable[..., pd.DataFrame | None]:
        if self._download is None:
            import yfinance

            self._download = yfinance.download
        return self._download

    def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
        """Download ``tickers`` for ``[start, end]`` (inclusive), batch by batch."""
        wanted = _check_tickers(tickers)
        s, e = _check_range(start, end)
        if wanted and self._probe is not None:
            self._probe()  # fails in seconds, with one line, when Yahoo cannot be reached
        batches = [wanted[i : i + self.batch_size] for i in range(0, len(wanted), self.batch_size)]
        frames: list[pd.DataFrame] = []
        failures: dict[str, str] = {}
        notes: dict[str, str] = {}
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), disable=not self.progress, transient=True) as bar:
            task = bar.add_task(f"Yahoo: {len(wanted)} tickers", total=len(batches))
            for batch in batches:
                got, failed, noted = self._fetch_batch(batch, s, e)
                frames.extend(got)
                failures.update(failed)
                notes.update(noted)
                bar.advance(task)
        return FetchResult(prices=_concat(frames), failures=failures, source=self.name, notes=notes)

    def _kwargs(self, batch: list[str], s: pd.Timestamp | None, e: pd.Timestamp | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(
            tickers=list(batch),
            start=None if s is None else f"{s:%Y-%m-%d}",
            end=None if e is None else f"{e + _DAY:%Y-%m-%d}",
            auto_adjust=True,
            actions=False,
            group_by="column",
            progress=False,
            threads=True,
            timeout=self.timeout,
        )
        if s is None:
            kwargs["period"] = "max"  # without it, yfinance fetches one month before `end`
        return kwargs

    def _fetch_batch(
        self, batch: list[str], s: pd.Timestamp | None, e: pd.Timestamp | None
    ) -> tuple[list[pd.DataFrame], dict[str, str], dict[str, str]]:
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

        from . import network

        download = self._downloader()
        said: dict[str, str] = {}

        def attempt() -> pd.DataFrame:
            with network.quietly() as captured:
                try:
                    data = download(**self._kwargs(batch, s, e))
                except Exception as exc:  # yfinance and the HTTP libraries raise many types
                    kind = network.classify(exc)
                    if kind == "network":
                        raise network.NoNetworkError(f"{network.NO_NETWORK} ({_one_line(exc, exc)})") from None
                    raise _Throttled(_one_line(exc, exc)) from None
            errors = network.ticker_errors(captured.messages())
            said.clear()
            said.update(errors)
            cut_off = network.first_network_failure(list(errors.values()))
            if cut_off is not None:
                raise network.NoNetworkError(f"{network.NO_NETWORK} ({_one_line(cut_off)})")
            if data is not None and not data.empty and _has_any_close(data):
                return data
            throttled = [r for r in errors.values() if network.classify(r) == "throttle"]
            if throttled or not errors:
                why = (
                    throttled[0]
                    if throttled
                    else "Yahoo returned no data (throttled, or no ticker of the batch is known)"
                )
                raise _Throttled(_one_line(why))
            return pd.DataFrame()  # Yahoo answered, and said why each ticker has no data

        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=lambda state: (
                self.backoff * 2 ** (state.attempt_number - 1) + float(self.rng.uniform(0.0, self.backoff))
            ),
            retry=retry_if_exception_type(_Throttled),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            data = retrying(attempt)
        except _Throttled as exc:
            tries = self.retries + 1
            return [], dict.fromkeys(batch, f"Yahoo download failed after {tries} attempts: {exc}"), {}
        if data.empty:
            return [], {t: f"Yahoo: {said.get(t.upper(), said.get(t, 'no data'))}" for t in batch}, {}
        try:
            per_ticker = _parse_yahoo(data, batch)
        except SourceError as exc:
            return [], {t: str(exc) for t in batch}, {}
        frames, failures, notes = [], {}, {}
        for ticker in batch:
            rows = per_ticker.get(ticker)
            cleaned, note = _clean_yahoo(rows, allow_nonpositive=ticker.upper() in self.yield_tickers)
            if note:
                notes[ticker] = note
            if cleaned is None or cleaned.empty:
                why = said.get(ticker.upper(), said.get(ticker))
                failures[ticker] = f"Yahoo returned no rows for {ticker} in {_span(s, e)}" + (
                    f" ({why})" if why else ""
                )
                continue
            cleaned.insert(0, "ticker", ticker)
            frames.append(cleaned)
        return frames, failures, notes


class _Throttled(Exception):
    """A batch worth retrying (throttled, a server error, a timeout, an empty answer)."""


def _one_line(text: object, exc: BaseException | None = None) -> str:
    body = " ".join(str(text).split())
    return f"{type(exc).__name__}: {body}" if exc is not None else body


def _has_any_close(data: pd.DataFrame) -> bool:
    cols = data.columns
    if isinstance(cols, pd.MultiIndex):
        for level in range(cols.nlevels):
            if "Close" in set(cols.get_level_values(level)):
                block = data.xs("Close", axis=1, level=level)
                return bool(block.notna().to_numpy().any())
        return False
    return "Close" in cols and bool(data["Close"].notna().any())


def _parse_yahoo(data: pd.DataFrame, batch: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Split yfinance's answer into one frame per ticker (date + the price columns, NaN closes dropped).

    Understands the multi-index shape of yfinance 0.2.48+/1.x (``group_by="column"``: level 0 = Price,
    level 1 = Ticker; ``group_by="ticker"``: the other way round) and the flat single-ticker shape.
    """
    upper = {t.upper(): t for t in batch}
    cols = data.columns
    dates = _yahoo_dates(data.index)
    out: dict[str, pd.DataFrame] = {}
    if isinstance(cols, pd.MultiIndex):
        if cols.nlevels != 2:
            raise SourceError(
                located(
                    "yahoo",
                    f"unexpected column levels {list(cols.names)}",
                    fix="upgrade eventstudy or pin yfinance to 1.x",
                )
            )
        lvl0 = set(map(str, cols.get_level_values(0)))
        field_level = 0 if lvl0 <= _YAHOO_ALL_FIELDS else 1
        tick_level = 1 - field_level
        for t in pd.unique(cols.get_level_values(tick_level)):
            ticker = upper.get(str(t).upper())
            if ticker is None:
                continue
            block = data.xs(t, axis=1, level=tick_level)
            out[ticker] = _yahoo_block(block, dates)
        return out
    names = set(map(str, cols))
    if "Close" not in names:
        raise SourceError(
            located(
                "yahoo",
                "no Close column in the downloaded frame",
                value=list(map(str, cols)),
                fix="upgrade eventstudy or pin yfinance to 1.x",
            )
        )
    if len(batch) != 1:
        raise SourceError(
            located(
                "yahoo",
                f"a flat (single-ticker) frame came back for {len(batch)} tickers",
                fix="upgrade eventstudy or pin yfinance to 1.x",
            )
        )
    out[batch[0]] = _yahoo_block(data, dates)
    return out


def _yahoo_dates(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)  # keeps the exchange-local wall time, hence the local date
    return idx.normalize().astype("datetime64[ns]")


def _yahoo_block(block: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    frame = pd.DataFrame({"date": dates})
    for src, dst in _YAHOO_FIELDS.items():
        frame[dst] = (
            pd.to_numeric(block[src], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            if src in block.columns
            else np.nan
        )
    return frame.loc[frame["close"].notna()].reset_index(drop=True)


def _clean_yahoo(rows: pd.DataFrame | None, *, allow_nonpositive: bool) -> tuple[pd.DataFrame | None, str]:
    if rows is None or rows.empty:
        return None, ""
    rows = rows.sort_values("date", kind="stable")
    close = rows["close"].to_numpy()
    bad = ~np.isfinite(close) | (False if allow_nonpositive else close <= 0)
    dup = rows["date"].duplicated(keep="last").to_numpy()
    parts = []
    if bad.any():
        first = rows["date"].iloc[int(np.flatnonzero(bad)[0])]
        parts.append(
            f"{int(bad.sum())} row(s) with a zero, negative or infinite close dropped (first {first:%Y-%m-%d})"
        )
    if dup.any():
        first = rows["date"].iloc[int(np.flatnonzero(dup)[0])]
        parts.append(f"{int(dup.sum())} date(s) sent twice, the last kept (first {first:%Y-%m-%d})")
    kept = rows.loc[~bad & ~dup].reset_index(drop=True)
    return kept, "; ".join(parts)


# ------------------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------------------

SOURCES: Registry[Callable[..., PriceSource]] = Registry("price source")
SOURCES.add("yahoo", YahooSource, aliases=("yfinance",))
SOURCES.add("files", FileSource, aliases=("file", "dir"))
SOURCES.add("frame", FrameSource, aliases=("dataframe",))


def get_source(source: str | PriceSource, *args: Any, **kwargs: Any) -> PriceSource:
    """A price source from a registry name (built with ``args``/``kwargs``) or an instance (returned as is).

    >>> get_source("files", "../shared/data/prices")  # doctest: +SKIP
    FileSource('../shared/data/prices', name='files')
    """
    if isinstance(source, str):
        return SOURCES.get(source, where="source")(*args, **kwargs)
    if args or kwargs:
        raise ConfigError(
            located(
                "source",
                "arguments given with a source instance",
                value=type(source).__name__,
                fix="pass a registry name with arguments, or a built source alone",
            )
        )
    if not isinstance(source, PriceSource):
        raise ConfigError(
            located(
                "source",
                "not a price source (needs .name and .fetch)",
                value=type(source).__name__,
                fix=f"use one of {', '.join(SOURCES.names())}",
            )
        )
    return source
