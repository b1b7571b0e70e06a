"""The analyse stage: what a fitted study's numbers imply and how much its claims can be trusted (METHODS §4b, §5),
computed once after estimation and inference and before any renderer; the outputs go into the results' read-only
``analyses`` mapping.

The study's claims (:mod:`.claims`, :mod:`.placebo`, :mod:`.influence`, :mod:`.overlaps`,
:mod:`.claim_robustness`) are built as the results are assembled. The other analyses are registered in
:data:`ANALYSES` under the key they fill, and :func:`run_analyses` runs them:

- ``"mvrm"``: the event-dummy SUR system and its Wald tests (:mod:`.regressions`);
- ``"regressions"``: the cross-sectional CAR regressions (:mod:`.regressions`);
- ``"robustness"``: the headline numbers under variant options (:mod:`.robustness`);
- ``"caar_bands"``: on each day of a headline event's CAAR path, the headline test's interval of the CAAR so far
  (:mod:`.caar_bands`), the clustering-robust band of the report's figures.

Nothing here re-estimates a number by hand: intervals invert the claim's own test, the multiplicity adjustment is
statsmodels', the placebo and the variants run the study's own engine.

>>> from eventstudy.analyse import ANALYSES
>>> ANALYSES.names()[:3]
['caar_bands', 'mvrm', 'regressions']
"""

from __future__ import annotations

# importing the modules registers their analyses, in the order they run
from . import caar_bands, regressions, robustness  # noqa: F401
from .base import ANALYSES, Analysis, register_analysis, run_analyses
from .claims import CLAIM_COLUMNS, MIN_CLAIM_N, build_claims, claim_interval, headline_windows, small_group_rule
from .influence import leave_one_out
from .overlaps import confounded_mask, overlap_mask, read_confounders
from .placebo import placebo_caars, placebo_pool

__all__ = [
    "ANALYSES",
    "Analysis",
    "register_analysis",
    "run_analyses",
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
