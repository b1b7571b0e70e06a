"""Clustering-robust bands of the CAAR paths: on every day *t* of a headline event's path, the interval of the CAAR
over [a, t] that inverts the headline test (METHODS §4b), *a* being the start of one of the event's headline
windows.

The band on day *t* is the claim interval (:func:`.claims.claim_interval`) of the window [a, t]: the same test as
the claims (by default the Kolari–Pynnönen-adjusted BMP t, robust to cross-correlation from a shared event
date), on the same firm-events (those usable for [a, t]), with the same standard error
s.e. = |CAAR / statistic|. On a headline window's last day the band is that claim's interval, so it excludes zero
exactly when the claim's p-value is below 0.05.

The windows [a, t] are re-estimated with the fit's own estimate step and options (the fitted parameters do not
depend on the windows, so the CARs and their exact variances are the fit's), and the test runs through the
study's test runner. Results without a panel (read back from disk) give an empty table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..config import Window, window_label
from ..windows import subset_panel
from .base import register_analysis
from .claims import MIN_CLAIM_N, STATISTIC_COLUMNS, claim_interval

if TYPE_CHECKING:
    from ..results import EventStudyResults

__all__ = ["BAND_COLUMNS", "caar_bands", "band_windows"]

BAND_COLUMNS = ["event_id", "group", "start", "event_day", "window", *STATISTIC_COLUMNS]


def band_windows(claims: pd.DataFrame, event_end: int) -> dict[str, list[int]]:
    """Each headline event's band starts: the first days of its claims' windows, earliest first.

    >>> c = pd.DataFrame({"event_id": ["e", "e", "f"], "window": ["0_0", "m1_1", "0_1"]})
    >>> band_windows(c, 10)
    {'e': [-1, 0], 'f': [0]}
    """
    out: dict[str, list[int]] = {}
    for event_id, rows in claims.groupby("event_id", sort=False):
        starts = {Window(str(w), where="claims.window").start for w in rows["window"]}
        out[str(event_id)] = sorted(a for a in starts if a <= event_end)
    return out


@register_analysis(
    "caar_bands",
    description="per day of each headline event's CAAR path, the headline test's 95 % interval of the CAAR over "
    "[start, day] (Kolari–Pynnönen-adjusted BMP by default)",
)
def caar_bands(results: EventStudyResults) -> pd.DataFrame:
    """One row per headline event × group × band start *a* × day *t* in [a, event window's end]: the CAAR over
    [a, t], the primary test's statistic and p-value, and the interval that inverts it (columns
    :data:`BAND_COLUMNS`)."""
    from ..estimate import estimate
    from ..inference.runner import caar_table, run_tests
    from ..robustness import _options_of, _subset_abnormal

    claims = results.analyses.get("claims")
    panel = results.panel
    if panel is None or not isinstance(claims, pd.DataFrame) or claims.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    options = _options_of(results)
    test = str(claims["test"].dropna().iloc[0]) if claims["test"].notna().any() else "kp_bmp_t"
    end = int(options.event_window[1])
    starts = band_windows(claims, end)
    pairs = sorted({(a, t) for ss in starts.values() for a in ss for t in range(a, end + 1)})
    if not pairs:
        return pd.DataFrame(columns=BAND_COLUMNS)
    model = _model(results, options)
    # estimated over the whole panel (clean estimation windows see every event); the headline events are cut after
    p, abn = estimate(panel, model, options, car_windows=pairs)
    rows = np.isin(p.keys["event_id"].astype(str).to_numpy(), list(starts))
    p, abn = subset_panel(p, rows), _subset_abnormal(abn, rows)
    tests = run_tests(p, abn, [test], options.group_by, model=model, min_estimation=options.min_estimation)
    caar = caar_table(p, abn, options.group_by)
    keys = ["event_id", "group", "window"]
    frame = caar[[*keys, "nobs", "caar"]].merge(
        tests[[*keys, "statistic", "pvalue", "distribution"]], on=keys, how="left"
    )
    wanted = {(e, window_label((a, t))): (a, t) for e, ss in starts.items() for a in ss for t in range(a, end + 1)}
    frame = frame[[(e, w) in wanted for e, w in zip(frame["event_id"], frame["window"], strict=True)]]
    frame = frame[frame["group"].isin(set(claims["group"].astype(str)))].copy()
    at = [wanted[(e, w)] for e, w in zip(frame["event_id"], frame["window"], strict=True)]
    frame["start"] = [a for a, _ in at]
    frame["event_day"] = [t for _, t in at]
    small = frame["nobs"] < MIN_CLAIM_N
    frame.loc[small, ["statistic", "pvalue"]] = np.nan
    bands = [
        claim_interval(c, s, str(d))
        for c, s, d in zip(frame["caar"], frame["statistic"], frame["distribution"], strict=True)
    ]
    frame["std_err"] = [b[0] for b in bands]
    frame["ci_low"] = [b[1] for b in bands]
    frame["ci_high"] = [b[2] for b in bands]
    frame["test"] = test
    frame["interval_method"] = [
        f"{test}: CAAR over [{a}, t] ± {d} 97.5% point × |CAAR/statistic|" if isinstance(d, str) else ""
        for a, d in zip(frame["start"], frame["distribution"], strict=True)
    ]
    frame = frame.sort_values(["event_id", "group", "start", "event_day"], kind="stable")
    return frame.reindex(columns=BAND_COLUMNS).reset_index(drop=True)


def _model(results: Any, options: Any) -> Any:
    from ..models import get_model, world_model

    if isinstance(options.model, str) and options.model == "world" and results.world_returns is not None:
        return world_model(results.world_returns)
    return get_model(options.model)
