"""Appendix: data: per ticker, the source, the span of prices used, the share of missing and zero returns, the
adjustment noted in the universe file, and any fetch failure."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_data"
TITLE = "Appendix: data"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
<p>Prices from <code>{{ source }}</code>, {{ start }} to {{ end }}. Per ticker: the span of prices used, the share of
sessions with a missing or a zero return, and the notes of the universe file.</p>
{{ m.table(table) }}
<p class="small">Files of this run: {{ files }}.</p>
"""


def data_frame(view: ReportView) -> pd.DataFrame:
    dn = view.results.data_notes.copy()
    notes: dict[str, str] = {}
    panel = getattr(view.results, "panel", None)
    if panel is not None and "notes" in panel.keys.columns:
        k = panel.keys.drop_duplicates("ticker")
        notes.update(dict(zip(k["ticker"], k["notes"].fillna("").astype(str), strict=False)))
    sessions = dn["sessions"] if "sessions" in dn else pd.Series(float("nan"), index=dn.index)
    out = pd.DataFrame(
        {
            "ticker": dn["ticker"],
            "exchange": dn.get("exchange"),
            "source": dn.get("source"),
            "first_date": dn.get("first_date"),
            "last_date": dn.get("last_date"),
            "sessions": sessions,
            "missing_returns": dn.get("missing_returns"),
            "zero_returns": dn.get("zero_returns"),
        }
    )
    out["missing_share"] = out["missing_returns"] / out["sessions"]
    out["zero_share"] = out["zero_returns"] / out["sessions"]
    out["adjustment"] = out["ticker"].map(notes).fillna("")
    out["failure"] = dn["failure"].fillna("").astype(str) if "failure" in dn.columns else ""
    return out


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_data_appendix.csv": data_frame(view)}


def _date(x: Any) -> str:
    return pd.Timestamp(x).strftime("%Y-%m-%d") if x is not None and pd.notna(x) else fmt.MISSING


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    d = data_frame(view)
    t = Table(
        id="t-data",
        columns=[
            Col("ticker", align="l"),
            Col("exchange", align="l"),
            Col("source", align="l"),
            Col("span", "first and last date of prices used", align="l"),
            Col("sessions"),
            Col("missing, %", "share of sessions without a return"),
            Col("zero, %", "share of sessions with a zero return"),
            Col("notes", align="l"),
        ],
        filterable=True,
    )
    for _, r in d.iterrows():
        note = str(r["adjustment"] or "")
        if r["failure"]:
            note = (note + " " if note else "") + f"failure: {r['failure']}"
        t.add(
            [
                r["ticker"],
                str(r["exchange"] or ""),
                str(r["source"] or ""),
                f"{_date(r['first_date'])} to {_date(r['last_date'])}",
                fmt.integer(r["sessions"]),
                fmt.share(r["missing_share"], 1),
                fmt.share(r["zero_share"], 1),
                Cell(note, cls="flag" if r["failure"] else ""),
            ]
        )
    t.caption = "Prices per ticker."
    s = view.settings
    return {
        "table": t,
        "source": s.get("source", ""),
        "start": s.get("data_start", ""),
        "end": s.get("data_end", ""),
        "files": ", ".join(view.files),
    }
