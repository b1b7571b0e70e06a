"""Daily returns on an exchange's session calendar (METHODS §1).

A close series is put on the sessions it is given (this module knows no calendars): every session from the
first usable price to the last stays in the frame, with a missing return where there is no usable price. Rows
that are not used (dates that are not sessions, halt rows) are listed in :attr:`ReturnsFrame.notes`, so
nothing is dropped without a trace.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, PriceDataError, located

__all__ = [
    "ReturnsFrame",
    "to_returns",
    "check_returns",
    "suspect_splits",
    "RETURN_KINDS",
    "NOTE_REASONS",
    "SPLIT_LOG_THRESHOLD",
]

SPLIT_LOG_THRESHOLD = math.log(1.8)
"""An overnight move with ``|ln(P_t / P_{t-1})|`` above this (a rise beyond +80 % or a fall beyond −44 %, the
size of a 2:1 or 1:2 split) is flagged as a possible unadjusted split unless it falls in a study event's window."""


def _simple(ratio: np.ndarray) -> np.ndarray:
    return ratio - 1.0


def _log(ratio: np.ndarray) -> np.ndarray:
    return np.log(ratio)


RETURN_KINDS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"simple": _simple, "log": _log}
"""Return kinds by name: ``simple`` is :math:`P_t/P_{t-1} - 1`, ``log`` is :math:`\\ln(P_t/P_{t-1})`."""

NOTE_REASONS: dict[str, str] = {
    "off_calendar": "dated on a day that is not a session of the exchange; not used",
    "outside_sessions": "dated outside the span of the sessions given; not used",
    "halt": "zero volume and the close of the previous row (a halt kept as a flat row); treated as missing",
    "missing_close": "the close is empty; treated as missing",
}
"""The reasons that can appear in :attr:`ReturnsFrame.notes`."""


@dataclass(frozen=True)
class ReturnsFrame:
    """Returns of one security on its exchange's sessions.

    Attributes
    ----------
    frame
        Indexed by session date (``date``), from the first usable price to the last, with columns ``close``
        (the price used; NaN on a session without a usable price) and ``ret``.
    notes
        One row per input row that was not used as a price: columns ``date``, ``reason`` (a key of
        :data:`NOTE_REASONS`), ``close`` and ``volume``.
    kind
        ``"simple"`` or ``"log"``.
    multi_day
        Whether returns were allowed to span missing days.
    """

    frame: pd.DataFrame
    notes: pd.DataFrame
    kind: str = "simple"
    multi_day: bool = False

    @property
    def ret(self) -> pd.Series:
        """The returns, indexed by session date."""
        return self.frame["ret"]

    @property
    def close(self) -> pd.Series:
        """The prices used, indexed by session date."""
        return self.frame["close"]

    def dates(self, reason: str) -> pd.DatetimeIndex:
        """The dates noted with ``reason`` (e.g. ``"halt"`` or ``"off_calendar"``)."""
        if reason not in NOTE_REASONS:
            raise ConfigError(
                located("reason", "unknown note reason", value=reason, fix=f"use one of {', '.join(NOTE_REASONS)}")
            )
        return pd.DatetimeIndex(self.notes.loc[self.notes["reason"] == reason, "date"], name="date")


def _dates(index: pd.Index, *, where: str) -> pd.DatetimeIndex:
    try:
        idx = pd.DatetimeIndex(index)
    except (TypeError, ValueError):
        raise PriceDataError(
            located(
                where,
                "the index is not dates",
                value=str(index[:3].tolist()),
                fix="index the series by trading date",
            )
        ) from None
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    if idx.hasnans:
        raise PriceDataError(located(where, "the index has an empty date", fix="drop rows without a date"))
    # the date of each stamp (floor to midnight) in numpy: DatetimeIndex.normalize infers a frequency each call
    return pd.DatetimeIndex(idx.values.astype("datetime64[D]").astype("datetime64[ns]"), name=idx.name)


