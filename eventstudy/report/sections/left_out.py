"""What was left out and why: firm-events per outcome code, the firms that matter (those not used in full at a
headline event, and those never usable), and the data flags (price spikes and unit jumps inside an event window,
benchmark gaps, short estimation histories). The complete lists are ``report_excluded.csv`` and
``report_data_flags.csv``."""

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
<h3>Data flags</h3>
<p>{{ flags_intro }}</p>
{% if flags %}{{ m.table(flags) }}{% endif %}
"""

#: data-notes columns (per ticker) that flag the prices, with how the report names them
NOTE_FLAGS: dict[str, str] = {
    "bad_prints": "bad prints",
    "extreme_returns": "extreme returns",
    "suspect_units": "unit jumps",
    "suspect_splits": "suspect splits",
}
FLAG_COLUMNS = ["ticker", "group", "flagged_events", "short_history_events", "notes"]


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


def _note_columns(notes: pd.DataFrame) -> dict[str, str]:
    """The flag columns the data notes hold: :data:`NOTE_FLAGS`, and any benchmark-gap column."""
    cols = {c: name for c, name in NOTE_FLAGS.items() if c in notes.columns}
    cols.update({c: c.replace("_", " ") for c in notes.columns if "gap" in c and c not in cols})
    return cols


def _flag_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt.integer(value) if value else ""
    return str(value).strip()


def data_flags_frame(view: ReportView) -> pd.DataFrame:
    """Per ticker with a flag: the events whose event window holds a flagged price (``data_flags`` of the
    firm-event table), the firm-events estimated on a short history (``short_history``), and the data notes' flags
    (spikes, unit jumps, suspect splits, benchmark gaps)."""
    fe = view.firm_events
    notes = view.results.data_notes
    rows: dict[str, dict[str, Any]] = {}
    group = dict(zip(fe["ticker"].astype(str), fe["group"].astype(str), strict=False)) if len(fe) else {}

    def row(ticker: str) -> dict[str, Any]:
        return rows.setdefault(
            ticker,
            {"ticker": ticker, "group": group.get(ticker, ""), "flagged": [], "short": 0, "notes": []},
        )

    if "data_flags" in fe.columns:
        hit = fe[fe["data_flags"].fillna("").astype(str) != ""]
        for r in hit.itertuples():
            row(str(r.ticker))["flagged"].append(f"{r.event_id} ({r.data_flags})")
    if "short_history" in fe.columns:
        for ticker, n in fe[fe["short_history"].fillna(False).astype(bool)].groupby("ticker").size().items():
            row(str(ticker))["short"] = int(n)
    if "ticker" in notes.columns:
        cols = _note_columns(notes)
        for r in notes.to_dict("records"):
            found = [f"{name}: {text}" for c, name in cols.items() if (text := _flag_text(r.get(c)))]
            if found:
                row(str(r["ticker"]))["notes"].extend(found)
    out = pd.DataFrame(
        [
            {
                "ticker": r["ticker"],
                "group": r["group"],
                "flagged_events": "; ".join(r["flagged"]),
                "short_history_events": r["short"],
                "notes": "; ".join(r["notes"]),
            }
            for r in rows.values()
        ],
        columns=FLAG_COLUMNS,
    )
    return out.sort_values(["group", "ticker"]).reset_index(drop=True)


def _flags(view: ReportView) -> tuple[str, Table | None]:
    d = data_flags_frame(view)
    fe = view.firm_events
    n_flagged = int((fe["data_flags"].fillna("").astype(str) != "").sum()) if "data_flags" in fe else 0
    n_short = int(fe["short_history"].fillna(False).astype(bool).sum()) if "short_history" in fe else 0
    full = view.settings.get("full_estimation")
    short = f"fewer than {fmt.integer(full)} estimation days" if full else "a short estimation window"
    intro = (
        f"{fmt.integer(n_flagged)} firm-events have a flagged price (a spike, bad print or unit jump) inside their "
        f"event window; {fmt.integer(n_short)} were estimated on a short history ({short}); "
        f"{fmt.integer(len(d))} tickers carry a flag. They are kept and counted; each flag is in "
        "report_data_flags.csv and data_notes.csv."
    )
    if d.empty:
        return intro, None
    t = Table(
        id="t-data-flags",
        columns=[
            Col("ticker", align="l"),
            Col("group", align="l"),
            Col("events with a flag in the window", "event (the flagged prices inside its event window)", align="l"),
            Col("short history", "firm-events estimated on a short history"),
            Col("data notes", "flags of the ticker's prices over the whole span", align="l"),
        ],
        filterable=True,
    )
    for r in d.itertuples():
        t.add(
            [
                r.ticker,
                view.label(str(r.group)) if r.group else "",
                Cell(r.flagged_events, cls="flag") if r.flagged_events else "",
                fmt.integer(r.short_history_events),
                r.notes,
            ]
        )
    t.caption = "Table 7. Data flags per ticker."
    return intro, t


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_excluded.csv": excluded_frame(view), "report_data_flags.csv": data_flags_frame(view)}


def _names(view: ReportView) -> Table:
    fe = view.firm_events
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
    flags_intro, flags = _flags(view)
    return {
        "intro": intro,
        "counts": ct,
        "names": names if len(names) else None,
        "flags_intro": flags_intro,
        "flags": flags,
    }
