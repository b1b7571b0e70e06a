"""The full report of a run: ``report.html`` (one self-contained file) and ``report.pdf`` (the same, for print).

Everything shown comes from the results frames (and the robustness table of :mod:`eventstudy.robustness`); this
module selects, labels and formats. Every table of the report is also written as a CSV next to it
(:data:`REPORT_TABLES`). The only conversion done here is the two-sided normal p-value of a firm's SCAR, which labels
single-firm significance in the per-firm table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..abnormal import OUTCOMES
from ..results import EventStudyResults
from .summary import safe_url
from .tables import _safe_path, write_csv

__all__ = [
    "render_report",
    "report_context",
    "build_tables",
    "REPORT_TABLES",
    "SECTIONS",
    "ROBUST_TEST_LABELS",
    "fmt_pct",
    "fmt_p",
]

#: Section ids and titles, in order (the tests check that each heading is present in the HTML and the PDF).
SECTIONS: list[tuple[str, str]] = [
    ("summary", "Executive summary"),
    ("timeline", "Event timeline"),
    ("timing", "Timing"),
    ("results", "Results by event and group"),
    ("heatmap", "Heatmap"),
    ("firms", "Per-firm results"),
    ("regressions", "Abnormal-return regressions"),
    ("robustness", "Robustness"),
    ("methods", "Methods appendix"),
    ("data", "Data appendix"),
]

#: CSV file → what it holds (the report's tables; the run's own tables are listed in ``tables.OUTPUT_FILES``).
REPORT_TABLES: dict[str, str] = {
    "report_summary.csv": "executive summary: CAAR, 95 % interval and robust-test p-values per headline event × group",
    "report_timing.csv": "day 0 per event × exchange, with the time precision",
    "report_results_by_event.csv": "per event × group × window: CAAR, interval and the p-value of every test",
    "report_heatmap_car.csv": "CAR [-1, 1] per firm × event",
    "report_firms.csv": "per firm, headline event: CAR per window and the two-sided normal p-value of its SCAR",
    "report_excluded.csv": "every firm-event not used in full: outcome code, reason and events",
    "robustness.csv": "the headline numbers under other models, windows, clean estimation and event lists",
    "report_data_appendix.csv": "per ticker: source, span, adjustment note, share of missing and zero returns",
}

SUMMARY_WINDOWS = ["0_0", "m1_1", "0_5"]
#: groups smaller than this are shown but never bolded or summarised as a finding
MIN_NOBS_FOR_FINDINGS = 5

ROBUST_TEST_LABELS: dict[str, str] = {
    "kp_bmp_t": "KP-BMP",
    "grank_t": "GRANK",
    "portfolio_t": "portfolio",
    "mvrm": "MVRM",
}

#: tests shown in the results-by-event table (those present), with short column labels
RESULT_TEST_LABELS: dict[str, str] = {
    "csect_t": "t",
    "patell_z": "Patell",
    "bmp_t": "BMP",
    "kp_bmp_t": "KP-BMP",
    "grank_t": "GRANK",
    "portfolio_t": "portf.",
    "gsign_z": "gen. sign",
    "wilcoxon": "Wilcoxon",
}

#: registry name → (what it is, formula, reference), for the methods appendix
TEST_METHODS: dict[str, tuple[str, str, str]] = {
    "csect_t": ("cross-sectional t", "t = CAAR / (s_CAR / √N); t(N−1)", "Brown & Warner (1985)"),
    "cda_t": (
        "crude dependence adjustment",
        "t = CAAR / (Ŝ √L), Ŝ² the variance of the calendar-date AAR of the estimation window; t(M−1)",
        "Brown & Warner (1980, 1985)",
    ),
    "patell_z": ("Patell Z", "Z = Σ SCAR_i / √(Σ (M_i−k)/(M_i−k−2)); N(0,1)", "Patell (1976)"),
    "bmp_t": ("standardised cross-sectional (BMP)", "t = mean(SCAR) / (sd(SCAR)/√N); t(N−1)", "Boehmer et al. (1991)"),
    "kp_bmp_t": (
        "Kolari–Pynnönen adjusted BMP",
        "t_BMP · √((1 − r̄)/(1 + (N−1) r̄)), r̄ the mean Pearson correlation of estimation residuals",
        "Kolari & Pynnönen (2010)",
    ),
    "kp_patell_z": (
        "Kolari–Pynnönen adjusted Patell",
        "Z_Patell · √((1 − r̄)/(1 + (N−1) r̄))",
        "Kolari & Pynnönen (2010)",
    ),
    "j1": ("CLM J1", "J1 = CAAR / √(Σ Var(CAR_i) / N²); N(0,1)", "Campbell, Lo & MacKinlay (1997)"),
    "portfolio_t": (
        "portfolio test",
        "equally weighted portfolio per exchange and day 0, same model; t = CAR_p / √Var(CAR_p); t(M−k)",
        "Brown & Warner (1980)",
    ),
    "sign_z": ("sign test", "Z = (w − N/2)/√(N/4), w = #{CAR_i > 0}", "Corrado & Zivney (1992)"),
    "gsign_z": ("generalised sign", "Z = (w − N p̂)/√(N p̂ (1−p̂)), p̂ from estimation-window ARs", "Cowan (1992)"),
    "rank_z": ("Corrado rank", "Z = √N₀ · Ū₀ / S with standardised ranks", "Corrado (1989); Corrado & Zivney (1992)"),
    "grank_t": (
        "generalised rank (GRANK)",
        "ranks of re-standardised SCAR among estimation-day SARs; t = Z √((T−2)/(T−1−Z²)); t(T−2)",
        "Kolari & Pynnönen (2011)",
    ),
    "wilcoxon": ("Wilcoxon signed-rank", "signed ranks of CAR_i; scipy's exact or normal p-value", "Wilcoxon (1945)"),
    "bootstrap": ("cross-sectional bootstrap", "percentile/BCa interval of CAAR, B resamples of CAR_i, seeded", "—"),
    "bootstrap_resid": (
        "residual-vector bootstrap",
        "resamples estimation-residual date vectors, keeping cross-correlation",
        "Hein & Westfall (2004)",
    ),
    "mvrm": (
        "multivariate regression with event dummies",
        "R_it = α_i + β_i R_mt + Σ_k γ_ik D_kt + ε_it; Wald tests with the residual covariance",
        "Schipper & Thompson (1983); Binder (1985)",
    ),
}

MODEL_METHODS: dict[str, str] = {
    "market": "market model: R_it = α_i + β_i R_mt + ε_it by OLS, R_m the security's local index proxy",
    "market_adjusted": "market-adjusted: AR = R − R_m, σ² from estimation-window ARs with M−1 df",
    "constant_mean": "constant mean: R_it = μ_i + ε_it",
    "scholes_williams": "Scholes–Williams: β = (β₋₁ + β₀ + β₊₁)/(1 + 2ρ_m), for thin trading",
    "factor": "factor model: R_it = α_i + Σ_f b_if F_ft + ε_it on the user's factor file",
    "world": "two-factor model: R_it = α_i + β_i R_mt + γ_i R_world,t + ε_it (local index plus ACWI)",
}


# ------------------------------------------------------------------ formatting
def _minus(text: str) -> str:
    return text.replace("-", "−")


def fmt_pct(x: Any, digits: int = 1, sign: bool = True) -> str:
    """A return as a percentage, e.g. ``−7.2 %``; ``–`` for a missing value."""
    if x is None or pd.isna(x):
        return "–"
    spec = f"{'+' if sign else ''}.{digits}f"
    return _minus(format(float(x) * 100, spec)) + " %"


def fmt_p(p: Any) -> str:
    if p is None or pd.isna(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_num(x: Any, digits: int = 2) -> str:
    if x is None or pd.isna(x):
        return "–"
    return _minus(f"{float(x):.{digits}f}")


def window_text(label: str) -> str:
    """``m1_1`` → ``[−1, 1]``."""
    a, b = label.split("_")
    return f"[{_minus(a.replace('m', '-'))}, {_minus(b.replace('m', '-'))}]"


def group_label(g: str, labels: dict[str, str] | None = None) -> str:
    """The label of a group: the study's (``settings["group_labels"]``), else its own name."""
    return (labels or {}).get(g, g)


