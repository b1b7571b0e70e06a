"""Expected against observed: where the events file gives an expected sign per group (``sign_<group>`` columns,
``+`` or ``-``), how many events' observed CAAR had that sign, by group and direction. A tally of the CAAR table's
signs; ``0``, ``+/-`` and blank expectations are not counted."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..labels import direction_name
from ..table import Col, Table
from ..view import ReportView

ID = "expected"
TITLE = "Expected against observed"
APPENDIX = False

TEMPLATE = """{% import "macros.html" as m %}
{% if table %}<p>For each group the events file gives an expected sign, the share of events whose CAAR over
{{ window }} had that sign. An event without a usable CAAR for the group is not counted.</p>
{{ m.table(table) }}{% else %}<p>{{ none }}</p>{% endif %}
{% if unmatched %}<p class="small">Expected signs for groups not in these results: {{ unmatched }}.</p>{% endif %}
"""


def _window(view: ReportView) -> str:
    wins = view.headline_windows
    return "m1_1" if "m1_1" in wins else wins[-1]


def expected_frame(view: ReportView) -> tuple[pd.DataFrame, list[str]]:
    ev = view.events
    sign_cols = [c for c in ev.columns if c.startswith("sign_")]
    known = set(view.groups) | set(view.duplicates)
    matched = [c for c in sign_cols if c[5:] in known and c[5:] not in view.duplicates]
    unmatched = [c[5:] for c in sign_cols if c[5:] not in known]
    w = _window(view)
    c = view.caar_table
    c = c[(c["window"] == w) & c["caar"].notna() & (c["nobs"] > 0)].set_index(["event_id", "group"])["caar"]
    rows = []
    for col in matched:
        g = col[5:]
        for e in ev.itertuples(index=False):
            want = str(getattr(e, col) or "").strip()
            if want not in ("+", "-"):
                continue
            key = (e.event_id, g)
            if key not in c.index:
                continue
            got = "+" if c.loc[key] > 0 else "-"
            rows.append({"group": g, "direction": str(e.direction), "matched": want == got})
    frame = pd.DataFrame(rows, columns=["group", "direction", "matched"])
    if not len(frame):
        return pd.DataFrame(columns=["group", "direction", "events", "matched", "share"]), unmatched
    out = frame.groupby(["group", "direction"], sort=False)["matched"].agg(events="size", matched="sum").reset_index()
    out["share"] = out["matched"] / out["events"]
    return out, unmatched


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_expected.csv": expected_frame(view)[0]}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    frame, unmatched = expected_frame(view)
    w = fmt.window(_window(view))
    out: dict[str, Any] = {"window": w, "unmatched": ", ".join(unmatched), "table": None}
    if not len(frame):
        out["none"] = "The events file gives no expected sign (+ or −) for a group in these results."
        return out
    t = Table(
        id="t-expected",
        columns=[
            Col("group", align="l"),
            Col("direction", align="l"),
            Col("events", "events with an expected sign + or − and a usable CAAR"),
            Col("sign as expected", "events whose CAAR had the expected sign"),
            Col("share, %", "share of events with the expected sign, per cent"),
        ],
    )
    order = {g: i for i, g in enumerate(view.groups)}
    frame = frame.assign(_g=frame["group"].map(order)).sort_values(["_g", "direction"])
    for r in frame.itertuples(index=False):
        t.add(
            [
                view.label(r.group),
                direction_name(r.direction),
                fmt.integer(r.events),
                fmt.integer(r.matched),
                fmt.share(r.share),
            ]
        )
    t.caption = f"Table 8. Observed against expected sign of the CAAR over {w}, by group and direction."
    out["table"] = t
    return out
