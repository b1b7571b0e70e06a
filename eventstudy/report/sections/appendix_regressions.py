"""Appendix: the event-dummy system (MVRM) and the cross-sectional regressions, read from the analyse stage's
``mvrm`` and ``regressions`` results."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_regressions"
TITLE = "Appendix: regressions"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
{% if mvrm %}<h3>Event-dummy system (MVRM): Wald tests at the headline event</h3>
<p>One SUR system of event-dummy equations; Wald tests with the residual covariance: all γ = 0, the group's mean
γ = 0, equal group means, equal event effects. CAR and estimates in per cent.</p>
{% if mvrm_note %}<p class="small">{{ mvrm_note }}</p>{% endif %}
{{ m.table(mvrm) }}{% endif %}
{% if regs %}<h3>Cross-sectional regressions of CAR</h3>
<p>Coefficients in per cent of CAR. With errors clustered by event date, “eff. dates” is the number of event dates a
term's estimate effectively rests on; it is flagged under 5, where the clustered standard error and p-value are
unreliable.</p>
{% for r in regs %}<h4>{{ r.title }}</h4>
<p class="small">{{ r.caption }}</p>
{{ m.table(r.table) }}{% endfor %}{% endif %}
{% if not mvrm and not regs %}<p>Not computed: these results hold no MVRM or cross-sectional regression (the analyse
stage's “mvrm” and “regressions”).</p>{% endif %}
"""


def _mvrm(view: ReportView, m: pd.DataFrame | None) -> tuple[Table | None, str]:
    if m is None or not len(m) or "kind" not in m.columns:
        return None, ""
    w = m[m["kind"] == "wald"]
    if "hypothesis" in w:
        w = w[w["hypothesis"].astype(str).str.contains(str(view.head_id), regex=False)]
    note = ""
    if "covariance_note" in m and m["covariance_note"].notna().any():
        note = str(m["covariance_note"].dropna().iloc[0])
    t = Table(
        id="t-mvrm",
        columns=[
            Col("test", align="l"),
            Col("hypothesis", align="l"),
            Col("N", "equations (securities or portfolios)"),
            Col("estimate, %", "mean CAR under the hypothesis, per cent"),
            Col("s.e., %"),
            Col("statistic"),
            Col("df"),
            Col("p"),
        ],
        filterable=True,
    )
    for _, r in w.iterrows():
        t.add(
            [
                str(r.get("test", "")),
                str(r.get("hypothesis", "")),
                fmt.integer(r.get("nobs")),
                fmt.pct(r.get("estimate")),
                fmt.pct(r.get("std_err"), sign=False),
                fmt.number(r.get("statistic")),
                fmt.integer(r.get("df_num")),
                fmt.pvalue(r.get("pvalue")),
            ]
        )
    return (t if len(t) else None), note


def _cov(x: pd.Series) -> str:
    cov = str(x.get("cov_type", ""))
    if cov == "cluster":
        return f"standard errors clustered by event date ({fmt.integer(x.get('n_clusters'))} dates)"
    return f"{cov} standard errors"


def _effective(x: pd.Series) -> Cell:
    """The term's effective event dates, flagged with its note when they are too few for clustered errors."""
    note = x.get("term_note")
    note = note if isinstance(note, str) else ""  # NaN where the table has no note (an older or failed fit)
    return Cell(fmt.number(x.get("effective_clusters"), digits=1), title=note, cls="flag" if note else "")


def _regs(r: pd.DataFrame | None) -> list[dict[str, Any]]:
    """One table per regression (formula and scope), its fit in the caption: narrow enough for a printed page."""
    if r is None or not len(r) or "term" not in r.columns:
        return []
    out = []
    for k, ((formula, scope), fit) in enumerate(r.groupby(["formula", "scope"], sort=False, dropna=False), 1):
        first = fit.iloc[0]
        if fit["term"].isna().all():  # the fit failed: its note says why
            caption = str(first.get("notes", "")) or "not computed"
        else:
            caption = (
                f"N = {fmt.integer(first.get('nobs'))}, R² = {fmt.number(first.get('r2'))}; {_cov(first)}; CAR "
                f"window {fmt.window(first.get('window'))}"
            )
        t = Table(
            id=f"t-regressions-{k}",
            columns=[
                Col("term", align="l"),
                Col("coef., %"),
                Col("s.e., %"),
                Col("t"),
                Col("p"),
                Col("eff. dates", "event dates the term's estimate effectively rests on (clustered errors only)"),
            ],
        )
        for _, x in fit[fit["term"].notna()].iterrows():
            t.add(
                [
                    str(x.get("term", "")),
                    fmt.pct(x.get("coef")),
                    fmt.pct(x.get("std_err"), sign=False),
                    fmt.number(x.get("statistic")),
                    fmt.pvalue(x.get("pvalue")),
                    _effective(x),
                ]
            )
        out.append({"title": f"{formula}: {scope}", "caption": caption, "table": t})
    return out


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    mvrm, note = _mvrm(view, view.analysis("mvrm"))
    return {"mvrm": mvrm, "mvrm_note": note, "regs": _regs(view.analysis("regressions"))}
