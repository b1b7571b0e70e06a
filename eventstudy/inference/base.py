"""What every test statistic takes and returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .._registry import Registry

__all__ = ["TestResult", "Sample", "TESTS", "register_test"]


@dataclass(frozen=True)
class TestResult:
    """One test statistic.

    Unpacks as ``stat, p = result``. A test that cannot be computed carries NaNs and the reason in ``notes``.
    """

    name: str
    statistic: float
    pvalue: float
    distribution: str
    nobs: int
    notes: str = ""
    details: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    __test__ = False  # not a pytest class

    def __iter__(self) -> Iterator[float]:
        yield self.statistic
        yield self.pvalue


@dataclass(frozen=True)
class Sample:
    """The firm-events of one group, one event (or a pooled set) and one CAR window.

    Attributes
    ----------
    car, var_car, scar
        ``(N,)`` CAR, its exact variance, and the standardised CAR.
    nobs_estimation
        ``(N,)`` valid estimation returns M_i.
    df_loss
        The model's k (σ̂² divides by M_i − df_loss).
    length
        L, the number of days in the CAR window.
    resid
        ``(N, T_est)`` in-sample estimation residuals in event time (NaN where unused).
    resid_dates
        ``(N, T_est)`` their session dates, for calendar alignment.
    corr
        Optional ``(N, N)`` pairwise residual correlations, when already computed for the cell.
    ar_all, sar_all
        ``(N, T)`` over all event days of the panel: in-sample residuals (and e/σ̂) on the estimation days used,
        abnormal returns (and SAR) on event-window days, NaN elsewhere. Used by the rank tests.
    window_cols, estimation_cols
        Columns of ``ar_all`` that form the CAR window and the estimation window.
    portfolio
        A callable returning ``(CAR_p, Var(CAR_p), M_p)`` of the equally weighted event-time portfolio of the
        sample, fitted with the study's model (for ``portfolio_t``).
    rng
        The random generator for resampling tests.
    ranks
        Optional centred ranks of ``ar_all`` (per firm, over its estimation and event days), when already computed
        for the cell: they do not depend on the CAR window.
    """

    car: np.ndarray
    var_car: np.ndarray
    scar: np.ndarray
    nobs_estimation: np.ndarray
    df_loss: int
    length: int
    resid: np.ndarray
    resid_dates: np.ndarray
    corr: np.ndarray | None = None
    ar_all: np.ndarray | None = None
    sar_all: np.ndarray | None = None
    window_cols: np.ndarray | None = None
    estimation_cols: np.ndarray | None = None
    portfolio: Callable[[], tuple[float, float, int]] | None = None
    rng: np.random.Generator | None = None
    ranks: np.ndarray | None = None

    __test__ = False

    @property
    def n(self) -> int:
        return int(self.car.shape[0])


TestFunction = Callable[[Sample], TestResult]

#: The registry of test statistics (METHODS §4).
TESTS: Registry[TestFunction] = Registry("test")


def register_test(name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[TestFunction], TestFunction]:
    """Register a test function under ``name``."""
    return TESTS.register(name, aliases=aliases)


def not_computable(name: str, distribution: str, nobs: int, reason: str) -> TestResult:
    """The result of a test that cannot be computed, with the reason."""
    return TestResult(name, float("nan"), float("nan"), distribution, int(nobs), notes=reason)


def pvalue_normal(z: float) -> float:
    """Two-sided p-value of ``z`` against N(0,1) (scipy.special.ndtr, without the distribution-object overhead)."""
    from scipy.special import ndtr

    return float(2.0 * ndtr(-abs(z))) if np.isfinite(z) else float("nan")


def pvalue_t(t: float, df: float) -> float:
    """Two-sided p-value of ``t`` against Student's t(df) (scipy.special.stdtr)."""
    from scipy.special import stdtr

    return float(2.0 * stdtr(df, -abs(t))) if np.isfinite(t) and df > 0 else float("nan")
