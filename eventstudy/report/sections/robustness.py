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
{% if tables %}
<p>Each column is a claim at the headline event; each row re-runs it with one choice changed. A cell says
whether the claim holds (<b>yes</b>: same sign, and the {{ test }} p-value on the same side of 5 % as in the
baseline) and gives the variant's CAAR in per cent with its p-value in brackets; for “leave one out”, the range of
the CAAR with one firm dropped at a time, which holds when the whole range keeps the baseline's sign. Hover a cell
for the variant's note.</p>
{% for t in tables %}{{ m.table(t) }}{% endfor %}
<ul class="small">{% for v in variants %}<li><b>{{ v.name }}</b>: {{ v.description }}
</li>{% endfor %}</ul>
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
    """Does the claim hold under the variant: same sign, and the p-value on the baseline's side of 5 %? A variant
    with a range and no CAAR (leave one out) holds when the whole range keeps the baseline's sign."""
    if "survives" in var.index and not fmt.is_missing(var["survives"]):
        return bool(var["survives"])
    if fmt.is_missing(base["caar"]):
        return None
    positive = base["caar"] > 0
    if fmt.is_missing(var["caar"]):
        lo, hi = var.get("ci_low"), var.get("ci_high")
        if fmt.is_missing(lo) or fmt.is_missing(hi):
            return None
        return bool((lo > 0) if positive else (hi < 0))
    same_sign = (var["caar"] > 0) == positive
    if fmt.is_missing(var.get("pvalue")) or fmt.is_missing(base["pvalue"]):
        return bool(same_sign)
    return bool(same_sign and ((var["pvalue"] < ALPHA) == (base["pvalue"] < ALPHA)))


def _cell(base: pd.Series, var: pd.Series | None) -> Cell:
    if var is None:
        return Cell(fmt.MISSING)
    ok = _holds(base, var)
    note = str(var.get("note")) if isinstance(var.get("note"), str) else ""
    if fmt.is_missing(var["caar"]) and not fmt.is_missing(var.get("ci_low")):
        numbers = fmt.interval(var.get("ci_low"), var.get("ci_high"))
    elif fmt.is_missing(var["caar"]):
        return Cell(fmt.MISSING, title=note)
    else:
        numbers = f"{fmt.pct(var['caar'])} ({fmt.pvalue(var.get('pvalue'))})"
    word = fmt.MISSING if ok is None else ("yes" if ok else "no")
    return Cell(f"{word} {numbers}", title=note, cls="" if ok or ok is None else "flag")


#: claims per table (columns), so that a table fits an A4 page
PER_TABLE = 4


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    frames = [f for f in (view.analysis("claim_robustness"), view.analysis("robustness")) if f is not None and len(f)]
    test = short_name(view.primary_test)
    if not frames:
        return {"tables": [], "test": test}
    rob = pd.concat(frames, ignore_index=True)
    rb = rob[rob["event_id"].astype(str) == str(view.head_id)]
    if "test" in rb:
        t = rb["test"].fillna("").astype(str)
        rb = rb[(t == view.primary_test) | (t == "") | (t == "placebo")]
    names = [v for v in dict.fromkeys(rb["variant"].astype(str)) if v not in _SKIP]
    has_numbers = rb.reindex(columns=["caar", "ci_low"]).notna().any(axis=1)
    have = [v for v in names if has_numbers[rb["variant"] == v].any()]
    descr = rob.drop_duplicates("variant").set_index("variant")
    variants = [
        {"name": v.replace("_", " "), "description": str(descr.loc[v, "description"]) if v in descr.index else ""}
        for v in have
    ]
    missing = [v.replace("_", " ") for v in names if v not in have]
    cells = rb.drop_duplicates(["variant", "group", "window"]).set_index(["variant", "group", "window"])
    base = _baseline(view)
    tables = []
    for k in range(0, len(base), PER_TABLE):
        part = base.iloc[k : k + PER_TABLE]
        cols = [Col("variant", align="l")] + [
            Col(f"{view.label(b['group'])} {fmt.window(b['window'])}", f"claim: CAAR, % ({test} p)")
            for _, b in part.iterrows()
        ]
        t = Table(id=f"t-robustness-{k // PER_TABLE + 1}", columns=cols)
        t.add(["baseline", *[f"{fmt.pct(b['caar'])} ({fmt.pvalue(b['pvalue'])})" for _, b in part.iterrows()]])
        for v, meta in zip(have, variants, strict=True):
            row: list[Any] = [Cell(meta["name"], title=meta["description"])]
            for _, b in part.iterrows():
                key = (v, b["group"], b["window"])
                row.append(_cell(b, cells.loc[key] if key in cells.index else None))
            t.add(row)
        suffix = "abcdefgh"[k // PER_TABLE] if len(base) > PER_TABLE else ""
        t.caption = f"Table 4{suffix}. Headline claims (columns) under each variant (rows): holds? CAAR, % ({test} p)."
        tables.append(t)
    return {"tables": tables, "variants": variants, "missing": ", ".join(missing), "test": test}
