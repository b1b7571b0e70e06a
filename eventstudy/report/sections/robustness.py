"""Robustness of the headline claims: does each claim hold under each variant of the study (the analyse stage's
``robustness`` table)? A claim holds when the variant's CAAR has the baseline's sign and its p-value falls on the
same side of 5 % as the baseline's; the cell shows the answer and the variant's numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..labels import short_name
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "robustness"
TITLE = "Robustness of the headline claims"
APPENDIX = False
ALPHA = 0.05
_SKIP = ("baseline", "window")

TEMPLATE = """{% import "macros.html" as m %}
{% if table %}
<p>Each row is a claim at the headline event; each column re-runs the study with one choice changed. A cell says
whether the claim holds (<b>yes</b>: same sign, and the {{ test }} p-value on the same side of 5 % as in the
baseline) and gives the variant's CAAR in per cent with its p-value in brackets.</p>
{{ m.table(table) }}
<ul class="small">{% for v in variants %}<li><b>{{ v.name }}</b>: {{ v.description }}
{%- if v.note %} ({{ v.note }}){% endif %}</li>{% endfor %}</ul>
{% if missing %}<p class="small">Not run for the headline event: {{ missing }}.</p>{% endif %}
{% else %}
<p>Not computed: these results hold no robustness analysis (the analyse stage's “robustness”).</p>
{% endif %}
"""


def _baseline(view: ReportView) -> pd.DataFrame:
    """The claims of the headline event (or, without claims, its CAAR rows and primary p-values)."""
    c = view.claim_rows()
    if len(c):
        return c[["group", "window", "nobs", "caar", "pvalue"]]
    rows = []
    for g in view.page1_groups:
        for w in view.windows_for(view.head_id):
            r = view.caar(view.head_id, g, w)
            if r is not None:
                rows.append(
                    {
                        "group": g,
                        "window": w,
                        "nobs": r["nobs"],
                        "caar": r["caar"],
                        "pvalue": view.pvalue(view.head_id, g, w),
                    }
                )
    return pd.DataFrame(rows, columns=["group", "window", "nobs", "caar", "pvalue"])


def _holds(base: pd.Series, var: pd.Series) -> bool | None:
    if "survives" in var.index and not fmt.is_missing(var["survives"]):
        return bool(var["survives"])
    if fmt.is_missing(var["caar"]) or fmt.is_missing(base["caar"]) or fmt.is_missing(var.get("pvalue")):
        return None
    same_sign = (var["caar"] > 0) == (base["caar"] > 0)
    base_sig = not fmt.is_missing(base["pvalue"]) and base["pvalue"] < ALPHA
    return bool(same_sign and ((var["pvalue"] < ALPHA) == base_sig))


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    rob = view.analysis("robustness")
    test = short_name(view.primary_test)
    if rob is None or not len(rob):
        return {"table": None, "test": test}
    rb = rob[rob["event_id"].astype(str) == str(view.head_id)]
    if "test" in rb:
        rb = rb[(rb["test"] == view.primary_test) | rb["test"].isna()]
    names = [v for v in dict.fromkeys(rb["variant"].astype(str)) if v not in _SKIP]
    have = [v for v in names if rb.loc[rb["variant"] == v, "caar"].notna().any()]
    descr = rob.drop_duplicates("variant").set_index("variant")
    variants = [
        {
            "name": v.replace("_", " "),
            "description": str(descr.loc[v, "description"]) if v in descr.index else "",
            "note": str(descr.loc[v, "note"]) if v in descr.index and isinstance(descr.loc[v, "note"], str) else "",
        }
        for v in have
    ]
    missing = [v.replace("_", " ") for v in names if v not in have]
    cells = rb.drop_duplicates(["variant", "group", "window"]).set_index(["variant", "group", "window"])
    cols = [Col("group", align="l"), Col("window", align="l"), Col("baseline", f"CAAR, % ({test} p)")]
    cols += [Col(v["name"], v["description"]) for v in variants]
    t = Table(id="t-robustness", columns=cols)
    base = _baseline(view)
    for _, b in base.iterrows():
        row: list[Any] = [
            view.label(b["group"]),
            fmt.window(b["window"]),
            f"{fmt.pct(b['caar'])} ({fmt.pvalue(b['pvalue'])})",
        ]
        for v in have:
            key = (v, b["group"], b["window"])
            if key not in cells.index:
                row.append(fmt.MISSING)
                continue
            r = cells.loc[key]
            ok = _holds(b, r)
            word = "–" if ok is None else ("yes" if ok else "no")
            row.append(Cell(f"{word} {fmt.pct(r['caar'])} ({fmt.pvalue(r.get('pvalue'))})", cls="" if ok else "flag"))
        t.add(row)
    t.caption = f"Table 4. Headline claims under each variant: holds? CAAR, % ({test} p)."
    return {"table": t, "variants": variants, "missing": ", ".join(missing), "test": test}
