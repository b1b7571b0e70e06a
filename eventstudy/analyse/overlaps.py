"""Overlapping events and firm-specific confounders inside a claim's CAR window (METHODS §4b)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import window_label
from ..errors import EventsError, located

__all__ = ["read_confounders", "overlap_mask", "confounded_mask", "ex_dividend_flags", "CONFOUNDER_COLUMNS"]

CONFOUNDER_COLUMNS = ("ticker", "date", "note")


def read_confounders(path: str | os.PathLike[str] | None) -> pd.DataFrame:
    """The firm-specific confounder list: one row per firm news (``ticker, date, note``).

    ``None`` gives an empty list. An error names the file, line, column, value and the fix.
    """
    if path is None:
        return pd.DataFrame({"ticker": pd.Series(dtype=str), "date": pd.Series(dtype="datetime64[ns]"), "note": ""})
    path = Path(path)
    if not path.is_file():
        raise EventsError(located(str(path), "confounders file not found", fix="give the path of a CSV file"))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CONFOUNDER_COLUMNS if c not in frame.columns]
    if missing:
        raise EventsError(
            located(f"{path.name}:1", f"missing column(s) {', '.join(missing)}", fix="the columns are ticker,date,note")
        )
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise EventsError(
            located(f"{path.name}:{i + 2}:date", "not a date", value=frame["date"].iloc[i], fix="write YYYY-MM-DD")
        )
    empty = frame["ticker"].str.strip() == ""
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise EventsError(located(f"{path.name}:{i + 2}:ticker", "the ticker is empty", fix="name the security"))
    return pd.DataFrame({"ticker": frame["ticker"].str.strip(), "date": dates, "note": frame["note"]})


def _window_dates(dates: np.ndarray, rel: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    cols = (rel >= window[0]) & (rel <= window[1])
    return dates[:, cols]


def overlap_mask(
    dates: np.ndarray,
    rel: np.ndarray,
    event_ids: np.ndarray,
    exchanges: np.ndarray,
    day0: pd.DataFrame,
    window: tuple[int, int],
) -> np.ndarray:
    """For each firm-event, whether another study event has its day 0 (on the firm's exchange) inside the window.

    ``dates`` is the panel's ``(n, T)`` session dates, ``rel`` its event days; ``day0`` the study's day-0 table.
    All firm-events at once: a window day is a hit when the day-0 table has more rows on that (exchange, date) than
    rows of the firm-event's own event.
    """
    win = _window_dates(dates, rel, window).astype("datetime64[ns]")
    n = len(event_ids)
    d0 = day0.dropna(subset=["day0"])
    if n == 0 or win.size == 0 or d0.empty:
        return np.zeros(n, dtype=bool)
    ex_codes, _ = pd.factorize(
        np.concatenate([np.asarray(exchanges, dtype=object), d0["exchange"].to_numpy(dtype=object)])
    )
    ev_codes, _ = pd.factorize(
        np.concatenate([np.asarray(event_ids, dtype=object), d0["event_id"].to_numpy(dtype=object)])
    )
    d_dates = d0["day0"].to_numpy(dtype="datetime64[ns]")
    uniq = np.unique(d_dates)
    pos = np.minimum(np.searchsorted(uniq, win), uniq.size - 1)
    on_day0 = (uniq[pos] == win) & (ex_codes[:n, None] >= 0)  # NaT and a missing exchange never match
    # (exchange, date) keys of the day-0 table, with and without the event
    d_ex, d_ev = ex_codes[n:], ev_codes[n:]
    d_key = d_ex * uniq.size + np.searchsorted(uniq, d_dates)
    d_key = d_key[d_ex >= 0]
    d_ev = d_ev[d_ex >= 0]
    n_ev = int(ev_codes.max()) + 2
    keys, counts = np.unique(d_key, return_counts=True)
    own_keys, own_counts = np.unique((d_key * n_ev + d_ev + 1)[d_ev >= 0], return_counts=True)
    r, c = np.nonzero(on_day0)
    key = ex_codes[r] * uniq.size + pos[r, c]
    at = np.minimum(np.searchsorted(keys, key), keys.size - 1)
    total = np.where(keys[at] == key, counts[at], 0)
    own_key = key * n_ev + ev_codes[r] + 1
    at = np.minimum(np.searchsorted(own_keys, own_key), max(own_keys.size - 1, 0))
    own = np.where((ev_codes[r] >= 0) & (own_keys[at] == own_key), own_counts[at], 0) if own_keys.size else 0
    out = np.zeros(n, dtype=bool)
    out[r[total > own]] = True
    return out


def confounded_mask(
    dates: np.ndarray, rel: np.ndarray, tickers: np.ndarray, confounders: pd.DataFrame, window: tuple[int, int]
) -> tuple[np.ndarray, list[str]]:
    """For each firm-event, whether its ticker has confounding news on a session of the window, and the notes."""
    win = _window_dates(dates, rel, window)
    out = np.zeros(len(tickers), dtype=bool)
    notes = [""] * len(tickers)
    if confounders.empty:
        return out, notes
    by_ticker = confounders.groupby("ticker").indices  # ticker → its rows, in table order
    news_dates = confounders["date"].to_numpy(dtype="datetime64[ns]")
    for i, tk in enumerate(tickers):
        rows = by_ticker.get(tk)
        if rows is None:
            continue
        hit = confounders.iloc[rows[np.isin(news_dates[rows], win[i])]]
        if len(hit):
            out[i] = True
            notes[i] = "; ".join(f"{tk} {d:%Y-%m-%d}: {n}" for d, n in zip(hit["date"], hit["note"], strict=True))
    return out, notes


def ex_dividend_flags(
    panel: Any,
    claim_windows: Mapping[str, Sequence[tuple[int, int]]],
    dividends: pd.DataFrame | None,
) -> np.ndarray:
    """Per firm-event, its benchmark's ex-dividend sessions of unknown amount that fall inside one of its event's
    claim windows (the return of a price-only benchmark drops by the dividend there, so the security's abnormal
    return is overstated by about β times the dividend yield).

    ``claim_windows`` maps an event id to its claim windows; ``dividends`` is the study's dividends table
    (``ticker, date, dividend``; a NaN ``dividend`` marks an ex-dividend session whose amount is not known).
    Returns an ``(n,)`` array of texts (empty when there is nothing to flag).
    """
    out = np.full(panel.n, "", dtype=object)
    if dividends is None or not len(dividends) or "benchmark" not in panel.keys.columns:
        return out
    unknown = dividends[dividends["dividend"].isna()]
    if not len(unknown):
        return out
    by_ticker = {tk: sub["date"].to_numpy(dtype="datetime64[ns]") for tk, sub in unknown.groupby("ticker")}
    bench = panel.keys["benchmark"].to_numpy(dtype=object)
    event_ids = panel.keys["event_id"].to_numpy(dtype=object)
    for i in np.flatnonzero(np.isin(bench, list(by_ticker))):
        days = by_ticker[bench[i]]
        hits: dict[np.datetime64, list[str]] = {}
        for a, b in claim_windows.get(str(event_ids[i]), ()):
            win = panel.dates[i, panel.day_index(a) : panel.day_index(b) + 1]
            for d in days[np.isin(days, win)]:
                hits.setdefault(d, []).append(window_label((a, b)))
        out[i] = "; ".join(
            f"benchmark {bench[i]} ex-dividend {pd.Timestamp(d):%Y-%m-%d}, amount unknown (not adjusted), inside "
            f"claim window {', '.join(w)}"
            for d, w in sorted(hits.items())
        )
    return out
