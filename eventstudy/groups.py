"""How a study's groups are shown: their labels, colours and order, as data of the study with plain defaults.

A study names its groups in its universe file (the ``group`` column and any other ``group_by`` column such as
``segment``). How they are shown comes from the study file, one table per group, in the order the report shows them:

.. code-block:: toml

    [groups.banks]
    label = "Banks"
    colour = "#0072B2"

    [groups.insurers]
    label = "Insurers"

Any group without a table is shown after those that have one, in the universe's order, labelled by its own name. A
group without a colour takes the next free colour of the Okabe–Ito palette, which stays readable with the common
colour-vision deficiencies. The resolved labels, colours and order go into the results' settings
(``group_order``, ``group_labels``, ``group_colours``), where every renderer reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import ConfigError

__all__ = ["PALETTE", "GROUP_KEYS", "group_display", "ordered", "parse_group_tables"]

#: Okabe & Ito (2008): eight colours distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)

#: The keys a ``[groups.<name>]`` table may have (``color`` is read as ``colour``).
GROUP_KEYS: tuple[str, ...] = ("label", "colour")


def _colour(value: Any, where: str) -> str:
    """A colour as ``#rrggbb``: hex, or any name matplotlib knows (``"tab:blue"``, ``"darkred"``)."""
    if isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", value.strip()):
        return value.strip().lower()  # to_hex's form, without importing matplotlib for it
    if isinstance(value, str) and value.strip():
        from matplotlib.colors import is_color_like, to_hex

        if is_color_like(value.strip()):
            return str(to_hex(value.strip()))
    raise ConfigError(
        f'{where}: not a colour (got {value!r}); fix: write a hex colour such as "#0072B2" or a colour name'
    )


def parse_group_tables(
    tables: Mapping[str, Any], *, where: str = "study.toml:groups"
) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and colours of the ``[groups.<name>]`` tables of a study file, in the file's order.

    Parameters
    ----------
    tables
        The parsed ``groups`` table: group name → ``{label = ..., colour = ...}``; a plain string is the label.
    where
        The location used in messages.

    Returns
    -------
    labels, colours
        Group name → label and group name → ``#rrggbb``; a group's key order is the file's.

    Examples
    --------
    >>> parse_group_tables({"banks": {"label": "Banks", "color": "tab:blue"}, "insurers": "Insurers"})
    ({'banks': 'Banks', 'insurers': 'Insurers'}, {'banks': '#1f77b4'})
    """
    if not isinstance(tables, Mapping):
        raise ConfigError(
            f'{where}: must be one table per group (got {tables!r}); fix: write [groups.<name>] with label = "..."'
        )
    labels: dict[str, str] = {}
    colours: dict[str, str] = {}
    for name, table in tables.items():
        loc = f"{where}.{name}"
        if isinstance(table, str):
            table = {"label": table}
        if not isinstance(table, Mapping):
            raise ConfigError(f'{loc}: must be a table (got {table!r}); fix: e.g. label = "{name}"')
        for key, value in table.items():
            canonical = "colour" if key == "color" else key
            if canonical not in GROUP_KEYS:
                raise ConfigError(
                    f"{loc}: unknown key {key!r}; fix: a group table has the keys {', '.join(GROUP_KEYS)}"
                )
            if canonical == "label":
                if not isinstance(value, str) or not value.strip():
                    raise ConfigError(
                        f'{loc}.label: must be non-empty text (got {value!r}); fix: e.g. label = "{name}"'
                    )
                labels[name] = value.strip()
            else:
                colours[name] = _colour(value, f"{loc}.{key}")
        labels.setdefault(name, name)
    return labels, colours


def group_display(
    present: Iterable[str],
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The order, labels and colours of the groups ``present`` in a study, for its results' settings.

    The groups given a label or colour come first, in that order; the others follow in the order of ``present``.
    Every present group gets a label (its own name by default) and a colour (the next palette colour no group has
    taken). Groups named in ``labels`` or ``colours`` but not present are left out.

    Examples
    --------
    >>> shown = group_display(["tech", "banks", "energy"], {"banks": "Banks"}, {"energy": "#000000"})
    >>> shown["group_order"]
    ['banks', 'energy', 'tech']
    >>> shown["group_labels"]
    {'banks': 'Banks', 'energy': 'energy', 'tech': 'tech'}
    >>> shown["group_colours"]
    {'banks': '#0072B2', 'energy': '#000000', 'tech': '#D55E00'}
    """
    labels = dict(labels or {})
    colours = {k: _colour(v, f"group_colours.{k}") for k, v in (colours or {}).items()}
    present = list(dict.fromkeys(present))
    styled = [g for g in dict.fromkeys([*labels, *colours]) if g in present]
    order = [*styled, *(g for g in present if g not in styled)]
    taken = {colours[g].lower() for g in order if g in colours}
    free = [c for c in PALETTE if c.lower() not in taken] or list(PALETTE)
    out_colours: dict[str, str] = {}
    k = 0
    for g in order:
        if g in colours:
            out_colours[g] = colours[g]
        else:
            out_colours[g] = free[k % len(free)]
            k += 1
    return {
        "group_order": order,
        "group_labels": {g: labels.get(g, g) for g in order},
        "group_colours": out_colours,
    }


def ordered(groups: Sequence[str], settings: Mapping[str, Any]) -> list[str]:
    """``groups`` in the order of ``settings["group_order"]``, any others after them in their own order.

    >>> ordered(["b", "c", "a"], {"group_order": ["a", "b"]})
    ['a', 'b', 'c']
    """
    order = list(settings.get("group_order") or [])
    groups = list(dict.fromkeys(groups))
    return [g for g in order if g in groups] + [g for g in groups if g not in order]
