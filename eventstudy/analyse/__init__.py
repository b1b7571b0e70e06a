"""The analyse stage: what the study claims and how much the claims can be trusted (METHODS §4b).

It runs after estimation and inference and before any renderer; its outputs go into the results' read-only
``analyses`` mapping. Nothing here re-estimates a number by hand: intervals invert the claim's own test, the
multiplicity adjustment is statsmodels', and the placebo runs the study's own engine on pseudo-event days.
"""

from __future__ import annotations

from .claims import CLAIM_COLUMNS, MIN_CLAIM_N, build_claims, claim_interval, headline_windows, small_group_rule
from .influence import leave_one_out
from .overlaps import confounded_mask, overlap_mask, read_confounders
from .placebo import placebo_caars, placebo_pool

__all__ = [
    "CLAIM_COLUMNS",
    "MIN_CLAIM_N",
    "build_claims",
    "claim_interval",
    "headline_windows",
    "small_group_rule",
    "leave_one_out",
    "confounded_mask",
    "overlap_mask",
    "read_confounders",
    "placebo_caars",
    "placebo_pool",
]