# ------------------------------------------------------------------ tables (numbers from results, no statistics)
def _present_groups(results: EventStudyResults) -> list[str]:
    """Every group of the results, in the study's order (``settings["group_order"]``), then any others."""
    present = [str(g) for g in pd.unique(results.caar_table["group"])]
    order = [g for g in results.settings.get("group_order") or [] if g in present]
    return order + [g for g in present if g not in order]


def _headline_ids(results: EventStudyResults) -> list[str]:
    ev = results.events
    head = results.settings.get("headline_event")
    ids = ev.loc[ev["headline"].astype(bool), "event_id"].astype(str).tolist()
    if head:
        ids = [head] + [i for i in ids if i != head]
    return ids or [str(ev["event_id"].iloc[0])]


def _robust_tests(results: EventStudyResults) -> list[str]:
    present = set(results.test_table["test"])
    return [t for t in ROBUST_TEST_LABELS if t in present]


def _pvalues(results: EventStudyResults, tests: Sequence[str]) -> pd.DataFrame:
    t = results.test_table
    t = t[t["test"].isin(tests)]
    piv = t.pivot_table(index=["event_id", "group", "window"], columns="test", values="pvalue", aggfunc="first")
    piv = piv.reindex(columns=list(tests))
    piv.columns = [f"p_{c}" for c in piv.columns]
    return piv.reset_index()


