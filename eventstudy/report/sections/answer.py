"""Page 1: the answer to the study's question in three sentences written from the claims, one figure (the groups'
CAAR paths around the headline event) and one table (one row per group, the headline windows).

The sentences are a template filled from ``results.claims`` (no number is written in advance): which groups moved,
by how much over which window; their adjusted and placebo p-values; one caveat. Without claims, or for a group with
no usable firm-event, no finding is stated.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import fmt
from ..labels import short_name
from ..table import Col, Table
from ..view import MIN_NOBS_FOR_FINDINGS, ReportView

ID = "answer"
TITLE = "The answer"
APPENDIX = False
ALPHA = 0.05

TEMPLATE = """{% import "macros.html" as m %}
{% if banner %}<p class="banner" role="alert">{{ banner }}</p>{% endif %}
<div class="answer">
{% if sentences %}{% for s in sentences %}<p class="sentence">{{ s }}</p>{% endfor %}
{% else %}<p class="sentence">{{ no_claims }}</p>{% endif %}
</div>
{{ m.figure(figures.get("answer_caar")) }}
{{ m.table(table) }}
{% if excluded %}<p class="excluded">Firm-events of this event not used in full (outcome code): {{ excluded }}.</p>
{% endif %}
{% if duplicates %}<p class="small">{{ duplicates }}</p>{% endif %}
"""


def _when(window: str) -> str:
    return "on day 0" if window == "0_0" else f"over days {fmt.window(window)}"


def _moved(view: ReportView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per group with usable firm-events, the claim with the smallest p-value; and those below 5 %."""
    c = view.claim_rows()
    if not len(c):
        return c, c
    c = c[(c["nobs"] >= MIN_NOBS_FOR_FINDINGS) & c["caar"].notna() & c["pvalue"].notna()]
    if not len(c):
        return c, c
    best = c.sort_values(["pvalue"]).drop_duplicates("group")
    best = best.sort_values("pvalue").reset_index(drop=True)
    return best, best[best["pvalue"] < ALPHA]


def _move_text(view: ReportView, r: pd.Series) -> str:
    verb = "fell" if r["caar"] < 0 else "rose"
    return f"{view.label(r['group'])} {verb} {fmt.pct_unit(abs(r['caar']), sign=False)} {_when(r['window'])}"


def possessive(label: str) -> str:
    """``Magnet makers`` → ``Magnet makers'``; ``defense`` → ``defense's``."""
    return f"{label}'" if label.endswith("s") else f"{label}'s"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def sentences(view: ReportView) -> list[str]:
    """The three sentences of the answer, or [] when the results hold no claim with usable firm-events."""
    best, moved = _moved(view)
    if not len(best):
        return []
    head = view.head_id
    test = short_name(view.primary_test)
    n_claims = len(view.claims) if view.claims is not None else 0
    about = f"Around “{view.event_title(head)}” ({view.event_date(head)})"
    # 1. which groups moved, by how much, over which window
    if len(moved):
        shown = moved.head(3)
        rest = [view.label(g) for g in best.loc[~best["group"].isin(shown["group"]), "group"]]
        s1 = f"{about}, " + _join([_move_text(view, r) for _, r in shown.iterrows()])
        s1 += f" in abnormal terms ({test} p < {ALPHA:g})"
        s1 += f"; {_join(rest)} did not move detectably." if rest else "."
        focus = shown
    else:
        r = best.iloc[0]
        s1 = (
            f"{about}, no group's abnormal return differs from zero at the {ALPHA * 100:g} % level in the headline "
            f"windows; the largest move was {possessive(view.label(r['group']))}, {'down' if r['caar'] < 0 else 'up'} "
            f"{fmt.pct_unit(abs(r['caar']), sign=False)} {_when(r['window'])} "
            f"({fmt.p_equals(r['pvalue'], test + ' p')})."
        )
        focus = best.head(1)
    # 2. adjusted and placebo p-values
    parts = []
    for _, r in focus.iterrows():
        holm = fmt.pvalue(r.get("pvalue_holm"))
        part = f"{possessive(view.label(r['group']))} {fmt.p_equals(r['pvalue'], test + ' p')} is {holm}"
        part += f" after Holm's adjustment (BH q = {fmt.pvalue(r.get('qvalue_bh'))})"
        pool = r.get("placebo_pool")
        pool_text = " against placebo dates"
        if not fmt.is_missing(pool):
            pool_text = f" against {fmt.integer(pool)} placebo dates"
        part += f" and {fmt.pvalue(r.get('placebo_pvalue'))}{pool_text}"
        parts.append(part)
    s2 = f"Over the study's {n_claims} claims, " + "; ".join(parts) + "."
    # 3. one caveat
    s3 = _caveat(view, focus.iloc[0])
    return [s1, s2, s3]


