"""A table as the report shows it: formatted cells with hover text, rendered by the ``table`` macro of
``templates/macros.html`` (sortable and, when asked, filterable in the browser; header repeated on each printed
page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Col", "Cell", "Table", "cell"]


@dataclass(frozen=True)
class Col:
    """A column: its header, hover text, and alignment (``l`` text, ``r`` numbers)."""

    label: str
    title: str = ""
    align: str = "r"


@dataclass(frozen=True)
class Cell:
    """A cell: the text shown, hover text, a CSS class, and the value to sort by (default: the text)."""

    text: str
    title: str = ""
    cls: str = ""
    sort: Any = None


def cell(x: Any, title: str = "", cls: str = "", sort: Any = None) -> Cell:
    return x if isinstance(x, Cell) else Cell("" if x is None else str(x), title, cls, sort)


@dataclass
class Table:
    """Columns and rows of formatted cells. ``filterable`` adds a text box that hides rows not matching it."""

    id: str
    columns: list[Col]
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""
    filterable: bool = False
    sortable: bool = True
    row_classes: list[str] = field(default_factory=list)

    def add(self, cells: list[Any], cls: str = "") -> None:
        self.rows.append([cell(c) for c in cells])
        self.row_classes.append(cls)

    def __len__(self) -> int:
        return len(self.rows)
