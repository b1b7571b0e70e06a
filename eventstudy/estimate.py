"""The estimate step, in one place: firm-events aligned in event time → the panel with its estimation mask →
the normal-return model and the abnormal returns.

The in-memory fit, both splits of the Dask backend and the robustness variants all call :func:`estimate` (or
:func:`align_and_estimate`) with a :class:`~eventstudy.config.StudyOptions`; a variant is
``dataclasses.replace(options, ...)``, never a second copy of these steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .abnormal import Abnormal, compute_abnormal
from .windows import Panel, build_panel, clean_estimation_mask

if TYPE_CHECKING:
    from .config import StudyOptions
    from .models import NormalReturnModel

__all__ = ["align", "estimate", "align_and_estimate"]


def align(
    firm_events: pd.DataFrame,
    returns: Mapping[str, pd.Series],
    sessions: Mapping[str, pd.DatetimeIndex],
    options: StudyOptions,
) -> Panel:
    """The firm-events in event time (:func:`eventstudy.windows.build_panel` with the options' windows)."""
    return build_panel(
        firm_events,
        returns,
        sessions,
        estimation_window=options.estimation_window,
        event_window=options.event_window,
    )


def estimate(
    panel: Panel,
    model: NormalReturnModel,
    options: StudyOptions,
    *,
    car_windows: Sequence[Any] | None = None,
) -> tuple[Panel, Abnormal]:
    """The panel with the estimation days the options exclude, and the engine's output on it.

    With ``options.clean_estimation`` the other events' windows are removed from each estimation window
    (:func:`eventstudy.windows.clean_estimation_mask`); otherwise no day is excluded. ``car_windows`` defaults to
    the options'.
    """
    excluded = clean_estimation_mask(panel) if options.clean_estimation else np.zeros(panel.dates.shape, dtype=bool)
    panel = replace(panel, excluded=excluded)
    windows = options.car_windows if car_windows is None else car_windows
    abn = compute_abnormal(
        panel,
        model,
        [tuple(w) for w in windows],
        min_estimation=options.min_estimation,
        thin_trading_share=options.thin_trading_share,
    )
    return panel, abn


def align_and_estimate(
    firm_events: pd.DataFrame,
    returns: Mapping[str, pd.Series],
    sessions: Mapping[str, pd.DatetimeIndex],
    model: NormalReturnModel,
    options: StudyOptions,
) -> tuple[Panel, Abnormal]:
    """:func:`align` then :func:`estimate`."""
    return estimate(align(firm_events, returns, sessions, options), model, options)
