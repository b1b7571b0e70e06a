"""Appendix: every claim of the study (headline event × group × headline window) with all its numbers, as the
analyse stage's ``claims`` holds them."""

from __future__ import annotations

from typing import Any

from .. import fmt
from ..labels import explain_test, short_name
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_claims"
TITLE = "Appendix: the claims"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
<p>Every claim: CAAR and its interval in per cent (the interval inverts the claim's test), the test's p-value, the
Holm-adjusted p-value and the Benjamini–Hochberg q-value over all {{ n }} claims, the placebo p-value (and its
smallest attainable value), the range of the CAAR when one firm at a time is left out (and the firm that moves it
most), and the firm-events with another event or firm news in the window.</p>
{{ m.table(table) }}
"""


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    c = view.claims
    if c is None or not len(c):
        return None
    cols = [
        Col("event", align="l"),
        Col("group", align="l"),
        Col("window", align="l"),
        Col("N"),
        Col("CAAR, %"),
        Col("interval, %", "interval of the CAAR from the claim's test"),
        Col("p", "p-value of the claim's test, two-sided"),
        Col("Holm", "Holm-adjusted p-value over all claims"),
        Col("BH q", "Benjamini-Hochberg q-value over all claims"),
        Col("placebo p", "randomisation p-value over placebo event dates (smallest attainable in the title)"),
        Col("leave one out, %", "range of the CAAR with one firm left out at a time", align="l"),
        Col("overlap", "firm-events with another event of the study or firm news in the window"),
        Col("note", align="l"),
    ]
    t = Table(id="t-claims", columns=cols, filterable=True)
    order = {e: i for i, e in enumerate(view.headline_ids)}
    rows = c[~c["group"].isin(list(view.duplicates))]
    rows = rows.assign(_e=rows["event_id"].map(order)).sort_values(["_e"], kind="stable")
    for _, r in rows.iterrows():
        loo = fmt.interval(r.get("loo_low"), r.get("loo_high"))
        who = r.get("loo_ticker")
        if isinstance(who, str) and who and loo != fmt.MISSING:
            loo += f" ({who})"
        overlap = sum(int(r.get(k)) for k in ("n_overlap", "n_confounded") if not fmt.is_missing(r.get(k)))
        tname = str(r.get("test", ""))
        min_p = fmt.pvalue(r.get("placebo_min_p"))
        t.add(
            [
                Cell(view.event_date(str(r["event_id"])), title=view.event_title(str(r["event_id"]))),
                view.label(str(r["group"])),
                fmt.window(r["window"]),
                fmt.integer(r["nobs"]),
                fmt.pct(r["caar"]),
                fmt.interval(r.get("ci_low"), r.get("ci_high")),
                Cell(fmt.pvalue(r.get("pvalue")), title=f"{short_name(tname)}: {explain_test(tname)}"),
                fmt.pvalue(r.get("pvalue_holm")),
                fmt.pvalue(r.get("qvalue_bh")),
                Cell(
                    fmt.pvalue(r.get("placebo_pvalue")),
                    title=f"smallest attainable: {min_p}",
                ),
                loo,
                fmt.integer(overlap),
                str(r.get("note") or "") if isinstance(r.get("note"), str) else "",
            ]
        )
    t.caption = "Every claim of the study."
    return {"table": t, "n": fmt.integer(len(c))}