def summary_table(results: EventStudyResults, regressions: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    c = results.caar_table
    ids, groups = _headline_ids(results), _present_groups(results)
    c = c[c["event_id"].isin(ids) & c["group"].isin(groups) & c["window"].isin(SUMMARY_WINDOWS)]
    c = c[["event_id", "group", "window", "nobs", "caar", "ci_low", "ci_high"]]
    out = c.merge(_pvalues(results, _robust_tests(results)), on=["event_id", "group", "window"], how="left")
    mv = mvrm_pvalues(regressions or {})
    if len(mv):
        out = out.merge(mv, on=["event_id", "group", "window"], how="left")
    out["_e"] = out["event_id"].map({e: i for i, e in enumerate(ids)})
    out["_g"] = out["group"].map({g: i for i, g in enumerate(groups)})
    out["_w"] = out["window"].map({w: i for i, w in enumerate(SUMMARY_WINDOWS)})
    return out.sort_values(["_e", "_g", "_w"]).drop(columns=["_e", "_g", "_w"]).reset_index(drop=True)


def timing_table(results: EventStudyResults) -> pd.DataFrame:
    d = results.day0.copy()
    d["day0"] = pd.to_datetime(d["day0"]).dt.date.astype(str)
    wide = d.pivot_table(index="event_id", columns="exchange", values="day0", aggfunc="first")
    ev = results.events.set_index("event_id")
    out = pd.DataFrame(
        {
            "event_id": ev.index,
            "announced_at_utc": ev["announced_at_utc"].map(lambda t: t.strftime("%Y-%m-%d %H:%M")).to_numpy(),
            "time_precision": ev["time_precision"].to_numpy(),
        }
    )
    out = out.merge(wide.reset_index(), on="event_id", how="left")
    out["day_only"] = out["time_precision"] == "day"
    return out


def results_by_event(results: EventStudyResults, windows: Sequence[str] = ("0_0", "m1_1")) -> pd.DataFrame:
    tests = [t for t in pd.unique(results.test_table["test"])]
    c = results.caar_table
    c = c[c["window"].isin(windows)][["event_id", "group", "window", "nobs", "caar", "ci_low", "ci_high"]]
    return c.merge(_pvalues(results, tests), on=["event_id", "group", "window"], how="left")


def heatmap_table(results: EventStudyResults, window: str = "m1_1") -> pd.DataFrame:
    fe = results.firm_events
    col = f"car_{window}"
    usable = fe["status"].isin(["ok", "missing_event_window"])
    fe = fe.assign(value=fe[col].where(usable))
    order_t = list(pd.unique(fe.sort_values(["group", "segment", "ticker"])["ticker"])) if "segment" in fe else None
    wide = fe.pivot_table(index="ticker", columns="event_id", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=list(results.events["event_id"]))
    if order_t:
        wide = wide.reindex(order_t)
    return wide


def scar_pvalue(scar: pd.Series) -> pd.Series:
    """Two-sided normal p-value of a firm's SCAR (a label for single-firm significance)."""
    from scipy.special import ndtr

    return pd.Series(2 * ndtr(-scar.abs().to_numpy(dtype=float)), index=scar.index)


def firms_table(results: EventStudyResults, event_id: str, windows: Sequence[str] = ("0_0", "m1_1", "0_5")):
    fe = results.firm_events
    fe = fe[fe["event_id"] == event_id]
    cols = ["ticker"] + [c for c in ("name", "group", "segment") if c in fe.columns] + ["exchange", "day0", "status"]
    out = fe[cols].copy()
    for w in windows:
        if f"car_{w}" in fe.columns:
            out[f"car_{w}"] = fe[f"car_{w}"]
            out[f"p_scar_{w}"] = scar_pvalue(fe[f"scar_{w}"])
    return out.reset_index(drop=True)


def excluded_table(results: EventStudyResults) -> pd.DataFrame:
    o = results.outcomes
    o = o[o["status"] != "ok"]
    if o.empty:
        return pd.DataFrame(columns=["ticker", "group", "status", "reason", "n_events", "events"])
    g = o.groupby(["ticker", "group", "status", "reason"], sort=False)["event_id"]
    out = g.agg(n_events="size", events=lambda s: ", ".join(s)).reset_index()
    return out.sort_values(["status", "group", "ticker"]).reset_index(drop=True)


def data_appendix(results: EventStudyResults, universe: pd.DataFrame | None = None) -> pd.DataFrame:
    dn = results.data_notes.copy()
    notes: dict[str, str] = {}
    if results.panel is not None and "notes" in results.panel.keys.columns:
        k = results.panel.keys.drop_duplicates("ticker")
        notes.update(dict(zip(k["ticker"], k["notes"].fillna("").astype(str), strict=False)))
    if universe is not None and "notes" in universe.columns:
        notes.update(dict(zip(universe["ticker"], universe["notes"].fillna("").astype(str), strict=False)))
    total = dn.get("sessions", pd.Series(index=dn.index, dtype=float))
    out = pd.DataFrame(
        {
            "ticker": dn["ticker"],
            "exchange": dn.get("exchange"),
            "source": dn.get("source"),
            "first_date": dn.get("first_date"),
            "last_date": dn.get("last_date"),
            "sessions": total,
            "missing_returns": dn.get("missing_returns"),
            "zero_returns": dn.get("zero_returns"),
        }
    )
    out["missing_share"] = out["missing_returns"] / out["sessions"]
    out["zero_share"] = out["zero_returns"] / out["sessions"]
    out["adjustment"] = out["ticker"].map(notes).fillna("")
    out["failure"] = dn["failure"].fillna("") if "failure" in dn.columns else ""
    return out


MVRM_COLUMNS = ["test", "hypothesis", "nobs", "estimate", "se", "statistic", "df", "pvalue"]
REGRESSION_COLUMNS = ["formula", "scope", "term", "coef", "se", "t", "p", "nobs", "r2", "cov_type", "notes"]


def regression_frames(
    results: EventStudyResults, out_dir: Path | None = None, *, compute: bool = False
) -> dict[str, pd.DataFrame]:
    """The ``mvrm.csv`` and ``regressions.csv`` tables of a run: read from ``out_dir`` when the run wrote them, else
    computed by :func:`eventstudy.regression.report_tables` if ``compute``; empty when neither is available."""
    found: dict[str, pd.DataFrame] = {}
    if out_dir is not None:
        for name in ("mvrm.csv", "regressions.csv"):
            path = Path(out_dir) / name
            if path.exists():
                found[name] = pd.read_csv(path)
    if not found and compute:
        try:
            from ..regression import report_tables
        except ImportError:
            return found
        found = report_tables(results)
    return found


def mvrm_pvalues(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``event_id, group, window, p_mvrm``: the MVRM Wald p-value of "mean γ = 0" (test b) per event × group."""
    m = frames.get("mvrm.csv")
    cols = ["event_id", "group", "window", "p_mvrm"]
    if m is None or "kind" not in m.columns or "test" not in m.columns:
        return pd.DataFrame(columns=cols)
    w = m[(m["kind"] == "wald") & (m["test"] == "mean_zero")]
    if w.empty:
        return pd.DataFrame(columns=cols)
    window = w["window"].astype(str).str.replace("-", "m", regex=False)
    return pd.DataFrame(
        {"event_id": w["event_id"], "group": w["group"], "window": window, "p_mvrm": w["pvalue"]}
    ).drop_duplicates(["event_id", "group", "window"])


def build_tables(
    results: EventStudyResults,
    robustness: pd.DataFrame | None = None,
    universe: pd.DataFrame | None = None,
    regressions: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of the report, keyed by its CSV file name."""
    head = _headline_ids(results)[0]
    tables = {
        "report_summary.csv": summary_table(results, regressions),
        "report_timing.csv": timing_table(results),
        "report_results_by_event.csv": results_by_event(results),
        "report_heatmap_car.csv": heatmap_table(results).reset_index(),
        "report_firms.csv": firms_table(results, head),
        "report_excluded.csv": excluded_table(results),
        "report_data_appendix.csv": data_appendix(results, universe),
    }
    if robustness is not None:
        tables["robustness.csv"] = robustness
    return tables


# ------------------------------------------------------------------ sentences
def _p_eq(p: Any) -> str:
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _part(row: pd.Series, test: str | None) -> str:
    caar = row["caar"]
    when = "on day 0" if row["window"] == "0_0" else f"over {window_text(row['window'])}"
    if pd.isna(caar):
        return f"no usable firm-event {when}"
    verb = "fell" if caar < 0 else "rose"
    p = f"; {ROBUST_TEST_LABELS.get(test, test)} {_p_eq(row.get(f'p_{test}'))}" if test else ""
    ci = f"95 % CI {fmt_pct(row['ci_low'])} to {fmt_pct(row['ci_high'])}"
    return f"{verb} {fmt_pct(abs(caar), sign=False)} {when} ({ci}{p})"


def finding_sentence(rows: pd.DataFrame, label: str, tests: Sequence[str]) -> str:
    """One plain sentence from the numbers of one group's summary rows (abnormal returns, the first robust test)."""
    test = tests[0] if tests else None
    parts = [_part(r, test) for _, r in rows.iterrows()]
    if not parts:
        return f"{label}: no result."
    n = int(rows["nobs"].iloc[0]) if pd.notna(rows["nobs"].iloc[0]) else 0
    text = " and ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{label} (N = {n}) {text}."


# ------------------------------------------------------------------ context
def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


def report_context(
    results: EventStudyResults,
    *,
    title: str,
    robustness: pd.DataFrame | None = None,
    universe: pd.DataFrame | None = None,
    files: Sequence[str] = (),
    figures: bool = True,
    regressions: dict[str, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, already formatted."""
    from . import plots

    settings = results.settings
    events = results.events
    ids = _headline_ids(results)
    head_id = ids[0]
    groups = _present_groups(results)
    labels = dict(results.settings.get("group_labels") or {})
    regressions = regressions or {}
    tables = build_tables(results, robustness, universe, regressions)
    tests = _robust_tests(results)
    if "p_mvrm" in tables["report_summary.csv"].columns:
        tests = [*tests, "mvrm"]
    ev_by_id = events.set_index("event_id")

    # executive summary
    summ = tables["report_summary.csv"]
    blocks = []
    for e in ids:
        sub = summ[summ["event_id"] == e]
        rows = [
            {
                "group": group_label(r["group"], labels),
                "window": window_text(r["window"]),
                "nobs": int(r["nobs"]),
                "caar": fmt_pct(r["caar"]),
                "ci": f"{fmt_pct(r['ci_low'])} to {fmt_pct(r['ci_high'])}",
                "ps": [fmt_p(r.get(f"p_{t}")) for t in tests],
                "sig": bool(tests)
                and r["nobs"] >= MIN_NOBS_FOR_FINDINGS
                and pd.notna(r.get(f"p_{tests[0]}"))
                and r.get(f"p_{tests[0]}") < 0.05,
            }
            for _, r in sub.iterrows()
        ]
        main = f"p_{tests[0]}" if tests else None
        sentences = []
        for g in pd.unique(sub["group"]):
            gs = sub[sub["group"] == g]
            if e == head_id:
                gs = gs[gs["window"].isin(["0_0", "m1_1"])]
            elif main:
                # a significant p-value from two or three firms is not a finding worth a sentence
                gs = gs[(gs[main] < 0.05) & (gs["nobs"] >= MIN_NOBS_FOR_FINDINGS)]
            else:
                gs = gs.iloc[0:0]
            if len(gs):
                sentences.append(finding_sentence(gs, group_label(g, labels), tests))
        if not sentences:
            sentences = [
                f"No group's CAAR is significant at 5 % under {ROBUST_TEST_LABELS[tests[0]]} over [0, 0], [−1, 1] "
                "or [0, 5]."
                if tests
                else "No clustering-robust test was run."
            ]
        er = ev_by_id.loc[e]
        blocks.append(
            {
                "event_id": e,
                "title": er["title"],
                "date": er["announced_at_utc"].strftime("%Y-%m-%d"),
                "direction": str(er["direction"]).replace("_", " "),
                "precision": er["time_precision"],
                "confounders": str(er.get("confounders") or ""),
                "rows": rows,
                "sentences": sentences,
            }
        )

    # timing
    tim = tables["report_timing.csv"]
    exchanges = [c for c in tim.columns if c not in ("event_id", "announced_at_utc", "time_precision", "day_only")]
    timing = [
        {
            "event_id": r["event_id"],
            "when": r["announced_at_utc"],
            "precision": r["time_precision"],
            "day_only": bool(r["day_only"]),
            "days": [r.get(x, "") if pd.notna(r.get(x)) else "–" for x in exchanges],
        }
        for _, r in tim.iterrows()
    ]

    # results by event
    rbe = tables["report_results_by_event.csv"]
    res_tests = [t for t in RESULT_TEST_LABELS if f"p_{t}" in rbe.columns]
    by_event = []
    for e in events["event_id"]:
        sub = rbe[(rbe["event_id"] == e) & (rbe["window"] == "m1_1")]
        by_event.append(
            {
                "event_id": e,
                "title": ev_by_id.loc[e, "title"],
                "rows": [
                    {
                        "group": group_label(r["group"], labels),
                        "nobs": int(r["nobs"]),
                        "caar": fmt_pct(r["caar"]),
                        "ci": f"{fmt_pct(r['ci_low'])} to {fmt_pct(r['ci_high'])}",
                        "ps": [fmt_p(r.get(f"p_{t}")) for t in res_tests],
                    }
                    for _, r in sub.iterrows()
                ],
            }
        )

    # per firm
    firms = tables["report_firms.csv"]
    fw = [w for w in ("0_0", "m1_1", "0_5") if f"car_{w}" in firms.columns]
    firm_rows = [
        {
            "ticker": r["ticker"],
            "name": r.get("name", ""),
            "group": group_label(str(r.get("segment", r["group"])), labels),
            "status": r["status"],
            "cells": [
                (
                    fmt_pct(r[f"car_{w}"]),
                    fmt_p(r[f"p_scar_{w}"]),
                    pd.notna(r[f"p_scar_{w}"]) and r[f"p_scar_{w}"] < 0.05,
                )
                for w in fw
            ],
        }
        for _, r in firms.iterrows()
    ]

    # robustness
    rob_rows, rob_variants, rob_missing = [], [], []
    if robustness is not None and len(robustness):
        rb = robustness[robustness["event_id"] == head_id]
        main_test = tests[0] if tests else None
        have = rb[rb["caar"].notna()]
        for v in pd.unique(rb["variant"]):
            vr = rb[rb["variant"] == v]
            if v == "window":
                continue
            if vr["caar"].notna().any():
                rob_variants.append({"name": v, "description": vr["description"].iloc[0]})
            else:
                rob_missing.append({"name": v, "description": vr["description"].iloc[0], "note": vr["note"].iloc[0]})
        if main_test:
            have = have[(have["test"] == main_test) | have["test"].isna()]
        cells = have.drop_duplicates(["variant", "group", "window"]).set_index(["variant", "group", "window"])
        for g in groups:
            for w in ("0_0", "m1_1", "0_1", "m2_2", "0_5"):
                vals = []
                any_val = False
                for v in rob_variants:
                    name = v["name"]
                    key = (name, g, w)
                    if key not in cells.index and name == "baseline":
                        key = ("window", g, w)  # other windows come from the baseline fit
                    if key in cells.index:
                        r = cells.loc[key]
                        any_val = True
                        vals.append(f"{fmt_pct(r['caar'])} ({fmt_p(r['pvalue'])})")
                    else:
                        vals.append("")
                if any_val:
                    rob_rows.append({"group": group_label(g, labels), "window": window_text(w), "values": vals})

    # data appendix
    da = tables["report_data_appendix.csv"]
    data_rows = [
        {
            "ticker": r["ticker"],
            "exchange": r["exchange"],
            "source": r["source"],
            "span": f"{_date(r['first_date'])} to {_date(r['last_date'])}" if pd.notna(r["first_date"]) else "–",
            "missing": fmt_pct(r["missing_share"], sign=False),
            "zero": fmt_pct(r["zero_share"], sign=False),
            "adjustment": r["adjustment"],
            "failure": r["failure"],
        }
        for _, r in da.iterrows()
    ]

    # regressions
    regs = _regression_blocks(regressions, head_id)

    # figures
    figs: dict[str, Any] = {}
    if figures:
        figs["timeline"] = plots.data_uri(plots.to_png(plots.timeline(events, headline_event=head_id)))
        figs["paths"] = [
            {
                "event_id": e,
                "title": ev_by_id.loc[e, "title"],
                "uri": plots.data_uri(
                    plots.to_png(
                        plots.caar_paths(
                            results.aar_table,
                            results.caar_table,
                            e,
                            groups,
                            labels=labels,
                            colours=results.settings.get("group_colours"),
                        )
                    )
                ),
            }
            for e in ids
        ]
        hm = heatmap_table(results)
        figs["heatmap"] = plots.data_uri(plots.to_png(plots.car_heatmap(hm), dpi=130))

    counts = results.outcome_counts()
    return {
        "title": title,
        "settings": settings,
        "sections": SECTIONS,
        "head_id": head_id,
        "head_title": ev_by_id.loc[head_id, "title"],
        "blocks": blocks,
        "test_labels": [ROBUST_TEST_LABELS[t] for t in tests],
        "min_nobs": MIN_NOBS_FOR_FINDINGS,
        "timing": timing,
        "exchanges": exchanges,
        "by_event": by_event,
        "res_test_labels": [RESULT_TEST_LABELS[t] for t in res_tests],
        "firm_windows": [window_text(w) for w in fw],
        "firm_rows": firm_rows,
        "excluded": _records(tables["report_excluded.csv"]),
        "outcomes": [{"code": k, "count": int(counts.get(k, 0)), "meaning": v} for k, v in OUTCOMES.items()],
        "n_events": len(events),
        "n_firm_events": len(results.firm_events),
        "rob_variants": rob_variants,
        "rob_rows": rob_rows,
        "rob_missing": rob_missing,
        "rob_test": ROBUST_TEST_LABELS.get(tests[0], tests[0]) if tests else "",
        "regressions": regs,
        "methods_tests": [
            {
                "name": t,
                "label": TEST_METHODS.get(t, (t, "", ""))[0],
                "formula": TEST_METHODS.get(t, ("", "–", ""))[1],
                "ref": TEST_METHODS.get(t, ("", "", "–"))[2],
            }
            for t in settings.get("tests", pd.unique(results.test_table["test"]))
        ],
        "model_text": MODEL_METHODS.get(str(settings.get("model")), str(settings.get("model"))),
        "estimation_window": _window_pair(settings.get("estimation_window")),
        "event_window": _window_pair(settings.get("event_window")),
        "car_windows": [window_text(w) for w in settings.get("car_windows", [])],
        "data_rows": data_rows,
        "events": [
            {
                "event_id": e.event_id,
                "date": e.announced_at_utc.strftime("%Y-%m-%d %H:%M"),
                "title": e.title,
                "description": e.description,
                "direction": str(e.direction).replace("_", " "),
                "headline": bool(e.headline),
                "confounders": "" if pd.isna(e.confounders) else str(e.confounders),
                "url": safe_url(e.source_url),
            }
            for e in events.itertuples()
        ],
        "files": list(files),
        "figures": figs,
    }


def _regression_blocks(frames: dict[str, pd.DataFrame], head_id: str) -> list[dict[str, Any]]:
    """The MVRM Wald tests of the headline event and the cross-sectional regressions, formatted."""
    blocks = []
    m = frames.get("mvrm.csv")
    if m is not None and len(m):
        if "kind" in m.columns and (m["kind"] == "wald").any():
            w = m[m["kind"] == "wald"]
            mask = w["hypothesis"].astype(str).str.contains(head_id, regex=False) if "hypothesis" in w else True
            w = w[mask]
            note = (
                str(m["covariance_note"].dropna().iloc[0])
                if "covariance_note" in m and m["covariance_note"].notna().any()
                else ""
            )
            blocks.append(
                {
                    "label": f"MVRM: Wald tests involving {head_id}",
                    "columns": [c for c in MVRM_COLUMNS if c in w.columns],
                    "rows": _fmt_rows(w, [c for c in MVRM_COLUMNS if c in w.columns]),
                    "note": note,
                }
            )
        else:
            blocks.append(
                {
                    "label": "MVRM",
                    "columns": [],
                    "rows": [],
                    "note": "; ".join(m.get("notes", pd.Series(dtype=str)).dropna().astype(str)),
                }
            )
    r = frames.get("regressions.csv")
    if r is not None and len(r):
        cols = [c for c in REGRESSION_COLUMNS if c in r.columns]
        blocks.append(
            {
                "label": "Cross-sectional regression of CAR [−1, 1] (OLS, HC3)",
                "columns": cols,
                "rows": _fmt_rows(r, cols),
                "note": "",
            }
        )
    return blocks


def _fmt_rows(frame: pd.DataFrame, cols: Sequence[str]) -> list[list[str]]:
    out = []
    for _, r in frame.iterrows():
        row = []
        for c in cols:
            v = r[c]
            if isinstance(v, float | int) and not isinstance(v, bool):
                row.append(fmt_p(v) if c in ("p", "pvalue") else fmt_num(v, 4) if pd.notna(v) else "–")
            else:
                row.append("" if pd.isna(v) else str(v))
        out.append(row)
    return out


def _date(x: Any) -> str:
    return str(pd.Timestamp(x).date()) if pd.notna(x) else "–"


def _window_pair(w: Any) -> str:
    if w is None:
        return "–"
    a, b = w
    return _minus(f"[{a}, {b}]")


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("eventstudy", "report/templates"), autoescape=select_autoescape(["html"]))


def render_html(context: dict[str, Any], *, for_print: bool = False) -> str:
    return _env().get_template("report.html").render(**context, for_print=for_print)


def render_report(
    results: EventStudyResults,
    out_dir: Path,
    *,
    title: str,
    files: Sequence[str] = (),
    robustness: pd.DataFrame | None = None,
    universe: pd.DataFrame | None = None,
    pdf: bool = True,
    compute_regressions: bool = False,
) -> list[Path]:
    """Write ``report.html``, ``report.pdf`` and the report's CSV tables into ``out_dir``; returns their paths.

    ``robustness`` defaults to :func:`eventstudy.robustness.robustness_from_results` of ``results``. Without
    weasyprint installed the PDF is skipped with a warning. The MVRM and regression tables are read from the
    run's ``mvrm.csv``/``regressions.csv`` in ``out_dir``; with ``compute_regressions`` they are computed when absent.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if robustness is None:
        from ..robustness import robustness_from_results

        robustness = robustness_from_results(results)
    regressions = regression_frames(results, out_dir, compute=compute_regressions)
    tables = build_tables(results, robustness, universe, regressions)
    written: list[Path] = []
    for name, frame in tables.items():
        path = _safe_path(out_dir, name)
        write_csv(frame, path)  # text cells that a spreadsheet would run as formulas are neutralised
        written.append(path)
    all_files = [*files, *(p.name for p in written), "report.html", "report.pdf"]
    ctx = report_context(
        results, title=title, robustness=robustness, universe=universe, files=all_files, regressions=regressions
    )
    html_path = _safe_path(out_dir, "report.html")
    html_path.write_text(render_html(ctx), encoding="utf-8")
    written.append(html_path)
    if pdf:
        from .pdf import write_pdf

        pdf_path = write_pdf(render_html(ctx, for_print=True), _safe_path(out_dir, "report.pdf"))
        if pdf_path is not None:
            written.append(pdf_path)
    return written
