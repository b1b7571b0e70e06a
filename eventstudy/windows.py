"""Event-time alignment: the panel of firm-events × event days, as arrays with masks.

For each firm-event the panel holds the security's returns and its benchmark's returns on the sessions of the
security's own exchange, from ``min(E1, W1)`` to ``max(E2, W2)`` relative to its day 0. A session with no usable
return stays in the panel as NaN (METHODS §1): nothing is shifted or dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

__all__ = [
    "Panel",
    "build_panel",
    "clean_estimation_mask",
    "merge_benchmark_gaps",
    "pooled_overlaps",
    "subset_panel",
]


@dataclass(frozen=True)
class Panel:
    """Aligned arrays for ``n`` firm-events over ``T`` event days.

    Attributes
    ----------
    keys
        One row per firm-event: ``event_id, ticker, group, ..., exchange, day0`` plus ``first_return`` and
        ``last_return`` (the span of the security's valid returns, NaT when it has none).
    rel
        ``(T,)`` event days, e.g. ``-250 … 10``.
    dates
        ``(n, T)`` session dates (``datetime64[ns]``; NaT beyond the calendar).
    ret, mret
        ``(n, T)`` security and benchmark returns (NaN where missing).
    estimation, event
        ``(T,)`` masks of the estimation and event windows.
    excluded
        ``(n, T)`` days removed from the estimation window (clean estimation windows); all False by default.
    merged
        ``(n, T)`` event days merged across a benchmark's missing session (METHODS §2): on each run the security's
        and the benchmark's returns are 0 but on its last day, which holds their returns across the whole run, so
        that a CAR window holding the whole run has the multi-day abnormal return; None or all False: no such day.
    """

    keys: pd.DataFrame
    rel: np.ndarray
    dates: np.ndarray
    ret: np.ndarray
    mret: np.ndarray
    estimation: np.ndarray
    event: np.ndarray
    excluded: np.ndarray
    merged: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.keys)

    def day_index(self, day: int) -> int:
        """Column of event day ``day``."""
        return int(day - self.rel[0])


_ALIGN_BLOCK = 8192


def build_panel(
    firm_events: pd.DataFrame,
    returns: Mapping[str, pd.Series],
    sessions: Mapping[str, pd.DatetimeIndex],
    *,
    estimation_window: tuple[int, int],
    event_window: tuple[int, int],
) -> Panel:
    """Align every firm-event's returns in event time, vectorised per exchange.

    Parameters
    ----------
    firm_events
        Columns ``event_id, ticker, exchange, benchmark, day0`` (day0 a session date of ``exchange``) and any
        labels to carry along.
    returns
        Ticker → returns indexed by session dates of the ticker's exchange. A ticker absent here has no data.
    sessions
        Exchange → its sessions, covering every day0 plus the windows.
    """
    lo = min(estimation_window[0], event_window[0])
    hi = max(estimation_window[1], event_window[1])
    rel = np.arange(lo, hi + 1)
    n, t = len(firm_events), len(rel)
    keys = firm_events.reset_index(drop=True).copy()
    # every row is written below when each firm-event has an exchange (the usual case): no filling first
    covered = bool(keys["exchange"].notna().all()) if n else True
    ret = np.empty((n, t)) if covered else np.full((n, t), np.nan)
    mret = np.empty((n, t)) if covered else np.full((n, t), np.nan)
    dates = (
        np.empty((n, t), dtype="datetime64[ns]")
        if covered
        else np.full((n, t), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    first = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    last = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")

    for exchange, rows in keys.groupby("exchange", sort=False).groups.items():
        rows = np.asarray(rows)
        sess = sessions[exchange]
        tickers = pd.unique(pd.concat([keys.loc[rows, "ticker"], keys.loc[rows, "benchmark"]]).dropna())
        tickers = [tk for tk in tickers if tk in returns]
        # last column: no data; last row: outside the sessions
        mat = np.full((len(sess) + 1, len(tickers) + 1), np.nan)
        if hasattr(returns, "on_sessions"):  # returns held as matrices: one gather, no Series per ticker
            returns.on_sessions(tickers, sess, out=mat[:-1, :-1])
        else:
            mat[:-1, :-1] = pd.DataFrame({tk: returns[tk] for tk in tickers}, index=sess, dtype=float).to_numpy()
        nodata, outside = mat.shape[1] - 1, mat.shape[0] - 1
        valid = ~np.isnan(mat[:-1])
        any_valid = valid.any(axis=0)
        first_pos = np.where(any_valid, valid.argmax(axis=0), -1)
        last_pos = np.where(any_valid, len(sess) - 1 - valid[::-1].argmax(axis=0), -1)

        col_of = pd.Index(tickers, dtype=object)
        sec = col_of.get_indexer(keys.loc[rows, "ticker"].to_numpy(dtype=object))
        sec[sec < 0] = nodata
        bench = col_of.get_indexer(keys.loc[rows, "benchmark"].to_numpy(dtype=object))
        bench[bench < 0] = nodata
        pos0 = sess.get_indexer(pd.DatetimeIndex(keys.loc[rows, "day0"]))
        sess_values = np.append(sess.values.astype("datetime64[ns]"), np.datetime64("NaT"))
        # blocks of rows, so that the position arrays stay small next to the panel itself
        for b in range(0, rows.size, _ALIGN_BLOCK):
            at = rows[b : b + _ALIGN_BLOCK]
            p0 = pos0[b : b + _ALIGN_BLOCK, None]
            pos = p0 + rel[None, :]
            pos[(pos < 0) | (pos >= len(sess)) | (p0 < 0)] = outside
            ret[at] = mat[pos, sec[b : b + _ALIGN_BLOCK, None]]
            mret[at] = mat[pos, bench[b : b + _ALIGN_BLOCK, None]]
            dates[at] = sess_values[pos]
        has = first_pos[sec] >= 0
        first[rows] = np.where(has, sess_values[np.maximum(first_pos[sec], 0)], np.datetime64("NaT"))
        last[rows] = np.where(has, sess_values[np.maximum(last_pos[sec], 0)], np.datetime64("NaT"))

    keys["first_return"] = first
    keys["last_return"] = last
    estimation = (rel >= estimation_window[0]) & (rel <= estimation_window[1])
    event = (rel >= event_window[0]) & (rel <= event_window[1])
    merged = np.zeros((n, t), dtype=bool)
    gaps = getattr(returns, "gaps", None)
    flags = np.full(n, "", dtype=object)
    if gaps is not None and len(gaps) and "benchmark" in keys.columns:
        flags = merge_benchmark_gaps(keys, rel, dates, ret, mret, event, gaps, merged)
    keys["benchmark_flags"] = flags
    return Panel(
        keys=keys,
        rel=rel,
        dates=dates,
        ret=ret,
        mret=mret,
        estimation=estimation,
        event=event,
        excluded=np.zeros((n, t), dtype=bool),
        merged=merged,
    )


def merge_benchmark_gaps(
    keys: pd.DataFrame,
    rel: np.ndarray,
    dates: np.ndarray,
    ret: np.ndarray,
    mret: np.ndarray,
    event: np.ndarray,
    gaps: pd.DataFrame,
    merged: np.ndarray,
) -> np.ndarray:
    """The two-day (multi-day) return across a benchmark's missing session, inside event windows (METHODS §2).

    For each gap of a benchmark that no fallback filled (:func:`eventstudy.data.returns.benchmark_gaps`: sessions
    ``first … last`` without a price, ``after`` the next one with a price) and each firm-event using that
    benchmark whose event window holds the whole run ``first … after`` with a return of the security on every
    day of it: the security's and the benchmark's returns are set to 0 on ``first … last`` and to their returns
    across the run on ``after`` (the security's compounded from its daily returns: :math:`\\prod(1+R_t)-1`, or
    the sum of log returns), and the run is marked in ``merged``. ``ret``, ``mret`` and ``merged`` are changed in
    place. Gaps filled from a fallback are not changed, only flagged.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` text per firm-event: each gap of its benchmark inside its event window and what was done with it
        (empty when there is none).
    """
    n = len(keys)
    notes: list[list[str]] = [[] for _ in range(n)]
    bench = keys["benchmark"].to_numpy(dtype=object)
    day = np.asarray(rel)
    for g in gaps.itertuples(index=False):
        rows = np.flatnonzero(bench == g.ticker)
        if rows.size == 0:
            continue
        d = dates[rows]
        first, after = (np.datetime64(pd.Timestamp(x), "ns") for x in (g.first, g.after))
        holds = ((d >= first) & (d <= after) & event[None, :]).any(axis=1)
        span = f"{g.first:%Y-%m-%d}" if g.first == g.last else f"{g.first:%Y-%m-%d} to {g.last:%Y-%m-%d}"
        if g.filled_by:
            for i in rows[holds]:
                notes[i].append(f"benchmark {g.ticker} {span} filled from {g.filled_by}")
            continue
        at_first = (d == first).argmax(axis=1)
        at_after = (d == after).argmax(axis=1)
        found = (d == first).any(axis=1) & (d == after).any(axis=1)
        for k in np.flatnonzero(holds):
            i, a, b = rows[k], int(at_first[k]), int(at_after[k])
            if found[k] and event[a] and event[b] and np.isfinite(ret[i, a : b + 1]).all():
                seg = ret[i, a : b + 1]
                ret[i, b] = float(np.sum(seg)) if g.kind == "log" else float(np.prod(1.0 + seg) - 1.0)
                ret[i, a:b] = 0.0
                mret[i, a:b] = 0.0
                mret[i, b] = g.ret
                merged[i, a : b + 1] = True
                notes[i].append(
                    f"benchmark {g.ticker} has no price on {span}: days {day[a]:+d} to {day[b]:+d} use the "
                    "returns across the gap of the security and the benchmark"
                )
            else:
                why = (
                    "the gap crosses the event window's edge"
                    if not (found[k] and event[a] and event[b])
                    else "the security has no price across it"
                )
                notes[i].append(f"benchmark {g.ticker} has no price on {span}: windows holding it are missing ({why})")
    return np.asarray(["; ".join(x) for x in notes], dtype=object)


def clean_estimation_mask(panel: Panel) -> np.ndarray:
    """Estimation days that fall inside another study event's event window for the same security (METHODS §2).

    Returns an ``(n, T)`` boolean mask, True where the day must leave the estimation window.
    """
    ev_dates = np.where(panel.event[None, :], panel.dates, np.datetime64("NaT"))
    tickers = panel.keys["ticker"].to_numpy()
    out = np.zeros(panel.dates.shape, dtype=bool)
    for tk in pd.unique(tickers):
        rows = np.flatnonzero(tickers == tk)
        if len(rows) < 2:
            continue
        covered = ev_dates[rows].ravel()
        covered = np.unique(covered[~np.isnat(covered)])
        est_dates = panel.dates[rows]
        hit = np.isin(est_dates, covered) & panel.estimation[None, :]
        out[rows] = hit
    return out


def subset_panel(panel: Panel, rows: np.ndarray) -> Panel:
    """The panel restricted to the firm-events where ``rows`` is True (every per-firm-event field is cut)."""
    idx = np.flatnonzero(rows)
    n = panel.n
    changes: dict[str, object] = {}
    for f in fields(panel):
        value = getattr(panel, f.name)
        if isinstance(value, pd.DataFrame) and len(value) == n:
            changes[f.name] = value.iloc[idx].reset_index(drop=True)
        elif isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] == n:
            changes[f.name] = value[idx]
    return replace(panel, **changes)  # type: ignore[arg-type]


def pooled_overlaps(
    panel: Panel,
    windows: Sequence[tuple[int, int]],
    usable: np.ndarray,
    pools: Mapping[str, Sequence[str]] | None,
) -> dict[str, np.ndarray]:
    """The firm-events a pooled set leaves out so that it counts each firm-event once (METHODS §4b).

    In a pooled set (the firm-events of several events), two firm-events of one security whose CAR windows share a
    session hold the same returns twice. Per pooled set and CAR window, the usable firm-events of each security are
    taken in date order and one is left out when its window shares a session with the window of the last one
    kept, so the earliest of a run of overlapping windows stays.

    Parameters
    ----------
    windows
        The CAR windows, in the order of the columns of ``usable``.
    usable
        ``(n, W)`` the firm-events usable for each CAR window.
    pools
        Pooled-set name → its event ids.

    Returns
    -------
    dict
        Pooled-set name → ``(n, W)`` mask of the firm-events left out (False outside the set).

    Examples
    --------
    A security with events one session apart: for the window [0, 1] the second event's window shares a session
    with the first's and is left out; for [0, 0] both stay.

    >>> keys = pd.DataFrame({"event_id": ["a", "b"], "ticker": ["X", "X"]})
    >>> days = pd.bdate_range("2025-01-06", periods=4).values
    >>> panel = Panel(keys, np.arange(-1, 3), np.vstack([days, np.roll(days, -1)]), np.zeros((2, 4)),
    ...               np.zeros((2, 4)), np.zeros(4, bool), np.ones(4, bool), np.zeros((2, 4), bool))
    >>> out = pooled_overlaps(panel, [(0, 0), (0, 1)], np.ones((2, 2), bool), {"pooled:x": ["a", "b"]})
    >>> out["pooled:x"].tolist()
    [[False, False], [False, True]]
    """
    out: dict[str, np.ndarray] = {}
    if not pools:
        return out
    event_ids = panel.keys["event_id"].to_numpy()
    _, ticker_code = np.unique(panel.keys["ticker"].to_numpy(dtype=str), return_inverse=True)
    dates = panel.dates.astype("int64")  # NaT is the smallest int64: such a window is never usable anyway
    for name, members in pools.items():
        in_pool = np.isin(event_ids, list(members))
        removed = np.zeros(usable.shape, dtype=bool)
        for w, (a, b) in enumerate(windows):
            rows = np.flatnonzero(in_pool & usable[:, w])
            if rows.size < 2:
                continue
            start = dates[rows, panel.day_index(a)]
            end = dates[rows, panel.day_index(b)]
            order = np.lexsort((rows, start, ticker_code[rows]))
            rows, start, end, code = rows[order], start[order], end[order], ticker_code[rows][order]
            last_code, last_end = -1, 0
            for i in range(rows.size):
                if code[i] == last_code and start[i] <= last_end:
                    removed[rows[i], w] = True
                else:
                    last_code, last_end = int(code[i]), int(end[i])
        out[name] = removed
    return out
