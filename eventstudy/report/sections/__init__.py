"""The sections of the report, one module each, in the order the report shows them.

A section module defines ``ID``, ``TITLE``, ``APPENDIX`` (False for the body, True for an appendix, which starts on a
new page), ``TEMPLATE`` (Jinja, autoescaped; it may ``{% import "macros.html" as m %}``) and
``build(view, figures) -> dict | None``: the section's context, already formatted, or None to leave the section out.
It may define ``figures(view) -> dict[name, (Figure, caption, alt)]`` (each written as PNG and SVG and shown in the
HTML) and ``tables(view) -> dict[csv name, DataFrame]`` (written next to the report).

Adding a section touches two files: the new module, and :data:`SECTIONS` below.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    answer,
    appendix_by_event,
    appendix_claims,
    appendix_data,
    appendix_events,
    appendix_firms,
    appendix_heatmap,
    appendix_methods,
    appendix_regressions,
    appendix_timing,
    expected,
    headline_events,
    left_out,
    robustness,
    timing,
)

__all__ = ["SECTIONS", "section_ids"]

#: every section, body first, then the appendices
SECTIONS: tuple[ModuleType, ...] = (
    answer,
    headline_events,
    timing,
    robustness,
    left_out,
    expected,
    appendix_claims,
    appendix_by_event,
    appendix_events,
    appendix_timing,
    appendix_heatmap,
    appendix_firms,
    appendix_regressions,
    appendix_methods,
    appendix_data,
)


def section_ids() -> list[tuple[str, str]]:
    return [(s.ID, s.TITLE) for s in SECTIONS]
