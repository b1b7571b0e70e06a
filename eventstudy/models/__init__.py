"""Normal-return models (METHODS §3).

A model turns the aligned panel into a design: regressors ``X`` of shape ``(n, T, k)`` and an ``offset`` of shape
``(n, T)`` that is subtracted from the return before the regression. Every model is linear and is estimated by OLS
on each firm-event's estimation window by :mod:`eventstudy.abnormal`, all firm-events at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .._registry import Registry
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..windows import Panel

__all__ = [
    "NormalReturnModel",
    "MODELS",
    "ConstantMean",
    "MarketAdjusted",
    "MarketModel",
    "ScholesWilliams",
    "FactorModel",
    "world_model",
    "get_model",
    "uses_benchmark",
]


@runtime_checkable
class NormalReturnModel(Protocol):
    """What :mod:`eventstudy.abnormal` needs from a model.

    Attributes
    ----------
    name
        Registry name.
    k
        Number of regressors.
    df_loss
        Degrees of freedom lost in the residual variance: σ̂² = e′e / (M − df_loss).
    demean_residuals
        Whether σ̂² is computed from demeaned estimation-window residuals (``market_adjusted``).

    A model may also say ``uses_benchmark = False`` when it never reads the securities' benchmark returns
    (``constant_mean``, a factor model without the local index): its securities then need no benchmark
    (:func:`uses_benchmark`). Without the attribute a model is taken to use them.
    """

    @property
    def name(self) -> str: ...

    @property
    def k(self) -> int: ...

    @property
    def df_loss(self) -> int: ...

    @property
    def demean_residuals(self) -> bool: ...

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        """Return ``(X, offset)``: ``X`` is ``(n, T, k)``, ``offset`` is ``(n, T)`` or None."""
        ...


MODELS: Registry[Any] = Registry("model")  # classes and factory functions


@MODELS.register("constant_mean", aliases=("mean_adjusted",))
@dataclass(frozen=True)
class ConstantMean:
    """Constant-mean-return model: R_it = μ_i + ε_it (k = 1)."""

    name: str = "constant_mean"
    k: int = 1
    df_loss: int = 1
    demean_residuals: bool = False
    uses_benchmark: bool = False  # the benchmark's returns are not needed

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        n, t = panel.ret.shape
        return np.ones((n, t, 1)), None


@MODELS.register("market_adjusted")
@dataclass(frozen=True)
class MarketAdjusted:
    """Market-adjusted returns: AR = R − R_m, σ̂² from the estimation-window ARs with M − 1 df (k = 0)."""

    name: str = "market_adjusted"
    k: int = 0
    df_loss: int = 1
    demean_residuals: bool = True

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        n, t = panel.ret.shape
        return np.empty((n, t, 0)), panel.mret


@MODELS.register("market", aliases=("market_model", "sim"))
@dataclass(frozen=True)
class MarketModel:
    """The market model: R_it = α_i + β_i R_mt + ε_it (k = 2), R_m being the security's benchmark."""

    name: str = "market"
    k: int = 2
    df_loss: int = 2
    demean_residuals: bool = False

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        x = np.empty((*panel.mret.shape, 2))
        x[..., 0] = 1.0
        x[..., 1] = panel.mret
        return x, None


