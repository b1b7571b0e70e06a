"""Robustness of the headline numbers: the same study re-run with variant options.

Orchestration only. Each variant changes one option of the study (the normal-return model, clean estimation
windows, the event list) and re-runs the library's own estimation and test steps; nothing here computes a
statistic. The result is one long table, ``robustness.csv`` in a run's outputs:

``variant, description, event_id, group, window, nobs, caar, ci_low, ci_high, test, statistic, pvalue, note``

Two ways in:

- :func:`robustness_table` with an :class:`~eventstudy.study.EventStudy`: every variant is a new fit of
  ``study.with_options(...)``;
- :func:`robustness_from_results` with a fitted :class:`~eventstudy.results.EventStudyResults`: the variants are
  re-estimated on the aligned panel of that fit (the steps of ``EventStudy.fit`` after the data are loaded), so no
  price is read twice. The analyse stage uses this one.

"Other windows" need no re-fit: the baseline already holds every CAR window of the study, so they are read from
its CAAR and test tables (variant ``window``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .catalog import robust_tests
from .config import StudyOptions, window_label
from .windows import subset_panel

if TYPE_CHECKING:
    from .models import NormalReturnModel

__all__ = [
    "Variant",
    "VARIANTS",
    "robust_test_names",
    "ROBUSTNESS_COLUMNS",
    "robustness_table",
    "robustness_from_results",
]


def robust_test_names(settings: Mapping[str, Any], present: Iterable[str]) -> list[str]:
    """The tests a robustness row reports: the study's primary test, then the other tests the catalog marks as
    robust to event-date clustering, of those the fit ran (``present``), in catalog order."""
    ran = set(present)
    primary = str(settings.get("primary_test") or "")
    first = [primary] if primary in ran else []
    return first + [t for t in robust_tests(ran) if t != primary]


ROBUSTNESS_COLUMNS = [
    "variant",
    "description",
    "event_id",
    "group",
    "window",
    "nobs",
    "caar",
    "ci_low",
    "ci_high",
    "test",
    "statistic",
    "pvalue",
    "note",
]


@dataclass(frozen=True)
class Variant:
    """One robustness variant: a name, what it changes, and the ``EventStudy`` options it overrides.

    ``available`` is False for a variant the library cannot run yet; it is listed with ``reason`` instead of
    numbers, so the table says what was not checked.
    """

    name: str
    description: str
    options: Mapping[str, Any] = field(default_factory=dict)
    drop_confounded: bool = False
    available: bool = True
    reason: str = ""


#: The variants of the report, in order. ``world_index`` adds the world index (the study's ``world_index``, ACWI by
#: default) to the local index: the international two-factor model.
VARIANTS: tuple[Variant, ...] = (
    Variant("market_adjusted", "market-adjusted model (AR = R − R_m)", {"model": "market_adjusted"}),
    Variant("constant_mean", "constant-mean model", {"model": "constant_mean"}),
    Variant("clean_estimation", "clean estimation windows switched (other events' windows removed)", {}),
    Variant(
        "unconfounded_events",
        "events with a confounder note left out (clean estimation windows on)",
        {"clean_estimation": True},
        drop_confounded=True,
    ),
    Variant(
        "world_index",
        "two-factor model: local index plus the world index (ACWI)",
        {"model": "world"},
    ),
)


def _headline_ids(events: pd.DataFrame, event_id: str | None) -> list[str]:
    if event_id is not None:
        return [event_id]
    ids = events.loc[events["headline"].astype(bool), "event_id"].astype(str).tolist()
    return ids or [str(events["event_id"].iloc[0])]


def _confounded(events: pd.DataFrame) -> set[str]:
    text = events["confounders"].fillna("").astype(str).str.strip()
    return set(events.loc[text != "", "event_id"].astype(str))


def _variant_options(variant: Variant, base_clean: bool) -> dict[str, Any]:
    options = dict(variant.options)
    if variant.name == "clean_estimation":
        options["clean_estimation"] = not base_clean
    return options


def _describe(variant: Variant, base_clean: bool) -> str:
    if variant.name == "clean_estimation":
        return "clean estimation windows " + ("off" if base_clean else "on")
    return variant.description


def _collect(
    name: str,
    description: str,
    caar: pd.DataFrame,
    tests: pd.DataFrame,
    event_ids: Sequence[str],
    groups: Sequence[str] | None,
    windows: Sequence[str],
    test_names: Sequence[str],
    note: str = "",
) -> pd.DataFrame:
    """Rows of one variant: CAAR, interval and the robust tests, for the events, groups and windows asked for."""
    c = caar[caar["event_id"].isin(event_ids) & caar["window"].isin(windows)]
    if groups is not None:
        c = c[c["group"].isin(groups)]
    c = c[["event_id", "group", "window", "nobs", "caar", "ci_low", "ci_high"]]
    t = tests[tests["test"].isin(test_names)][["event_id", "group", "window", "test", "statistic", "pvalue"]]
    out = c.merge(t, on=["event_id", "group", "window"], how="left")
    out.insert(0, "description", description)
    out.insert(0, "variant", name)
    out["note"] = note
    return out


def _missing_rows(variant: str, description: str, event_ids: Sequence[str], note: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"variant": variant, "description": description, "event_id": list(event_ids), "note": note},
        columns=ROBUSTNESS_COLUMNS,
    )


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=ROBUSTNESS_COLUMNS)
    return pd.concat(frames, ignore_index=True).reindex(columns=ROBUSTNESS_COLUMNS)


def _base_rows(caar, tests, settings, event_ids, groups, windows, test_names, other_windows) -> list[pd.DataFrame]:
    model = settings.get("model", "")
    clean = "on" if settings.get("clean_estimation") else "off"
    base = _collect(
        "baseline",
        f"{model} model, clean estimation windows {clean}",
        caar,
        tests,
        event_ids,
        groups,
        windows,
        test_names,
    )
    extra = _collect(
        "window", "other CAR windows of the baseline fit", caar, tests, event_ids, groups, other_windows, test_names
    )
    return [base, extra]


def robustness_table(
    study: Any,
    *,
    event_id: str | None = None,
    groups: Sequence[str] | None = None,
    windows: Sequence[str] = ("0_0", "m1_1"),
    other_windows: Sequence[str] = ("0_1", "m2_2", "0_5"),
    variants: Sequence[Variant] = VARIANTS,
    progress: Any = None,
) -> pd.DataFrame:
    """The headline numbers under each variant, by re-fitting the study with each variant's options.

    Parameters
    ----------
    study
        An :class:`~eventstudy.study.EventStudy`; each variant fits ``study.with_options(...)``.
    event_id
        The event to report (default: every headline event of the events table).
    groups
        Group labels to keep (default: all).
    windows
        CAR windows reported for every variant; ``other_windows`` come from the baseline only.
    variants
        The variants to run (default :data:`VARIANTS`).

    Returns
    -------
    DataFrame
        One row per variant × event × group × window × robust test (columns :data:`ROBUSTNESS_COLUMNS`).
    """
    from .events import EventTable

    progress = progress or (lambda msg: None)
    progress("robustness: baseline")
    base = study.fit(analyse=False)
    events = base.events
    event_ids = _headline_ids(events, event_id)
    test_names = robust_test_names(base.settings, base.test_table["test"])
    frames = _base_rows(
        base.caar_table, base.test_table, base.settings, event_ids, groups, windows, test_names, other_windows
    )
    base_clean = bool(base.settings.get("clean_estimation"))
    confounded = _confounded(events)
    for v in variants:
        desc = _describe(v, base_clean)
        options = _variant_options(v, base_clean)
        if not v.available:
            frames.append(_missing_rows(v.name, desc, event_ids, v.reason or "not computed"))
            continue
        keep = event_ids
        if v.drop_confounded:
            frame = study.events.frame
            kept = frame[~frame["event_id"].isin(confounded)].drop(columns=["announced_at_utc"], errors="ignore")
            options["events"] = EventTable.from_frame(kept.reset_index(drop=True))
            dropped = [e for e in event_ids if e in confounded]
            if dropped:
                frames.append(_missing_rows(v.name, desc, dropped, "left out: the events file notes a confounder"))
            keep = [e for e in event_ids if e not in confounded]
            if study.headline_event in confounded:
                options["headline_event"] = None
        progress(f"robustness: {v.name}")
        res = study.with_options(**options).fit(analyse=False)
        frames.append(_collect(v.name, desc, res.caar_table, res.test_table, keep, groups, windows, test_names))
    return _finish(frames)


def robustness_from_results(
    results: Any,
    *,
    event_id: str | None = None,
    groups: Sequence[str] | None = None,
    windows: Sequence[str] = ("0_0", "m1_1"),
    other_windows: Sequence[str] = ("0_1", "m2_2", "0_5"),
    variants: Sequence[Variant] = VARIANTS,
) -> pd.DataFrame:
    """The headline numbers under each variant, re-estimated on the aligned panel of a fit.

    The same estimate step as :meth:`EventStudy.fit` (:func:`eventstudy.estimate.estimate`) with each variant's
    options, ``dataclasses.replace`` of the fit's :class:`~eventstudy.config.StudyOptions`; then the robust tests
    and the CAAR table of the reported events. Nothing is read again. Results without a panel give the baseline and
    window rows only.
    """
    from .estimate import estimate
    from .inference.runner import caar_table, run_tests
    from .models import get_model, world_model

    events = results.events
    settings = results.settings
    event_ids = _headline_ids(events, event_id)
    test_names = robust_test_names(settings, results.test_table["test"])
    frames = _base_rows(
        results.caar_table, results.test_table, settings, event_ids, groups, windows, test_names, other_windows
    )
    panel = results.panel
    base = _options_of(results)
    base_clean = base.clean_estimation
    confounded = _confounded(events)
    label_to_window = {window_label(w): tuple(w) for w in (results.abnormal.windows if results.abnormal else ())}
    car_windows = [label_to_window[w] for w in windows if w in label_to_window]
    for v in variants:
        desc = _describe(v, base_clean)
        changes = _variant_options(v, base_clean)
        unknown = [k for k in changes if k not in _OPTION_NAMES]
        if not v.available or unknown or panel is None or not car_windows:
            reason = v.reason or ("not computed: the results hold no panel" if panel is None else "not computed")
            frames.append(_missing_rows(v.name, desc, event_ids, reason))
            continue
        options = replace(base, **changes)
        if isinstance(options.model, str) and options.model == "world":
            if getattr(results, "world_returns", None) is None:
                frames.append(_missing_rows(v.name, desc, event_ids, "not computed: no world-index returns"))
                continue
            model: NormalReturnModel = world_model(results.world_returns)
        else:
            model = get_model(options.model)
        keep = list(event_ids)
        p = panel
        if v.drop_confounded:
            dropped = [e for e in keep if e in confounded]
            if dropped:
                frames.append(_missing_rows(v.name, desc, dropped, "left out: the events file notes a confounder"))
            keep = [e for e in keep if e not in confounded]
            p = subset_panel(p, ~np.isin(p.keys["event_id"].astype(str).to_numpy(), list(confounded)))
        rows = np.isin(p.keys["event_id"].astype(str).to_numpy(), keep)
        if not keep or not rows.any():
            continue
        # the clean-estimation mask sees every (kept) event of a security; the reported events are cut after
        p, abn = estimate(p, model, options, car_windows=car_windows)
        p, abn = subset_panel(p, rows), _subset_abnormal(abn, rows)
        unusable = _unusable_reason(p, abn, model)
        if unusable:
            frames.append(_missing_rows(v.name, desc, keep, unusable))
            continue
        run_kw = _accepted(run_tests, model=model, min_estimation=options.min_estimation)
        tests = (
            run_tests(p, abn, test_names, options.group_by, **run_kw)
            if test_names
            else pd.DataFrame(columns=["event_id", "group", "window", "test", "statistic", "pvalue"])
        )
        caar = caar_table(p, abn, options.group_by)
        frames.append(_collect(v.name, desc, caar, tests, keep, groups, windows, test_names))
    return _finish(frames)


_OPTION_NAMES = {f.name for f in fields(StudyOptions)}


def _unusable_reason(panel: Any, abn: Any, model: Any) -> str:
    """Why a variant has no usable firm-event at all ("" when it has some): no benchmark returns for a model
    that needs them, or else the outcome codes."""
    if np.isin(abn.status, ("ok", "missing_event_window")).any():
        return ""
    from .models import uses_benchmark

    if uses_benchmark(model) and not np.isfinite(panel.mret).any():
        return f"not computed: the {model.name} model needs benchmark returns, and the securities have none"
    codes = pd.Series(abn.status).value_counts()
    return (
        "not computed: no firm-event is usable under this variant ("
        + ", ".join(f"{code} {n}" for code, n in codes.items())
        + ")"
    )


def _options_of(results: Any) -> StudyOptions:
    """The fit's options: carried by the results, else rebuilt from its settings (results read from disk)."""
    options = getattr(results, "options", None)
    if isinstance(options, StudyOptions):
        return options
    settings = results.settings
    return StudyOptions(**{k: settings[k] for k in _OPTION_NAMES if settings.get(k) is not None})


def _subset_abnormal(abn: Any, rows: np.ndarray) -> Any:
    """The engine output restricted to the firm-events where ``rows`` is True (every array is per firm-event)."""
    idx = np.flatnonzero(rows)
    changes = {f.name: getattr(abn, f.name)[idx] for f in fields(abn) if isinstance(getattr(abn, f.name), np.ndarray)}
    return replace(abn, **changes)


def _accepted(func: Any, **kwargs: Any) -> dict[str, Any]:
    params = inspect.signature(func).parameters
    return {k: v for k, v in kwargs.items() if k in params}
