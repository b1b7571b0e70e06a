"""The short ``summary.html`` of a run (the full report is rendered by :mod:`eventstudy.report.html`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from ..abnormal import OUTCOMES
from ..results import EventStudyResults

__all__ = ["render_summary", "headline_rows", "safe_url"]


def safe_url(url: object) -> str:
    """The URL if it is an http(s) link, else an empty string."""
    text = str(url or "")
    parts = urlparse(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def _fmt(x: float, spec: str = ".4f") -> str:
    return "–" if pd.isna(x) else format(x, spec)


def headline_rows(results: EventStudyResults, windows=("0_0", "m1_1", "0_5")) -> list[dict[str, str]]:
    """Rows of the headline table: CAAR, interval and p-values per group and window."""
    event_id = results.settings.get("headline_event")
    c = results.caar_table
    c = c[(c["event_id"] == event_id) & c["window"].isin(windows)]
    t = results.test_table
    t = t[t["event_id"] == event_id].set_index(["group", "window", "test"])["pvalue"]
    rows = []
    for r in c.itertuples():
        rows.append(
            {
                "group": r.group,
                "window": r.window,
                "nobs": str(r.nobs),
                "caar": _fmt(r.caar),
                "ci": f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
                "p_kp": _fmt(t.get((r.group, r.window, "kp_bmp_t"), float("nan")), ".3f"),
                "p_t": _fmt(t.get((r.group, r.window, "csect_t"), float("nan")), ".3f"),
            }
        )
    return rows


def render_summary(results: EventStudyResults, path: Path, *, title: str, files: list[str]) -> Path:
    """Render ``summary.html`` (autoescaped: text from the events file is shown as text)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("eventstudy", "report/templates"), autoescape=select_autoescape(["html"]))
    events = results.events
    head_id = results.settings.get("headline_event")
    head = events[events["event_id"] == head_id]
    counts = results.outcome_counts()
    fe = results.firm_events
    html = env.get_template("summary.html").render(
        title=title,
        settings=results.settings,
        n_events=len(events),
        n_firm_events=len(fe),
        headline_id=head_id,
        headline_title=head["title"].iloc[0] if len(head) else "",
        headline=headline_rows(results),
        outcomes=[{"code": k, "count": int(counts[k]), "meaning": v} for k, v in OUTCOMES.items()],
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