def _masked_slope(y: np.ndarray, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per row, the OLS slope of ``y`` on ``x`` (with an intercept) over the days of ``mask``."""
    mask = mask & np.isfinite(y) & np.isfinite(x)
    n = mask.sum(axis=1)
    ys = np.where(mask, y, 0.0)
    xs = np.where(mask, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = xs.sum(axis=1) / n
        ybar = ys.sum(axis=1) / n
        dx = np.where(mask, x - xbar[:, None], 0.0)
        dy = np.where(mask, y - ybar[:, None], 0.0)
        return (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)


@MODELS.register("scholes_williams")
@dataclass(frozen=True)
class ScholesWilliams:
    r"""Scholes & Williams (1977) market model for thin trading (k = 2).

    Notes
    -----
    :math:`\beta^{SW} = (\beta_{-1} + \beta_0 + \beta_{+1})/(1 + 2\rho_m)`, where :math:`\beta_j` is the slope
    of :math:`R_{it}` on :math:`R_{m,t+j}` and :math:`\rho_m` the first-order autocorrelation of the benchmark,
    all over the estimation window; :math:`\alpha^{SW} = \bar R_i - \beta^{SW}\bar R_m`. The residual variance
    divides by M − 2, and the forecast-error variances use the market model's :math:`(X'X)^{-1}` — the usual
    approximation, since the SW coefficients are not the OLS ones.
    """

    name: str = "scholes_williams"
    k: int = 2
    df_loss: int = 2
    demean_residuals: bool = False

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        return MarketModel().design(panel)

    def coefficients(self, panel: Panel, y: np.ndarray, est: np.ndarray) -> np.ndarray:
        """``(n, 2)``: α and β of Scholes–Williams over each firm-event's estimation days ``est``."""
        rm = panel.mret
        lag = np.full_like(rm, np.nan)
        lag[:, 1:] = rm[:, :-1]
        lead = np.full_like(rm, np.nan)
        lead[:, :-1] = rm[:, 1:]
        beta = (_masked_slope(y, lag, est) + _masked_slope(y, rm, est) + _masked_slope(y, lead, est)) / (
            1.0 + 2.0 * _autocorrelation(rm, est)
        )
        both = est & np.isfinite(rm)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(both, y, 0.0).sum(axis=1) / both.sum(axis=1) - beta * (
                np.where(both, rm, 0.0).sum(axis=1) / both.sum(axis=1)
            )
        return np.column_stack([alpha, beta])


def _autocorrelation(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per row, the Pearson correlation of x_t with x_{t−1} over the days t of ``mask`` where both exist."""
    lag = np.full_like(x, np.nan)
    lag[:, 1:] = x[:, :-1]
    m = mask & np.isfinite(x) & np.isfinite(lag)
    n = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(m, x, 0.0)
        b = np.where(m, lag, 0.0)
        da = np.where(m, x - (a.sum(axis=1) / n)[:, None], 0.0)
        db = np.where(m, lag - (b.sum(axis=1) / n)[:, None], 0.0)
        return (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))


def get_model(model: str | NormalReturnModel) -> NormalReturnModel:
    """A model instance from a registry name or an instance (returned as it is)."""
    if isinstance(model, str):
        if model in ("factor", "world"):
            raise ConfigError(
                f"model: {model!r} needs data: pass FactorModel(frame) for 'factor', or use EventStudy(..., "
                "model='world', world_index='ACWI') for the two-factor model; fix: give the factor data"
            )
        return MODELS.get(model, where="model")()
    if not isinstance(model, NormalReturnModel):
        raise TypeError(f"model must be a registry name or a NormalReturnModel, got {type(model).__name__}")
    return model


def _aligned(frame: pd.DataFrame, dates: np.ndarray) -> np.ndarray:
    """Values of ``frame`` (indexed by date) at each of ``dates`` (any shape); NaN where absent."""
    flat = pd.DatetimeIndex(dates.ravel())
    values = frame.reindex(flat).to_numpy(dtype=float)
    return values.reshape((*dates.shape, frame.shape[1]))


@dataclass(frozen=True, eq=False)
class FactorModel:
    """A factor model: R_it = α_i + (β_i R_mt) + Σ_f b_if F_ft + ε_it.

    Parameters
    ----------
    factors
        A frame indexed by date, one column per factor (e.g. Fama–French ``mkt_rf, smb, hml`` or Carhart's
        ``mom``), in the same return units as the prices. Factors are matched to each security's sessions by date;
        a session without factor values is left out of the estimation window (and its AR is missing).
    include_market
        Whether the security's own benchmark return is a regressor too (the international two-factor model:
        local index plus a world index).
    name
        The label written to the outputs.
    """

    factors: pd.DataFrame
    include_market: bool = False
    name: str = "factor"
    demean_residuals: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.factors, pd.DataFrame) or self.factors.shape[1] == 0:
            raise ConfigError("model: a factor model needs a DataFrame of factors; fix: pass FactorModel(frame)")
        if not isinstance(self.factors.index, pd.DatetimeIndex):
            raise ConfigError("model: the factor frame must be indexed by date; fix: set_index a datetime column first")

    @property
    def k(self) -> int:
        return 1 + int(self.include_market) + self.factors.shape[1]

    @property
    def uses_benchmark(self) -> bool:
        """The local index is a regressor only with ``include_market``."""
        return self.include_market

    @property
    def df_loss(self) -> int:
        return self.k

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        f = _aligned(self.factors.astype(float), panel.dates)
        parts = [np.ones((*panel.ret.shape, 1))]
        if self.include_market:
            parts.append(panel.mret[..., None])
        parts.append(f)
        return np.concatenate(parts, axis=2), None


def uses_benchmark(model: Any) -> bool:
    """Whether ``model`` reads the securities' benchmark returns (its ``uses_benchmark``, True when it has none).

    >>> uses_benchmark(ConstantMean()), uses_benchmark(MarketModel())
    (False, True)
    """
    return bool(getattr(model, "uses_benchmark", True))


def world_model(world_returns: pd.Series, *, name: str = "world") -> FactorModel:
    """The international two-factor model: the security's local index plus a world index (e.g. ACWI).

    The world index is matched to each security's sessions by calendar date.
    """
    return FactorModel(pd.DataFrame({"world": world_returns}), include_market=True, name=name)


MODELS.add("factor", FactorModel)
MODELS.add("world", world_model)
