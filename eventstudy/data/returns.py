"""Daily returns on an exchange's session calendar (METHODS §1).

A close series is put on the sessions it is given (this module knows no calendars): every session from the
first usable price to the last stays in the frame, with a missing return where there is no usable price. Rows
that are not used (dates that are not sessions, halt rows) are listed in :attr:`ReturnsFrame.notes`, so
nothing is dropped without a trace.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    "benchmark_gaps",
    "add_dividends",
    "GAP_COLUMNS",
    "DIVIDEND_COLUMNS",
    "fallbacks_of",
    "read_dividends",
    "with_benchmark_notes",
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


GAP_COLUMNS = ("ticker", "first", "last", "after", "ret", "kind", "filled_by")
"""The columns of :func:`benchmark_gaps`' table."""


def _columns_by_ticker(blocks: dict[str, SessionReturns]) -> dict[str, tuple[SessionReturns, int]]:
    """Ticker → (its block, its column): the block where it has prices when it is in several."""
    where: dict[str, tuple[SessionReturns, int]] = {}
    for block in blocks.values():
        for j, tk in enumerate(block.tickers):
            if block.first[j] >= 0 or str(tk) not in where:
                where[str(tk)] = (block, j)
    return where


def benchmark_gaps(
    blocks: dict[str, SessionReturns], benchmarks: Sequence[str], fallbacks: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Fill each benchmark's missing sessions from its fallback index where it has them, and list every gap.

    A gap is a run of sessions ``first … last`` without a usable price between two sessions with one; the
    benchmark's returns from ``first`` to ``after`` (the next session with a price) are then missing
    (METHODS §1). Where ``fallbacks`` names an index for the benchmark and that index has a return on every
    session of the run, the benchmark's missing closes are rebuilt from the last close before the gap and the
    fallback's returns, :math:`P_t = P_{t-1} (1 + R^{fb}_t)`, and its returns from ``first`` to ``after`` follow
    from them (the return on ``after`` keeps the benchmark's own close on ``after``). This is done **in place** on
    the benchmark's column of ``blocks``.

    Parameters
    ----------
    blocks
        Exchange → the returns of its tickers (:func:`returns_matrix`).
    benchmarks
        The tickers used as benchmarks.
    fallbacks
        Benchmark → the index that fills its missing sessions (the universe's ``benchmark_fallback``).

    Returns
    -------
    pandas.DataFrame
        One row per gap (columns :data:`GAP_COLUMNS`): the benchmark, the first and last session without a price,
        the session ``after`` the gap, ``ret`` the benchmark's return across the gap, from the close before
        ``first`` to the close on ``after`` (in the returns' ``kind``), and ``filled_by`` the fallback that filled
        it (empty when it stays a gap, for the two-day return of :func:`eventstudy.windows.build_panel`).

    Examples
    --------
    >>> sessions = pd.bdate_range("2025-10-21", periods=5).values
    >>> close = np.array([[100.0, 50.0], [101.0, 50.5], [np.nan, np.nan], [99.0, 49.0], [100.0, 49.5]])
    >>> block = returns_matrix(sessions, close, sessions, tickers=np.array(["IDX", "ALT"]))
    >>> gaps = benchmark_gaps({"X": block}, ["IDX"], {"IDX": "ALT"})
    >>> gaps[["first", "after", "filled_by"]].astype(str).values.tolist()
    [['2025-10-23', '2025-10-24', '']]
    >>> round(float(gaps["ret"].iloc[0]), 10)  # 99 / 101 - 1
    -0.0198019802
    """
    fallbacks = dict(fallbacks or {})
    where = _columns_by_ticker(blocks)
    records: list[tuple[Any, ...]] = []
    for tk in dict.fromkeys(benchmarks):
        if tk not in where:
            continue
        block, j = where[tk]
        lo, hi = int(block.first[j]), int(block.last[j])
        if lo < 0:
            continue
        missing = np.isnan(block.close[lo : hi + 1, j])
        if not missing.any():
            continue
        edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1) + lo, np.flatnonzero(edges == -1) + lo - 1
        fb = fallbacks.get(tk)
        fb_ret = None
        if fb is not None and fb in where:
            fb_block, fb_j = where[fb]
            at = pd.DatetimeIndex(fb_block.sessions).get_indexer(pd.DatetimeIndex(block.sessions))
            fb_ret = np.where(at >= 0, fb_block.ret[np.maximum(at, 0), fb_j], np.nan)
        func = RETURN_KINDS[block.kind]
        for a, b in zip(starts, ends, strict=True):
            filled = ""
            if fb_ret is not None and np.isfinite(fb_ret[a : b + 1]).all():
                growth = np.exp(fb_ret[a : b + 1]) if block.kind == "log" else 1.0 + fb_ret[a : b + 1]
                block.close[a : b + 1, j] = block.close[a - 1, j] * np.cumprod(growth)
                with np.errstate(invalid="ignore", divide="ignore"):
                    block.ret[a : b + 2, j] = func(block.close[a : b + 2, j] / block.close[a - 1 : b + 1, j])
                filled = str(fb)
            across = float(func(np.asarray(block.close[b + 1, j] / block.close[a - 1, j])))
            records.append(
                (
                    tk,
                    pd.Timestamp(block.sessions[a]),
                    pd.Timestamp(block.sessions[b]),
                    pd.Timestamp(block.sessions[b + 1]),
                    across,
                    block.kind,
                    filled,
                )
            )
    return pd.DataFrame.from_records(records, columns=list(GAP_COLUMNS))


DIVIDEND_COLUMNS = ("ticker", "date", "dividend")
"""The columns of a dividends table: the ticker, the ex-dividend session and the cash amount per unit, in the
price's currency (empty when the session is known but not the amount)."""


def add_dividends(blocks: dict[str, SessionReturns], dividends: pd.DataFrame) -> pd.DataFrame:
    """Add known cash dividends back into the return of their ex-dividend session (in place on ``blocks``).

    For a price series that is not dividend-adjusted (a price-only ETF), the return on the ex-dividend session
    ``t`` is :math:`R_t = (P_t + D_t) / P_{t-1} - 1` (``log``: :math:`\\ln((P_t + D_t)/P_{t-1})`), where
    :math:`D_t` is the cash dividend per unit. Give dividends only for series whose closes are not already
    dividend-adjusted, or they count twice.

    Parameters
    ----------
    dividends
        Columns :data:`DIVIDEND_COLUMNS`. A row with an empty (NaN) ``dividend`` is an ex-dividend session whose
        amount is not known: its return is left as it is and it is listed, to be flagged where it matters.

    Returns
    -------
    pandas.DataFrame
        One row per dividend row of a loaded ticker: ``ticker``, ``date``, ``dividend``, ``ret_before`` and
        ``ret_after`` (the return of that session without and with the dividend; equal when the amount is not
        known or the session has no return) and ``status`` (``added``, ``amount_unknown``, ``not_a_session``
        or ``no_return``).

    Examples
    --------
    >>> sessions = pd.bdate_range("2025-07-07", periods=3).values
    >>> block = returns_matrix(sessions, np.array([[100.0], [102.0], [99.0]]), sessions, tickers=np.array(["ETF"]))
    >>> out = add_dividends({"X": block}, pd.DataFrame({"ticker": ["ETF"], "date": ["2025-07-09"],
    ...                                                  "dividend": [2.5]}))
    >>> round(float(block.ret[2, 0]), 10)  # (99 + 2.5) / 102 - 1
    -0.0049019608
    >>> out["status"].tolist()
    ['added']
    """
    where = _columns_by_ticker(blocks)
    records: list[tuple[Any, ...]] = []
    for row in dividends.itertuples(index=False):
        tk = str(row.ticker)
        if tk not in where:
            continue
        block, j = where[tk]
        day = pd.Timestamp(row.date)
        amount = float(row.dividend)
        t = int(np.searchsorted(block.sessions, day.to_datetime64()))
        if t >= block.sessions.size or block.sessions[t] != day.to_datetime64():
            records.append((tk, day, amount, np.nan, np.nan, "not_a_session"))
            continue
        before = float(block.ret[t, j])
        if not np.isfinite(before) or t == 0:
            records.append((tk, day, amount, before, before, "no_return"))
            continue
        if not np.isfinite(amount):
            records.append((tk, day, amount, before, before, "amount_unknown"))
            continue
        after = float(RETURN_KINDS[block.kind](np.asarray((block.close[t, j] + amount) / block.close[t - 1, j])))
        block.ret[t, j] = after
        records.append((tk, day, amount, before, after, "added"))
    return pd.DataFrame.from_records(
        records, columns=["ticker", "date", "dividend", "ret_before", "ret_after", "status"]
    )


def fallbacks_of(universe: pd.DataFrame, benchmarks: Sequence[str]) -> dict[str, str]:
    """Benchmark → the index named in its ``benchmark_fallback`` cell (``universe`` indexed by ticker)."""
    if "benchmark_fallback" not in universe.columns:
        return {}
    out: dict[str, str] = {}
    for tk in benchmarks:
        if tk in universe.index:
            fb = universe.at[tk, "benchmark_fallback"]
            if isinstance(fb, str) and fb:
                out[str(tk)] = fb
    return out


def with_benchmark_notes(
    notes: pd.DataFrame, gaps: pd.DataFrame, dividends: pd.DataFrame | None, fallbacks: Mapping[str, str]
) -> pd.DataFrame:
    """The data notes with two more columns, before ``failure``:

    - ``benchmark_gaps``: each missing session of a benchmark and what was done with it (filled from the fallback,
      or the two-day return across it for the security and the benchmark, METHODS §2);
    - ``dividends``: each dividend row of the ticker: added back (with its amount) or an ex-dividend session whose
      amount is not known (its return is not adjusted).
    """
    gap_text: dict[str, list[str]] = {}
    for g in gaps.itertuples(index=False):
        span = f"{g.first:%Y-%m-%d}" if g.first == g.last else f"{g.first:%Y-%m-%d} to {g.last:%Y-%m-%d}"
        if g.filled_by:
            what = f"filled from {g.filled_by}"
        else:
            fb = fallbacks.get(str(g.ticker))
            lacks = f"; {fb} has no price either" if fb else ""
            what = f"no price{lacks}: the return across the gap, to {g.after:%Y-%m-%d}, for security and benchmark"
        gap_text.setdefault(str(g.ticker), []).append(f"{span} {what}")
    div_text: dict[str, list[str]] = {}
    if dividends is not None:
        for d in dividends.itertuples(index=False):
            if d.status == "added":
                text = f"{d.date:%Y-%m-%d} {d.dividend:g} added back"
            elif d.status == "amount_unknown":
                text = f"{d.date:%Y-%m-%d} ex-dividend, amount unknown: not adjusted"
            else:
                text = f"{d.date:%Y-%m-%d} {d.status.replace('_', ' ')}"
            div_text.setdefault(str(d.ticker), []).append(text)
    out = notes.copy()
    at = out.columns.get_loc("failure") if "failure" in out.columns else len(out.columns)
    tickers = out["ticker"].astype(str)
    out.insert(at, "dividends", ["; ".join(div_text.get(t, [])) for t in tickers])
    out.insert(at, "benchmark_gaps", ["; ".join(gap_text.get(t, [])) for t in tickers])
    return out


def read_dividends(source: pd.DataFrame | str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """A dividends table (columns :data:`DIVIDEND_COLUMNS`) from a frame or a CSV file; None stays None.

    ``dividend`` may be empty: the ex-dividend session is known, the amount is not.

    Raises
    ------
    PriceDataError
        Naming the file, line and column, the value and the fix.
    """
    if source is None:
        return None
    name = "<frame>"
    if isinstance(source, pd.DataFrame):
        frame = source.astype(str).where(source.notna(), "")
    else:
        path = Path(source)
        name = path.name
        if not path.is_file():
            raise PriceDataError(located(str(path), "dividends file not found", fix="give the path of a CSV file"))
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in DIVIDEND_COLUMNS if c not in frame.columns]
    if missing:
        raise PriceDataError(
            located(f"{name}:1", f"missing column(s) {', '.join(missing)}", fix="the columns are ticker,date,dividend")
        )
    tickers = frame["ticker"].astype(str).str.strip()
    dates = pd.to_datetime(frame["date"].astype(str).str.strip(), format="%Y-%m-%d", errors="coerce")
    text = frame["dividend"].astype(str).str.strip()
    amounts = pd.to_numeric(text.where(text != "", "nan"), errors="coerce")
    for i in range(len(frame)):
        line = f"{name}:{i + 2}"
        if not tickers.iloc[i]:
            raise PriceDataError(located(f"{line}:ticker", "the ticker is empty", fix="name the security"))
        if pd.isna(dates.iloc[i]):
            raise PriceDataError(
                located(f"{line}:date", "not a date", value=frame["date"].iloc[i], fix="write the ex-dividend date")
            )
        bad = text.iloc[i] not in ("", "nan") and not (np.isfinite(amounts.iloc[i]) and amounts.iloc[i] > 0)
        if bad:
            raise PriceDataError(
                located(
                    f"{line}:dividend",
                    "the dividend must be a positive amount per unit",
                    value=text.iloc[i],
                    fix="write the cash amount in the price's currency, or leave it empty when it is not known",
                )
            )
    return pd.DataFrame({"ticker": tickers, "date": dates, "dividend": amounts.astype(float)}).reset_index(drop=True)
