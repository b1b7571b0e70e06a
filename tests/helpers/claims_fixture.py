"""A claims frame with the columns of the ``claims`` contract (TEAM.md), built from a fit's own tables, for the
report's tests while the analyse stage is not on this branch. Values: CAAR, N and p-values of the primary test
from the results; the interval is the CAAR table's; Holm and BH from statsmodels over the frame; placebo and
leave-one-out columns filled from other tests of the same results (only their formatting is under test)."""

from __future__ import annotations

import pandas as pd

CLAIM_COLUMNS = [
    "event_id", "group", "window", "nobs", "caar", "test", "statistic", "pvalue", "std_err", "ci_low", "ci_high",
    "interval_method", "pvalue_holm", "qvalue_bh", "placebo_pvalue", "placebo_pool", "placebo_min_p", "loo_low",
    "loo_high", "loo_ticker", "n_overlap", "n_confounded", "note",
]  # fmt: skip


def claims_from(results, test="kp_bmp_t") -> pd.DataFrame:
    """Claims at the headline windows of METHODS §4b: [0, 1] for a date-only announcement, else [0, 0] and
    [−1, 1]."""
    from statsmodels.stats.multitest import multipletests

    ev = results.events
    heads = ev.loc[ev["headline"].astype(bool), "event_id"].tolist()
    day_only = set(ev.loc[ev["time_precision"] == "day", "event_id"])
    c = results.caar_table
    c = c[c["event_id"].isin(heads) & (c["nobs"] > 0)]
    wins = c["event_id"].map(lambda e: ("0_1",) if e in day_only else ("0_0", "m1_1"))
    c = c[[w in ws for w, ws in zip(c["window"], wins, strict=True)]]
    t = results.test_table.set_index(["event_id", "group", "window", "test"])
    rows = []
    for r in c.itertuples(index=False):
        key = (r.event_id, r.group, r.window)
        small = r.nobs < 5
        stat = t.loc[(*key, test), "statistic"] if (*key, test) in t.index and not small else float("nan")
        p = t.loc[(*key, test), "pvalue"] if (*key, test) in t.index and not small else float("nan")
        placebo = t.loc[(*key, "grank_t"), "pvalue"] if (*key, "grank_t") in t.index and not small else float("nan")
        rows.append(
            {
                "event_id": r.event_id, "group": r.group, "window": r.window, "nobs": int(r.nobs),
                "caar": r.caar, "test": test, "statistic": float(stat), "pvalue": float(p),
                "std_err": r.sd_car / max(r.nobs, 1) ** 0.5, "ci_low": r.ci_low, "ci_high": r.ci_high,
                "interval_method": "CAAR ± t(N−1) × the test's standard error", "placebo_pvalue": float(placebo),
                "placebo_pool": 480, "placebo_min_p": 1 / 481, "loo_low": r.caar - abs(r.caar) * 0.4,
                "loo_high": r.caar + abs(r.caar) * 0.3, "loo_ticker": "MP", "n_overlap": 0, "n_confounded": 0,
                "note": "N < 5: no test" if small else "",
            }
        )  # fmt: skip
    out = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    ok = out["pvalue"].notna()
    out.loc[ok, "pvalue_holm"] = multipletests(out.loc[ok, "pvalue"], method="holm")[1]
    out.loc[ok, "qvalue_bh"] = multipletests(out.loc[ok, "pvalue"], method="fdr_bh")[1]
    return out
