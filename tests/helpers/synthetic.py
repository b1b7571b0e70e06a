"""Small synthetic studies on one exchange (XNYS, benchmarked on SPY), shared by the claims, pooled-set and Dask
tests: the market-model prices of a few firms and their universe."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def market_prices(
    sessions: pd.DatetimeIndex,
    tickers: Sequence[str],
    *,
    seed: int,
    beta0: float,
    common_sd: float = 0.0,
    jump: tuple[pd.Timestamp, float] | None = None,
) -> pd.DataFrame:
    """Closes of SPY and of ``tickers`` on ``sessions``: firm i's return is 0.0001 + (beta0 + 0.1 i) R_m, plus a
    shock shared by every firm each day (sd ``common_sd``, when positive: the firms are cross-correlated) and its
    own noise (sd 0.012); ``jump = (day, size)`` adds ``size`` to every firm's return on ``day``."""
    rng = np.random.default_rng(seed)
    n = len(sessions)
    rm = rng.normal(0.0003, 0.01, n)
    cols = {"SPY": 400 * np.cumprod(1 + rm)}
    common = rng.normal(0, common_sd, n) if common_sd > 0 else 0.0
    for i, tk in enumerate(tickers):
        r = 0.0001 + (beta0 + 0.1 * i) * rm + common + rng.normal(0, 0.012, n)
        if jump is not None:
            r[sessions.get_loc(jump[0])] += jump[1]
        r[0] = 0.0
        cols[tk] = 10 * np.cumprod(1 + r)
    return pd.DataFrame(cols, index=pd.DatetimeIndex(sessions, name="date"))


def spy_universe(tickers: Sequence[str], groups: Sequence[str]) -> pd.DataFrame:
    """The universe of ``tickers`` (in ``groups``, one each) on XNYS, each benchmarked on SPY, plus SPY itself."""
    n = len(tickers)
    return pd.DataFrame(
        {
            "ticker": [*tickers, "SPY"],
            "name": [*tickers, "S&P 500"],
            "group": [*groups, "benchmark"],
            "exchange": ["XNYS"] * (n + 1),
            "currency": ["USD"] * (n + 1),
            "benchmark": ["SPY"] * n + [""],
        }
    )
