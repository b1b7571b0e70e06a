"""Names, colours and explanations the report shows: a study's groups from its settings, tests and outcome codes.

A study's groups are data in its study file. The settings may carry ``group_labels`` (group → label),
``group_colours`` (group → colour) and ``group_order`` (a list); a group without them is shown under its own name,
in the order of the results, in the next colour of the Okabe–Ito palette (readable with the common colour-vision
deficiencies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "TEST_NAMES",
    "TEST_HELP",
    "DIRECTION_NAMES",
    "GroupStyle",
    "direction_name",
    "group_style",
    "short_name",
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

#: registry name → short name shown in tables
TEST_NAMES: dict[str, str] = {
    "csect_t": "t",
    "cda_t": "CDA",
    "patell_z": "Patell",
    "bmp_t": "BMP",
    "kp_bmp_t": "KP-BMP",
    "kp_patell_z": "KP-Patell",
    "j1": "J1",
    "portfolio_t": "portfolio",
    "sign_z": "sign",
    "gsign_z": "gen. sign",
    "rank_z": "rank",
    "grank_t": "GRANK",
    "wilcoxon": "Wilcoxon",
    "bootstrap": "bootstrap",
    "bootstrap_resid": "resid. bootstrap",
    "mvrm": "MVRM",
}

#: registry name → one line for hover text: what the test is and whether it allows for a shared event date
TEST_HELP: dict[str, str] = {
    "csect_t": "Cross-sectional t test of the mean CAR; ignores correlation between firms that share the event date",
    "cda_t": "Crude dependence adjustment: CAAR against the variance of the calendar-date AAR (allows for correlation)",
    "patell_z": "Patell Z: sum of standardised CARs; ignores correlation between firms",
    "bmp_t": "Boehmer-Musumeci-Poulsen standardised cross-sectional t; robust to event-induced variance only",
    "kp_bmp_t": "Kolari-Pynnonen adjusted BMP: the BMP t corrected for the mean correlation of the firms' residuals",
    "kp_patell_z": "Kolari-Pynnonen adjusted Patell Z: corrected for the mean residual correlation",
    "j1": "Campbell-Lo-MacKinlay J1: CAAR over the square root of the summed CAR variances",
    "portfolio_t": "Portfolio test: one equally weighted portfolio per exchange and day 0; immune to correlation",
    "sign_z": "Sign test: share of positive CARs against one half",
    "gsign_z": "Generalised sign test: share of positive CARs against the estimation-window share",
    "rank_z": "Corrado rank test of day-0 abnormal returns",
    "grank_t": "Generalised rank test (Kolari-Pynnonen 2011) of standardised CARs; allows for correlation",
    "wilcoxon": "Wilcoxon signed-rank test of the CARs",
    "bootstrap": "Cross-sectional bootstrap of the CARs",
    "bootstrap_resid": "Bootstrap of estimation-residual date vectors, keeping the correlation between firms",
    "mvrm": "Multivariate regression with event dummies: Wald test with the residual covariance of all firms",
}

DIRECTION_NAMES: dict[str, str] = {
    "escalation": "escalation",
    "deescalation": "de-escalation",
    "industrial_policy": "industrial policy",
}


def direction_name(direction: str) -> str:
    return DIRECTION_NAMES.get(direction, str(direction).replace("_", " "))


def short_name(name: str) -> str:
    return TEST_NAMES.get(name, name)


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
