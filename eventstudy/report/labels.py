"""Names, colours and explanations the report shows: a study's groups from its settings, tests (from the catalog) and
outcome codes.

A study's groups are data in its study file. The settings may carry ``group_labels`` (group → label),
``group_colours`` (group → colour) and ``group_order`` (a list); a group without them is shown under its own name,
in the order of the results, in the next colour of the Okabe–Ito palette (readable with the common colour-vision
deficiencies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..catalog import TEST_CATALOG

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "OTHER_NAMES",
    "OTHER_HELP",
    "DIRECTION_NAMES",
    "GroupStyle",
    "direction_name",
    "direction_styles",
    "group_style",
    "short_name",
    "explain_test",
]

OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
#: group colours in order of use (yellow last: weak on white)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

#: what the report names besides the registered tests (whose names and explanations are in the catalog)
OTHER_NAMES: dict[str, str] = {"mvrm": "MVRM"}
OTHER_HELP: dict[str, str] = {
    "mvrm": "Multivariate regression with event dummies: Wald test with the residual covariance of all firms",
}


def explain_test(name: str) -> str:
    """One line of hover text for test ``name``, from its catalog entry: what it is, its statistic, and whether it
    allows for a shared event date."""
    info = TEST_CATALOG.get(name)
    if info is None:
        return OTHER_HELP.get(name, "")
    clustering = "allows for" if info.robust_to_clustering else "ignores"
    what = info.description[:1].upper() + info.description[1:]
    return f"{what}: {info.formula}; {clustering} correlation between firms that share the event date"


DIRECTION_NAMES: dict[str, str] = {
    "escalation": "escalation",
    "deescalation": "de-escalation",
    "industrial_policy": "industrial policy",
}


def direction_name(direction: str) -> str:
    return DIRECTION_NAMES.get(direction, str(direction).replace("_", " "))


#: the colour and marker a direction gets when it is one of these; any other direction gets the next free colour of
#: :data:`PALETTE` and the next free marker, so every direction value of an events file is drawn
DIRECTION_PREFERRED: dict[str, tuple[str, str]] = {
    "escalation": (OKABE_ITO["vermillion"], "^"),
    "deescalation": (OKABE_ITO["blue"], "v"),
    "industrial_policy": (OKABE_ITO["green"], "s"),
}
MARKERS = ("^", "v", "s", "o", "D", "P", "X", "*", "h", "p")


def direction_styles(
    directions: Iterable[Any], settings: Mapping[str, Any] | None = None
) -> dict[str, tuple[str, str]]:
    """Direction → (colour, marker) for every direction value given, in drawing order (the preferred directions
    first, then the others sorted): a study's ``direction_colours`` setting, else :data:`DIRECTION_PREFERRED`, else
    the next colour of the colour-blind-safe :data:`PALETTE` not yet used (cycling when there are more directions
    than colours, the marker then telling them apart).

    >>> direction_styles(["escalation", "allied_framework"])
    {'escalation': ('#D55E00', '^'), 'allied_framework': ('#CC79A7', 'o')}
    """
    given = dict((settings or {}).get("direction_colours") or {})
    values = list(dict.fromkeys(str(d) for d in directions if d is not None and str(d) not in ("", "nan")))
    order = [d for d in DIRECTION_PREFERRED if d in values] + sorted(d for d in values if d not in DIRECTION_PREFERRED)
    out: dict[str, tuple[str, str]] = {}
    for d in order:
        if d in given:
            out[d] = (str(given[d]), DIRECTION_PREFERRED.get(d, ("", "o"))[1])
        elif d in DIRECTION_PREFERRED:
            out[d] = DIRECTION_PREFERRED[d]
    # the preferred directions' colours and markers stay theirs, whether or not they occur
    used_c = {c.lower() for c, _ in [*out.values(), *DIRECTION_PREFERRED.values()]}
    used_m = {m for _, m in [*out.values(), *DIRECTION_PREFERRED.values()]}
    free_c = [c for c in PALETTE if c.lower() not in used_c]
    free_m = [m for m in MARKERS if m not in used_m]
    k = 0
    for d in order:
        if d in out:
            continue
        colour = free_c[k % len(free_c)] if free_c else PALETTE[k % len(PALETTE)]
        marker = free_m[k % len(free_m)] if free_m else MARKERS[k % len(MARKERS)]
        out[d] = (colour, marker)
        k += 1
    return {d: out[d] for d in order}


def short_name(name: str) -> str:
    """The short label of test ``name`` in tables (the catalog's), or the name itself."""
    info = TEST_CATALOG.get(name)
    return info.label if info is not None else OTHER_NAMES.get(name, name)


class GroupStyle:
    """Labels, colours and order of a study's groups, read from its settings with plain defaults."""

    def __init__(self, settings: Mapping[str, Any], groups: Iterable[str] = ()) -> None:
        self._labels = dict(settings.get("group_labels") or {})
        self._colours = dict(settings.get("group_colours") or settings.get("group_colors") or {})
        order = list(settings.get("group_order") or [])
        seen = list(dict.fromkeys([*order, *(str(g) for g in groups)]))
        self._order = {g: i for i, g in enumerate(seen)}
        used = {str(c).lower() for c in self._colours.values()}
        free = [c for c in PALETTE if c.lower() not in used]
        for g in seen:
            if g not in self._colours:
                self._colours[g] = free.pop(0) if free else "#000000"

    def label(self, group: str) -> str:
        return str(self._labels.get(group, group))

    def colour(self, group: str) -> str:
        if group not in self._colours:
            self._order.setdefault(group, len(self._order))
            used = {str(c).lower() for c in self._colours.values()}
            free = [c for c in PALETTE if c.lower() not in used]
            self._colours[group] = free[0] if free else "#000000"
        return str(self._colours[group])

    def order(self, groups: Iterable[str]) -> list[str]:
        """``groups`` (unique) in the study's order; unknown groups after, in their given order."""
        groups = list(dict.fromkeys(str(g) for g in groups))
        n = len(self._order)
        return sorted(groups, key=lambda g: (self._order.get(g, n), groups.index(g)))

    @property
    def labels(self) -> dict[str, str]:
        return {g: self.label(g) for g in self._order}


def group_style(results: Any) -> GroupStyle:
    """The group style of a fitted study: settings first, then the groups in the CAAR table's order."""
    groups = list(dict.fromkeys(results.caar_table["group"].astype(str))) if len(results.caar_table) else []
    return GroupStyle(results.settings, groups)
