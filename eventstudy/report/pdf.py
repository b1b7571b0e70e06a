"""``report.pdf``: the report's HTML laid out for print by weasyprint (imported lazily)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_pdf"]


def write_pdf(html: str, path: Path) -> Path | None:
    """Render ``html`` (self-contained: inline CSS, data-URI images) to ``path``; None if weasyprint is missing."""
    try:
        from weasyprint import HTML
    except ImportError:  # the pdf extra is not installed
        import warnings

        warnings.warn(
            f"{path.name} not written: weasyprint is not installed; "
            "fix: pip install weasyprint and its system library Pango",
            stacklevel=2,
        )
        return None
    HTML(string=html, base_url=None).write_pdf(str(path))
    return path
