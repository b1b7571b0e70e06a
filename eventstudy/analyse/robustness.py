"""The robustness analysis: the headline numbers under other models, windows, clean estimation and event lists
(:mod:`eventstudy.robustness`), re-estimated on the aligned panel of the fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..robustness import robustness_from_results
from .base import register_analysis

if TYPE_CHECKING:
    from ..results import EventStudyResults

__all__ = ["robustness_analysis"]


@register_analysis(
    "robustness",
    description="the headline numbers under other models, windows, clean estimation and event lists",
)
def robustness_analysis(results: EventStudyResults) -> pd.DataFrame:
    """:func:`eventstudy.robustness.robustness_from_results` with its defaults."""
    return robustness_from_results(results)
