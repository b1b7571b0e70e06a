"""``report.pdf``: the report's HTML laid out for print by weasyprint (imported lazily; the ``pdf`` extra).

Without weasyprint or its system library (Pango), or when weasyprint fails, the PDF is skipped with one warning and
every other output is still written; under CI (``CI`` set to a true value) a missing PDF is an error instead.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import DataWarning

__all__ = ["write_pdf", "ReportWarning", "under_ci"]


class ReportWarning(DataWarning):
    """An output of the report was not written; the message says which, why and the fix."""


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def write_pdf(html: str, path: Path) -> Path | None:
    """Render ``html`` (self-contained: inline CSS, data-URI images) to ``path``; None (and one warning) when
    weasyprint is missing or fails, except under CI, where it raises :class:`OSError`."""
    try:
        from weasyprint import HTML

        HTML(string=html, base_url=None).write_pdf(str(path))
    except Exception as exc:  # ImportError, OSError from a missing Pango, or a layout failure
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        msg = (
            f"{path.name} not written ({why}); fix: pip install 'eventstudy[pdf]' and the system library Pango "
            "(apt-get install libpango-1.0-0), or run with --no-pdf"
        )
        if under_ci():
            raise OSError(msg) from exc
        warnings.warn(msg, ReportWarning, stacklevel=2)
        return None
    return path
