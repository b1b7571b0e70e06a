"""What was left out and why: firm-events per outcome code, and the firms that matter (those not used in full at a
headline event, and those never usable). The complete list is ``report_excluded.csv``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "left_out"
TITLE = "What was left out, and why"
APPENDIX = False

TEMPLATE = """{% import "macros.html" as m %}
<p>{{ intro }}</p>
{{ m.table(counts) }}
{% if names %}{{ m.table(names) }}{% else %}<p>Every firm-event of the headline events is used in full.</p>{% endif %}
"""


def excluded_frame(view: ReportView) -> pd.DataFrame:
    """Every firm-event not used in full, one row per ticker × outcome: reason, number and list of events."""
    o = view.results.outcomes
    o = o[o["status"] != "ok"]
    cols = ["ticker", "group", "status", "reason", "n_events", "events"]
    if o.empty:
        return pd.DataFrame(columns=cols)
    g = o.groupby(["ticker", "group", "status", "reason"], sort=False)["event_id"]
    out = g.agg(n_events="size", events=", ".join).reset_index()
    return out.sort_values(["status", "group", "ticker"]).reset_index(drop=True)[cols]


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_excluded.csv": excluded_frame(view)}


def _names(view: ReportView) -> Table:
    fe = view.results.firm_events
    heads = set(view.headline_ids)
    usable = fe["status"].isin(["ok", "missing_event_window"])
    never = set(
        fe.groupby("ticker")["status"]
        .apply(lambda s: not s.isin(["ok", "missing_event_window"]).any())
        .pipe(lambda s: s[s].index)
    )
    bad = fe[(fe["status"] != "ok") & (fe["event_id"].isin(heads) | fe["ticker"].isin(never))]
    cols = [
        Col("ticker", align="l"),
        Col("name", align="l"),
        Col("group", align="l"),
        Col("outcome", "outcome code: hover a code for its meaning", align="l"),
        Col("headline events", "headline events at which this firm-event is not used in full", align="l"),
        Col("all events", "firm-events with this outcome, over all events"),
    ]
    t = Table(id="t-left-out", columns=cols, filterable=True)
    meanings = view.outcome_meanings
    all_counts = fe[~usable | (fe["status"] != "ok")].groupby(["ticker", "status"]).size()
    for (ticker, status), sub in bad.groupby(["ticker", "status"], sort=True):
        name = sub["name"].iloc[0] if "name" in sub and isinstance(sub["name"].iloc[0], str) else ""
        hs = [e for e in view.headline_ids if e in set(sub["event_id"])]
        grp = (
            sub["segment"].iloc[0]
            if "segment" in sub and isinstance(sub["segment"].iloc[0], str)
            else sub["group"].iloc[0]
        )
        t.add(
            [
                ticker,
                name,
                view.label(str(grp)),
                Cell(str(status), title=meanings.get(str(status), ""), cls="code"),
                ", ".join(hs) if hs else "none (never usable)",
                fmt.integer(all_counts.get((ticker, status), 0)),
            ]
        )
    t.caption = "Table 6. Firms not used in full at a headline event, or at no event."
    return t


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    counts = view.outcome_counts
    meanings = view.outcome_meanings
    total = int(counts.sum())
    ct = Table(
        id="t-outcomes",
        columns=[
            Col("outcome", "outcome code of a firm-event", align="l"),
            Col("firm-events"),
            Col("share, %", "share of all firm-events, per cent"),
            Col("meaning", align="l"),
        ],
    )
    for code, n in counts.items():
        ct.add(
            [
                Cell(str(code), title=meanings.get(str(code), ""), cls="code"),
                fmt.integer(n),
                fmt.share(n / total, 1) if total else fmt.MISSING,
                meanings.get(str(code), ""),
            ]
        )
    ct.caption = "Table 5. Firm-events by outcome code."
    usable, _ = view.usable
    intro = (
        f"{fmt.integer(total)} firm-events ({fmt.integer(len(view.events))} events × the securities of the "
        f"universe); {fmt.integer(usable)} give a CAR for at least one window, {fmt.integer(counts.get('ok', 0))} "
        "for every window. Every firm-event not used in full is listed in report_excluded.csv with its reason."
    )
    names = _names(view)
    return {"intro": intro, "counts": ct, "names": names if len(names) else None}
