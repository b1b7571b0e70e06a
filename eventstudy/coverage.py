"""Coverage of a study by the prices at hand, without fitting: per ticker and per event.

Used by ``eventstudy validate``: for every security, whether the source has prices over the study's span; for
every firm-event, whether its estimation window holds at least ``min_estimation`` price days and its event window
is complete, counted on the exchange's sessions (the engine's later checks, thin trading for one, are not made).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["coverage"]


def coverage(study: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(per_ticker, per_event)`` for an :class:`~eventstudy.study.EventStudy` whose source can be read.

    ``per_ticker``: ``ticker, first_date, last_date, rows, status`` (``ok`` or what is missing);
    ``per_event``: ``event_id, firm_events, usable`` (enough estimation days and a complete event window).
    """
    secs = study.securities()
    start, end = study._span()
    tickers = list(dict.fromkeys([*secs["ticker"], *secs["benchmark"].dropna()]))
    fetched = study.source.fetch(tickers, start.date(), end.date())
    prices = fetched.prices
    rows = []
    dates: dict[str, pd.DatetimeIndex] = {}
    for t in tickers:
        p = prices.loc[prices["ticker"] == t, "date"]
        dates[t] = pd.DatetimeIndex(p)
        if p.empty:
            status = f"no prices ({fetched.failures.get(t, 'no rows in the span')})"
        elif p.min() > start + pd.Timedelta(days=31) or p.max() < end - pd.Timedelta(days=31):
            status = f"covers only {p.min():%Y-%m-%d}..{p.max():%Y-%m-%d} of {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        else:
            status = "ok"
        rows.append({"ticker": t, "first_date": p.min(), "last_date": p.max(), "rows": len(p), "status": status})
    per_ticker = pd.DataFrame(rows)
    _, fe, sessions = study.firm_events(secs, start, end, lambda msg: None)
    e1, e2 = study.estimation_window
    w1, w2 = study.event_window
    usable = np.zeros(len(fe), dtype=bool)
    for i, r in enumerate(fe.itertuples(index=False)):
        sess = sessions[r.exchange]
        if pd.isna(r.day0):
            continue
        pos = int(sess.searchsorted(r.day0))
        if pos - abs(e1) < 0 or pos + w2 >= len(sess):
            continue
        have = dates[r.ticker]
        est = sess[pos + e1 : pos + e2 + 1]
        window = sess[pos + w1 : pos + w2 + 1]
        usable[i] = int(have.isin(est).sum()) >= study.min_estimation and bool(window.isin(have).all())
    per_event = (
        fe.assign(usable=usable)
        .groupby("event_id", sort=False)
        .agg(firm_events=("usable", "size"), usable=("usable", "sum"))
        .reset_index()
    )
    return per_ticker, per_event
