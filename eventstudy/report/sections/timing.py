"""Timing: day 0 of each headline event on each exchange (the full table of every event is an appendix)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..table import Cell, Col, Table
from ..view import ReportView

ID = "timing"
TITLE = "Timing: day 0 of the headline events"
APPENDIX = False
#: the title of the appendix that holds every event's day 0 (:mod:`.appendix_timing`)
APPENDIX_TITLE = "Appendix: day 0 of every event"

TEMPLATE = """{% import "macros.html" as m %}
<p>Day 0 on an exchange is its first session whose close is after the announcement. For an announcement known
only to the day (<span class="flag">day only</span>), day 0 is the session of that date in the announcer's time
zone (or the next session), and its headline window is [0, 1], which holds the first session after the news
whatever the hour. Every event: appendix “{{ appendix }}”.</p>
{{ m.table(table) }}
"""

PRECISION_HELP = {
    "exact": "time of the announcement known to the minute",
    "approx": "time known approximately (within the hour)",
    "day": "only the date is known: day 0 is the session of that date; headline window [0, 1]",
}


def timing_frame(view: ReportView, event_ids: Sequence[str]) -> pd.DataFrame:
    """``event_id, announced_at_utc, time_precision`` and one column of day-0 dates per exchange."""
    d = view.results.day0.copy()
    d = d[d["event_id"].isin(list(event_ids))]
    d["day0"] = pd.to_datetime(d["day0"]).dt.strftime("%Y-%m-%d")
    wide = d.pivot_table(index="event_id", columns="exchange", values="day0", aggfunc="first")
    ev = view.events.set_index("event_id").loc[list(event_ids)]
    out = pd.DataFrame(
        {
            "event_id": list(event_ids),
            "announced_at_utc": [pd.Timestamp(t).strftime("%Y-%m-%d %H:%M") for t in ev["announced_at_utc"]],
            "time_precision": ev["time_precision"].astype(str).to_numpy(),
        }
    )
    return out.merge(wide.reset_index(), on="event_id", how="left")


def timing_table(view: ReportView, event_ids: Sequence[str], *, id: str, caption: str) -> Table:
    frame = timing_frame(view, event_ids)
    exchanges = [c for c in frame.columns if c not in ("event_id", "announced_at_utc", "time_precision")]
    cols = [
        Col("event", align="l"),
        Col("announced (UTC)", "announcement instant in UTC", align="l"),
        Col("precision", "how precisely the announcement time is known", align="l"),
    ] + [Col(x, f"day 0 on exchange {x} (ISO 10383 code)") for x in exchanges]
    t = Table(id=id, columns=cols, caption=caption, filterable=len(frame) > 10)
    for r in frame.itertuples(index=False):
        rec = r._asdict()
        prec = str(rec["time_precision"])
        t.add(
            [
                Cell(str(rec["event_id"]), title=view.event_title(str(rec["event_id"]))),
                rec["announced_at_utc"],
                Cell("day only", title=PRECISION_HELP["day"], cls="flag")
                if prec == "day"
                else Cell(prec, title=PRECISION_HELP.get(prec, "")),
                *[(rec[x] if isinstance(rec[x], str) else "–") for x in exchanges],
            ]
        )
    return t


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_timing.csv": timing_frame(view, list(view.events["event_id"].astype(str)))}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    caption = "Table 3. Day 0 of each headline event by exchange."
    return {
        "table": timing_table(view, view.headline_ids, id="t-timing", caption=caption),
        "appendix": APPENDIX_TITLE,
    }
