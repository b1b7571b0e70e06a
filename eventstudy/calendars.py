"""Exchange sessions and closes, and the mapping of an announcement instant to day 0.

This module wraps :mod:`exchange_calendars`; it does no other I/O. It implements METHODS.md §1 (Timing):

- **day 0** of an announcement for exchange X is the first regular session of X whose close is *strictly*
  after the announcement instant (early closes included, exactly as ``exchange_calendars`` gives them);
- a date-only announcement (``time_precision = day``) has day 0 on the session of its calendar date in the
  announcer's zone, or the next session when that date is not one (:func:`date_day0`); the older rule, the
  announcement at 23:59:59 in the announcer's zone (:func:`day_instant`), is kept as a robustness variant
  (``date_rule="end_of_day"``). :func:`day0_table` says which rule made each day 0;
- event time counts sessions of the security's own exchange (:func:`event_day_offset`,
  :func:`shift_sessions`).

Session dates are tz-naive midnights (the session label); instants are tz-aware and compared in UTC.

Examples
--------
>>> import pandas as pd
>>> day0(pd.Timestamp("2025-06-27 15:30", tz="Asia/Shanghai"), "XNYS")
Timestamp('2025-06-27 00:00:00')
>>> day0(pd.Timestamp("2025-06-27 15:30", tz="Asia/Shanghai"), "XSHG")
Timestamp('2025-06-30 00:00:00')
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from .errors import CalendarError, EventsError, located

if TYPE_CHECKING:
    import exchange_calendars as xc

__all__ = [
    "calendar_name",
    "SUPPORTED_EXCHANGES",
    "get_calendar",
    "sessions",
    "session_closes",
    "day0",
    "day_instant",
    "date_day0",
    "day0_table",
    "DAY0_RULES",
    "DATE_RULES",
    "event_day_offset",
    "shift_sessions",
]

SUPPORTED_EXCHANGES: tuple[str, ...] = ("XNYS", "XASX", "XSHG", "XSHE", "XTKS")
"""The MICs of the study: New York, Australia, Shanghai, Shenzhen and Tokyo.

