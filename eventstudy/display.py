"""One summary object for every result (study, MVRM, regression): text, HTML, LaTeX and Markdown from the same
title, key figures and tables, as statsmodels' and linearmodels' ``summary()``. Formatting only; no statistics."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError

__all__ = ["Summary", "SummaryMixin", "to_markdown", "to_latex", "check_choice"]


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.{digits}g}" if abs(value) >= 1e4 else f"{value:.{digits}f}"  # type: ignore[operator]
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index() if any(n is not None for n in frame.index.names) else frame


def to_markdown(frame: pd.DataFrame, *, digits: int = 4) -> str:
    """A pipe table (GitHub-flavoured Markdown) of ``frame``, index levels as columns."""
    flat = _flat(frame)
    head = [str(c) for c in flat.columns]
    rows = [[_cell(v, digits).replace("|", "\\|") for v in r] for r in flat.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(flat[c]) for c in flat.columns]
    rule = ["---:" if n else ":---" for n in numeric]
    lines = ["| " + " | ".join(x) + " |" for x in (head, rule, *rows)]
    return "\n".join(lines) + "\n"


def to_latex(frame: pd.DataFrame, *, digits: int = 4, caption: str | None = None) -> str:
    """A LaTeX ``tabular`` (booktabs rules) of ``frame``, index levels as columns (pandas' Styler)."""
    flat = _flat(frame)
    styler = flat.style.format(lambda v: _cell(v, digits)).hide(axis="index")
    return styler.to_latex(hrules=True, caption=caption)


@dataclass(frozen=True)
class Summary:
    """A result's summary: a title, key figures, tables and notes.

    ``str(summary)`` is the text form; notebooks show the HTML form; :meth:`as_latex` and :meth:`as_markdown`
    are for papers and notes. :attr:`frame` is the first (main) table.
    """

    title: str
    info: tuple[tuple[str, str], ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    notes: tuple[str, ...] = ()
    digits: int = field(default=4, repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """The main table."""
        return self.tables[0][1] if self.tables else pd.DataFrame()

    def as_text(self) -> str:
        width = max([len(self.title), *(len(f"{k}: {v}") for k, v in self.info)], default=40)
        out = [self.title, "=" * width]
        out += [f"{k}: {v}" for k, v in self.info]
        for caption, table in self.tables:
            text = table.to_string(float_format=lambda x: _cell(x, self.digits)) if len(table) else "(no rows)"
            out += ["", caption, "-" * len(caption), text]
        out += ["", *(f"Note: {n}" for n in self.notes)] if self.notes else []
        return "\n".join(out)

    def as_html(self) -> str:
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        if self.info:
            rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self.info)
            parts.append(f"<table>{rows}</table>")
        for caption, table in self.tables:
            parts.append(f"<p><b>{html.escape(caption)}</b></p>")
            parts.append(table.to_html(float_format=lambda x: _cell(x, self.digits), na_rep=""))
        parts += [f"<p><i>Note:</i> {html.escape(n)}</p>" for n in self.notes]
        return "\n".join(parts)

    def as_markdown(self) -> str:
        out = [f"**{self.title}**", ""]
        out += [f"- {k}: {v}" for k, v in self.info]
        for caption, table in self.tables:
            out += ["", f"*{caption}*", "", to_markdown(table, digits=self.digits)]
        out += [f"Note: {n}" for n in self.notes]
        return "\n".join(out)

    def as_latex(self) -> str:
        return "\n".join(to_latex(table, digits=self.digits, caption=caption) for caption, table in self.tables)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


class SummaryMixin:
    """``__str__``, ``__repr__`` and ``_repr_html_`` from ``summary()`` (as linearmodels' results)."""

    def summary(self, *args: Any, **kwargs: Any) -> Summary:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary().as_text()

    def __repr__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def check_choice(where: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``; else an error that lists them."""
    if value not in list(choices):
        shown = ", ".join(map(str, choices))
        raise ConfigError(f"{where}: unknown value {value!r}; fix: use one of {shown}")
    return value
