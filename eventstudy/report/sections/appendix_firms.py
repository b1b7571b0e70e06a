"""Appendix: each firm at the headline event: outcome, CAR per window and its standardised CAR (SCAR)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_firms"
TITLE = "Appendix: each firm at the headline event"
APPENDIX = True
WINDOWS = ("0_0", "m1_1", "0_5")

TEMPLATE = """{% import "macros.html" as m %}
<p>Headline event <code>{{ head_id }}</code> (“{{ head_title }}”): each firm's CAR in per cent and its standardised
CAR (SCAR: the CAR over its exact forecast-error standard deviation; bold where |SCAR| ≥ 1.96). Every firm-event is
in <code>firm_events.csv</code>; every firm-event not used in full, with its reason, in
<code>report_excluded.csv</code>.</p>
{{ m.table(table) }}
"""


def firms_frame(view: ReportView) -> pd.DataFrame:
    fe = view.firm_events
    fe = fe[fe["event_id"] == view.head_id]
    cols = ["ticker"] + [c for c in ("name", "group", "segment") if c in fe.columns] + ["exchange", "day0", "status"]
    out = fe[cols].copy()
    for w in WINDOWS:
        for k in ("car", "scar"):
            if f"{k}_{w}" in fe.columns:
                out[f"{k}_{w}"] = fe[f"{k}_{w}"]
    return out.reset_index(drop=True)


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_firms.csv": firms_frame(view)}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    f = firms_frame(view)
    wins = [w for w in WINDOWS if f"car_{w}" in f.columns]
    gcol = "segment" if "segment" in f.columns else "group"
    cols = [
        Col("ticker", align="l"),
        Col("name", align="l"),
        Col("group", align="l"),
        Col("outcome", "outcome code: hover a code for its meaning", align="l"),
    ]
    for w in wins:
        cols += [Col(f"CAR {fmt.window(w)}, %"), Col("SCAR", "standardised CAR")]
    t = Table(id="t-firms", columns=cols, filterable=True)
    rank = {g: i for i, g in enumerate(view.groups + list(view.duplicates))}
    f = f.assign(_r=f[gcol].astype(str).map(rank).fillna(len(rank))).sort_values(["_r", "ticker"])
    meanings = view.outcome_meanings
    for _, r in f.iterrows():
        cells: list[Any] = []
        for w in wins:
            s = r.get(f"scar_{w}")
            big = not fmt.is_missing(s) and abs(float(s)) >= 1.96
            cells += [
                Cell(fmt.pct(r[f"car_{w}"]), cls="sig" if big else ""),
                Cell(fmt.number(s), cls="sig" if big else ""),
            ]
        t.add(
            [
                r["ticker"],
                r.get("name", "") if isinstance(r.get("name", ""), str) else "",
                view.label(str(r[gcol])),
                Cell(str(r["status"]), title=meanings.get(str(r["status"]), ""), cls="code"),
                *cells,
            ]
        )
    t.caption = "Each firm at the headline event."
    return {"table": t, "head_id": view.head_id, "head_title": view.event_title(view.head_id)}
