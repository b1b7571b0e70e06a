"""The study's claims: headline event × group × headline window, with the statistics a referee asks for.

METHODS §4b. For each claim:

- the primary test's statistic and p-value (default ``kp_bmp_t``);
- an interval that inverts that test: CAAR ± t_crit × s.e., where t_crit is the 97.5 % point of the test's own
  reference distribution and s.e. = |CAAR / statistic| is the standard error the test implies for the CAAR
  (for ``kp_bmp_t`` the Kolari–Pynnönen-adjusted one). The interval excludes zero exactly when p < 0.05;
- Holm and Benjamini–Hochberg adjusted p-values over the family of the study's claims (statsmodels);
- the placebo p-value from pseudo-event days (:mod:`eventstudy.analyse.placebo`), its pool and smallest p;
- the leave-one-out range of the CAAR and the most influential firm;
- the number of firm-events whose claim window holds another study event, or firm news from the confounder list.

A group with fewer than :data:`MIN_CLAIM_N` usable firm-events gets its CAAR and firms, but no statistic,
p-value or interval; its ``note`` says why.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..config import window_label
from ..inference.runner import group_cells
from .influence import leave_one_out
from .overlaps import confounded_mask, overlap_mask
from .placebo import placebo_caars, placebo_pool, placebo_pvalue

__all__ = [
    "CLAIM_COLUMNS",
    "MIN_CLAIM_N",
    "adjust_claims",
    "build_claims",
    "claim_windows",
    "claim_interval",
    "headline_windows",
    "critical_value",
    "small_group_rule",
]

#: Fewest usable firm-events for a test, a p-value and an interval (METHODS §4b).
MIN_CLAIM_N = 5

#: a CAAR with its primary test and the interval from that test: the columns claims and CAAR bands share
STATISTIC_COLUMNS = [
    "nobs",
    "caar",
    "test",
    "statistic",
    "pvalue",
    "std_err",
    "ci_low",
    "ci_high",
    "interval_method",
]

CLAIM_COLUMNS = [
    "event_id",
    "group",
    "window",
    *STATISTIC_COLUMNS,
    "pvalue_holm",
    "qvalue_bh",
    "placebo_pvalue",
    "placebo_pool",
    "placebo_min_p",
    "loo_low",
    "loo_high",
    "loo_ticker",
    "n_overlap",
    "n_confounded",
    "note",
]

#: METHODS §4b defaults: a timed event's headline windows, and a date-only one's.
TIMED_WINDOWS = ("0_0", "m1_1")
DATED_WINDOWS = ("0_1",)


def headline_windows(
    events: pd.DataFrame, available: Sequence[str], overrides: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """The headline windows of each headline event: the study's choice, else [0,0] and [−1,1] for a timed event
    and [0,1] for a date-only one (only windows the study computes)."""
    overrides = overrides or {}
    out: dict[str, list[str]] = {}
    for ev in events[events["headline"].astype(bool)].itertuples():
        default = DATED_WINDOWS if ev.time_precision == "day" else TIMED_WINDOWS
        chosen = [str(w) for w in overrides.get(ev.event_id, default)]
        out[str(ev.event_id)] = [w for w in chosen if w in available]
    return out


def claim_windows(
    events: pd.DataFrame, overrides: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[tuple[int, int]]]:
    """Every event's claim windows as ``(start, end)`` pairs: the study's headline windows for the event where it
    names them, else METHODS §4b's defaults ([0,0] and [−1,1] timed, [0,1] date-only), whether or not the event is a
    headline one (for flags that concern any window a claim would read)."""
    from ..config import Window

    overrides = overrides or {}
    out: dict[str, list[tuple[int, int]]] = {}
    for ev in events.itertuples():
        default = DATED_WINDOWS if ev.time_precision == "day" else TIMED_WINDOWS
        chosen = overrides.get(str(ev.event_id), default)
        out[str(ev.event_id)] = [(int(Window(w)[0]), int(Window(w)[1])) for w in chosen]
    return out


def _rows_by_cell(test_table: pd.DataFrame, test: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The rows of one test, by (event_id, group, window), as plain mappings (one pass, no index lookups)."""
    rows = test_table[test_table["test"] == test]
    keys = zip(rows["event_id"], rows["group"], rows["window"], strict=True)
    return dict(zip(keys, rows.to_dict("records"), strict=True))


