"""Appendix: day 0 of every event on every exchange."""

from __future__ import annotations

from typing import Any

from ..view import ReportView
from .timing import APPENDIX_TITLE, timing_table

ID = "appendix_timing"
TITLE = APPENDIX_TITLE
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
<p>Day 0 of every event on every exchange; rules as in “Timing”. Also in <code>report_timing.csv</code>.</p>
{{ m.table(table) }}
"""


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    ids = list(view.events["event_id"].astype(str))
    return {"table": timing_table(view, ids, id="t-timing-all", caption="Day 0 of every event by exchange.")}
