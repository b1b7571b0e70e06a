"""Loading: every security's prices into returns on its exchange's sessions, in one pass over the universe.

The prices arrive as one date × ticker matrix (:class:`~eventstudy.data.sources.PriceMatrix`), straight from a
source that keeps them so (a caller's DataFrame) or from the canonical long frame of any other source. Each
exchange's sessions are computed once, the dates are placed on them once, and the checks, the returns and the
data notes are array operations over all of that exchange's tickers together (:func:`returns_matrix`). Only
when a check fails are the offending ticker's rows run through the one-security functions
(:func:`~eventstudy.data.returns.to_returns`, :func:`~eventstudy.data.returns.check_returns`), so that the error
names its first bad row exactly as they do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import calendars
from ..errors import DataWarning, PriceDataError, UniverseError, located
from . import returns as _returns
from .returns import NOTE_REASONS, SPLIT_LOG_THRESHOLD, SessionReturns
from .sanity import MAX_ABS_RETURN, SANITY_COLUMNS, screen_prices

__all__ = ["Loaded", "LoadedReturns", "load_returns"]

Progress = Callable[[str], None]


class LoadedReturns(Mapping[str, pd.Series]):
    """Ticker → its returns (a Series indexed by its exchange's sessions, from its first usable price to its
    last, as :func:`~eventstudy.data.returns.to_returns` gives them), backed by one matrix per exchange.

    :meth:`on_sessions` gives many tickers' returns on a calendar at once, without a Series per ticker.
    """

    def __init__(
        self,
        blocks: Mapping[str, SessionReturns],
        *,
        gaps: pd.DataFrame | None = None,
        dividends: pd.DataFrame | None = None,
    ) -> None:
        self.blocks = dict(blocks)
        #: the benchmarks' gaps (:func:`~eventstudy.data.returns.benchmark_gaps`), for the two-day returns
        self.gaps = gaps
        #: the dividends added back or flagged (:func:`~eventstudy.data.returns.add_dividends`)
        self.dividends = dividends
        self._where: dict[str, tuple[str, int]] = {}
        for exchange, block in self.blocks.items():
            for j, tk in enumerate(block.tickers):
                if block.first[j] >= 0 or str(tk) not in self._where:
                    self._where[str(tk)] = (exchange, j)

    def __getitem__(self, ticker: str) -> pd.Series:
        exchange, j = self._where[ticker]
        return self.blocks[exchange].frame(j).ret

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._where

    def span(self, ticker: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last session with a usable price of ``ticker`` (None when it has none)."""
        exchange, j = self._where[ticker]
        block = self.blocks[exchange]
        if block.first[j] < 0:
            return None
        return pd.Timestamp(block.sessions[block.first[j]]), pd.Timestamp(block.sessions[block.last[j]])

    def joint_span(self, tickers: Iterable[str]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and the last session with a usable price of any of ``tickers`` (None when none has one):
        :meth:`span` over many tickers, with one array operation per exchange."""
        cols: dict[str, list[int]] = {}
        for tk in tickers:
            hit = self._where.get(tk)
            if hit is not None:
                cols.setdefault(hit[0], []).append(hit[1])
        firsts, lasts = [], []
        for exchange, js in cols.items():
            block = self.blocks[exchange]
            at = np.asarray(js)
            first, last = block.first[at], block.last[at]
            have = first >= 0
            if have.any():
                firsts.append(block.sessions[first[have].min()])
                lasts.append(block.sessions[last[have].max()])
        if not firsts:
            return None
        return pd.Timestamp(min(firsts)), pd.Timestamp(max(lasts))

    def on_sessions(
        self, tickers: Sequence[str], sessions: pd.DatetimeIndex, *, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``(len(sessions), len(tickers))`` returns of ``tickers`` on ``sessions`` (matched by date), NaN where a
        ticker has no return that day or is not loaded; written into ``out`` when given."""
        sess = pd.DatetimeIndex(sessions).values.astype("datetime64[ns]")
        if out is None:
            out = np.empty((sess.size, len(tickers)))
        out.fill(np.nan)
        by_block: dict[str, tuple[list[int], list[int]]] = {}
        for i, tk in enumerate(tickers):
            hit = self._where.get(tk)
            if hit is not None:
                cols, cols_out = by_block.setdefault(hit[0], ([], []))
                cols.append(hit[1])
                cols_out.append(i)
        for exchange, (cols, cols_out) in by_block.items():
            block = self.blocks[exchange]
            at = pd.DatetimeIndex(block.sessions).get_indexer(sess)
            ok = np.flatnonzero(at >= 0)
            out[np.ix_(ok, np.asarray(cols_out))] = block.ret[np.ix_(at[ok], np.asarray(cols))]
        return out


@dataclass(frozen=True)
class Loaded:
    """What loading hands to alignment: the returns, the data notes (one row per ticker) and the data span."""

    returns: LoadedReturns
    notes: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp


def load_returns(
    universe: Any,
    secs: pd.DataFrame,
    day0: pd.DataFrame,
    *,
    source: Any,
    start: pd.Timestamp,
    end: pd.Timestamp,
    event_window: tuple[int, int],
    return_kind: str = "simple",
    cache: Any = None,
    offline: bool = False,
    extra: Sequence[str] = (),
    progress: Progress | None = None,
    max_abs_return: float = MAX_ABS_RETURN,
    dividends: pd.DataFrame | None = None,
) -> Loaded:
    """Load the returns of the securities ``secs``, their benchmarks and the tickers ``extra``.

    Parameters
    ----------
    universe
        The :class:`~eventstudy.universe.Universe` (its ``frame`` and ``name``).
    secs
        The universe rows studied.
    day0
        Day 0 of each event on each exchange (``event_id``, ``exchange``, ``day0``), for the split screening and
        the warnings about events outside the prices.
    source, cache, offline
        Where the prices come from (:func:`~eventstudy.data.cache.load_prices`).
    start, end
        The data span.
    event_window
        Large moves inside an event window of some study event are news, not suspected splits.

    Returns
    -------
    Loaded
        Returns per ticker on its exchange's sessions, and the data notes: per ticker its source, span, row and
        return counts, the rows not used by reason, the suspected unadjusted splits and the failure (if any).

    Warns
    -----
    DataWarning
        A ticker without prices, a suspected unadjusted split, an event outside every price of an exchange.
    """
    from .cache import load_prices
    from .sources import PriceMatrix

    progress = progress or (lambda msg: None)
    frame = universe.frame.set_index("ticker")
    benchmarks = list(dict.fromkeys(secs["benchmark"].dropna()))
    fallbacks = _returns.fallbacks_of(frame, benchmarks)  # the universe's benchmark_fallback of each benchmark
    tickers = list(dict.fromkeys([*secs["ticker"], *benchmarks, *fallbacks.values(), *extra]))
    missing_bench = [t for t in tickers if t not in frame.index]
    if missing_bench:
        raise UniverseError(
            f"{universe.name}:benchmark: {missing_bench[0]!r} is not a ticker of the universe; "
            "fix: add it as a row with group benchmark"
        )
    progress(f"loading prices for {len(tickers)} tickers, {start.date()} to {end.date()}")
    if cache is None and not offline and hasattr(source, "fetch_matrix"):
        matrix = source.fetch_matrix(tickers, start.date(), end.date())
    else:
        fetched = load_prices(tickers, start.date(), end.date(), source=source, cache=cache, offline=offline)
        matrix = PriceMatrix.from_long(fetched)
        del fetched
    exchange_of = frame.loc[tickers, "exchange"].to_numpy()

    col_of = pd.Index(matrix.tickers).get_indexer(tickers)
    have = col_of >= 0
    present = matrix.rows()
    first_valid = _first_valid(frame, tickers)
    blocks: dict[str, SessionReturns] = {}
    per_ticker: dict[str, dict[str, Any]] = {}
    for ex in pd.unique(exchange_of):
        mine = np.flatnonzero((exchange_of == ex) & have)
        if mine.size == 0:
            continue
        cols = col_of[mine]
        names = np.asarray([tickers[i] for i in mine], dtype=object)
        close = matrix.close[:, cols]
        rows = present[:, cols]
        # rows before a ticker's first valid date (a shell before its listing) are not its prices
        fv = first_valid[mine]
        before = rows & (matrix.dates[:, None] < fv[None, :])
        if before.any():
            rows = rows & ~before
            close = np.where(rows, close, np.nan)
        sess = calendars.sessions(ex, start.date(), end.date()).values.astype("datetime64[ns]")
        # bad prints are not prices; extreme moves, unit jumps, off-session dates are listed (data/sanity.py)
        volume = matrix.fields.get("volume")
        volume = None if volume is None else volume[:, cols]
        screen = screen_prices(
            matrix.dates,
            close,
            rows,
            sess,
            list(names),
            exchange=str(ex),
            max_abs_return=max_abs_return,
            currency=list(frame.loc[names, "currency"]),
            currencies=set(frame["currency"]),
            volume=volume,
        )
        if screen.drop.any():
            rows = rows & ~screen.drop
            close = np.where(rows, close, np.nan)
        for message in screen.messages:
            warnings.warn(message, DataWarning, stacklevel=3)
        _check_prices(names, matrix.dates, close, rows, volume, ex, start, end, return_kind)
        block = _returns.returns_matrix(
            matrix.dates, close, sess, kind=return_kind, present=rows, volume=volume, tickers=names
        )
        bad = _returns.mismatched_returns(block, matrix.dates, close)  # NaN where no row
        if bad.any():
            _explain_mismatch(block, int(np.flatnonzero(bad)[0]), matrix.dates, close, rows, sess)
        blocks[str(ex)] = block
        event_days = _event_window_mask(sess, day0.loc[day0["exchange"] == ex, "day0"].dropna(), event_window)
        splits = _suspect_splits(block, event_days)
        counts = np.count_nonzero(rows, axis=0)
        any_row = counts > 0
        first_row = np.where(any_row, rows.argmax(axis=0), 0)
        last_row = np.where(any_row, rows.shape[0] - 1 - rows[::-1].argmax(axis=0), 0)
        finite = ~np.isnan(block.ret)
        n_ret = np.count_nonzero(finite, axis=0)
        zeros = np.count_nonzero(block.ret == 0, axis=0)
        n_sess = np.where(block.first >= 0, block.last - block.first + 1, 0)
        dropped = np.count_nonzero(before, axis=0)
        for j, tk in enumerate(names):
            per_ticker[tk] = {
                "first_date": pd.Timestamp(matrix.dates[first_row[j]]) if any_row[j] else pd.NaT,
                "last_date": pd.Timestamp(matrix.dates[last_row[j]]) if any_row[j] else pd.NaT,
                "price_rows": int(counts[j]),
                "sessions": int(n_sess[j]),
                "returns": int(n_ret[j]),
                "missing_returns": int(n_sess[j] - n_ret[j]) - 1 if n_sess[j] else 0,
                "zero_returns": int(zeros[j]),
                "rows_before_first_valid_date": int(dropped[j]),
                **{f"rows_{r}": int(block.reasons[r][j]) for r in NOTE_REASONS},
                "suspect_splits": splits.get(j, ""),
                **screen.notes[str(tk)],
                "source_note": matrix.notes.get(str(tk), ""),
            }
        del close, rows, volume, before, finite
    # dividends of price-only series added back, then the benchmarks' gaps filled from a fallback or listed
    added = _returns.add_dividends(blocks, dividends) if dividends is not None and len(dividends) else None
    gaps = _returns.benchmark_gaps(blocks, benchmarks, fallbacks)
    returns = LoadedReturns(blocks, gaps=gaps, dividends=added)
    notes = _notes_table(tickers, exchange_of, per_ticker, matrix, returns, frame)
    notes = _returns.with_benchmark_notes(notes, gaps, added, fallbacks)
    _span_warnings(secs, returns, day0)
    return Loaded(returns, notes, start, end)


def _first_valid(frame: pd.DataFrame, tickers: Sequence[str]) -> np.ndarray:
    """Each ticker's first valid date (``datetime64[ns]``; the earliest date when it has none)."""
    lowest = np.datetime64(np.iinfo(np.int64).min + 1, "ns")
    if "first_valid_date" not in frame.columns:
        return np.full(len(tickers), lowest)
    values = pd.to_datetime(frame.loc[list(tickers), "first_valid_date"], errors="coerce").to_numpy(
        dtype="datetime64[ns]"
    )
    return np.where(np.isnat(values), lowest, values)


def _check_prices(
    names: np.ndarray,
    dates: np.ndarray,
    close: np.ndarray,
    rows: np.ndarray,
    volume: np.ndarray | None,
    exchange: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    kind: str,
) -> None:
    """The checks of :func:`~eventstudy.data.returns.to_returns` on every column at once; on a failure, the
    first offending ticker's rows go through ``to_returns`` itself, which raises with its own message."""
    with np.errstate(invalid="ignore"):
        bad = rows & (np.isinf(close) | (np.isfinite(close) & (close <= 0)))
    if not bad.any():
        return
    j = int(np.flatnonzero(bad.any(axis=0))[0])
    at = np.flatnonzero(rows[:, j])
    series = pd.Series(close[at, j], index=pd.DatetimeIndex(dates[at]))
    vol = None if volume is None else pd.Series(volume[at, j], index=series.index)
    sess = calendars.sessions(exchange, start.date(), end.date())
    _returns.to_returns(series, sess, kind=kind, volume=vol)
    raise PriceDataError(  # to_returns raises first; this is only reached if its rules ever differ
        located(f"{names[j]}:close", "price must be positive and finite", fix="correct or drop the row")
    )


def _explain_mismatch(
    block: SessionReturns, j: int, dates: np.ndarray, close: np.ndarray, rows: np.ndarray, sess: np.ndarray
) -> None:
    """Raise :func:`~eventstudy.data.returns.check_returns`'s error for column ``j`` of ``block``."""
    at = np.flatnonzero(rows[:, j])
    series = pd.Series(close[at, j], index=pd.DatetimeIndex(dates[at]))
    tk = str(block.tickers[j])
    _returns.check_returns(block.frame(j), series, pd.DatetimeIndex(sess), where=tk)
    raise PriceDataError(
        located(
            tk,
            "the returns do not match the closes they come from",
            fix="the returns are misaligned with the price file; report this with the file attached",
        )
    )


def _event_window_mask(sess: np.ndarray, day0: pd.Series, event_window: tuple[int, int]) -> np.ndarray:
    """``(T,)`` mask of the sessions inside the event window of any of the ``day0`` dates."""
    mask = np.zeros(sess.size, dtype=bool)
    if sess.size == 0 or len(day0) == 0:
        return mask
    pos = np.searchsorted(sess, pd.DatetimeIndex(day0).values.astype("datetime64[ns]")).astype(np.int64)
    at = (pos[:, None] + np.arange(event_window[0], event_window[1] + 1)[None, :]).ravel()
    mask[at[(at >= 0) & (at < sess.size)]] = True
    return mask


def _suspect_splits(block: SessionReturns, event_days: np.ndarray) -> dict[int, str]:
    """Overnight moves large enough to be an unadjusted split, outside every event window (one warning each);
    column → the data note (``"YYYY-MM-DD xRATIO; ..."``)."""
    ret = block.ret
    ratio_of = np.exp if block.kind == "log" else (lambda r: r + 1.0)
    # a cheap bound first (|ln ratio| > ln 1.8 needs a return beyond +0.79 or -0.44), the exact rule on those
    with np.errstate(invalid="ignore"):
        near = (np.abs(ret) > 0.58) if block.kind == "log" else ((ret > 0.79) | (ret < -0.44))
    near &= ~event_days[:, None]
    hit = np.zeros(ret.shape, dtype=bool)
    if near.any():
        at = np.nonzero(near)
        with np.errstate(invalid="ignore", divide="ignore"):
            size = np.abs(np.log(ratio_of(ret[at])))
        hit[at] = np.isfinite(size) & (size > SPLIT_LOG_THRESHOLD)
    out: dict[int, str] = {}
    if not hit.any():
        return out
    cols, days = np.nonzero(hit.T)
    for j in np.unique(cols):
        parts = []
        for t in days[cols == j]:
            ratio = float(ratio_of(ret[t, j]))
            date = pd.Timestamp(block.sessions[t])
            warnings.warn(
                f"{block.tickers[j]}: the close moved x{ratio:.3g} on {date:%Y-%m-%d} outside every event window; "
                "possibly an unadjusted split; check that the prices are split-adjusted",
                DataWarning,
                stacklevel=5,
            )
            parts.append(f"{date:%Y-%m-%d} x{ratio:.3g}")
        out[int(j)] = "; ".join(parts)
    return out


_COUNTS = ("price_rows", "sessions", "returns", "missing_returns", "zero_returns", "rows_before_first_valid_date")


def _notes_table(
    tickers: Sequence[str],
    exchange_of: np.ndarray,
    per_ticker: Mapping[str, Mapping[str, Any]],
    matrix: Any,
    returns: LoadedReturns,
    frame: pd.DataFrame,
) -> pd.DataFrame:
    """One row per ticker, in the order loaded: where its prices came from, what they hold, why any row was not
    used, and the failure of a ticker without prices (a warning each)."""
    records = []
    for tk, ex in zip(tickers, exchange_of, strict=True):
        row = {"ticker": tk, "exchange": ex, "source": matrix.source}
        got = per_ticker.get(tk)
        if got is None:
            failure = matrix.failures.get(tk, "no rows in the requested span")
            warnings.warn(
                f"{tk}: no prices ({failure}); its firm-events get the outcome no_data", DataWarning, stacklevel=5
            )
            records.append({**row, "failure": failure})
        else:
            records.append({**row, **got, "failure": ""})
    table = pd.DataFrame.from_records(records)
    for col in ("first_date", "last_date", *_COUNTS, *(f"rows_{r}" for r in NOTE_REASONS)):
        if col not in table.columns:
            table[col] = pd.NaT if col.endswith("_date") else np.nan
    for reason in NOTE_REASONS:
        col = f"rows_{reason}"
        table[col] = table[col].fillna(0).astype(int)
    table["suspect_splits"] = table.pop("suspect_splits").fillna("") if "suspect_splits" in table else ""
    for col in SANITY_COLUMNS:
        if col == "off_session_share":
            table[col] = table.get(col, np.nan)
        else:
            table[col] = table[col].fillna("") if col in table else ""
    # what the source says of the data it delivered (date-times converted to trading dates, a failed refresh)
    table["source_note"] = table["source_note"].fillna("") if "source_note" in table else ""
    table["failure"] = table.pop("failure").fillna("")
    order = ["ticker", "exchange", "source", "first_date", "last_date", *_COUNTS]
    order += [f"rows_{r}" for r in NOTE_REASONS] + ["suspect_splits", *SANITY_COLUMNS, "source_note", "failure"]
    return table[order]


def _span_warnings(secs: pd.DataFrame, returns: LoadedReturns, day0: pd.DataFrame) -> None:
    """Warn about an event whose day 0 lies outside the span of every price of the securities of an exchange:
    its firm-events there cannot be used."""
    studied = secs[secs["ticker"].isin(list(returns))]
    for ex, tks in studied.groupby("exchange", sort=False)["ticker"]:
        joint = returns.joint_span(pd.unique(tks))
        if joint is None:
            continue
        first, last = joint
        for d in day0.loc[day0["exchange"] == ex].itertuples():
            if d.day0 > last or d.day0 < first:
                side, code = (
                    ("after the last", "no_data")
                    if d.day0 > last
                    else ("before the first", "pre_listing (no_data where the benchmark has no price either)")
                )
                warnings.warn(
                    f"event {d.event_id}: day 0 {d.day0:%Y-%m-%d} on {ex} lies {side} price of every "
                    f"security there ({first:%Y-%m-%d} to {last:%Y-%m-%d}); its firm-events on {ex} get "
                    f"the outcome {code}",
                    DataWarning,
                    stacklevel=5,
                )