@functools.lru_cache(maxsize=256)
def critical_value(distribution: str, level: float = 0.95) -> float:
    """The two-sided critical value of a test's reference distribution: ``"t(12)"`` or ``"N(0,1)"``.

    Examples
    --------
    >>> round(critical_value("N(0,1)"), 4)
    1.96
    >>> round(critical_value("t(9)"), 4)
    2.2622
    """
    from scipy import special  # on first use (and scipy.stats's quantiles, without importing scipy.stats)

    q = 0.5 + level / 2
    text = str(distribution).strip()
    if text.startswith("t(") and text.endswith(")"):
        return float(special.stdtrit(float(text[2:-1]), q))
    if text.startswith("N(0"):
        return float(special.ndtri(q))
    return float("nan")


def claim_interval(caar: float, statistic: float, distribution: str, level: float = 0.95) -> tuple[float, float, float]:
    """The interval that inverts a test: ``(s.e., low, high)`` with s.e. = |CAAR/statistic|.

    ``CAAR ± t_crit × s.e.`` excludes zero exactly when |statistic| > t_crit, i.e. when the test's two-sided
    p-value is below 1 − level.
    """
    if not (np.isfinite(caar) and np.isfinite(statistic)) or statistic == 0:
        return float("nan"), float("nan"), float("nan")
    se = abs(caar / statistic)
    crit = critical_value(distribution, level)
    return se, caar - crit * se, caar + crit * se


def small_group_rule(test_table: pd.DataFrame) -> pd.DataFrame:
    """The tests table with no statistic or p-value for a group below :data:`MIN_CLAIM_N` usable firm-events.

    With so few firm-events the cross-sectional tests have almost no degrees of freedom and GRANK's rescaling by
    the cross-sectional sd is degenerate (two firms give SCAR* = ±1/√2 whatever the data), so none is reported;
    the note says why (METHODS §4b).
    """
    out = test_table.copy()
    small = out["nobs"].to_numpy(dtype=float) < MIN_CLAIM_N
    if not small.any():
        return out
    out.loc[small, ["statistic", "pvalue"]] = np.nan
    why = f"not reported: fewer than {MIN_CLAIM_N} usable firm-events"
    old = out.loc[small, "notes"].fillna("").astype(str)
    out.loc[small, "notes"] = np.where(old == "", why, why + "; " + old)
    return out


