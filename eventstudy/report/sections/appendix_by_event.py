"""Appendix: every event, every group: CAAR over [−1, 1] and the p-value of every test, one collapsible block per
event in the HTML."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..labels import explain_test, short_name
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_by_event"
TITLE = "Appendix: every event and group"
APPENDIX = True
WINDOW = "m1_1"

TEMPLATE = """{% import "macros.html" as m %}
<p>Every event, window {{ window }}: the group's CAAR in per cent, its 95 % cross-sectional t interval, and the
two-sided p-value of each test (hover a test's name for what it is). The full test table, with statistics and every
window, is <code>tests.csv</code>.</p>
{% for b in blocks %}
<details class="event" id="ev-{{ b.event_id }}"{% if for_print %} open{% endif %}>
<summary><b>{{ b.date }}</b> {{ b.title }}
<span class="small">({{ b.direction }}, <code>{{ b.event_id }}</code>)</span></summary>
{{ m.table(b.table) }}
</details>
{% endfor %}
"""


def _tests(view: ReportView) -> list[str]:
    present = list(dict.fromkeys(view.test_table["test"].astype(str)))
    order = list(view.settings.get("tests") or present)
    return [t for t in order if t in present]


def results_frame(view: ReportView, windows: tuple[str, ...] = ("0_0", "m1_1")) -> pd.DataFrame:
    """Per event × group × window: N, CAAR, interval and the p-value of every test (``p_<test>``)."""
    c = view.caar_table
    c = c[c["window"].isin(windows)][["event_id", "group", "window", "nobs", "caar", "ci_low", "ci_high"]]
    t = view.test_table
    t = t[t["window"].isin(windows)]
    piv = t.pivot_table(index=["event_id", "group", "window"], columns="test", values="pvalue", aggfunc="first")
    piv.columns = [f"p_{x}" for x in piv.columns]
    return c.merge(piv.reset_index(), on=["event_id", "group", "window"], how="left")


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_results_by_event.csv": results_frame(view)}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    tests = _tests(view)
    frame = results_frame(view, (WINDOW,))
    ev = view.events.sort_values("announced_at_utc")
    blocks = []
    cols = [Col("group", align="l"), Col("N", "usable firm-events"), Col("CAAR, %"), Col("95 % t interval, %")]
    cols += [Col(short_name(x), explain_test(x) or x) for x in tests]
    for e in ev.itertuples(index=False):
        sub = frame[frame["event_id"] == e.event_id]
        t = Table(id=f"t-ev-{e.event_id}", columns=list(cols))
        for g in view.groups:
            r = sub[sub["group"] == g]
            if not len(r):
                continue
            r = r.iloc[0]
            t.add(
                [
                    view.label(g),
                    fmt.integer(r["nobs"]),
                    fmt.pct(r["caar"]),
                    fmt.interval(r["ci_low"], r["ci_high"]),
                    *[Cell(fmt.pvalue(r.get(f"p_{x}"))) for x in tests],
                ]
            )
        blocks.append(
            {
                "event_id": e.event_id,
                "title": e.title,
                "date": pd.Timestamp(e.announced_at_utc).strftime("%Y-%m-%d"),
                "direction": str(e.direction).replace("_", " "),
                "table": t,
            }
        )
    return {"blocks": blocks, "window": fmt.window(WINDOW)}
