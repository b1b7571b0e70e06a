"""The other headline events: one small-multiple figure (events × groups) and one table (claims, or CAAR and the
primary test's p-value when the results hold no claims)."""

from __future__ import annotations

from typing import Any

from .. import fmt
from ..labels import short_name
from ..table import Cell, Col, Table
from ..view import MIN_NOBS_FOR_FINDINGS, ReportView

ID = "headline_events"
TITLE = "The other headline events"
APPENDIX = False

TEMPLATE = """{% import "macros.html" as m %}
<p>The same groups around the study's other headline events, in date order. Every event, every group and every
test is in the appendix “{{ appendix }}”.</p>
{{ m.figure(figures.get("headline_grid")) }}
{{ m.table(table) }}
"""


def _others(view: ReportView) -> list[str]:
    ids = view.headline_ids[1:]
    when = {e: view.event(e).get("announced_at_utc") for e in ids}
    return sorted(ids, key=lambda e: when[e])


def _short(view: ReportView, e: str) -> str:
    """The event's date and title on at most three short lines (whole words), for a row label."""
    import textwrap

    lines = textwrap.wrap(view.event_title(e), 20, max_lines=2, placeholder=" …")
    return "\n".join([view.event_date(e), *lines])


def figures(view: ReportView) -> dict[str, tuple[Any, str, str]]:
    from .. import plots

    ids = _others(view)
    groups = view.figure_groups
    if not ids or not groups:
        return {}
    paths = view.paths
    fig = plots.caar_grid(paths, ids, groups, view.style, event_labels={e: _short(view, e) for e in ids})
    starts = {view.band_start(e) for e in ids}
    start = next(iter(starts)) if len(starts) == 1 else None
    where = "" if start is not None else ", a the first day of the event's earliest headline window"
    caption = (
        f"Figure 2. CAAR paths (%) of each group (columns) around each other headline event (rows); shaded: the "
        f"{view.band_text(start)}{where}. Day 0 marked by the black diamond; one scale for all panels."
    )
    return {"headline_grid": (fig, caption, "Small multiples: CAAR paths by headline event and group")}


def _table(view: ReportView) -> Table:
    wins = [w for w in view.headline_windows if any(w in view.windows_for(e) for e in _others(view))]
    test = short_name(view.primary_test)
    claims = view.claims is not None
    cols = [
        Col("event", "date of the announcement; hover for the event", align="l"),
        Col("group", align="l"),
        Col("N", "usable firm-events"),
    ]
    for w in wins:
        ww = fmt.window(w)
        cols += [Col(f"CAAR {ww}, %", f"mean cumulative abnormal return over days {ww}, per cent")]
        cols += [Col(f"p {ww}", f"{test} p-value, two-sided")]
        if claims:
            cols += [Col(f"Holm {ww}", "Holm-adjusted over all claims of the study")]
    t = Table(id="t-headline-events", columns=cols, filterable=True)
    for e in _others(view):
        rows = view.claim_rows(e) if claims else None
        for g in view.figure_groups:
            cells: list[Any] = []
            ns = []
            for w in wins:
                if rows is not None and len(rows):
                    hit = rows[(rows["group"] == g) & (rows["window"] == w)]
                    r = hit.iloc[0] if len(hit) else None
                    if r is None:
                        cells += [fmt.MISSING] * 3
                        continue
                    ns.append(r["nobs"])
                    sig = not fmt.is_missing(r["pvalue"]) and r["pvalue"] < 0.05 and r["nobs"] >= MIN_NOBS_FOR_FINDINGS
                    cells += [
                        Cell(fmt.pct(r["caar"]), cls="sig" if sig else ""),
                        Cell(fmt.pvalue(r["pvalue"]), cls="sig" if sig else ""),
                        fmt.pvalue(r.get("pvalue_holm")),
                    ]
                else:
                    r = view.caar(e, g, w)
                    ns.append(r["nobs"] if r is not None else 0)
                    p = view.pvalue(e, g, w)
                    sig = r is not None and not fmt.is_missing(p) and p < 0.05 and r["nobs"] >= MIN_NOBS_FOR_FINDINGS
                    cells += [
                        Cell(fmt.pct(r["caar"]) if r is not None else fmt.MISSING, cls="sig" if sig else ""),
                        Cell(fmt.pvalue(p), cls="sig" if sig else ""),
                    ]
                    if claims:
                        cells.append(fmt.MISSING)
            when = Cell(view.event_date(e), title=f"{view.event_title(e)} ({e})")
            t.add([when, view.label(g), fmt.integer(max(ns) if ns else 0), *cells])
    t.caption = (
        "Table 2. Other headline events (by date, as in Figure 2): CAAR in per cent and the "
        f"{test} p-value (two-sided); bold: p < 0.05 with "
        f"N ≥ {MIN_NOBS_FOR_FINDINGS}."
    )
    return t


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    if len(view.headline_ids) < 2:
        return None
    from . import appendix_by_event

    return {"figures": figs, "table": _table(view), "appendix": appendix_by_event.TITLE}