def build_claims(
    *,
    panel: Any,
    abn: Any,
    test_table: pd.DataFrame,
    events: pd.DataFrame,
    day0: pd.DataFrame,
    group_by: Sequence[str],
    primary_test: str = "kp_bmp_t",
    windows: Mapping[str, Sequence[str]] | None = None,
    confounders: pd.DataFrame | None = None,
    placebo: Mapping[str, Any] | None = None,
    adjust: bool = True,
) -> pd.DataFrame:
    """One row per claim (columns :data:`CLAIM_COLUMNS`).

    ``placebo`` holds what the pseudo-event draws need: ``returns``, ``sessions``, ``model``,
    ``estimation_window``, ``event_window``, ``min_estimation``, ``thin_trading_share``, ``data_start``,
    ``data_end``, ``draws`` (default 999) and ``seed``; without it the placebo columns are NaN and the note says so.

    ``adjust=False`` leaves the Holm and Benjamini–Hochberg columns empty: for the claims of a part of the study's
    events (a chunk of the Dask backend), whose family is complete only once every part is in; then
    :func:`adjust_claims` on all the rows together.
    """
    labels = [window_label(w) for w in abn.windows]
    windows = headline_windows(events, labels, windows)
    confounders = confounders if confounders is not None else pd.DataFrame(columns=["ticker", "date", "note"])
    keys = panel.keys
    tests = _rows_by_cell(test_table, primary_test)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, bytes], str] = {}
    for event_id, group, members in group_cells(keys, group_by):
        if event_id not in windows:
            continue
        for label in windows[event_id]:
            w = labels.index(label)
            window = abn.windows[w]
            use = members[abn.usable(w)[members]]
            same = (event_id, label, use.tobytes())
            if same in seen:  # a segment holding exactly a group's firm-events is the same claim, counted once
                continue
            seen[same] = group
            n = int(use.size)
            car = abn.car[use, w]
            tickers = keys["ticker"].to_numpy()[use]
            caar = float(car.mean()) if n else float("nan")
            row: dict[str, Any] = {"event_id": event_id, "group": group, "window": label, "nobs": n, "caar": caar}
            row["test"] = primary_test
            notes: list[str] = []
            key = (event_id, group, label)
            if n >= MIN_CLAIM_N and key in tests:
                t = tests[key]
                stat, p, dist = float(t["statistic"]), float(t["pvalue"]), str(t["distribution"])
                se, lo, hi = claim_interval(caar, stat, dist)
                row.update(statistic=stat, pvalue=p, std_err=se, ci_low=lo, ci_high=hi)
                row["interval_method"] = f"{primary_test}: CAAR ± {dist} 97.5% point × |CAAR/statistic|"
                if not np.isfinite(p):
                    notes.append(f"{primary_test} not computable: {t.get('notes', '')}".strip())
            else:
                row.update(statistic=np.nan, pvalue=np.nan, std_err=np.nan, ci_low=np.nan, ci_high=np.nan)
                row["interval_method"] = ""
                notes.append(f"fewer than {MIN_CLAIM_N} usable firm-events ({n}): CAAR and firms only, no test")
            lo_, hi_, who = leave_one_out(car, tickers)
            row.update(loo_low=lo_, loo_high=hi_, loo_ticker=who)
            ov = overlap_mask(
                panel.dates[use],
                panel.rel,
                keys["event_id"].to_numpy()[use],
                keys["exchange"].to_numpy()[use],
                day0,
                window,
            )
            conf, conf_notes = confounded_mask(panel.dates[use], panel.rel, tickers, confounders, window)
            row["n_overlap"] = int(ov.sum())
            row["n_confounded"] = int(conf.sum())
            if conf.any():
                notes.append("confounded: " + "; ".join(c for c in conf_notes if c))
            row["_rows"] = use
            row["_notes"] = notes
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    _placebo(frame, panel, abn, day0, placebo)
    frame["note"] = ["; ".join(n) for n in frame.pop("_notes")]
    frame = frame.drop(columns=["_rows"]).reindex(columns=CLAIM_COLUMNS).reset_index(drop=True)
    return adjust_claims(frame) if adjust else frame


def adjust_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims with Holm-adjusted p-values and Benjamini–Hochberg q-values over the family of all of them
    (:func:`holm` and :func:`benjamini_hochberg`; claims without a p-value are not in the family)."""
    frame = claims.reindex(columns=CLAIM_COLUMNS).reset_index(drop=True)
    has_p = frame["pvalue"].notna().to_numpy()
    frame["pvalue_holm"] = np.nan
    frame["qvalue_bh"] = np.nan
    if has_p.any():
        p = frame.loc[has_p, "pvalue"].to_numpy(dtype=float)
        frame.loc[has_p, "pvalue_holm"] = holm(p)
        frame.loc[has_p, "qvalue_bh"] = benjamini_hochberg(p)
    return frame


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values: the same operations as statsmodels'
    ``multipletests(p, method="holm")[1]`` (which imports all of scipy.stats, a second's start-up for a few lines).

    >>> holm(np.array([0.01, 0.04, 0.03])).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    adjusted[adjusted > 1] = 1
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values: the same operations as statsmodels' ``multipletests(p, method="fdr_bh")[1]``.

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03])).round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    ecdf = np.arange(1, p.size + 1) / float(p.size)
    adjusted = np.minimum.accumulate((p[order] / ecdf)[::-1])[::-1]
    adjusted[adjusted > 1] = 1
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def _placebo(frame: pd.DataFrame, panel: Any, abn: Any, day0: pd.DataFrame, opts: Mapping[str, Any] | None) -> None:
    """Fill the placebo columns of ``frame`` in place, one engine call per claim's firms."""
    frame["placebo_pvalue"] = np.nan
    frame["placebo_pool"] = 0
    frame["placebo_min_p"] = np.nan
    if not opts:
        for notes in frame["_notes"]:
            notes.append("placebo not computed: the returns are not in memory")
        return
    keys = panel.keys
    draws = int(opts.get("draws", 999))
    labels = [window_label(w) for w in abn.windows]
    # the placebo distribution depends on the firms and the window only (not on the event): computed once each
    tags: dict[tuple[tuple[str, ...], str], tuple[pd.DataFrame, tuple[int, int]]] = {}
    for _, row in frame.iterrows():
        use = row["_rows"]
        if not np.isfinite(row["pvalue"]) or use.size < MIN_CLAIM_N:
            continue  # a small group gets no p-value of any kind
        firms = keys.iloc[use][["ticker", "exchange", "benchmark"]].reset_index(drop=True)
        tag = (tuple(sorted(firms["ticker"])), str(row["window"]))
        tags.setdefault(tag, (firms, abn.windows[labels.index(row["window"])]))
    done = _placebo_draws(tags, day0, opts, draws)
    for i, row in frame.iterrows():
        use = row["_rows"]
        if not np.isfinite(row["pvalue"]) or use.size < MIN_CLAIM_N:
            continue
        caars, pool, chosen = done[(tuple(sorted(keys["ticker"].to_numpy()[use])), str(row["window"]))]
        p, b = placebo_pvalue(float(row["caar"]), caars)
        frame.at[i, "placebo_pvalue"] = p
        frame.at[i, "placebo_pool"] = pool
        frame.at[i, "placebo_min_p"] = 1.0 / (1 + b) if b else np.nan
        if b < chosen:
            row["_notes"].append(f"placebo: {chosen - b} of {chosen} draws had no usable firm")


