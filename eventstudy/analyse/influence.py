"""Leave-one-out influence of each firm on a group's CAAR (METHODS §4b)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["leave_one_out"]


def leave_one_out(car: np.ndarray, tickers: Sequence[str]) -> tuple[float, float, str]:
    """The range of the CAAR with each firm dropped in turn, and the firm whose removal moves it most.

    Parameters
    ----------
    car
        The usable firm-events' CARs of one group, event and window.
    tickers
        Their tickers, in the same order.

    Returns
    -------
    (low, high, ticker)
        ``min`` and ``max`` over i of mean(CAR without i), and the ticker with the largest
        ``|mean(CAR without i) − mean(CAR)|``; NaN, NaN and "" with fewer than two firms.

    Examples
    --------
    >>> low, high, ticker = leave_one_out(np.array([0.01, 0.02, 0.30]), ["A", "B", "C"])
    >>> round(low, 12), round(high, 12), ticker
    (0.015, 0.16, 'C')
    """
    car = np.asarray(car, dtype=float)
    n = car.size
    if n < 2:
        return float("nan"), float("nan"), ""
    drop = (car.sum() - car) / (n - 1)
    move = np.abs(drop - car.mean())
    return float(drop.min()), float(drop.max()), str(tickers[int(np.argmax(move))])