def to_returns(
    close: pd.Series,
    sessions: pd.DatetimeIndex,
    *,
    kind: str = "simple",
    multi_day: bool = False,
    volume: pd.Series | None = None,
) -> ReturnsFrame:
    """Daily returns of one security, on the sessions of its exchange.

    Parameters
    ----------
    close
        Adjusted closes indexed by exchange-local trading date.
    sessions
        The exchange's sessions (dates); they should cover the dates of ``close``.
    kind
        ``"simple"`` (default) or ``"log"``.
    multi_day
        Let a return span missing sessions: it is then attributed to the session where the price reappears. By
        default a missing price makes that session's return **and the next one's** missing.
    volume
        Volumes on the same dates as ``close``. With it, a row with zero volume whose close equals the
        previous row's close (a halt that the vendor kept as a flat row) is treated as missing.

    Returns
    -------
    ReturnsFrame
        ``frame`` (``close``, ``ret``) indexed by every session from the first usable price to the last, and
        ``notes`` listing the rows not used (off-calendar dates, rows outside the sessions' span, halt rows,
        empty closes).

    Notes
    -----
    .. math::

        R_t = P_t / P_{t-1} - 1 \\quad\\text{(simple)}, \\qquad R_t = \\ln(P_t / P_{t-1}) \\quad\\text{(log)}

    where :math:`P_{t-1}` is the price of the previous session (METHODS §1), or with ``multi_day`` the last
    session with a price.

    Examples
    --------
    >>> sessions = pd.bdate_range("2025-07-07", "2025-07-11")
    >>> dates = pd.to_datetime(["2025-07-07", "2025-07-08", "2025-07-09"])
    >>> close = pd.Series([10.0, 11.0, 12.1], index=dates)
    >>> to_returns(close, sessions).ret.round(4).tolist()
    [nan, 0.1, 0.1]
    """
    if kind not in RETURN_KINDS:
        raise ConfigError(
            located("kind", "unknown return kind", value=kind, fix=f"use one of {', '.join(RETURN_KINDS)}")
        )
    if not isinstance(close, pd.Series):
        raise PriceDataError(
            located(
                "close",
                "expected a pandas Series of closes indexed by date",
                value=type(close).__name__,
                fix="pass frame.set_index('date')['close']",
            )
        )
    dates = _dates(close.index, where="close.index")
    values = pd.to_numeric(close, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    sess = _dates(pd.Index(sessions), where="sessions").unique().sort_values()

    if dates.has_duplicates:
        d = dates[dates.duplicated()][0]
        raise PriceDataError(located(f"close[{d:%Y-%m-%d}]", "duplicated date", fix="keep one row per date"))
    order = np.argsort(dates.to_numpy(), kind="stable")
    dates, values = dates[order], values[order]
    if volume is None:
        vol = np.full(len(values), np.nan)
    else:
        vol_series = pd.Series(
            pd.to_numeric(volume, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
            index=_dates(volume.index, where="volume.index"),
        )
        if vol_series.index.has_duplicates:
            d = vol_series.index[vol_series.index.duplicated()][0]
            raise PriceDataError(located(f"volume[{d:%Y-%m-%d}]", "duplicated date", fix="keep one row per date"))
        vol = vol_series.reindex(dates).to_numpy()

    finite = np.isfinite(values)
    bad = (finite & (values <= 0)) | np.isinf(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PriceDataError(
            located(
                f"close[{dates[i]:%Y-%m-%d}]",
                "price must be positive and finite",
                value=float(values[i]),
                fix="correct or drop the row",
            )
        )

    in_span = (dates >= sess[0]) & (dates <= sess[-1]) if len(sess) else np.zeros(len(dates), dtype=bool)
    on_cal = dates.isin(sess)
    reason = np.full(len(dates), "", dtype=object)
    reason[~in_span] = "outside_sessions"
    reason[in_span & ~on_cal] = "off_calendar"
    used = on_cal & ~np.isnan(values)
    reason[on_cal & np.isnan(values)] = "missing_close"

    # Halt rows: zero volume and the same close as the previous usable row.
    pos = np.flatnonzero(used)
    prev_close = np.full(len(dates), np.nan)
    prev_close[pos[1:]] = values[pos[:-1]]
    halt = used & (vol == 0) & (values == prev_close)
    reason[halt] = "halt"
    used &= ~halt

    notes = pd.DataFrame(
        {
            "date": dates[reason != ""],
            "reason": pd.Series(reason[reason != ""], dtype=str),
            "close": values[reason != ""],
            "volume": vol[reason != ""],
        }
    )

    if not used.any():
        frame = pd.DataFrame(
            {"close": np.array([], dtype="float64"), "ret": np.array([], dtype="float64")},
            index=pd.DatetimeIndex([], name="date", dtype="datetime64[ns]"),
        )
        return ReturnsFrame(frame=frame, notes=notes, kind=kind, multi_day=multi_day)

    prices = pd.Series(values[used], index=dates[used])
    grid = sess[(sess >= prices.index[0]) & (sess <= prices.index[-1])]
    px = prices.reindex(grid).to_numpy()
    prev = np.empty_like(px)
    prev[0] = np.nan
    if multi_day:
        prev[1:] = pd.Series(px).ffill().to_numpy()[:-1]
    else:
        prev[1:] = px[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ret = RETURN_KINDS[kind](px / prev)
    frame = pd.DataFrame({"close": px, "ret": ret}, index=pd.DatetimeIndex(grid, name="date"))
    return ReturnsFrame(frame=frame, notes=notes, kind=kind, multi_day=multi_day)


def check_returns(
    rf: ReturnsFrame, close: pd.Series, sessions: pd.DatetimeIndex, *, where: str, rtol: float = 1e-10
) -> None:
    """Cross-check returns against the prices they came from, matching by **date**, never by position.

    For every session ``d`` with a return, the close on ``d`` and on the session before ``d`` (both looked up by
    date in ``close``, the price file's rows) must give that return again.

    Raises
    ------
    PriceDataError
        Naming ``where`` and the first date whose return does not match its prices.
    """
    ret = rf.frame["ret"]
    ok = ret.notna().to_numpy()
    if not ok.any():
        return
    px = pd.Series(
        pd.to_numeric(close, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
        index=_dates(close.index, where=where),
    )
    px = px[~px.index.duplicated(keep="first")]
    sess = _dates(pd.Index(sessions), where="sessions").unique().sort_values()
    dates = pd.DatetimeIndex(ret.index[ok])
    pos = sess.get_indexer(dates)
    bad_pos = pos <= 0
    prev = pd.DatetimeIndex(np.where(bad_pos, dates.values, sess.values[np.maximum(pos - 1, 0)]))
    now_px = px.reindex(dates).to_numpy()
    prev_px = px.reindex(prev).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = RETURN_KINDS[rf.kind](now_px / prev_px)
    got = ret.to_numpy()[ok]
    good = ~bad_pos & np.isclose(got, expected, rtol=rtol, atol=1e-14)
    if rf.multi_day:
        good |= ~bad_pos  # a multi-day return spans a gap; its previous price is not the previous session's
    if not good.all():
        i = int(np.flatnonzero(~good)[0])
        raise PriceDataError(
            located(
                f"{where}[{dates[i]:%Y-%m-%d}]",
                f"the return {got[i]:.6g} does not match the closes {prev_px[i]:.6g} on "
                f"{prev[i]:%Y-%m-%d} and {now_px[i]:.6g} on {dates[i]:%Y-%m-%d} (expected {expected[i]:.6g})",
                fix="the returns are misaligned with the price file; report this with the file attached",
            )
        )


def suspect_splits(
    rf: ReturnsFrame, *, exclude: pd.DatetimeIndex | None = None, threshold: float = SPLIT_LOG_THRESHOLD
) -> pd.DataFrame:
    """Overnight moves large enough to be an unadjusted split, outside the dates in ``exclude``.

    Returns a frame with columns ``date`` and ``ratio`` (``P_t / P_{t-1}``), one row per flagged session.
    """
    ret = rf.frame["ret"]
    ratio = np.exp(ret.to_numpy()) if rf.kind == "log" else ret.to_numpy() + 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.abs(np.log(ratio))
    hit = np.isfinite(size) & (size > threshold)
    dates = pd.DatetimeIndex(ret.index)
    if exclude is not None and len(exclude):
        hit &= ~dates.isin(exclude)
    return pd.DataFrame({"date": dates[hit], "ratio": ratio[hit]})


@dataclass(frozen=True)
class SessionReturns:
    """Returns of several securities of one exchange on its sessions: one column per ticker.

    Column ``j`` holds what :func:`to_returns` gives for ticker ``j`` on the same sessions, placed on the full
    session grid (NaN outside the span from its first usable price to its last).

    Attributes
    ----------
    sessions
        ``(T,)`` session dates (``datetime64[ns]``).
    tickers
        ``(N,)`` ticker names.
    close, ret
        ``(T, N)`` the prices used (NaN on a session without a usable price) and the returns.
    first, last
        ``(N,)`` positions of the first and last session with a usable price (−1 when there is none).
    reasons
        Key of :data:`NOTE_REASONS` → ``(N,)`` count of each ticker's rows not used for that reason.
    volume
        ``(T, N)`` volumes on the sessions, or None when the source has none.
    """

    sessions: np.ndarray
    tickers: np.ndarray
    close: np.ndarray
    ret: np.ndarray
    first: np.ndarray
    last: np.ndarray
    reasons: dict[str, np.ndarray]
    kind: str = "simple"
    volume: np.ndarray | None = None

    def frame(self, j: int) -> ReturnsFrame:
        """Column ``j`` as the :class:`ReturnsFrame` of :func:`to_returns` (its ``notes`` left empty)."""
        lo, hi = int(self.first[j]), int(self.last[j])
        span = slice(lo, hi + 1) if lo >= 0 else slice(0, 0)
        frame = pd.DataFrame(
            {"close": self.close[span, j], "ret": self.ret[span, j]},
            index=pd.DatetimeIndex(self.sessions[span], name="date"),
        )
        notes = pd.DataFrame({"date": pd.DatetimeIndex([]), "reason": [], "close": [], "volume": []})
        return ReturnsFrame(frame=frame, notes=notes, kind=self.kind)


def returns_matrix(
    dates: np.ndarray,
    close: np.ndarray,
    sessions: np.ndarray,
    *,
    kind: str = "simple",
    present: np.ndarray | None = None,
    volume: np.ndarray | None = None,
    tickers: np.ndarray | None = None,
) -> SessionReturns:
    """:func:`to_returns` for many securities of one exchange at once, on a date × ticker matrix.

    Parameters
    ----------
    dates
        ``(D,)`` sorted, unique ``datetime64[ns]`` midnights, the rows of ``close``.
    close
        ``(D, N)`` closes, positive where present (the caller has checked them; NaN: an empty close).
    sessions
        ``(T,)`` the exchange's sessions, sorted and unique.
    present
        ``(D, N)`` the cells that are rows of the price data (default: the cells with a close).
    volume
        ``(D, N)`` volumes: with them, a zero-volume row that repeats the previous usable close is a halt.

    Notes
    -----
    The same rules as :func:`to_returns` (without ``multi_day``), for every column in one pass of array
    operations: rows off the calendar or outside the sessions' span, empty closes and halts are counted per
    ticker by reason, and a session without a usable price leaves its return and the next one missing.
    """
    if kind not in RETURN_KINDS:
        raise ConfigError(
            located("kind", "unknown return kind", value=kind, fix=f"use one of {', '.join(RETURN_KINDS)}")
        )
    d, n = close.shape
    sess = np.asarray(sessions, dtype="datetime64[ns]")
    t = sess.size
    nan = np.isnan(close)
    present = ~nan if present is None else present
    pos = np.searchsorted(sess, dates)
    on_cal = (pos < t) & (sess[np.minimum(pos, max(t - 1, 0))] == dates) if t else np.zeros(d, dtype=bool)
    in_span = (dates >= sess[0]) & (dates <= sess[-1]) if t else np.zeros(d, dtype=bool)
    used = present & ~nan & on_cal[:, None]
    reasons = {
        "off_calendar": np.count_nonzero(present & (in_span & ~on_cal)[:, None], axis=0),
        "outside_sessions": np.count_nonzero(present & ~in_span[:, None], axis=0),
        "halt": np.zeros(n, dtype=np.int64),
        "missing_close": np.count_nonzero(present & nan & on_cal[:, None], axis=0),
    }
    if volume is not None:
        # halt rows: zero volume and the close of the previous usable row of the same ticker
        last_used = np.where(used, np.arange(d)[:, None], -1)
        np.maximum.accumulate(last_used, axis=0, out=last_used)
        prev_row = np.full((d, n), -1)
        prev_row[1:] = last_used[:-1]
        prev_close = np.where(prev_row >= 0, np.take_along_axis(close, np.maximum(prev_row, 0), axis=0), np.nan)
        halt = used & (volume == 0) & (close == prev_close)
        reasons["halt"] = np.count_nonzero(halt, axis=0)
        used &= ~halt
    rows = np.flatnonzero(on_cal)
    if rows.size == t == d:  # the price dates are the sessions themselves
        px = np.where(used, close, np.nan)
    else:
        px = np.full((t, n), np.nan)
        px[pos[rows]] = np.where(used[rows], close[rows], np.nan)
    vol = None
    if volume is not None:
        vol = np.full((t, n), np.nan)
        vol[pos[rows]] = np.where(present[rows], volume[rows], np.nan)
    valid = ~np.isnan(px)
    has = valid.any(axis=0)
    first = np.where(has, valid.argmax(axis=0), -1)
    last = np.where(has, t - 1 - valid[::-1].argmax(axis=0), -1)
    ret = np.empty((t, n))
    if t:
        ret[0] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(px[1:], px[:-1], out=ret[1:])
            if kind == "simple":  # in place: no temporary the size of the matrix
                ret[1:] -= 1.0
            elif kind == "log":
                np.log(ret[1:], out=ret[1:])
            else:
                ret[1:] = RETURN_KINDS[kind](ret[1:])
    names = np.asarray(tickers, dtype=object) if tickers is not None else np.arange(n).astype(str).astype(object)
    return SessionReturns(
        sessions=sess,
        tickers=names,
        close=px,
        ret=ret,
        first=first,
        last=last,
        reasons=reasons,
        kind=kind,
        volume=vol,
    )


def mismatched_returns(
    sr: SessionReturns, dates: np.ndarray, close: np.ndarray, *, rtol: float = 1e-10, block: int = 64
) -> np.ndarray:
    """:func:`check_returns` for every column of ``sr`` at once: a ``(N,)`` mask of the tickers with a return
    that the closes on its session and on the session before, both looked up **by date** in the price rows
    (``dates``, ``close`` as given to :func:`returns_matrix`, NaN where there is no row), do not give again.

    Works through the sessions in blocks of ``block``, so that its temporaries stay small."""
    sess = sr.sessions
    t, n = sr.ret.shape
    if t == 0:
        return np.zeros(n, dtype=bool)
    pos = np.searchsorted(sess, dates)
    on_cal = (pos < t) & (sess[np.minimum(pos, t - 1)] == dates)
    row_of = np.full(t, -1, dtype=np.int64)  # the price row dated on each session, -1 for none
    row_of[pos[on_cal]] = np.flatnonzero(on_cal)
    got = sr.ret
    bad = ~np.isnan(got[0])  # a return on the first session has no session before it
    func = RETURN_KINDS[sr.kind]
    with np.errstate(invalid="ignore", divide="ignore"):
        for lo in range(1, t, block):
            hi = min(t, lo + block)
            now = close[np.maximum(row_of[lo:hi], 0)]
            now[row_of[lo:hi] < 0] = np.nan
            prev = close[np.maximum(row_of[lo - 1 : hi - 1], 0)]
            prev[row_of[lo - 1 : hi - 1] < 0] = np.nan
            expected = func(now / prev)
            g = got[lo:hi]
            off = ~(np.abs(g - expected) <= 1e-14 + rtol * np.abs(expected)) & ~np.isnan(g)
            bad |= off.any(axis=0)
    return bad