def _placebo_draws(
    tags: Mapping[tuple[tuple[str, ...], str], tuple[pd.DataFrame, tuple[int, int]]],
    day0: pd.DataFrame,
    opts: Mapping[str, Any],
    draws: int,
) -> dict[tuple[tuple[str, ...], str], tuple[np.ndarray, int, int]]:
    """The placebo CAARs of each firm set and window (``tags``: tag → firms, window), the pool size and the number
    of draws.

    Each tag draws its own dates from its own pool (seeded by the tag). The same firms in the same order under
    several windows go through alignment and the engine once, on the union of their dates with all their windows
    (each firm-event's numbers are its own, whatever else is in the call).
    """
    chosen: dict[tuple[tuple[str, ...], str], tuple[pd.DatetimeIndex, int]] = {}
    sets: dict[tuple[tuple[str, str, str], ...], list[tuple[tuple[str, ...], str]]] = {}
    for tag, (firms, window) in tags.items():
        exchanges = list(firms["exchange"].value_counts().index)  # the most common exchange gives the dates
        pool = placebo_pool(
            exchanges,
            opts["sessions"],
            day0,
            window,
            opts["estimation_window"],
            opts["event_window"],
            pd.Timestamp(opts["data_start"]),
            pd.Timestamp(opts["data_end"]),
        )
        seed = zlib.crc32("|".join([*tag[0], tag[1]]).encode())
        rng = np.random.default_rng([int(opts.get("seed", 0)), seed])
        picked = pool if len(pool) <= draws else pool[np.sort(rng.choice(len(pool), draws, replace=False))]
        chosen[tag] = (pd.DatetimeIndex(picked), len(pool))
        sets.setdefault(tuple(firms.itertuples(index=False, name=None)), []).append(tag)
    out: dict[tuple[tuple[str, ...], str], tuple[np.ndarray, int, int]] = {}
    for members in sets.values():
        firms = tags[members[0]][0]
        windows = list(dict.fromkeys(tags[t][1] for t in members))
        dates = pd.DatetimeIndex(np.unique(np.concatenate([chosen[t][0].values for t in members])))
        caars = placebo_caars(
            firms,
            dates,
            opts["returns"],
            opts["sessions"],
            opts["model"],
            windows,
            estimation_window=opts["estimation_window"],
            event_window=opts["event_window"],
            min_estimation=opts["min_estimation"],
            thin_trading_share=opts["thin_trading_share"],
        )
        for t in members:
            picked, pool_size = chosen[t]
            rows = dates.get_indexer(picked)
            out[t] = (caars[rows, windows.index(tags[t][1])], pool_size, len(picked))
    return out
