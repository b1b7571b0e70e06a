"""Appendix: the event-dummy system (MVRM) and the cross-sectional regressions, read from the analyse stage's
``mvrm`` and ``regressions`` results."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..table import Col, Table
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
<p>Coefficients in per cent of CAR; standard errors as named in the cov. column.</p>
{{ m.table(regs) }}{% endif %}
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
    return f"clustered by event date ({fmt.integer(x.get('n_clusters'))} dates)" if cov == "cluster" else cov


def _regs(r: pd.DataFrame | None) -> Table | None:
    if r is None or not len(r) or "term" not in r.columns:
        return None
    t = Table(
        id="t-regressions",
        columns=[
            Col("formula", align="l"),
            Col("scope", align="l"),
            Col("term", align="l"),
            Col("coef., %"),
            Col("s.e., %"),
            Col("t"),
            Col("p"),
            Col("N"),
            Col("R²"),
            Col("cov.", align="l"),
        ],
        filterable=True,
    )
    for _, x in r.iterrows():
        t.add(
            [
                str(x.get("formula", "")),
                str(x.get("scope", "")),
                str(x.get("term", "")),
                fmt.pct(x.get("coef")),
                fmt.pct(x.get("std_err"), sign=False),
                fmt.number(x.get("statistic")),
                fmt.pvalue(x.get("pvalue")),
                fmt.integer(x.get("nobs")),
                fmt.number(x.get("r2")),
                _cov(x),
            ]
        )
    return t


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    mvrm, note = _mvrm(view, view.analysis("mvrm"))
    return {"mvrm": mvrm, "mvrm_note": note, "regs": _regs(view.analysis("regressions"))}
