"""Appendix: the events on the calendar (figure) and the events file as a table (filterable)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..labels import direction_name
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_events"
TITLE = "Appendix: the events"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
{{ m.figure(figures.get("timeline")) }}
{{ m.table(table) }}
<p class="small">★ headline event. Sources are links to the announcement or its report.</p>
"""


def figures(view: ReportView) -> dict[str, tuple[Any, str, str]]:
    from .. import plots

    fig = plots.timeline(view.events, headline_ids=view.headline_ids, settings=view.settings)
    caption = (
        f"The {len(view.events)} events by announcement date (UTC), one row per direction; the headline events are "
        "numbered and named in the key."
    )
    return {"timeline": (fig, caption, "Timeline of the events")}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    from ..summary import safe_url

    cols = [
        Col("event", align="l"),
        Col("announced (UTC)", align="l"),
        Col("direction", align="l"),
        Col("title", align="l"),
        Col("confounders noted", "other news near the event, from the events file", align="l"),
        Col("source", align="l"),
    ]
    t = Table(id="t-events", columns=cols, filterable=True)
    for e in view.events.itertuples(index=False):
        url = safe_url(getattr(e, "source_url", ""))
        conf = getattr(e, "confounders", "")
        t.add(
            [
                Cell(f"{e.event_id}{' ★' if e.headline else ''}", title=str(getattr(e, "description", "") or "")),
                pd.Timestamp(e.announced_at_utc).strftime("%Y-%m-%d %H:%M"),
                direction_name(str(e.direction)),
                str(e.title),
                conf if isinstance(conf, str) else "",
                Cell(url, cls="url") if url else "",
            ]
        )
    t.caption = "The events file."
    return {"figures": figs, "table": t}
