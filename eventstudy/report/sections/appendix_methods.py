"""Appendix: methods: this study's settings (windows, model, its tests with their formulas and references, the
outcome codes), then the project's methods page, ``docs/methods.md``, as
:func:`eventstudy.methods_page.methods_html` renders it."""

from __future__ import annotations

import re
from typing import Any

from ...catalog import TEST_CATALOG
from ...methods_page import METHODS_PAGE, methods_html
from .. import fmt
from ..labels import explain_test, short_name
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_methods"
TITLE = "Appendix: methods"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
<h3>This study's settings</h3>
<p>Estimation window {{ estimation_window }}, event window {{ event_window }}, CAR windows {{ car_windows }}
(inclusive, in sessions). A firm-event needs at least {{ min_estimation }} valid estimation returns and a complete
CAR window for each CAR it reports. Clean estimation windows: {{ clean }}. Returns: {{ return_kind }} returns of
adjusted closes. Normal-return model: {{ model_text }}.</p>
<h4>The tests of this study</h4>
{{ m.table(tests) }}
<p class="small">N is the number of usable firm-events in the group; M the estimation length; k the model's
parameters; L the window length. All p-values are two-sided. {{ claims_text }}</p>
<h4>Outcome codes</h4>
{{ m.table(outcomes) }}
<h3>How the numbers are made</h3>
{% if methods %}<div class="methods-page">{{ methods }}</div>
{% else %}<p>{{ no_methods }}</p>{% endif %}
"""

#: what the appendix lists besides the registered tests (whose entries come from the catalog)
OTHER_METHODS: dict[str, tuple[str, str, str]] = {
    "mvrm": (
        "multivariate regression with event dummies",
        "R_it = α_i + β_i R_mt + Σ_k γ_ik D_kt + ε_it; Wald tests with the residual covariance",
        "Schipper & Thompson (1983); Binder (1985)",
    ),
}


def _method(name: str) -> tuple[str, str, str]:
    """(what it is, statistic, reference) of a test: the catalog's entry."""
    info = TEST_CATALOG.get(name)
    if info is not None:
        return info.description, info.formula, info.reference
    return OTHER_METHODS.get(name, (name, fmt.MISSING, fmt.MISSING))


MODEL_METHODS: dict[str, str] = {
    "market": "market model: R_it = α_i + β_i R_mt + ε_it by OLS, R_m the security's local index proxy",
    "market_adjusted": "market-adjusted: AR = R − R_m, σ² from estimation-window ARs with M−1 df",
    "constant_mean": "constant mean: R_it = μ_i + ε_it",
    "scholes_williams": "Scholes–Williams: β = (β₋₁ + β₀ + β₊₁)/(1 + 2ρ_m), for thin trading",
    "factor": "factor model: R_it = α_i + Σ_f b_if F_ft + ε_it on the user's factor file",
    "world": "two-factor model: R_it = α_i + β_i R_mt + γ_i R_world,t + ε_it (local index plus ACWI)",
}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    s = view.settings
    tt = Table(
        id="t-methods-tests",
        columns=[
            Col("test", align="l"),
            Col("what it is", align="l"),
            Col("statistic", align="l"),
            Col("reference", align="l"),
        ],
    )
    for name in s.get("tests") or list(dict.fromkeys(view.test_table["test"])):
        label, formula, ref = _method(name)
        tt.add([Cell(short_name(name), title=explain_test(name)), f"{label} ({name})", formula, ref])
    ot = Table(id="t-methods-outcomes", columns=[Col("code", align="l"), Col("meaning", align="l")])
    for code, meaning in view.outcome_meanings.items():
        ot.add([Cell(code, title=meaning, cls="code"), meaning])
    claims = view.claims
    claims_text = ""
    if claims is not None and len(claims):
        claims_text = (
            f"The claims (page 1) use the {short_name(view.primary_test)} test; Holm-adjusted p-values and "
            "Benjamini–Hochberg q-values are over all claims of the study; the placebo p-value is "
            "(1 + #{|placebo CAAR| ≥ |CAAR|}) / (1 + B) over B placebo event dates."
        )
    model = str(s.get("model"))
    return {
        "methods": methods_fragment(),
        "no_methods": f"The methods page ({METHODS_PAGE.name}) is not installed with the package; it is docs/"
        "methods.md in the project's repository.",
        "tests": tt,
        "outcomes": ot,
        "claims_text": claims_text,
        "model_text": MODEL_METHODS.get(model, model),
        "estimation_window": fmt.window_pair(s.get("estimation_window")),
        "event_window": fmt.window_pair(s.get("event_window")),
        "car_windows": ", ".join(fmt.window(w) for w in s.get("car_windows") or []),
        "min_estimation": s.get("min_estimation", fmt.MISSING),
        "clean": "on" if s.get("clean_estimation") else "off",
        "return_kind": s.get("return_kind", "simple"),
    }


def methods_fragment() -> Any:
    """``docs/methods.md`` as HTML inside the appendix: its title dropped (the section has one) and its headings one
    level down (``##`` → ``<h3>``), or None when the page is not there."""
    from markupsafe import Markup

    html = methods_html()
    if html is None:
        return None
    html = re.sub(r"<h1>.*?</h1>\n?", "", html, count=1)
    html = re.sub(r"<(/?)h([2-5])>", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", html)
    return Markup(html)  # markdown-it escaped any raw HTML of the page
