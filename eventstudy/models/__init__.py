"""Normal-return models (METHODS §3).

A model turns the aligned panel into a design: regressors ``X`` of shape ``(n, T, k)`` and an ``offset`` of shape
``(n, T)`` that is subtracted from the return before the regression. Every model is linear and is estimated by OLS
on each firm-event's estimation window by :mod:`eventstudy.abnormal`, all firm-events at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .._registry import Registry

if TYPE_CHECKING:
    from ..windows import Panel

__all__ = ["NormalReturnModel", "MODELS", "ConstantMean", "MarketAdjusted", "MarketModel", "get_model"]


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
    """

    name: str
    k: int
    df_loss: int
    demean_residuals: bool

    def design(self, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
        """Return ``(X, offset)``: ``X`` is ``(n, T, k)``, ``offset`` is ``(n, T)`` or None."""
        ...


MODELS: Registry[type] = Registry("model")


@MODELS.register("constant_mean", aliases=("mean_adjusted",))
@dataclass(frozen=True)
class ConstantMean:
    """Constant-mean-return model: R_it = μ_i + ε_it (k = 1)."""

    name: str = "constant_mean"
    k: int = 1
    df_loss: int = 1
    demean_residuals: bool = False

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
        x = np.empty(panel.mret.shape + (2,))
        x[..., 0] = 1.0
        x[..., 1] = panel.mret
        return x, None


def get_model(model: str | NormalReturnModel) -> NormalReturnModel:
    """A model instance from a registry name or an instance (returned as it is)."""
    if isinstance(model, str):
        return MODELS.get(model, where="model")()
    if not isinstance(model, NormalReturnModel):
        raise TypeError(f"model must be a registry name or a NormalReturnModel, got {type(model).__name__}")
    return model
