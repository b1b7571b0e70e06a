"""The short ``summary.html`` of a run (the full report is rendered by :mod:`eventstudy.report.html`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from ..results import EventStudyResults
from . import fmt

__all__ = ["render_summary", "headline_rows", "HEADLINE_COLUMNS", "safe_url"]


def safe_url(url: object) -> str:
    """The URL if it is an http(s) link, else an empty string."""
    text = str(url or "")
    parts = urlparse(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def headline_rows(results: EventStudyResults, windows=("0_0", "m1_1", "0_5")) -> list[dict[str, str]]:
    """Rows of the headline table, formatted as everywhere in the report (:mod:`eventstudy.report.fmt`): per group
    (in the study's order, each set of firms once) and window, N, CAAR and its 95 % t interval in per cent, and the
    p-values of the KP-BMP test and the cross-sectional t."""
    from .view import ReportView

    view = ReportView(results)
    event_id = view.head_id
    rows = []
    for g in view.groups:
        for w in windows:
            r = view.caar(event_id, g, w)
            if r is None:
                continue
            rows.append(
                {
                    "group": view.label(g),
                    "window": fmt.window(w),
                    "nobs": fmt.integer(r["nobs"]),
                    "caar": fmt.pct(r["caar"]),
                    "ci": fmt.interval(r["ci_low"], r["ci_high"]),
                    "p_kp": fmt.pvalue(view.pvalue(event_id, g, w, "kp_bmp_t")),
                    "p_t": fmt.pvalue(view.pvalue(event_id, g, w, "csect_t")),
                }
            )
    return rows


#: the headers of :func:`headline_rows`' columns (units in the header, as in the report)
HEADLINE_COLUMNS = {
    "group": "group",
    "window": "window",
    "nobs": "N",
    "caar": "CAAR, %",
    "ci": "95 % interval, %",
    "p_kp": "p KP-BMP",
    "p_t": "p t",
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
