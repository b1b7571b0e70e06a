"""The full report of a run: ``report.html`` (one self-contained file: inline styles and script, figures as data
URIs, no network) and ``report.pdf`` (the same, laid out for print), plus every figure as PNG and SVG and every
table of the report as CSV.

The report reads the results object and its analyses; the sections (:mod:`eventstudy.report.sections`) select,
label and format, and :mod:`eventstudy.report.fmt` writes every number. Nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .sections import SECTIONS, section_ids
from .tables import _safe_path, write_csv
from .view import ReportView

__all__ = ["render_report", "report_context", "render_html", "report_tables", "REPORT_TABLES", "SECTIONS"]

#: CSV file → what it holds (the report's tables; the run's own tables are listed in ``tables.OUTPUT_FILES``)
REPORT_TABLES: dict[str, str] = {
    "report_timing.csv": "day 0 per event × exchange, with the time precision",
    "report_excluded.csv": "every firm-event not used in full: outcome code, reason and events",
    "report_data_flags.csv": "per ticker: events with a flagged price in the window, short histories, data notes",
    "report_expected.csv": "per group and direction: events with an expected sign, and how many matched",
    "report_results_by_event.csv": "per event × group × window: CAAR, interval and the p-value of every test",
    "report_heatmap_car.csv": "CAR [−1, 1] per firm × event",
    "report_firms.csv": "per firm, headline event: CAR and SCAR per window",
    "report_data_appendix.csv": "per ticker: source, span, adjustment note, share of missing and zero returns",
}


def _meta(view: ReportView) -> str:
    from . import fmt

    s = view.settings
    usable, total = view.usable
    return (
        f"{len(view.events)} events, {fmt.integer(total)} firm-events ({fmt.integer(usable)} usable); "
        f"{s.get('model', '')} model, estimation window {fmt.window_pair(s.get('estimation_window'))}, event window "
        f"{fmt.window_pair(s.get('event_window'))}; prices {s.get('data_start', '')} to {s.get('data_end', '')} "
        f"({s.get('source', '')}). Returns are abnormal returns in per cent."
    )


def report_tables(view: ReportView) -> dict[str, Any]:
    """Every CSV table of the report's sections, by file name."""
    out: dict[str, Any] = {}
    for s in SECTIONS:
        if hasattr(s, "tables"):
            out.update(s.tables(view))
    return out


def report_context(
    results: Any,
    *,
    title: str = "Event study report",
    files: Sequence[str] = (),
    figures: bool = True,
    view: ReportView | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    """Everything the report shows, already formatted: the sections' contexts and figures (PNG and SVG bytes).

    ``view`` is a :class:`ReportView` of ``results`` already made (its lookups are kept, not made again).
    """
    from . import plots

    if view is None:
        view = ReportView(results, title=title, files=tuple(files))
    sections = []
    figure_files: dict[str, tuple[bytes, bytes]] = {}
    for s in SECTIONS:
        figs: dict[str, Any] = {}
        if figures and hasattr(s, "figures"):
            for name, (fig, caption, alt) in s.figures(view).items():
                png, svg = plots.render(fig)
                figure_files[name] = (png, svg)
                figs[name] = {"name": name, "uri": plots.data_uri(png), "caption": caption, "alt": alt}
        ctx = s.build(view, figs)
        if ctx is None:
            continue
        sections.append({"module": s, "id": s.ID, "title": s.TITLE, "appendix": s.APPENDIX, "ctx": ctx})
    return {
        "title": title,
        "meta": _meta(view),
        "sections": sections,
        "figure_files": figure_files,
        "view": view,
    }


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("eventstudy", "report/templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
    )


def render_html(context: dict[str, Any], *, for_print: bool = False) -> str:
    """The report as one HTML string: for the screen, or for print (``for_print``: every block open, A4 pages)."""
    from markupsafe import Markup

    env = _env()
    shown = []
    body_pages = 0
    for i, s in enumerate(context["sections"]):
        html = env.from_string(s["module"].TEMPLATE).render(**s["ctx"], for_print=for_print)
        if s["appendix"]:
            cls = "appendix"
        else:
            body_pages += 1
            cls = "body-page" if body_pages == 2 else "body"
        shown.append({"id": s["id"], "title": s["title"], "html": Markup(html), "cls": cls, "first": i == 0})
    return env.get_template("report.html").render(
        title=context["title"], meta=context["meta"], sections=shown, for_print=for_print
    )


def render_report(
    results: Any,
    out_dir: Path,
    *,
    title: str,
    files: Sequence[str] = (),
    pdf: bool = True,
    **_ignored: Any,
) -> list[Path]:
    """Write ``report.html``, ``report.pdf``, the figures (``figures/<name>.png`` and ``.svg``) and the report's CSV
    tables into ``out_dir``; returns their paths. Without a working weasyprint the PDF is skipped with one warning
    (an error under CI)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    view = ReportView(results, title=title, files=tuple(files))
    written: list[Path] = []
    for name, frame in report_tables(view).items():
        path = _safe_path(out_dir, name)
        write_csv(frame, path)  # text cells that a spreadsheet would run as formulas are neutralised
        written.append(path)
    all_files = [*files, *(p.name for p in written), "figures/", "report.html"] + (["report.pdf"] if pdf else [])
    view.files = tuple(all_files)
    ctx = report_context(results, title=title, view=view)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    for name, (png, svg) in ctx["figure_files"].items():
        for suffix, data in ((".png", png), (".svg", svg)):
            path = _safe_path(fig_dir, name + suffix)
            path.write_bytes(data)
            written.append(path)
    html_path = _safe_path(out_dir, "report.html")
    html_path.write_text(render_html(ctx), encoding="utf-8")
    written.append(html_path)
    if pdf:
        from .pdf import write_pdf

        pdf_path = write_pdf(render_html(ctx, for_print=True), _safe_path(out_dir, "report.pdf"))
        if pdf_path is not None:
            written.append(pdf_path)
    return written


#: (id, title) of every section, in order
SECTION_IDS = section_ids()
