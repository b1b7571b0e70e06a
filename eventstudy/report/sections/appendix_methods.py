"""Appendix: methods: day 0, windows, the normal-return model and its exact variance, every test with its formula
and reference, and the outcome codes."""

from __future__ import annotations

from typing import Any

from ...catalog import TEST_CATALOG
from .. import fmt
from ..labels import explain_test, short_name
from ..table import Cell, Col, Table
from ..view import ReportView

ID = "appendix_methods"
TITLE = "Appendix: methods"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
<h3>Day 0</h3>
<p>For a security listed on exchange X, day 0 is the first regular session of X whose close is strictly after the
announcement instant (sessions and closes from <code>exchange_calendars</code>). An announcement during a session
makes that session day 0; one after the close, on a holiday or at a weekend makes the next session day 0. A date-only
announcement has day 0 on the session of its calendar date in the announcer's time zone, or the next session when
that date is not one; its headline window [0, 1] holds the first session after the news whatever the hour. Event time
counts sessions of the security's own exchange; a session without a usable price keeps its place with a missing
return.</p>
<h3>Windows</h3>
<p>Estimation window {{ estimation_window }}, event window {{ event_window }}, CAR windows {{ car_windows }}
(inclusive, in sessions). A firm-event needs at least {{ min_estimation }} valid estimation returns and a complete
CAR window for each CAR it reports. Clean estimation windows: {{ clean }}. Returns: {{ return_kind }} returns of
adjusted closes.</p>
<h3>Normal-return model and exact variance</h3>
<p>{{ model_text }}. The coefficients are estimated by OLS on the estimation window; σ̂² = e′e/(M − k). Abnormal
returns AR* = R* − X*b. The forecast-error covariance is V = σ̂²(I + X*(X′X)⁻¹X*′) (MacKinlay 1997; Campbell, Lo
&amp; MacKinlay 1997, §4.4); for a CAR window with selector γ, CAR = γ′AR* and Var(CAR) = γ′Vγ. SAR = AR/√V[t,t] and
SCAR = CAR/√Var(CAR). CAAR is the mean CAR of the group's usable firm-events.</p>
<h3>Tests</h3>
{{ m.table(tests) }}
<p class="small">N is the number of usable firm-events in the group; M the estimation length; k the model's
parameters; L the window length. All p-values are two-sided. {{ claims_text }}</p>
<h3>Outcome codes</h3>
{{ m.table(outcomes) }}
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
    for name in s.get("tests") or list(dict.fromkeys(view.results.test_table["test"])):
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