def _caveat(view: ReportView, r: pd.Series) -> str:
    label = view.label(r["group"])
    lo, hi, who = r.get("loo_low"), r.get("loo_high"), r.get("loo_ticker")
    has_loo = not (fmt.is_missing(lo) or fmt.is_missing(hi))
    crosses = has_loo and (float(lo) < 0 < float(hi))
    overlap = sum(int(r.get(k)) for k in ("n_overlap", "n_confounded") if not fmt.is_missing(r.get(k)))
    precision = str(view.event(view.head_id).get("time_precision", ""))
    loo = (
        f"Caveat: with N = {fmt.integer(r['nobs'])}, single firms matter: leaving one out at a time puts "
        f"{possessive(label)} "
        f"CAAR {_when(r['window'])} between {fmt.pct_unit(lo)} and {fmt.pct_unit(hi)}"
        + (f", most when {who} is left out." if isinstance(who, str) and who else ".")
    )
    if crosses:
        return loo
    if overlap:
        return (
            f"Caveat: {overlap} of {possessive(label)} firm-events have another event of the study or firm news "
            "inside the "
            f"window {fmt.window(r['window'])}, so part of the move may not be this event's."
        )
    if precision == "day":
        return (
            "Caveat: the announcement's time is known only to the day, so the market may have reacted on day 0 or "
            "day 1; the [0, 1] window holds both, but news that leaked earlier would be missed."
        )
    if has_loo:
        return loo
    note = r.get("note")
    if isinstance(note, str) and note:
        return f"Caveat: {note}"
    return f"Caveat: N = {fmt.integer(r['nobs'])} firm-events; a small group's mean can rest on a few firms."


def banner(view: ReportView) -> str:
    """A warning when fewer than half the firm-events are usable, naming the main reason."""
    usable, total = view.usable
    if total and usable * 2 >= total:
        return ""
    counts = view.outcome_counts.drop(labels=["ok", "missing_event_window"], errors="ignore")
    if not total:
        return "No firm-event in these results: no security of the universe had an event in the data."
    code = str(counts.idxmax()) if len(counts) and counts.max() > 0 else ""
    why = (
        f" The main reason is {code} ({fmt.integer(counts[code])} firm-events): {view.outcome_meanings.get(code, '')}."
        if code
        else ""
    )
    return (
        f"Only {fmt.integer(usable)} of {fmt.integer(total)} firm-events ({fmt.share(usable / total)} %) are "
        f"usable; read every number below with that in mind.{why}"
    )


