"""Price timestamps that are not dates: each row's trading date in its exchange's zone, or one line saying why not.

A price file's ``date`` column should hold the exchange's local trading date (``2025-06-27``). Spreadsheets and
vendors also write:

- **a date with midnight** (``2025-06-27 00:00:00``, ``2025-06-27T00:00:00Z``, ``2025-06-27T00:00:00+08:00``):
  the date label of a daily bar, whatever the offset (vendors stamp daily bars at 00:00 UTC or at local
  midnight); its first 10 characters are the date, as before;
- **an instant** (a time of day other than midnight, with a UTC offset: ``2025-06-26T16:00:00Z``,
  ``2025-06-26 16:00:00-04:00``, ``2025-06-26 16:00 UTC``): its trading date is its date *in the exchange's
  zone* — 16:00 UTC is 00:00 the next day in Shanghai, so ``2025-06-26T16:00:00Z`` is the Shanghai session of
  2025-06-27, while ``2025-06-26 16:00:00-04:00`` is the New York session of 2025-06-26. With the zone known
  (:func:`exchange_zones`, from the universe's exchanges) the instants are converted and a data note says so;
  without it they are refused, naming the file, row, column and value;
- **a time without an offset** (``2025-06-26 16:00:00``): local time or UTC? When the two readings give the same
  date in the exchange's zone (New York: 16:00 local and 16:00 UTC are both 2025-06-26), that date is used and a
  note says so; when they differ (Shanghai: 16:00 local is 06-26, 16:00 UTC is 06-27 local) the row is refused
  with the fix: write the date alone or the time with its offset.

:func:`trading_dates` is the one function the price readers call (``data/sources.py``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataWarning, PriceDataError, located

__all__ = ["TradingDates", "exchange_zones", "trading_dates", "with_exchange_zones"]

_STAMP = re.compile(
    r"\s*(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]\s*(?P<time>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
    r"\s*(?P<zone>Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\s*",
    re.ASCII | re.IGNORECASE,
)
_FIX_INSTANT = "write the exchange's local trading date as YYYY-MM-DD (or local midnight with its offset)"
_FIX_NAIVE = (
    "write the exchange's local trading date alone (YYYY-MM-DD), or the time with its UTC offset "
    "(e.g. 2025-06-26T16:00:00+08:00)"
)


@dataclass(frozen=True)
class TradingDates:
    """The trading dates of a column of timestamps.

    Attributes
    ----------
    dates
        ``datetime64[ns]`` midnights, NaT where a cell is not a date at all (the reader's "unparseable date").
    note
        Empty when every cell was a date; else one line saying what was converted (for the data notes).
    """

    dates: pd.Series
    note: str = ""


def _as_text(raw: pd.Series) -> pd.Series:
    """The cells as text: strings stripped; datetimes (tz-aware or not) and dates in ISO form; missing as ''."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return pd.Series([_iso(v) for v in raw], index=raw.index, dtype=object)
    if raw.dtype == object:
        return raw.map(lambda v: v.strip() if isinstance(v, str) else _iso(v))
    if pd.api.types.is_string_dtype(raw.dtype):
        return raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    return raw.astype(object).where(raw.notna(), "").astype(str)


def _iso(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        ts = pd.Timestamp(value)
        return "" if pd.isna(ts) else ts.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        ts = pd.Timestamp(value)
        return "" if pd.isna(ts) else ts.isoformat()
    return str(value)


def _midnight(times: pd.Series) -> np.ndarray:
    return times.fillna("").str.replace(r"[:.0]", "", regex=True).eq("").to_numpy(dtype=bool)


def _offset(zone: pd.Series) -> pd.Series:
    """``Z``/``UTC``/``GMT``/``+08``/``+0800`` as ``+HH:MM``."""
    z = zone.str.upper().replace({"Z": "+00:00", "UTC": "+00:00", "GMT": "+00:00"})
    z = z.str.replace(r"^([+-][0-9]{2})$", r"\1:00", regex=True)
    return z.str.replace(r"^([+-][0-9]{2})([0-9]{2})$", r"\1:\2", regex=True)


def trading_dates(raw: pd.Series, *, zone: str | None, where: Callable[[int], str]) -> TradingDates:
    """Each cell's trading date in the exchange's zone ``zone`` (see the module's rules), or a
    :class:`~eventstudy.errors.PriceDataError` naming the first row that has none.

    Parameters
    ----------
    raw
        The date column as read (text, datetimes or dates), positionally indexed.
    zone
        The exchange's IANA zone (``"Asia/Shanghai"``), or None when unknown: instants are then refused.
    where
        ``where(i)`` is the location of row position ``i`` for messages (``FILE:LINE:COLUMN``).

    Examples
    --------
    >>> cells = pd.Series(["2025-06-26T16:00:00Z", "2025-06-27T07:00:00Z", "2025-06-30"])
    >>> got = trading_dates(cells, zone="Asia/Shanghai", where=lambda i: f"X.SS.csv:{i + 2}:date")
    >>> list(got.dates.dt.strftime("%Y-%m-%d")), got.note
    (['2025-06-27', '2025-06-27', '2025-06-30'], '2 date-times with a UTC offset read as Asia/Shanghai trading dates \
(e.g. 2025-06-26T16:00:00Z is 2025-06-27)')
    """
    raw = raw.reset_index(drop=True)
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(raw.dtype):
        wall = raw.dt.tz_localize(None) if isinstance(raw.dtype, pd.DatetimeTZDtype) else raw
        day = wall.dt.normalize()
        if bool((day.isna() | (day == wall)).all()):  # dates (at midnight, in their own zone): the common case
            return TradingDates(day.astype("datetime64[ns]"))
    text = _as_text(raw)
    long = np.flatnonzero((text.str.len() > 10).to_numpy())
    dates = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    unread = np.flatnonzero(dates.isna().to_numpy())
    if unread.size:
        _spreadsheet_date(text.iloc[int(unread[0])], where(int(unread[0])))
    if long.size == 0:
        return TradingDates(dates)
    parts = text.iloc[long].str.extract(_STAMP.pattern, flags=re.IGNORECASE)
    parsed = parts["date"].notna().to_numpy() & text.iloc[long].str.fullmatch(_STAMP).fillna(False).to_numpy()
    has_time = parsed & parts["time"].notna().to_numpy()
    timed = has_time & ~_midnight(parts["time"])
    has_zone = parts["zone"].notna().to_numpy()
    notes: list[str] = []
    instant = timed & has_zone
    if instant.any():
        at = long[instant]
        if zone is None:
            i = int(at[0])
            raise PriceDataError(
                located(
                    where(i),
                    "a date with a time of day and a UTC offset: its trading date depends on the zone (a Shanghai "
                    "session stamped in UTC falls on the day before)",
                    value=text.iloc[i],
                    fix=_FIX_INSTANT,
                )
            )
        stamps = (
            parts.loc[instant, "date"]
            + "T"
            + parts.loc[instant, "time"].str.zfill(5)
            + _offset(parts.loc[instant, "zone"].fillna(""))
        )
        utc = pd.to_datetime(stamps.to_numpy(), utc=True, format="ISO8601")
        local = utc.tz_convert(zone).tz_localize(None).normalize()
        dates.iloc[at] = local.to_numpy()
        example = int(at[0])
        notes.append(
            f"{at.size} date-times with a UTC offset read as {zone} trading dates (e.g. {text.iloc[example]} is "
            f"{local[0]:%Y-%m-%d})"
        )
    naive = timed & ~has_zone
    if naive.any():
        at = long[naive]
        if zone is not None:
            stamps = parts.loc[naive, "date"] + "T" + parts.loc[naive, "time"].str.zfill(5)
            wall = pd.to_datetime(stamps.to_numpy(), format="ISO8601")
            as_utc = wall.tz_localize("UTC").tz_convert(zone).tz_localize(None).normalize()
            differ = np.flatnonzero(as_utc != wall.normalize())
            if differ.size:
                i = int(at[differ[0]])
                raise PriceDataError(
                    located(
                        where(i),
                        f"a time without a UTC offset: its {zone} trading date is {wall[differ[0]]:%Y-%m-%d} if it "
                        f"is local time but {as_utc[differ[0]]:%Y-%m-%d} if it is UTC",
                        value=text.iloc[i],
                        fix=_FIX_NAIVE,
                    )
                )
            notes.append(
                f"{at.size} times without a UTC offset read as their date (the same {zone} trading date whether "
                f"local time or UTC, e.g. {text.iloc[int(at[0])]})"
            )
    return TradingDates(dates, "; ".join(notes))


_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?", re.ASCII)
_DAY_MONTH = re.compile(r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})", re.ASCII)
#: Day 0 of spreadsheets' serial dates (Excel's 1900 system, with its phantom 1900-02-29).
_SERIAL_EPOCH = pd.Timestamp("1899-12-30")


def _spreadsheet_date(cell: str, where: str) -> None:
    """Raise a :class:`~eventstudy.errors.PriceDataError` naming the spreadsheet habit behind a cell that is not a
    date, when it is one: a serial date number (``45293``) or a day/month order (``27/06/2025``). Other cells are
    left to the reader's "unparseable date"."""
    if _SERIAL.fullmatch(cell) and 20_000 <= float(cell) < 80_000:
        day = _SERIAL_EPOCH + pd.Timedelta(days=int(float(cell)))
        raise PriceDataError(
            located(
                where,
                f"a spreadsheet's serial date number ({int(float(cell))} is {day:%Y-%m-%d}), not a date",
                value=cell,
                fix="format the column as dates (yyyy-mm-dd) in the spreadsheet before saving the CSV",
            )
        )
    m = _DAY_MONTH.fullmatch(cell)
    if m:
        a, b, year = int(m.group(1)), int(m.group(3)), m.group(4)
        if a > 12 and b <= 12:
            reading = f"{year}-{b:02d}-{a:02d} if the day comes first"
        elif b > 12 and a <= 12:
            reading = f"{year}-{a:02d}-{b:02d} if the month comes first"
        else:
            reading = f"{year}-{b:02d}-{a:02d} day first or {year}-{a:02d}-{b:02d} month first"
        raise PriceDataError(
            located(
                where,
                f"a date in day/month or month/day order, which a file cannot tell apart ({reading})",
                value=cell,
                fix="write dates as YYYY-MM-DD (format the column as yyyy-mm-dd before saving the CSV)",
            )
        )


def exchange_zones(universe: pd.DataFrame) -> dict[str, str]:
    """Ticker → the IANA zone of its exchange, for every row of a universe frame (``ticker``, ``exchange``)."""
    from .. import calendars

    zone = {ex: str(calendars.get_calendar(ex).tz) for ex in pd.unique(universe["exchange"])}
    return {str(t): zone[ex] for t, ex in zip(universe["ticker"], universe["exchange"], strict=True)}


def with_exchange_zones(source: Any, universe: pd.DataFrame) -> Any:
    """``source`` reading each ticker's timestamps in its exchange's zone, when it can (a
    :class:`~eventstudy.data.sources.FileSource`); any other source unchanged."""
    if not hasattr(source, "with_zones"):
        return source
    return source.with_zones(exchange_zones(universe))


def warn_converted(path: str, note: str) -> None:
    """The data note of a file whose timestamps were converted, as a :class:`~eventstudy.errors.DataWarning`."""
    warnings.warn(f"{path}: {note}", DataWarning, stacklevel=4)


def zones_of(zones: Mapping[str, str] | None, ticker: str) -> str | None:
    """The zone of ``ticker`` (matched exactly, then case-insensitively), or None."""
    if not zones:
        return None
    if ticker in zones:
        return zones[ticker]
    lowered = {k.lower(): v for k, v in zones.items()}
    return lowered.get(ticker.lower())
