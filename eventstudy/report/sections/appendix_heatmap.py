"""Appendix: CAR over [−1, 1] of every firm (rows, by group) at every event (columns)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..view import ReportView

ID = "appendix_heatmap"
TITLE = "Appendix: firms × events"
APPENDIX = True

TEMPLATE = """{% import "macros.html" as m %}
{{ m.figure(figures.get("heatmap")) }}
"""


def tables(view: ReportView) -> dict[str, pd.DataFrame]:
    return {"report_heatmap_car.csv": view.heatmap_frame()[0].reset_index()}


def figures(view: ReportView) -> dict[str, tuple[Any, str, str]]:
    from .. import plots

    frame, rows = view.heatmap_frame()
    fig = plots.car_heatmap(frame, rows, view.style)
    caption = (
        "CAR over [−1, 1] of every firm (rows, by group) at every event (columns, in date order), in per cent. "
        "Orange is positive, purple negative; grey cells have no usable CAR (see the outcome codes)."
    )
    return {"heatmap": (fig, caption, "Heatmap of CAR by firm and event")}


def build(view: ReportView, figs: dict[str, Any]) -> dict[str, Any] | None:
    return {"figures": figs}
