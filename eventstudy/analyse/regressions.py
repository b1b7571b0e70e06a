"""Analyses of abnormal-return regressions (METHODS §5): the MVRM system with its Wald tests, and the
cross-sectional regressions of CARs, as the tables the outputs and the report show.

A regression that cannot be computed gives a row whose ``notes`` say why, instead of an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..catalog import REGRESSION_PARAM_COLUMNS
from .base import register_analysis

if TYPE_CHECKING:
    from ..results import EventStudyResults

__all__ = ["mvrm_table", "regressions_table", "REGRESSION_TABLE_COLUMNS", "CROSS_SECTION_WINDOW"]

#: the CAR window of the cross-sectional regressions
CROSS_SECTION_WINDOW = "m1_1"

REGRESSION_TABLE_COLUMNS = [
    "formula",
    "scope",
    "window",
    *REGRESSION_PARAM_COLUMNS,
    "nobs",
    "r2",
    "cov_type",
    "n_clusters",
    "distribution",
    "notes",
]


def _failed(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


@register_analysis("mvrm", description="event-dummy SUR system: gamma/CAR per security x event and the Wald tests")
def mvrm_table(results: EventStudyResults) -> pd.DataFrame:
    """The MVRM system of the headline events (:func:`eventstudy.regression.mvrm` with its defaults), as one
    table of coefficient and Wald rows (``kind`` tells them apart)."""
    from ..regression import mvrm  # on use: importing the package does not load the regression stack

    try:
        return mvrm(results).to_frame()
    except Exception as exc:
        return pd.DataFrame({"kind": ["error"], "notes": [_failed(exc)]})


@register_analysis(
    "regressions",
    description="the study's cross-sectional CAR regressions (OLS; HC3 for one event date, clustered by event date "
    "for pooled sets)",
)
def regressions_table(results: EventStudyResults) -> pd.DataFrame:
    """The study's cross-sectional regressions of CAR [−1, 1] (``settings["regressions"]``, see
    :func:`eventstudy.regression.regression_specs`), one row per term: OLS with HC3 errors for one event date, and
    errors clustered by event date for a pooled set (``cov_type``, ``n_clusters`` and ``notes`` say which)."""
    from ..regression import regress, regression_specs

    frames = []
    for formula, scope, events in regression_specs(results.settings):
        try:
            r = regress(results, formula, window=CROSS_SECTION_WINDOW, events=events)
            t = r.params.assign(
                nobs=r.nobs,
                r2=r.r2,
                cov_type=r.cov_type,
                n_clusters=r.n_clusters,
                distribution=r.distribution,
                notes=r.notes,
            )
        except Exception as exc:
            t = pd.DataFrame({"notes": [_failed(exc)]})
        frames.append(t.assign(formula=formula, scope=scope, window=CROSS_SECTION_WINDOW))
    if not frames:  # a study file without regressions: the table's header only
        return pd.DataFrame(columns=REGRESSION_TABLE_COLUMNS)
    return pd.concat(frames, ignore_index=True, sort=False).reindex(columns=REGRESSION_TABLE_COLUMNS)
