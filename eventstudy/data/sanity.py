"""Price sanity checks that speak: bad prints, extreme moves, unit jumps and dates off the exchange's sessions.

Called from the loading step on each exchange's block of closes (dates × tickers), before returns are computed.
Nothing is changed silently:

- a **bad print** (a one-day spike that reverses the next trading day: the close jumps by more than
  :data:`BAD_PRINT_LOG` in log terms and the next close is back within a fifth of that move) is not used as a price:
  its returns become missing, so it leaves every estimation window, and it is listed in the data notes
  (``bad_prints``) with a :class:`~eventstudy.errors.DataWarning`; a firm-event whose event window needs it gets
  the outcome ``missing_event_window``;
- an **extreme return** (``|P_t / P_{t-1} - 1|`` above ``max_abs_return``, 40 % by default) that does not reverse is
  real news (a stock can rise 51 % on a contract) and stays; it is listed (``extreme_returns``) with a warning;
- a **unit or currency jump** (a level shift that does not reverse and whose factor is a unit or currency factor,
  see :func:`unit_jump`) stays and is listed (``suspect_units``, each entry naming the date, the ratio, the likely
  cause and the fix) with a warning; it is not listed again as an extreme return;
- **dates off the sessions**: when more than ``off_session_share`` of a security's price dates are not sessions of
  its exchange, the exchange is probably wrong; a warning says so (``off_session_share`` in the notes).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "BAD_PRINT_LOG",
    "CURRENCY_PER_USD",
    "ROUND_FACTORS",
    "unit_jump",
    "news_like",
    "MAX_ABS_RETURN",
    "OFF_SESSION_SHARE",
    "PriceScreen",
    "screen_prices",
    "SANITY_COLUMNS",
]

#: A move larger than this in log terms (×1.8 or ÷1.8) that reverses the next trading day is a bad print.
BAD_PRINT_LOG = math.log(1.8)
#: Default bound on a daily simple return beyond which a return is flagged (kept, listed).
MAX_ABS_RETURN = 0.4
#: Default share of price dates off the exchange's sessions beyond which the exchange is questioned.
OFF_SESSION_SHARE = 0.01
_REVERSAL = 0.2  # the next close is back within this share of the spike (in log terms)

#: Round unit factors: cents and units, pence and pounds, thousands (a jump by one of these, or its inverse, within
#: :data:`UNIT_TOLERANCE`, is a suspected unit change).
ROUND_FACTORS: tuple[float, ...] = (10.0, 100.0, 1000.0, 10000.0)
#: How far (as a ratio) a jump may be from a round factor: the day's own return (a few per cent) rides on it.
UNIT_TOLERANCE = 1.03
#: A jump smaller than this factor (either way) is never called a currency change: ×1.5 or ÷2 are sizes that real
#: news reaches (MP Materials rose 51 % on a contract), and the rates of the close currencies (EUR, GBP, AUD, CAD per
#: USD) are of that size too, so a currency switch between them cannot be told from news by the ratio alone.
CURRENCY_MIN_FACTOR = 3.0
#: Units of each currency per US dollar: the lowest and highest daily reference rates of 2000–2026, rounded
#: outwards (ECB and Federal Reserve H.10 series), for the currencies whose switch makes a large jump. A jump by
#: the rate between a security's currency and another currency of the study falls inside the range of their cross
#: rate (the range of the one divided by the range of the other).
CURRENCY_PER_USD: dict[str, tuple[float, float]] = {
    "USD": (1.0, 1.0),
    "EUR": (0.62, 1.21),
    "GBP": (0.47, 0.95),
    "CHF": (0.72, 1.83),
    "AUD": (0.90, 2.08),
    "NZD": (1.11, 2.55),
    "CAD": (0.94, 1.62),
    "SGD": (1.20, 1.86),
    "CNY": (6.03, 8.29),
    "HKD": (7.70, 7.85),
    "TWD": (27.0, 35.3),
    "JPY": (75.0, 162.0),
    "KRW": (890.0, 1490.0),
    "INR": (39.0, 88.5),
    "IDR": (7100.0, 16700.0),
    "MYR": (2.93, 4.87),
    "THB": (28.6, 45.5),
    "ZAR": (5.6, 19.9),
    "BRL": (1.53, 6.30),
    "MXN": (8.9, 25.4),
    "SEK": (5.8, 11.6),
    "NOK": (4.9, 11.6),
    "DKK": (4.6, 9.0),
    "PLN": (2.0, 4.9),
    "ILS": (3.0, 5.0),
}
#: A day is news-like when its volume is at least this multiple of the median of the rows before it ...
NEWS_VOLUME = 3.0
#: ... and at least this multiple of the median of the rows after it (a unit change in the volume column itself
#: shifts the level for good; news makes a peak).
NEWS_VOLUME_AFTER = 2.0
_VOLUME_ROWS = 20
_CANDIDATE_LOG = math.log(min(CURRENCY_MIN_FACTOR, min(ROUND_FACTORS) / UNIT_TOLERANCE)) - 1e-9

#: The data-notes columns this module fills.
SANITY_COLUMNS: tuple[str, ...] = ("bad_prints", "extreme_returns", "suspect_units", "off_session_share")


@dataclass(frozen=True)
class PriceScreen:
    """What :func:`screen_prices` found in one block of closes.

    Attributes
    ----------
    drop
        ``(D, K)`` mask of the rows not to use as prices (bad prints).
    notes
        Per ticker, the data-notes cells: ``bad_prints``, ``extreme_returns``, ``suspect_units`` (``"; "``-joined
        ``YYYY-MM-DD`` entries) and ``off_session_share`` (a fraction).
    messages
        One line per finding, for a :class:`~eventstudy.errors.DataWarning`.
    """

    drop: np.ndarray
    notes: dict[str, dict[str, object]] = field(default_factory=dict)
    messages: tuple[str, ...] = ()


def _day(d: np.datetime64) -> str:
    return str(np.datetime_as_string(d, unit="D"))


def _cross_rate(base: str, quote: str) -> tuple[float, float] | None:
    """The range of units of ``quote`` per unit of ``base`` over the years of :data:`CURRENCY_PER_USD`."""
    b, q = CURRENCY_PER_USD.get(base), CURRENCY_PER_USD.get(quote)
    if b is None or q is None:
        return None
    return q[0] / b[1], q[1] / b[0]


def unit_jump(ratio: float, date: str, *, currency: str | None = None, currencies: Collection[str] = ()) -> str | None:
    """The data note of a lasting jump of the close by ``ratio`` (``P_t / P_{t-1}``) on ``date`` when the ratio is a
    unit or currency factor, else None.

    The rule (a level shift that persists; a one-day spike that reverses is a bad print, screened before):

    - **unit change**: the ratio is within 3 % (:data:`UNIT_TOLERANCE`) of a round factor of
      :data:`ROUND_FACTORS` (10, 100, 1000, 10 000) or its inverse: cents and units, pence and pounds (GBp/GBP,
      ZAc/ZAR), thousands. A real move hardly ever lands within 3 % of ×10 or ÷10;
    - **currency change**: the ratio, or its inverse, lies inside the range of the exchange rate between the
      security's ``currency`` and another currency of the study (``currencies``, e.g. every currency of the
      universe), from :data:`CURRENCY_PER_USD` widened by 3 % for the day's own return, and the jump is at least
      ×3 or ÷3 (:data:`CURRENCY_MIN_FACTOR`): USD to CNY is ×6–8.3, USD to JPY ×75–162, so a ×7.2 jump of a US
      stock in a study that also holds Chinese stocks is a suspected switch to yuan; a +51 % move is news,
      whatever the currencies. A jump by any other factor is not called a unit change: it is listed as an extreme
      return (a real move, or a split: see the loading step's split check).

    The caller leaves out news-like jumps (:func:`news_like`: the day's volume is a peak), which are real moves.

    Examples
    --------
    >>> unit_jump(100.4, "2024-05-02")
    '2024-05-02 x100.4 (a unit change by 100, e.g. cents and units or pence and pounds: divide the closes from \
2024-05-02 on by 100)'
    >>> unit_jump(7.21, "2024-05-02", currency="USD", currencies=["USD", "CNY"])
    '2024-05-02 x7.21 (a currency change, USD to CNY?: convert the closes from 2024-05-02 on from CNY to USD)'
    >>> unit_jump(1.51, "2025-07-10", currency="USD", currencies=["USD", "AUD", "CNY"]) is None
    True
    """
    if not (ratio > 0 and math.isfinite(ratio)):
        return None
    size = math.log(ratio)
    for factor in ROUND_FACTORS:
        if abs(abs(size) - math.log(factor)) < math.log(UNIT_TOLERANCE):
            fix = (
                f"divide the closes from {date} on by {factor:g}"
                if size > 0
                else (f"multiply the closes from {date} on by {factor:g}")
            )
            return f"{date} x{ratio:.4g} (a unit change by {factor:g}, e.g. cents and units or pence and pounds: {fix})"
    if currency is None or abs(size) < math.log(CURRENCY_MIN_FACTOR):
        return None
    for other in sorted(set(currencies) - {currency}):
        rate = _cross_rate(currency, other)
        if rate is None:
            continue
        lo, hi = rate[0] / UNIT_TOLERANCE, rate[1] * UNIT_TOLERANCE  # room for the day's own return
        if lo <= ratio <= hi:  # the closes from the jump on are in the other currency
            return (
                f"{date} x{ratio:.4g} (a currency change, {currency} to {other}?: convert the closes from {date} on "
                f"from {other} to {currency})"
            )
        if lo <= 1.0 / ratio <= hi:  # the closes before the jump were in the other currency
            return (
                f"{date} x{ratio:.4g} (a currency change, {other} to {currency}?: convert the closes before {date} "
                f"from {other} to {currency})"
            )
    return None


def news_like(volume: np.ndarray, i: int) -> bool:
    """Whether row ``i`` of a ticker's ``volume`` (its rows in order) is a news day: its volume is at least
    :data:`NEWS_VOLUME` × the median of the 20 rows before it and :data:`NEWS_VOLUME_AFTER` × the median of the 20
    rows after it (a peak, not a new level). False when the volumes are missing (nothing to tell).

    >>> v = np.r_[np.full(30, 100.0), 900.0, np.full(30, 150.0)]
    >>> news_like(v, 30), news_like(np.r_[np.full(30, 100.0), np.full(31, 10000.0)], 30)
    (True, False)
    """
    here = float(volume[i]) if 0 <= i < volume.size else math.nan
    before = volume[max(0, i - _VOLUME_ROWS) : i]
    after = volume[i + 1 : i + 1 + _VOLUME_ROWS]
    before = before[np.isfinite(before) & (before > 0)]
    after = after[np.isfinite(after) & (after > 0)]
    if not (here > 0) or before.size < 5:
        return False
    if here < NEWS_VOLUME * float(np.median(before)):
        return False
    return after.size < 5 or here >= NEWS_VOLUME_AFTER * float(np.median(after))


def screen_prices(
    dates: np.ndarray,
    close: np.ndarray,
    present: np.ndarray,
    sessions: np.ndarray,
    tickers: list[str] | np.ndarray,
    *,
    exchange: str,
    max_abs_return: float = MAX_ABS_RETURN,
    off_session_share: float = OFF_SESSION_SHARE,
    currency: Sequence[str] | None = None,
    currencies: Collection[str] = (),
    volume: np.ndarray | None = None,
) -> PriceScreen:
    """Screen a block of closes (one exchange) for bad prints, extreme returns, unit or currency jumps and
    off-session dates.

    Parameters
    ----------
    dates
        ``(D,)`` sorted ``datetime64[ns]`` row dates.
    close
        ``(D, K)`` closes (NaN where a ticker has no row).
    present
        ``(D, K)`` mask of the rows each ticker has.
    sessions
        The exchange's sessions (``datetime64[ns]``).
    tickers
        The ``K`` tickers, for the notes and messages.
    exchange
        The exchange's code, for the messages.
    max_abs_return
        The bound on ``|P_t / P_{t-1} - 1|`` beyond which a (non-reversing) return is flagged.
    off_session_share
        The share of dates off the sessions beyond which the exchange is questioned.
    currency
        The ``K`` tickers' currencies (for currency jumps; None: unit jumps only).
    currencies
        The other currencies a ticker's prices might have been switched to (e.g. every currency of the universe).
    volume
        ``(D, K)`` volumes (NaN where unknown): a jump on a news-like day (:func:`news_like`) is a real move.

    Examples
    --------
    >>> d = np.array(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], dtype="datetime64[ns]")
    >>> c = np.array([[10.0], [10000.0], [10.1], [10.2]])
    >>> s = screen_prices(d, c, np.isfinite(c), d, ["X"], exchange="XNYS")
    >>> s.drop[:, 0].tolist(), s.notes["X"]["bad_prints"]
    ([False, True, False, False], '2024-01-03 x1000 (reversed 2024-01-04)')
    """
    close = np.asarray(close, dtype="float64")
    present = np.asarray(present, dtype=bool) & np.isfinite(close) & (close > 0)
    d, k = close.shape
    drop = np.zeros((d, k), dtype=bool)
    on_session = np.isin(dates, sessions)
    notes: dict[str, dict[str, object]] = {}
    messages: list[str] = []
    counts = np.count_nonzero(present, axis=0)
    offs = np.count_nonzero(present & ~on_session[:, None], axis=0)
    quiet = _quiet_columns(close, present, max_abs_return)
    for j in range(k):
        tk = str(tickers[j])
        cells: dict[str, object] = dict.fromkeys(SANITY_COLUMNS, "")
        n = int(counts[j])
        off = int(offs[j])
        share = off / n if n else 0.0
        cells["off_session_share"] = round(share, 6)
        if n and share > off_session_share and off >= 2:
            messages.append(
                f"{tk}: {off} of its {n} price dates ({share:.1%}) are not sessions of {exchange}; check that "
                f"{exchange} is its exchange (a wrong exchange moves day 0 and drops those rows)"
            )
        if quiet[j]:  # no move large enough for a bad print, a unit jump or an extreme return
            notes[tk] = cells
            continue
        rows = np.flatnonzero(present[:, j])
        px = close[rows, j]
        if n >= 2:
            step = np.log(px[1:] / px[:-1])  # step[i]: from row i to row i + 1
            bad = np.zeros(n, dtype=bool)
            if n >= 3:
                up, back = step[:-1], step[1:]
                net = up + back
                spike = (np.abs(up) > BAD_PRINT_LOG) & (np.sign(back) == -np.sign(up))
                spike &= np.abs(net) < _REVERSAL * np.abs(up)
                bad[1:-1] = spike
            if bad.any():
                drop[rows[bad], j] = True
                hits = np.flatnonzero(bad)
                cells["bad_prints"] = "; ".join(
                    f"{_day(dates[rows[i]])} x{px[i] / px[i - 1]:.4g} (reversed {_day(dates[rows[i + 1]])})"
                    for i in hits
                )
                messages.append(
                    f"{tk}: bad print(s) not used as prices (a one-day spike that reverses the next day): "
                    f"{cells['bad_prints']}; its returns there are missing"
                )
            # moves between the remaining rows: a bad print and its reversal are one non-move
            keep = np.flatnonzero(~bad)
            if keep.size >= 2:
                kpx = px[keep]
                move = np.log(kpx[1:] / kpx[:-1])
                at = rows[keep[1:]]
                simple = np.expm1(move)
                extreme = np.abs(simple) > max_abs_return
                unit = np.zeros(move.size, dtype=bool)
                found = []
                vol = None if volume is None else np.asarray(volume[rows[keep], j], dtype="float64")
                for i in np.flatnonzero(np.abs(move) > _CANDIDATE_LOG):
                    note = unit_jump(
                        float(np.exp(move[i])),
                        _day(dates[at[i]]),
                        currency=None if currency is None else str(currency[j]),
                        currencies=currencies,
                    )
                    if note is not None and not (vol is not None and news_like(vol, int(i) + 1)):
                        unit[i] = True
                        found.append(note)
                if found:
                    cells["suspect_units"] = "; ".join(found)
                    messages.append(
                        f"{tk}: the close jumped by a unit or currency factor and stayed: {cells['suspect_units']}; "
                        "the prices are used as they are; check the price file's unit and currency"
                    )
                extreme &= ~unit
                if extreme.any():
                    cells["extreme_returns"] = "; ".join(
                        f"{_day(dates[a])} {r:+.1%}" for a, r in zip(at[extreme], simple[extreme], strict=True)
                    )
                    messages.append(
                        f"{tk}: daily return(s) beyond ±{max_abs_return:.0%} kept as real moves (they do not "
                        f"reverse): {cells['extreme_returns']}"
                    )
        notes[tk] = cells
    return PriceScreen(drop=drop, notes=notes, messages=tuple(messages))


def _quiet_columns(close: np.ndarray, present: np.ndarray, max_abs_return: float) -> np.ndarray:
    """``(K,)``: the columns whose every move from one present close to the next stays below each threshold of
    :func:`screen_prices` (a bad print's spike, a unit or currency factor, an extreme return), with a margin: they
    cannot be flagged, so the screen computes only their off-session share. The others are screened in full."""
    d, k = close.shape
    if d < 2 or k == 0:
        return np.ones(k, dtype=bool)
    bound = min(BAD_PRINT_LOG, _CANDIDATE_LOG, math.log1p(max_abs_return))
    if max_abs_return < 1:
        bound = min(bound, -math.log1p(-max_abs_return))
    bound *= 1 - 1e-9
    # the row of each column's previous present close (-1 before the first)
    last = np.where(present, np.arange(d)[:, None], -1)
    np.maximum.accumulate(last, axis=0, out=last)
    prev = last[:-1]
    at = present[1:] & (prev >= 0)
    before = np.take_along_axis(close, np.maximum(prev, 0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        move = np.abs(np.log(close[1:] / before))
    loud = at & ~(move <= bound)
    return ~loud.any(axis=0)


def screen_series(
    close: pd.Series,
    sessions: pd.DatetimeIndex,
    ticker: str,
    *,
    exchange: str,
    max_abs_return: float = MAX_ABS_RETURN,
    off_session_share: float = OFF_SESSION_SHARE,
    currency: str | None = None,
    currencies: Collection[str] = (),
) -> PriceScreen:
    """:func:`screen_prices` of one ticker's closes indexed by date."""
    dates = pd.DatetimeIndex(close.index).values.astype("datetime64[ns]")
    values = pd.to_numeric(close, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)[:, None]
    return screen_prices(
        dates,
        values,
        np.isfinite(values),
        pd.DatetimeIndex(sessions).values.astype("datetime64[ns]"),
        [ticker],
        exchange=exchange,
        max_abs_return=max_abs_return,
        off_session_share=off_session_share,
        currency=None if currency is None else [currency],
        currencies=currencies,
    )


def firm_event_flags(notes: pd.DataFrame, tickers: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per firm-event, the data notes' findings of its ticker that fall between ``first`` and ``last`` (its event
    window's first and last session), as one text cell (empty when there is none).

    ``notes`` is the data-notes table (``ticker`` and the :data:`SANITY_COLUMNS`); ``tickers``, ``first`` and
    ``last`` hold one entry per firm-event.
    """
    out = np.full(len(tickers), "", dtype=object)
    labels = {"bad_prints": "bad print", "extreme_returns": "extreme return", "suspect_units": "unit jump"}
    found: dict[str, list[tuple[np.datetime64, str]]] = {}
    cols = [c for c in labels if c in notes.columns]
    for row in notes[["ticker", *cols]].itertuples(index=False):
        for c, cell in zip(cols, row[1:], strict=True):
            for entry in str(cell or "").split("; "):
                if len(entry) >= 10 and entry[4] == "-":
                    found.setdefault(str(row[0]), []).append((np.datetime64(entry[:10], "ns"), f"{labels[c]} {entry}"))
    if not found:
        return out
    first = np.asarray(first, dtype="datetime64[ns]")
    last = np.asarray(last, dtype="datetime64[ns]")
    for i, tk in enumerate(tickers):
        hits = found.get(str(tk))
        if not hits or np.isnat(first[i]) or np.isnat(last[i]):
            continue
        inside = [text for day, text in hits if first[i] <= day <= last[i]]
        out[i] = "; ".join(inside)
    return out
