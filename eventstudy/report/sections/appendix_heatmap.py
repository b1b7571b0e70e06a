"""Appendix: CAR over [−1, 1] of every firm (rows, by group) at every event (columns)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..view import ReportView

ID = "appendix_heatmap"
TITLE = "Appendix: firms × events"
APPENDIX = True
WINDOW = "m1_1"
_USABLE = ("ok", "missing_event_window")

TEMPLATE = """{% import "macros.html" as m %}
{{ m.figure(figures.get("heatmap")) }}
"""


def heatmap_frame(view: ReportView, window: str = WINDOW) -> tuple[pd.DataFrame, list[str]]:
    """The CAR table (tickers × events in date order) and each row's group (the finest grouping of the study)."""
    fe = view.results.firm_events
    col = f"car_{window}"
    gcol = next((c for c in reversed(view.settings.get("group_by") or ["group"]) if c in fe.columns), "group")
    fe = fe.assign(value=fe[col].where(fe["status"].isin(_USABLE)) if col in fe else float("nan"))
    rank = {g: i for i, g in enumerate(view.groups + list(view.duplicates))}
    first = fe.drop_duplicates("ticker")
    firms = pd.DataFrame(
        {"ticker": first["ticker"].astype(str).to_numpy(), "row_group": first[gcol].astype(str).to_numpy()}
    )
    firms = firms.assign(_r=firms["row_group"].map(rank).fillna(len(rank))).sort_values(["_r", "ticker"])
    wide = fe.pivot_table(index="ticker", columns="event_id", values="value", aggfunc="first", dropna=False)
    order = view.events.sort_values("announced_at_utc")["event_id"].astype(str).tolist()
    wide = wide.reindex(index=firms["ticker"].tolist(), columns=order)
    return wide, [view.duplicates.get(g, g) for g in firms["row_group"]]


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_heatmap_car.csv": heatmap_frame(view)[0].reset_index()}


def figures(view: ReportView) -> dict[str, tuple[Any, str, str]]:
    from .. import plots

    frame, rows = heatmap_frame(view)
    fig = plots.car_heatmap(frame, rows, view.style)
    caption = (
        "CAR over [−1, 1] of every firm (rows, by group) at every event (columns, in date order), in per cent. "
        "Orange is positive, purple negative; grey cells have no usable CAR (see the outcome codes)."
    )
    return {"heatmap": (fig, caption, "Heatmap of CAR by firm and event")}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    return {"figures": figs}
