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
- a **unit jump** (a move by a factor within 3 % of 10, 100 or 1000, or their inverse, that does not reverse: prices
  switching between cents and units, pence and pounds) stays and is listed (``suspect_units``) with a warning;
- **dates off the sessions**: when more than ``off_session_share`` of a security's price dates are not sessions of
  its exchange, the exchange is probably wrong; a warning says so (``off_session_share`` in the notes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "BAD_PRINT_LOG",
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
_UNIT_TOL = math.log(1.03)
_UNIT_LOGS = np.log(np.array([10.0, 100.0, 1000.0]))

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
) -> PriceScreen:
    """Screen a block of closes (one exchange) for bad prints, extreme returns, unit jumps and off-session dates.

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
    for j in range(k):
        tk = str(tickers[j])
        rows = np.flatnonzero(present[:, j])
        px = close[rows, j]
        cells: dict[str, object] = dict.fromkeys(SANITY_COLUMNS, "")
        n = rows.size
        off = int(np.count_nonzero(~on_session[rows])) if n else 0
        share = off / n if n else 0.0
        cells["off_session_share"] = round(share, 6)
        if n and share > off_session_share and off >= 2:
            messages.append(
                f"{tk}: {off} of its {n} price dates ({share:.1%}) are not sessions of {exchange}; check that "
                f"{exchange} is its exchange (a wrong exchange moves day 0 and drops those rows)"
            )
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
                unit = np.min(np.abs(np.abs(move)[:, None] - _UNIT_LOGS[None, :]), axis=1) < _UNIT_TOL
                if unit.any():
                    cells["suspect_units"] = "; ".join(
                        f"{_day(dates[a])} x{r:.4g}" for a, r in zip(at[unit], np.exp(move[unit]), strict=True)
                    )
                    messages.append(
                        f"{tk}: the close moved by a power of ten and stayed ({cells['suspect_units']}); check the "
                        "price unit or currency (cents vs units, pence vs pounds); the prices are used as they are"
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


def screen_series(
    close: pd.Series, sessions: pd.DatetimeIndex, ticker: str, *, exchange: str, **options: float
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
        **options,
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
