"""Bootstrap tests (METHODS §4): the cross-sectional bootstrap of CAR_i and the residual-vector bootstrap for
clustered event dates (Hein & Westfall 2004)."""

from __future__ import annotations

import numpy as np

from .._lazy import lazy
from .base import Sample, TestResult, not_computable, register_test
from .parametric import sample_calendar_aar

stats = lazy("scipy.stats")  # imported on first use: import eventstudy stays fast

N_RESAMPLES = 9_999


@register_test("bootstrap")
def bootstrap(s: Sample, *, n_resamples: int = N_RESAMPLES) -> TestResult:
    """Cross-sectional bootstrap of CAAR: B = 9 999 resamples of CAR_i, seeded through the sample's ``rng``.

    The statistic is CAAR; the two-sided p-value is the share of centred bootstrap means at least as far from 0 as
    CAAR. ``details`` carries the 95 % percentile and BCa intervals (scipy.stats.bootstrap).
    """
    if s.n < 3:
        return not_computable("bootstrap", "bootstrap", s.n, "needs at least 3 firm-events")
    rng = s.rng if s.rng is not None else np.random.default_rng(0)
    car = s.car
    caar = float(car.mean())
    idx = rng.integers(0, s.n, size=(n_resamples, s.n))
    means = car[idx].mean(axis=1)
    p = float((np.sum(np.abs(means - caar) >= abs(caar)) + 1) / (n_resamples + 1))
    perc = np.percentile(means, [2.5, 97.5])
    bca = stats.bootstrap((car,), np.mean, n_resamples=n_resamples, method="BCa", random_state=rng)
    details = {
        "ci_low_percentile": float(perc[0]),
        "ci_high_percentile": float(perc[1]),
        "ci_low_bca": float(bca.confidence_interval.low),
        "ci_high_bca": float(bca.confidence_interval.high),
    }
    return TestResult("bootstrap", caar, p, "bootstrap", s.n, details=details)


@register_test("bootstrap_resid")
def bootstrap_resid(s: Sample, *, n_resamples: int = N_RESAMPLES) -> TestResult:
    """Residual-vector bootstrap: the null distribution of CAAR from whole estimation-window dates.

    Each replicate draws L estimation dates with replacement and sums, over those dates, the cross-sectional mean of
    the firms' residuals on each date. Resampling whole date vectors keeps the cross-correlation of firms sharing a
    date (Hein & Westfall 2004). Statistic: CAAR; p: share of replicates with |CAAR*| ≥ |CAAR|.
    """
    if s.n < 1:
        return not_computable("bootstrap_resid", "bootstrap", s.n, "no firm-events")
    rng = s.rng if s.rng is not None else np.random.default_rng(0)
    aar = sample_calendar_aar(s)
    if aar.size < 10:
        return not_computable("bootstrap_resid", "bootstrap", s.n, "fewer than 10 estimation dates")
    draws = aar[rng.integers(0, aar.size, size=(n_resamples, s.length))].sum(axis=1)
    draws -= s.length * aar.mean()
    caar = float(s.car.mean())
    p = float((np.sum(np.abs(draws) >= abs(caar)) + 1) / (n_resamples + 1))
    return TestResult("bootstrap_resid", caar, p, "bootstrap", s.n, details={"n_dates": float(aar.size)})
