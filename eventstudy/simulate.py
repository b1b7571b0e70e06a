"""Brown–Warner style simulations for size and power (Brown & Warner 1985; Kolari & Pynnönen 2010).

Returns are drawn from a market model with cross-correlated errors and a common day 0, optionally with an injected
abnormal return and event-induced variance on the event days. Each replication is one "event" of ``n_firms``
firm-events sharing its dates, so one call to the engine and the test runner covers every replication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .abnormal import compute_abnormal
from .inference.runner import run_tests
from .models import MarketModel, NormalReturnModel
from .windows import Panel

__all__ = ["SimulationDesign", "simulate_panel", "rejection_rates"]


@dataclass(frozen=True)
class SimulationDesign:
    """A simulation design.

    Attributes
    ----------
    n_firms
        Firm-events per replication (all share day 0).
    rbar
        Equicorrelation of the firms' abnormal returns (the r̄ of Kolari & Pynnönen).
    effect
        Abnormal return added to every firm on each day of ``effect_window``.
    variance_factor
        Event-induced variance: the event-day error sd is multiplied by this factor.
    estimation_window, event_window, effect_window
        In event days.
    """

    n_firms: int = 30
    rbar: float = 0.0
    effect: float = 0.0
    variance_factor: float = 1.0
    estimation_window: tuple[int, int] = (-250, -11)
    event_window: tuple[int, int] = (-10, 10)
    effect_window: tuple[int, int] = (0, 0)


def simulate_panel(design: SimulationDesign, n_reps: int, rng: np.random.Generator | int | None = None) -> Panel:
    """A panel of ``n_reps × n_firms`` firm-events drawn from the design; replication r is ``event_id = "r<r>"``."""
    rng = np.random.default_rng(rng)
    lo = min(design.estimation_window[0], design.event_window[0])
    hi = max(design.estimation_window[1], design.event_window[1])
    rel = np.arange(lo, hi + 1)
    t = rel.size
    n = design.n_firms
    total = n_reps * n
    dates = np.array(pd.bdate_range("2020-01-01", periods=t).values, dtype="datetime64[ns]")
    market = rng.normal(0.0004, 0.01, (n_reps, t))
    mret = np.repeat(market, n, axis=0)
    beta = rng.uniform(0.5, 1.5, (total, 1))
    sigma = rng.uniform(0.01, 0.03, (total, 1))
    common = np.repeat(rng.standard_normal((n_reps, t)), n, axis=0)
    own = rng.standard_normal((total, t))
    z = np.sqrt(design.rbar) * common + np.sqrt(1.0 - design.rbar) * own
    on_event = (rel >= design.event_window[0]) & (rel <= design.event_window[1])
    scale = np.where(on_event, design.variance_factor, 1.0)
    ret = 0.0002 + beta * mret + sigma * scale * z
    inject = (rel >= design.effect_window[0]) & (rel <= design.effect_window[1])
    ret = ret + design.effect * inject
    keys = pd.DataFrame(
        {
            "event_id": np.repeat([f"r{i}" for i in range(n_reps)], n),
            "ticker": np.tile([f"S{i}" for i in range(n)], n_reps),
            "group": "sim",
            "exchange": "SIM",
            "day0": pd.Timestamp(dates[-lo]),
            "first_return": pd.Timestamp(dates[0]),
            "last_return": pd.Timestamp(dates[-1]),
        }
    )
    return Panel(
        keys=keys,
        rel=rel,
        dates=np.broadcast_to(dates, (total, t)),
        ret=ret,
        mret=mret,
        estimation=(rel >= design.estimation_window[0]) & (rel <= design.estimation_window[1]),
        event=on_event,
        excluded=np.zeros((total, t), dtype=bool),
    )


def rejection_rates(
    design: SimulationDesign,
    tests: Sequence[str],
    *,
    n_reps: int = 1000,
    windows: Sequence[tuple[int, int]] = ((0, 0),),
    alpha: float = 0.05,
    model: NormalReturnModel | None = None,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Rejection rate at ``alpha`` of each test and window over ``n_reps`` replications of ``design``.

    Returns columns ``test, window, rejection_rate, n_reps, mean_statistic`` plus the design's parameters.
    """
    model = model or MarketModel()
    rng = np.random.default_rng(rng)
    panel = simulate_panel(design, n_reps, rng)
    abn = compute_abnormal(panel, model, list(windows), min_estimation=100)
    table = run_tests(panel, abn, tests, ("group",), model=model, min_estimation=100, rng=rng)
    out = (
        table.assign(reject=table["pvalue"] < alpha)
        .groupby(["test", "window"], sort=False)
        .agg(rejection_rate=("reject", "mean"), n_reps=("reject", "size"), mean_statistic=("statistic", "mean"))
        .reset_index()
    )
    for key in ("n_firms", "rbar", "effect", "variance_factor"):
        out[key] = getattr(design, key)
    return out
