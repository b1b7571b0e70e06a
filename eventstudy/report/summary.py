"""The short ``summary.html`` of a run (the full report is rendered by :mod:`eventstudy.report.html`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from . import fmt
from .labels import short_name

if TYPE_CHECKING:
    from ..results import EventStudyResults

__all__ = ["render_summary", "headline_rows", "headline_columns", "safe_url"]


def safe_url(url: object) -> str:
    """The URL if it is an http(s) link, else an empty string."""
    text = str(url or "")
    parts = urlparse(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def headline_rows(results: EventStudyResults, windows: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """Rows of the headline table, formatted as everywhere in the report (:mod:`eventstudy.report.fmt`): per group
    (in the study's order, each set of firms once) and headline window, N, the CAAR and, from the same inference,
    the 95 % interval and p-value of the study's primary test, its Holm-adjusted p-value and the placebo p-value.

    They are the claims of the headline event where the analyses ran; without them (``fit(analyse=False)``), the
    CAAR and the primary test's p-value, with no interval or adjusted value ("—")."""
    from .view import ReportView

    view = ReportView(results)
    event_id = view.head_id
    claims = view.claim_rows(event_id) if event_id is not None else None
    rows = []
    if claims is not None and len(claims) and windows is None:
        for r in claims.to_dict("records"):
            rows.append(
                {
                    "group": view.label(str(r["group"])),
                    "window": fmt.window(r["window"]),
                    "nobs": fmt.integer(r["nobs"]),
                    "caar": fmt.pct(r["caar"]),
                    "ci": fmt.interval(r.get("ci_low"), r.get("ci_high")),
                    "p": fmt.pvalue(r.get("pvalue")),
                    "p_holm": fmt.pvalue(r.get("pvalue_holm")),
                    "p_placebo": fmt.pvalue(r.get("placebo_pvalue")),
                }
            )
        return rows
    for g in view.groups:
        for w in windows or tuple(view.headline_windows):
            r = view.caar(event_id, g, w)
            if r is None:
                continue
            rows.append(
                {
                    "group": view.label(g),
                    "window": fmt.window(w),
                    "nobs": fmt.integer(r["nobs"]),
                    "caar": fmt.pct(r["caar"]),
                    "ci": fmt.MISSING,
                    "p": fmt.pvalue(view.pvalue(event_id, g, w)),
                    "p_holm": fmt.MISSING,
                    "p_placebo": fmt.MISSING,
                }
            )
    return rows


def headline_columns(results: EventStudyResults) -> dict[str, str]:
    """The headers of :func:`headline_rows`' columns (units in the header, the primary test by its label)."""
    from .view import ReportView

    test = short_name(ReportView(results).primary_test)
    return {
        "group": "group",
        "window": "window",
        "nobs": "N",
        "caar": "CAAR, %",
        "ci": f"95 % interval ({test}), %",
        "p": f"p {test}",
        "p_holm": "p Holm",
        "p_placebo": "p placebo",
    }


def render_summary(results: EventStudyResults, path: Path, *, title: str, files: list[str]) -> Path:
    """Render ``summary.html`` (autoescaped: text from the events file is shown as text)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("eventstudy", "report/templates"), autoescape=select_autoescape(["html"]))
    events = results.events
    head_id = results.settings.get("headline_event")
    head = events[events["event_id"] == head_id]
    counts = results.outcome_counts()
    o = results.outcomes
    meanings = dict(zip(o["status"], o["reason"].astype(str), strict=False))
    fe = results.firm_events
    html = env.get_template("summary.html").render(
        title=title,
        settings=results.settings,
        n_events=len(events),
        n_firm_events=len(fe),
        headline_id=head_id,
        headline_title=head["title"].iloc[0] if len(head) else "",
        headline=headline_rows(results),
        columns=headline_columns(results),
        outcomes=[{"code": k, "count": int(n), "meaning": meanings.get(k, "")} for k, n in counts.items()],
        excluded=fe.loc[fe["status"] != "ok", ["event_id", "ticker", "group", "status"]].to_dict("records"),
        events=[
            {
                "event_id": e.event_id,
                "when": e.announced_at_utc.strftime("%Y-%m-%d %H:%M"),
                "precision": e.time_precision,
                "title": e.title,
                "url": safe_url(e.source_url),
            }
            for e in events.itertuples()
        ],
        files=files,
    )
    path.write_text(html, encoding="utf-8")
    return path