``exchange_calendars`` has no Shenzhen (XSHE) calendar. Shenzhen keeps the same sessions as Shanghai, so XSHE
is registered as an alias of XSHG. Any other ``exchange_calendars`` name (``XLON``, ``XHKG``, ...) is accepted
too.
"""

_ALIASES: dict[str, str] = {"XSHE": "XSHG"}
_EARLIEST_START = pd.Timestamp("2000-01-03")
_NAT = np.iinfo(np.int64).min  # the int64 value of NaT
_DAY_NS = 86_400 * 10**9

#: The rules that make a day 0 (the ``rule`` column of :func:`day0_table` and ``day0.csv``).
DAY0_RULES: dict[str, str] = {
    "first_close_after": "timed announcement: the first session whose close is strictly after the instant",
    "calendar_date": "date-only announcement: the session of its calendar date in the announcer's zone, or the next",
    "end_of_day": "date-only announcement taken at 23:59:59 in the announcer's zone (late convention, robustness)",
}
#: The rules a study may choose for date-only announcements (METHODS §1); the first is the default.
DATE_RULES: tuple[str, ...] = ("calendar_date", "end_of_day")

DateLike: TypeAlias = "pd.Timestamp | _dt.date | str"
Dates: TypeAlias = "DateLike | pd.Series | pd.DatetimeIndex | np.ndarray | list[Any]"
Instant: TypeAlias = "pd.Timestamp | _dt.datetime | str"
Instants: TypeAlias = "Instant | pd.Series | pd.DatetimeIndex | np.ndarray | list[Any]"


@functools.cache
def _xc() -> Any:
    """:mod:`exchange_calendars`, imported on first use (so importing the package stays fast), with the calendar
    aliases (XSHE → XSHG) registered once, unless the name is already taken."""
    import exchange_calendars

    known = set(exchange_calendars.get_calendar_names(include_aliases=True))
    for alias, real in _ALIASES.items():
        if alias not in known:
            exchange_calendars.register_calendar_alias(alias, real)
    return exchange_calendars


def known_calendar_names() -> list[str]:
    """Every calendar name :mod:`exchange_calendars` knows, aliases included."""
    return list(_xc().get_calendar_names(include_aliases=True))


# ------------------------------------------------------------------------------------------------------------
# Calendars and their cached arrays
# ------------------------------------------------------------------------------------------------------------


def _canonical(exchange: Any) -> str:
    """The ``exchange_calendars`` name behind ``exchange`` (aliases resolved), or a CalendarError."""
    if isinstance(exchange, str) and exchange in _xc().get_calendar_names(include_aliases=True, sort=False):
        return _xc().resolve_alias(exchange)
    return _missing(exchange)


def calendar_name(exchange: str) -> str:
    """The calendar an exchange trades on: its own MIC, the MIC whose sessions it shares (XSHE → XSHG), or the
    name an ``exchange_calendars`` alias stands for (NYSE → XNYS).

    Raises
    ------
    CalendarError
        For an unknown exchange, naming the value and the valid MICs.
    """
    return _canonical(exchange)


def _missing(exchange: Any) -> NoReturn:
    names = _xc().get_calendar_names(include_aliases=True)
    close = difflib.get_close_matches(str(exchange).upper(), names, n=1) if isinstance(exchange, str) else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise CalendarError(
        located(
            "exchange",
            "unknown exchange",
            value=exchange,
            fix=f"{hint}use one of the study's MICs {', '.join(SUPPORTED_EXCHANGES)}, "
            "or any exchange_calendars name (see exchange_calendars.get_calendar_names())",
        )
    )


@functools.lru_cache(maxsize=64)
def _build(name: str) -> xc.ExchangeCalendar:
    """Build the calendar ``name`` (canonical) from 2000-01-03 (or its earliest bound) to its default end."""
    with warnings.catch_warnings():
        # exchange_calendars reads ``Series.values`` of tz-aware series, which pandas 3.1 deprecates; the
        # values it reads are unaffected. Silence that one message here rather than in every caller.
        warnings.filterwarnings("ignore", message="Series.values returning", category=DeprecationWarning)
        try:
            return _xc().get_calendar(name, start=_EARLIEST_START)
        except ValueError:
            # a calendar that begins later than 2000 (its class's bound_min): start there. Only then is the
            # calendar built twice (once over its default range, for its class)
            bound_min = type(_xc().get_calendar(name)).bound_min()
            if bound_min is None or pd.Timestamp(bound_min) <= _EARLIEST_START:
                raise
            return _xc().get_calendar(name, start=pd.Timestamp(bound_min))


@dataclass(frozen=True)
class _Arrays:
    """Read-only int64 (ns) views of one calendar: session labels (naive) and UTC closes, both sorted."""

    name: str
    sessions: np.ndarray
    closes: np.ndarray
    opens: np.ndarray


@functools.lru_cache(maxsize=64)
def _arrays(name: str) -> _Arrays:
    cal = _build(name)
    sess = pd.DatetimeIndex(cal.sessions).as_unit("ns").asi8.copy()
    closes = pd.DatetimeIndex(cal.closes).tz_convert("UTC").as_unit("ns").asi8.copy()
    opens = pd.DatetimeIndex(cal.opens).tz_convert("UTC").as_unit("ns").asi8.copy()
    if not (np.all(np.diff(sess) > 0) and np.all(np.diff(closes) > 0)):  # pragma: no cover
        raise CalendarError(located(f"calendar {name}", "sessions or closes are not strictly increasing"))
    for arr in (sess, closes, opens):
        arr.setflags(write=False)
    return _Arrays(name, sess, closes, opens)


def _span(arr: _Arrays) -> str:
    return f"{_ts(arr.sessions[0]):%Y-%m-%d} to {_ts(arr.sessions[-1]):%Y-%m-%d}"


def _ts(value: int, tz: str | None = None) -> pd.Timestamp:
    return pd.Timestamp(int(value), unit="ns", tz=tz)


def get_calendar(exchange: str) -> xc.ExchangeCalendar:
    """The ``exchange_calendars`` calendar of an exchange, over a wide range, built once and cached.

    Parameters
    ----------
    exchange
        A MIC of :data:`SUPPORTED_EXCHANGES` or any name (or alias) known to ``exchange_calendars``.
        ``"XSHE"`` (Shenzhen, absent from ``exchange_calendars``) is an alias of ``"XSHG"``: both exchanges
        keep the same sessions, so the Shanghai calendar (whose ``name`` is ``"XSHG"``) is returned.

    Returns
    -------
    exchange_calendars.ExchangeCalendar
        The calendar from 2000-01-03 (or the calendar's earliest bound, if later) to the calendar's default
        end. Aliases share one cached instance with their calendar.

    Raises
    ------
    CalendarError
        If ``exchange`` is not a known calendar name.

    Examples
    --------
    >>> get_calendar("XSHE") is get_calendar("XSHG")
    True
    >>> str(get_calendar("XNYS").first_session.date())
    '2000-01-03'
    """
    return _build(_canonical(exchange))


# ------------------------------------------------------------------------------------------------------------
# Conversions
# ------------------------------------------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return not (isinstance(value, pd.Series | pd.Index | np.ndarray | list | tuple))


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def _instant_ns(value: Any, where: str) -> int:
    """One instant → int64 ns since the epoch in UTC (``_NAT`` for a missing value)."""
    if _is_missing(value):
        return _NAT
    if isinstance(value, np.datetime64):
        raise CalendarError(_naive_message(where, value))
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise CalendarError(
            located(where, "not a timestamp", value=value, fix="give a tz-aware pandas Timestamp")
        ) from exc
    if ts is pd.NaT:
        return _NAT
    if ts.tzinfo is None:
        raise CalendarError(_naive_message(where, value))
    return int(ts.tz_convert("UTC").as_unit("ns").value)


def _naive_message(where: str, value: Any) -> str:
    return located(
        where,
        "the announcement instant has no time zone",
        value=value,
        fix="give a tz-aware timestamp (e.g. ts.tz_localize('Asia/Shanghai')), "
        "or a date through day_instant(date, timezone)",
    )


def _instants_ns(values: Any, where: str) -> np.ndarray:
    """Array-like of tz-aware instants → flat int64 ns (UTC) array, NaT as ``_NAT``."""
    if isinstance(values, pd.Series | pd.Index) and isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(values).tz_convert("UTC").as_unit("ns").asi8.copy()
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        shown = arr[~np.isnat(arr)]
        raise CalendarError(_naive_message(where, pd.Timestamp(shown.ravel()[0]) if shown.size else arr))
    flat = arr.astype(object).ravel()
    return np.fromiter((_instant_ns(v, where) for v in flat), dtype=np.int64, count=flat.size)


def _date_ns(value: Any, where: str) -> int:
    """One date (tz-naive, midnight) → int64 ns; ``_NAT`` for a missing value."""
    if _is_missing(value):
        return _NAT
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise CalendarError(located(where, "not a date", value=value, fix="give a date like '2025-06-27'")) from exc
    if ts is pd.NaT:
        return _NAT
    if ts.tzinfo is not None:
        raise CalendarError(located(where, "a date has no time zone", value=value, fix="give the date alone, tz-naive"))
    if ts != ts.normalize():
        raise CalendarError(
            located(where, "a date has no time of day", value=value, fix="give the date alone (midnight)")
        )
    return int(ts.as_unit("ns").value)


def _dates_ns(values: Any, where: str) -> np.ndarray:
    """Array-like of dates → int64 ns array (same shape), NaT as ``_NAT``."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M":  # naive datetime64: vectorised, but must hold dates only
        ns = arr.astype("datetime64[ns]").view(np.int64)
        timed = (ns != _NAT) & (ns % _DAY_NS != 0)
        if timed.any():
            _date_ns(pd.Timestamp(arr.ravel()[np.argmax(timed.ravel())]), where)  # raises
        return ns.copy()
    if isinstance(values, pd.Series | pd.Index) and isinstance(values.dtype, pd.DatetimeTZDtype):
        first = values[values.notna()]
        _date_ns(first[0] if isinstance(first, pd.Index) else first.iloc[0], where)  # raises
    flat = arr.astype(object).ravel()
    out = np.fromiter((_date_ns(v, where) for v in flat), dtype=np.int64, count=flat.size)
    return out.reshape(arr.shape)


def _as_dates(ns: np.ndarray) -> np.ndarray:
    return ns.astype(np.int64).view("datetime64[ns]")


def _wrap_dates(ns: np.ndarray, like: Any, name: str) -> Any:
    """Shape an int64 ns array of naive dates like the input ``like``."""
    if isinstance(like, pd.Series):
        return pd.Series(_as_dates(ns), index=like.index, name=name)
    if isinstance(like, pd.Index):
        return pd.DatetimeIndex(_as_dates(ns), name=name)
    return _as_dates(ns.reshape(np.shape(like)))


# ------------------------------------------------------------------------------------------------------------
# Sessions and closes
# ------------------------------------------------------------------------------------------------------------


def sessions(exchange: str, start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """The sessions of an exchange in ``[start, end]``.

    Parameters
    ----------
    exchange
        A MIC or any ``exchange_calendars`` name (see :func:`get_calendar`).
    start, end
        Inclusive bounds, as dates (tz-naive, no time of day). They need not be sessions.

    Returns
    -------
    pandas.DatetimeIndex
        The tz-naive session dates (midnight), named ``"session"``; empty when ``start > end``.

    Raises
    ------
    CalendarError
        If the exchange is unknown, or a bound lies outside the calendar's span.

    Examples
    --------
    >>> [str(d.date()) for d in sessions("XNYS", "2025-07-02", "2025-07-07")]
    ['2025-07-02', '2025-07-03', '2025-07-07']
    """
    arr = _arrays(_canonical(exchange))
    lo = _date_ns(start, "start")
    hi = _date_ns(end, "end")
    for where, value in (("start", lo), ("end", hi)):
        if value == _NAT:
            raise CalendarError(located(where, "a bound is missing", value=pd.NaT, fix="give a date"))
        if not arr.sessions[0] <= value <= arr.sessions[-1]:
            raise CalendarError(
                located(
                    where,
                    f"date outside the {exchange} calendar, which spans {_span(arr)}",
                    value=str(_ts(value).date()),
                    fix="choose a date inside the calendar's span",
                )
            )
    i = np.searchsorted(arr.sessions, lo, side="left")
    j = np.searchsorted(arr.sessions, hi, side="right")
    return pd.DatetimeIndex(_as_dates(arr.sessions[i:j]), name="session")


def session_closes(exchange: str) -> pd.Series:
    """The close of every session of an exchange.

    Parameters
    ----------
    exchange
        A MIC or any ``exchange_calendars`` name (see :func:`get_calendar`).

    Returns
    -------
    pandas.Series
        Indexed by tz-naive session dates (named ``"session"``); values are the tz-aware UTC close instants,
        named ``"close"``. Early closes (e.g. NYSE's 13:00 close before Independence Day) are included as
        ``exchange_calendars`` gives them.

    Examples
    --------
    >>> session_closes("XNYS")["2025-07-03"]
    Timestamp('2025-07-03 17:00:00+0000', tz='UTC')
    """
    arr = _arrays(_canonical(exchange))
    index = pd.DatetimeIndex(_as_dates(arr.sessions), name="session")
    closes = pd.DatetimeIndex(_as_dates(arr.closes)).tz_localize("UTC")
    return pd.Series(closes, index=index, name="close")


# ------------------------------------------------------------------------------------------------------------
# Day 0
# ------------------------------------------------------------------------------------------------------------


def _day0_ns(instants: np.ndarray, exchange: str, where: str) -> np.ndarray:
    """Vectorised core of :func:`day0`: int64 ns UTC instants → int64 ns session dates (``_NAT`` kept)."""
    arr = _arrays(_canonical(exchange))
    valid = instants != _NAT
    pos = np.searchsorted(arr.closes, instants, side="right")
    late = valid & (pos >= arr.closes.size)
    if late.any():
        bad = _ts(instants[np.argmax(late)], "UTC")
        raise CalendarError(
            located(
                where,
                f"after the last close of the {exchange} calendar "
                f"(last session {_ts(arr.sessions[-1]):%Y-%m-%d}, close {_ts(arr.closes[-1], 'UTC')})",
                value=str(bad),
                fix="use an instant within the calendar's span " + _span(arr),
            )
        )
    early = valid & (instants < arr.opens[0])
    if early.any():
        bad = _ts(instants[np.argmax(early)], "UTC")
        raise CalendarError(
            located(
                where,
                f"before the first session of the {exchange} calendar "
                f"(first session {_ts(arr.sessions[0]):%Y-%m-%d}, open {_ts(arr.opens[0], 'UTC')})",
                value=str(bad),
                fix="use an instant within the calendar's span " + _span(arr),
            )
        )
    out = np.full(instants.shape, _NAT, dtype=np.int64)
    out[valid] = arr.sessions[pos[valid]]
    return out


def day0(instant: Instants, exchange: str) -> Any:
    r"""Day 0 of an announcement: the first session of ``exchange`` whose close is strictly after ``instant``.

    Parameters
    ----------
    instant
        The announcement instant(s), tz-aware (any zone; compared in UTC). A single ``pd.Timestamp`` (or
        ``datetime`` or ISO string with an offset), or a ``pd.Series``, ``pd.DatetimeIndex``, numpy array or
        list of them. Missing values (NaT/None) pass through as NaT.
    exchange
        A MIC or any ``exchange_calendars`` name (see :func:`get_calendar`).

    Returns
    -------
    pandas.Timestamp or pandas.Series or pandas.DatetimeIndex or numpy.ndarray
        The tz-naive session date(s), shaped like ``instant``: a ``Timestamp`` (or ``NaT``) for a scalar; a
        Series with the same index, or a DatetimeIndex, named ``"day0"``; a ``datetime64[ns]`` array of the
        same shape for an array or list. NaT stays NaT.

    Raises
    ------
    CalendarError
        If the exchange is unknown, an instant is naive (no time zone), or an instant lies after the last
        close (or before the first open) of the calendar.

    Notes
    -----
    METHODS.md §1. With :math:`c_1 < c_2 < \dots` the UTC closes of the exchange's sessions
    :math:`s_1, s_2, \dots`, day 0 of instant :math:`t` is

    .. math:: s_k, \quad k = \min\{j : c_j > t\}.

    An announcement during a session gives that session; one exactly at or after the close, on a holiday or at
    a weekend gives the next session. All instants are mapped at once by
    ``np.searchsorted(closes, instants, side="right")``.

    Examples
    --------
    >>> import pandas as pd
    >>> day0(pd.Timestamp("2025-04-02 16:05", tz="America/New_York"), "XNYS")
    Timestamp('2025-04-03 00:00:00')
    >>> day0(pd.Timestamp("2025-04-02 15:59", tz="America/New_York"), "XNYS")
    Timestamp('2025-04-02 00:00:00')
    """
    if _is_scalar(instant):
        ns = _day0_ns(np.array([_instant_ns(instant, "instant")], dtype=np.int64), exchange, "instant")[0]
        return pd.NaT if ns == _NAT else _ts(ns)
    ns = _instants_ns(instant, "instant")
    return _wrap_dates(_day0_ns(ns, exchange, "instant"), instant, "day0")


def day_instant(date: DateLike, timezone: str) -> pd.Timestamp:
    """The instant taken for a date-only announcement: 23:59:59 on ``date`` in ``timezone``, in UTC.

    Parameters
    ----------
    date
        The announcement date (tz-naive, no time of day), e.g. ``"2025-06-27"``.
    timezone
        The announcer's IANA time zone, e.g. ``"Asia/Shanghai"`` or ``"America/New_York"``.

    Returns
    -------
    pandas.Timestamp
        The tz-aware UTC instant (``NaT`` for a missing date).

    Raises
    ------
    CalendarError
        If ``timezone`` is not an IANA zone, or ``date`` is not a plain date.

    Notes
    -----
    METHODS.md §1: the end of the announcer's day is the conservative choice, so day 0 can be late, never
    early. For the same reason, where 23:59:59 occurs twice (a clock set back at midnight) the later instant
    is taken, and where it does not exist the clock is shifted forward.

    Examples
    --------
    >>> day_instant("2025-06-27", "Asia/Shanghai")
    Timestamp('2025-06-27 15:59:59+0000', tz='UTC')
    """
    try:
        if not isinstance(timezone, str):
            raise TypeError(timezone)
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CalendarError(
            located(
                "timezone",
                "unknown time zone",
                value=timezone,
                fix="give an IANA zone name such as 'Asia/Shanghai' or 'America/New_York'",
            )
        ) from exc
    ns = _date_ns(date, "date")
    if ns == _NAT:
        return pd.NaT
    local = (_ts(ns) + pd.Timedelta(hours=23, minutes=59, seconds=59)).tz_localize(
        zone, ambiguous=False, nonexistent="shift_forward"
    )
    return local.tz_convert("UTC")


def date_day0(date: Dates, exchange: str) -> Any:
    """Day 0 of a date-only announcement: the session of ``exchange`` on ``date``, or the next session.

    Parameters
    ----------
    date
        The announcement's calendar date(s) in the announcer's time zone (tz-naive, no time of day). A scalar or
        an array-like; missing values pass through as NaT.
    exchange
        A MIC or any ``exchange_calendars`` name (see :func:`get_calendar`).

    Returns
    -------
    pandas.Timestamp or numpy.ndarray
        The session date(s), tz-naive: a ``Timestamp`` for a scalar, a ``datetime64[ns]`` array otherwise.

    Raises
    ------
    CalendarError
        If the exchange is unknown or a date lies outside the calendar.

    Notes
    -----
    METHODS.md §1. The hour of a date-only announcement is unknown, so the session of its date is day 0 and the
    headline window [0, 1] holds the first session after the news whatever the hour. The date is the
    announcer's, not the exchange's: a Beijing Friday maps to Friday's session in New York, Sydney and Tokyo.

    Examples
    --------
    >>> date_day0("2025-06-27", "XASX")
    Timestamp('2025-06-27 00:00:00')
    >>> date_day0("2025-06-28", "XSHG")
    Timestamp('2025-06-30 00:00:00')
    """
    arr = _arrays(_canonical(exchange))
    scalar = _is_scalar(date)
    ns = np.array([_date_ns(date, "date")], dtype=np.int64) if scalar else _dates_ns(date, "date").ravel()
    valid = ns != _NAT
    pos = np.searchsorted(arr.sessions, ns, side="left")
    bad = valid & ((pos >= arr.sessions.size) | (ns < arr.sessions[0]))
    if bad.any():
        raise CalendarError(
            located(
                "date",
                f"outside the {exchange} calendar, which spans {_span(arr)}",
                value=str(_ts(ns[np.argmax(bad)]).date()),
                fix="use a date within the calendar's span",
            )
        )
    out = np.full(ns.shape, _NAT, dtype=np.int64)
    out[valid] = arr.sessions[pos[valid]]
    if scalar:
        return pd.NaT if out[0] == _NAT else _ts(out[0])
    return _as_dates(out.reshape(np.shape(np.asarray(date))))


def _local_dates_ns(instants: pd.Series, zones: pd.Series) -> np.ndarray:
    """The calendar date (int64 ns, naive midnight) of each instant in its own time zone."""
    out = np.full(len(instants), _NAT, dtype=np.int64)
    values = instants.reset_index(drop=True)
    for zone, idx in pd.Series(np.arange(len(values))).groupby(zones.reset_index(drop=True).to_numpy()).groups.items():
        idx = np.asarray(idx)
        try:
            local = pd.DatetimeIndex(values.iloc[idx]).tz_convert(str(zone))
        except (TypeError, ValueError, KeyError) as exc:
            raise CalendarError(
                located("events:timezone", "unknown time zone", value=zone, fix="give an IANA zone name")
            ) from exc
        out[idx] = local.tz_localize(None).normalize().as_unit("ns").asi8
    return out


def day0_table(
    events: pd.DataFrame, exchanges: str | Iterable[str], *, date_rule: str = "calendar_date"
) -> pd.DataFrame:
    """Day 0 of every event on every exchange, as a long frame, with the rule that made it.

    Parameters
    ----------
    events
        A frame with columns ``event_id`` and ``announced_at_utc`` (tz-aware instants; NaT allowed). With the
        columns ``time_precision`` and ``timezone`` (as in an events table), rows of precision ``day`` are
        date-only announcements and follow ``date_rule``; without them every row is a timed announcement.
    exchanges
        The exchanges (MICs or ``exchange_calendars`` names); a single string means one exchange.
    date_rule
        For date-only announcements: ``"calendar_date"`` (default; :func:`date_day0` of the announcer's date) or
        ``"end_of_day"`` (the instant 23:59:59 in the announcer's zone, the late convention kept as a
        robustness variant).

    Returns
    -------
    pandas.DataFrame
        Columns exactly ``event_id, exchange, announced_at_utc, day0, rule``; one row per event × exchange,
        ordered by event (in the order of ``events``) and then by exchange (in the order given). ``day0`` is a
        tz-naive session date, NaT where the instant is NaT; ``rule`` is a key of :data:`DAY0_RULES`.

    Raises
    ------
    EventsError
        If a required column is missing.
    CalendarError
        If an exchange or ``date_rule`` is unknown or an instant cannot be mapped (see :func:`day0`).

    Examples
    --------
    >>> import pandas as pd
    >>> at = pd.Timestamp("2025-04-02 20:05", tz="UTC")
    >>> ev = pd.DataFrame({"event_id": ["E1"], "announced_at_utc": [at]})
    >>> day0_table(ev, ["XNYS", "XSHG"])["day0"].dt.strftime("%Y-%m-%d").tolist()
    ['2025-04-03', '2025-04-03']
    """
    missing = [c for c in ("event_id", "announced_at_utc") if c not in events.columns]
    if missing:
        raise EventsError(
            located(
                "events",
                f"missing column(s) {', '.join(missing)}",
                value=list(map(str, events.columns)),
                fix="give a frame with columns event_id and announced_at_utc",
            )
        )
    if date_rule not in DATE_RULES:
        raise CalendarError(
            located(
                "date_rule", "unknown rule for date-only announcements", value=date_rule, fix=" or ".join(DATE_RULES)
            )
        )
    names = [exchanges] if isinstance(exchanges, str) else list(exchanges)
    for name in names:
        _canonical(name)
    instants = events["announced_at_utc"]
    ns = _instants_ns(instants, "events:announced_at_utc")
    n, k = len(events), len(names)
    dated = np.zeros(n, dtype=bool)
    if {"time_precision", "timezone"} <= set(events.columns):
        dated = (events["time_precision"].astype(str).to_numpy() == "day") & (ns != _NAT)
    by_date = dated if date_rule == "calendar_date" else np.zeros(n, dtype=bool)
    local = np.full(n, _NAT, dtype=np.int64)
    if by_date.any():
        local[by_date] = _local_dates_ns(instants[by_date], events["timezone"][by_date])
    grid = np.empty((n, k), dtype=np.int64)
    for j, name in enumerate(names):
        grid[:, j] = _day0_ns(np.where(by_date, _NAT, ns), name, "events:announced_at_utc")
        if by_date.any():
            grid[by_date, j] = _dates_ns(date_day0(_as_dates(local[by_date]), name), "date")
    rule = np.where(dated, date_rule, "first_close_after").astype(object)
    rows = np.repeat(np.arange(n), k)
    return pd.DataFrame(
        {
            "event_id": events["event_id"].to_numpy()[rows],
            "exchange": np.tile(np.array(names, dtype=object), n),
            "announced_at_utc": instants.iloc[rows].reset_index(drop=True),
            "day0": _as_dates(grid.ravel()),
            "rule": rule[rows],
        }
    )


# ------------------------------------------------------------------------------------------------------------
# Event time
# ------------------------------------------------------------------------------------------------------------


def _positions(arr: _Arrays, dates: np.ndarray, exchange: str, where: str) -> np.ndarray:
    """Positions of session dates (int64 ns) in the calendar; CalendarError for NaT or a non-session."""
    flat = np.ravel(dates)
    pos = np.searchsorted(arr.sessions, flat, side="left")
    ok = (flat != _NAT) & (pos < arr.sessions.size)
    ok[ok] = arr.sessions[pos[ok]] == flat[ok]
    if not ok.all():
        bad = flat[np.argmin(ok)]
        value = "NaT" if bad == _NAT else str(_ts(bad).date())
        raise CalendarError(
            located(
                where,
                f"not a session of {exchange} (calendar spans {_span(arr)})",
                value=value,
                fix="give session dates, e.g. from day0() or sessions()",
            )
        )
    return pos.reshape(np.shape(dates))


def _wrap_numbers(out: np.ndarray, *inputs: Any) -> Any:
    if all(_is_scalar(x) for x in inputs):
        return out.item() if out.dtype.kind == "i" else out
    for x in inputs:
        if isinstance(x, pd.Series) and len(x) == out.size and out.ndim == 1:
            return pd.Series(out, index=x.index, name=x.name)
    return out


def event_day_offset(exchange: str, day0: Dates, date: Dates) -> Any:
    """The event time of ``date``: the number of sessions of ``exchange`` from ``day0`` to ``date``.

    Parameters
    ----------
    exchange
        A MIC or any ``exchange_calendars`` name (see :func:`get_calendar`).
    day0
        Day-0 session date(s), tz-naive.
    date
        Session date(s), tz-naive. ``day0`` and ``date`` broadcast against each other (numpy rules).

    Returns
    -------
    int or numpy.ndarray or pandas.Series
        The offset(s): 0 on day 0, +1 on the next session, negative before day 0. An ``int`` for two scalars;
        a Series (index of the Series input) when one input is a Series; an int64 array otherwise.

    Raises
    ------
    CalendarError
        If the exchange is unknown, or a value is missing (NaT) or not a session of the exchange.

    Examples
    --------
    >>> event_day_offset("XNYS", "2025-07-03", "2025-07-07")
    1
    >>> event_day_offset("XNYS", "2025-07-07", "2025-07-02")
    -2
    """
    arr = _arrays(_canonical(exchange))
    p0 = _positions(arr, _dates_ns(day0, "day0"), exchange, "day0")
    p1 = _positions(arr, _dates_ns(date, "date"), exchange, "date")
    return _wrap_numbers(np.subtract(p1, p0).astype(np.int64), day0, date)


def shift_sessions(exchange: str, day0: Dates, n: int | np.ndarray | pd.Series | list[int]) -> Any:
    """The session ``n`` sessions of ``exchange`` after ``day0`` (before it when ``n`` is negative).

    Parameters
    ----------
    exchange
        A MIC or any ``exchange_calendars`` name (see :func:`get_calendar`).
    day0
        Day-0 session date(s), tz-naive.
    n
        Session offset(s), integers; broadcast against ``day0`` (numpy rules).

    Returns
    -------
    pandas.Timestamp or numpy.ndarray or pandas.Series
        The tz-naive session date(s): a ``Timestamp`` for scalars; a Series (index of the Series input) when
        one input is a Series; a ``datetime64[ns]`` array otherwise.

    Raises
    ------
    CalendarError
        If the exchange is unknown, ``day0`` is missing or not a session, ``n`` is not an integer, or the
        shifted session falls outside the calendar.

    Examples
    --------
    >>> shift_sessions("XNYS", "2025-07-03", 1)
    Timestamp('2025-07-07 00:00:00')
    >>> shift_sessions("XNYS", "2025-07-07", -1)
    Timestamp('2025-07-03 00:00:00')
    """
    arr = _arrays(_canonical(exchange))
    p0 = _positions(arr, _dates_ns(day0, "day0"), exchange, "day0")
    steps = np.asarray(n)
    if steps.dtype.kind not in "iu":
        if steps.dtype.kind == "f" and np.all(np.isfinite(steps)) and np.all(steps == np.round(steps)):
            steps = steps.astype(np.int64)
        else:
            raise CalendarError(located("n", "session offsets must be integers", value=n, fix="give whole numbers"))
    target = p0 + steps.astype(np.int64)
    outside = (target < 0) | (target >= arr.sessions.size)
    if np.any(outside):
        i = int(np.argmax(np.ravel(outside)))
        raise CalendarError(
            located(
                "n",
                f"shift leaves the {exchange} calendar, which spans {_span(arr)}",
                value=int(np.ravel(np.broadcast_to(steps, target.shape))[i]),
                fix="use a smaller shift or an earlier/later day0",
            )
        )
    out = arr.sessions[target]
    if _is_scalar(day0) and _is_scalar(n):
        return _ts(out.item())
    for x in (day0, n):
        if isinstance(x, pd.Series) and len(x) == out.size and out.ndim == 1:
            return pd.Series(_as_dates(out), index=x.index, name=getattr(x, "name", None) if x is day0 else None)
    return _as_dates(out)
