"""Robustness that tests each claim: the claim re-estimated under the choices a referee would question.

Per claim (headline event × group × headline window) and variant, the CAAR, the claim's own test and the interval
that inverts it (METHODS §4b), with the number of firm-events kept. The variants:

- ``late_day0``: date-only news at 23:59:59 in the announcer's zone (the older convention, METHODS §1);
- ``early_day0``: the news dated by its earlier release (``early_announced_at``), where the events file has one;
- ``leave_one_out``: the range of the CAAR with each firm dropped, and the firm that moves it most;
- ``no_confounders``: firm-events with firm news (the confounder list) in the claim window left out;
- ``no_overlaps``: firm-events whose claim window holds another study event's day 0 left out;
- ``placebo``: the placebo p-value, its pool and smallest attainable p;
- ``min_estimation_120``: the usual 120-day minimum estimation length;
- ``clean_estimation``: other events' windows removed from the estimation windows.

Every variant runs the study's own alignment, engine and test runner; nothing is recomputed by hand. A variant that
keeps no firm-event says so in its note (never an empty, silent row).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..abnormal import compute_abnormal
from ..config import window_label
from ..inference.runner import group_cells, run_tests
from ..robustness import ROBUSTNESS_COLUMNS
from ..windows import clean_estimation_mask, subset_panel
from .claims import MIN_CLAIM_N, _rows_by_cell, claim_interval
from .overlaps import confounded_mask, overlap_mask

__all__ = ["CLAIM_ROBUSTNESS_COLUMNS", "claim_robustness"]

CLAIM_ROBUSTNESS_COLUMNS = ROBUSTNESS_COLUMNS


def claim_robustness(
    claims: pd.DataFrame,
    *,
    panel: Any,
    abn: Any,
    model: Any,
    group_by: Sequence[str],
    primary_test: str,
    min_estimation: int,
    full_estimation: int,
    thin_trading_share: float,
    day0: pd.DataFrame,
    confounders: pd.DataFrame,
    realign: Callable[[pd.DataFrame], Any] | None = None,
    day0_variants: Mapping[str, tuple[str, pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """The robustness rows of every claim (columns :data:`CLAIM_ROBUSTNESS_COLUMNS`).

    ``realign(firm_events)`` builds a panel for firm-events with another day 0 (the study's alignment);
    ``day0_variants`` maps a variant name to its description and day-0 table. Without them the day-0 variants are
    listed as not computed.
    """
    if claims is None or claims.empty:
        return pd.DataFrame(columns=CLAIM_ROBUSTNESS_COLUMNS)
    labels = [window_label(w) for w in abn.windows]
    heads = list(dict.fromkeys(claims["event_id"]))
    wanted = sorted({labels.index(w) for w in claims["window"]})
    car_windows = [abn.windows[w] for w in wanted]
    ev = panel.keys["event_id"].astype(str).to_numpy()
    base = subset_panel(panel, np.isin(ev, heads))
    frames: list[pd.DataFrame] = []

    def run(
        name: str, description: str, p: Any, *, min_est: int = min_estimation, note: str = "", only: Any = None
    ) -> None:
        target = claims if only is None else only
        if p.n == 0:
            frames.append(_rows_missing(target, name, description, "no firm-event kept"))
            return
        a = compute_abnormal(p, model, car_windows, min_estimation=min_est, thin_trading_share=thin_trading_share)
        tests = run_tests(p, a, [primary_test], group_by, model=model, min_estimation=min_est)
        frames.append(_claim_rows(target, p, a, tests, group_by, name, description, primary_test, note))

    # day 0 under another convention: the same firms re-aligned
    for name, (description, table) in (day0_variants or {}).items():
        if realign is None:
            frames.append(_rows_missing(claims, name, description, "not computed: the returns are not in memory"))
            continue
        keys = base.keys.drop(columns=["day0", "first_return", "last_return"], errors="ignore")
        alt = keys.merge(table[["event_id", "exchange", "day0"]], on=["event_id", "exchange"], how="left")
        same = (pd.DatetimeIndex(alt["day0"]) == pd.DatetimeIndex(base.keys["day0"])).all()
        note = "" if not same else "same day 0 as the baseline for every firm-event"
        run(name, description, realign(alt), note=note)

    # firm news or another event in the claim window: drop those firm-events, claim by claim window
    for name, description in (
        ("no_confounders", "firm-events with firm news (confounders.csv) in the claim window left out"),
        ("no_overlaps", "firm-events whose claim window holds another study event's day 0 left out"),
    ):
        for label in dict.fromkeys(claims["window"]):
            window = abn.windows[labels.index(label)]
            if name == "no_confounders":
                drop, _ = confounded_mask(base.dates, base.rel, base.keys["ticker"].to_numpy(), confounders, window)
            else:
                drop = overlap_mask(
                    base.dates,
                    base.rel,
                    base.keys["event_id"].astype(str).to_numpy(),
                    base.keys["exchange"].to_numpy(),
                    day0,
                    window,
                )
            sub = claims[claims["window"] == label]
            run(name, description, subset_panel(base, ~drop), note="left out: {k} firm-event(s)", only=sub)

    run(
        "min_estimation_120",
        f"the usual minimum of {full_estimation} estimation returns (short histories left out)",
        base,
        min_est=full_estimation,
    )
    run(
        "clean_estimation",
        "other study events' event windows removed from each estimation window",
        replace(base, excluded=clean_estimation_mask(base)),
    )

    c = claims
    frames.append(
        pd.DataFrame(
            {
                "variant": "leave_one_out",
                "description": "range of the CAAR with each firm dropped in turn; the firm that moves it most",
                "event_id": c["event_id"],
                "group": c["group"],
                "window": c["window"],
                "nobs": c["nobs"] - 1,
                "caar": np.nan,
                "ci_low": c["loo_low"],
                "ci_high": c["loo_high"],
                "test": "",
                "statistic": np.nan,
                "pvalue": np.nan,
                "note": "most influential: " + c["loo_ticker"].fillna("").astype(str),
            }
        )
    )
    frames.append(
        pd.DataFrame(
            {
                "variant": "placebo",
                "description": "placebo p-value from pseudo-event days (same firms, model and window)",
                "event_id": c["event_id"],
                "group": c["group"],
                "window": c["window"],
                "nobs": c["nobs"],
                "caar": c["caar"],
                "ci_low": np.nan,
                "ci_high": np.nan,
                "test": "placebo",
                "statistic": np.nan,
                "pvalue": c["placebo_pvalue"],
                "note": "pool "
                + c["placebo_pool"].astype(str)
                + ", smallest p "
                + c["placebo_min_p"].map(lambda v: f"{v:.4f}" if pd.notna(v) else "n/a"),
            }
        )
    )
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    return out.reindex(columns=CLAIM_ROBUSTNESS_COLUMNS)


def _rows_missing(claims: pd.DataFrame, name: str, description: str, note: str) -> pd.DataFrame:
    out = claims[["event_id", "group", "window"]].copy()
    out.insert(0, "description", description)
    out.insert(0, "variant", name)
    out["nobs"] = 0
    out["note"] = note
    return out.reindex(columns=CLAIM_ROBUSTNESS_COLUMNS)


def _claim_rows(
    claims: pd.DataFrame,
    p: Any,
    a: Any,
    tests: pd.DataFrame,
    group_by: Sequence[str],
    name: str,
    description: str,
    primary_test: str,
    note: str,
) -> pd.DataFrame:
    labels = [window_label(w) for w in a.windows]
    cells = {(e, g): rows for e, g, rows in group_cells(p.keys, group_by)}
    t = _rows_by_cell(tests, primary_test)
    out = []
    for row in claims.itertuples():
        rows = cells.get((row.event_id, row.group))
        w = labels.index(row.window)
        use = np.array([], dtype=int) if rows is None else rows[a.usable(w)[rows]]
        n = int(use.size)
        # how many of this claim's firm-events the variant left out
        this = note.replace("{k}", str(max(int(row.nobs) - n, 0)))
        rec = {
            "variant": name,
            "description": description,
            "event_id": row.event_id,
            "group": row.group,
            "window": row.window,
            "nobs": n,
            "caar": float(a.car[use, w].mean()) if n else np.nan,
            "test": primary_test,
            "note": this if n else ("no firm-event kept" + (f"; {this}" if this else "")),
        }
        key = (row.event_id, row.group, row.window)
        if n >= MIN_CLAIM_N and key in t:
            stat, pval, dist = float(t[key]["statistic"]), float(t[key]["pvalue"]), str(t[key]["distribution"])
            _, lo, hi = claim_interval(rec["caar"], stat, dist)
            rec.update(statistic=stat, pvalue=pval, ci_low=lo, ci_high=hi)
        elif n:
            rec["note"] = "; ".join(x for x in (f"fewer than {MIN_CLAIM_N} firm-events: no test", this) if x)
        out.append(rec)
    return pd.DataFrame(out)
