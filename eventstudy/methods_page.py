"""The project's methods page (``docs/methods.md``) as HTML, for the report's methods appendix.

>>> html = methods_html()
>>> html is None or html.startswith("<h1>Methods</h1>")
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["METHODS_PAGE", "methods_html"]

METHODS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "methods.md"
"""The page in a checkout of the repository (absent from an installed wheel)."""


def methods_html(path: str | Path = METHODS_PAGE) -> str | None:
    """The methods page rendered to an HTML fragment (CommonMark with tables), or None when it is not there.

    Raw HTML in the page is escaped, not passed through; links stay links.
    """
    path = Path(path)
    if not path.is_file():
        return None
    from markdown_it import MarkdownIt  # rich's own Markdown parser, so no new dependency

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    return md.render(path.read_text(encoding="utf-8"))