def _table(view: ReportView) -> Table:
    wins = view.windows_for(view.head_id)
    test = short_name(view.primary_test)
    cols = [Col("group", align="l"), Col("N", "usable firm-events (the most over the headline windows)")]
    claims = view.claim_rows()
    for w in wins:
        ww = fmt.window(w)
        cols.append(Col(f"CAAR {ww}, %", f"mean cumulative abnormal return over days {ww}, per cent"))
        if len(claims):
            cols += [
                Col(f"p {test}", f"p-value of the {test} test, two-sided"),
                Col("p Holm", "Holm-adjusted over all claims of the study"),
                Col("p placebo", "randomisation p-value over placebo event dates"),
            ]
        else:
            cols.append(Col(f"p {test}", f"p-value of the {test} test, two-sided"))
    t = Table(id="t-answer", columns=cols)
    for g in view.page1_groups:
        row: list[Any] = [view.label(g)]
        ns = []
        cells: list[Any] = []
        for w in wins:
            if len(claims):
                hit = claims[(claims["group"] == g) & (claims["window"] == w)]
                r = hit.iloc[0] if len(hit) else None
                if r is None:
                    cells += [fmt.MISSING] * 4
                    continue
                ns.append(r["nobs"])
                sig = not fmt.is_missing(r["pvalue"]) and r["pvalue"] < ALPHA and r["nobs"] >= MIN_NOBS_FOR_FINDINGS
                cells += [
                    _c(fmt.pct(r["caar"]), "sig" if sig else "", fmt.interval(r.get("ci_low"), r.get("ci_high"))),
                    _c(fmt.pvalue(r["pvalue"]), "sig" if sig else ""),
                    fmt.pvalue(r.get("pvalue_holm")),
                    fmt.pvalue(r.get("placebo_pvalue")),
                ]
            else:
                r = view.caar(view.head_id, g, w)
                ns.append(r["nobs"] if r is not None else 0)
                cells += [
                    fmt.pct(r["caar"]) if r is not None else fmt.MISSING,
                    fmt.pvalue(view.pvalue(view.head_id, g, w)),
                ]
        row.append(fmt.integer(max(ns)) if ns else fmt.MISSING)
        t.add(row + cells)
    n = len(view.claims) if view.claims is not None else 0
    method = ""
    if len(claims) and "interval_method" in claims and claims["interval_method"].notna().any():
        method = " Intervals: appendix “the claims” (and hover a CAAR)."
    t.caption = (
        f"Table 1. Each group at the headline event, CAAR in per cent. Bold: {test} p < {ALPHA:g} with N ≥ "
        f"{MIN_NOBS_FOR_FINDINGS}.{method}"
        + (f" Holm: adjusted over the {n} claims of the study." if len(claims) else "")
    )
    return t


def _c(text: str, cls: str, title: str = "") -> Any:
    from ..table import Cell

    return Cell(text, title=f"95 % interval, %: {title}" if title else "", cls=cls)


def _excluded(view: ReportView) -> str:
    fe = view.firm_events
    fe = fe[(fe["event_id"] == view.head_id) & (fe["status"] != "ok")]
    if not len(fe):
        return ""
    names = []
    for r in fe.sort_values(["status", "ticker"]).itertuples():
        name = getattr(r, "name", "")
        who = f"{r.ticker} ({name})" if isinstance(name, str) and name else str(r.ticker)
        names.append(f"{who}: {r.status}")
    return "; ".join(names)


def figures(view: ReportView) -> dict[str, tuple[Any, str, str]]:
    from .. import plots

    groups = view.figure_groups
    if not groups or view.head_id is None:
        return {}
    paths = view.paths
    fig = plots.caar_paths(paths, view.head_id, groups, view.style, ncol=4 if len(groups) > 6 else 3, panel_height=1.4)
    start = view.band_start(view.head_id)
    if start is None:
        start = int((view.settings.get("event_window") or (-10, 10))[0])
    caption = (
        f"Figure 1. Cumulative average abnormal return (CAAR, %) of each group around "
        f"“{view.event_title(view.head_id)}” ({view.event_date(view.head_id)}), cumulated from day "
        f"{fmt.minus(str(start))}; shaded: the {view.band_text(view.band_start(view.head_id))}. "
        f"The black diamond marks day 0. Groups with fewer than {MIN_NOBS_FOR_FINDINGS} usable firm-events are in "
        "the table only."
    )
    return {"answer_caar": (fig, caption, "CAAR paths of each group around the headline event")}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    dup = view.duplicates
    return {
        "banner": banner(view),
        "sentences": sentences(view),
        "no_claims": (
            "No finding is stated: these results hold no claims with usable firm-events (the analyse stage's "
            "“claims”). The table shows each group's CAAR and p-value at the headline event."
        ),
        "figures": figs,
        "table": _table(view),
        "excluded": _excluded(view),
        "duplicates": (
            "Shown once: "
            + "; ".join(f"{view.label(a)} holds the same firms as {view.label(b)}" for a, b in dup.items())
            if dup
            else ""
        ),
    }
