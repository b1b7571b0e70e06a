"""The fitted study: numbers and labels only (no formatting of statistics, no maths)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .abnormal import OUTCOMES, Abnormal
from .inference import TESTS, TestResult
from .windows import Panel

__all__ = ["EventStudyResults"]


@dataclass(frozen=True)
class EventStudyResults:
    """What :meth:`eventstudy.EventStudy.fit` returns. Immutable; every table is a labelled pandas frame, handed
    out as a copy (editing it changes nothing the results hold).

    Attributes
    ----------
    firm_events
        One row per firm-event: keys, ``status``, ``n_estimation``, ``alpha``, ``beta``, ``sigma`` and, per CAR
        window, ``car_A_B``, ``var_car_A_B`` and ``scar_A_B``.
    ar
        Long table of event-window days: ``event_id, ticker, event_day, date, ret, ar, sar`` (``date`` the session,
        datetime64).
    test_table
        Every test on every event × group × window.
    caar_table
        ``event_id, group, window, nobs, caar, sd_car, ci_low, ci_high`` (95 % t interval).
    aar_table
        ``event_id, group, event_day, nobs, aar, caar`` (CAAR cumulated from the event window's start).
    day0
        ``event_id, exchange, announced_at_utc, day0``.
    data_notes
        Per ticker data-quality notes (source, span, rows treated as missing), and fetch failures.
    settings
        The settings of the fit (model, windows, ...): a read-only mapping, its lists read-only too.
    panel, abnormal
        The aligned arrays and the engine output behind the tables (for regressions and diagnostics).
    world_returns
        Returns of the world index (``world_index``, ACWI by default) when the universe holds it, for the
        local- plus world-index robustness check.
    analyses
        Read-only mapping of the analyse stage's outputs, computed before any renderer runs, by name (for example
        ``"claims"``, ``"mvrm"``, ``"robustness"``). Renderers read them; they never compute them.
    """

    firm_events: pd.DataFrame
    ar: pd.DataFrame
    test_table: pd.DataFrame
    caar_table: pd.DataFrame
    aar_table: pd.DataFrame
    day0: pd.DataFrame
    data_notes: pd.DataFrame
    events: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    panel: Panel | None = field(default=None, repr=False, compare=False)
    abnormal: Abnormal | None = field(default=None, repr=False, compare=False)
    world_returns: pd.Series | None = field(default=None, repr=False, compare=False)
    analyses: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    def __post_init__(self) -> None:
        # settings: a read-only mapping whose lists are read-only, so nothing in it can be edited after the fit
        object.__setattr__(self, "settings", MappingProxyType({k: _frozen(v) for k, v in dict(self.settings).items()}))
        if not isinstance(self.analyses, MappingProxyType):
            object.__setattr__(self, "analyses", MappingProxyType(dict(self.analyses)))

    def __getstate__(self) -> dict[str, Any]:  # read-only mappings do not pickle: plain values, frozen again on load
        state = dict(self.__dict__)
        state["settings"] = _thawed(state["settings"])
        state["analyses"] = dict(state["analyses"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        self.__post_init__()

    def __getattribute__(self, name: str) -> Any:
        # the tables are handed out as copies: editing one in place changes nothing the results hold
        value = object.__getattribute__(self, name)
        if name in _TABLES and isinstance(value, pd.DataFrame | pd.Series):
            return value.copy(deep=True)
        return value

    # ----------------------------------------------------------------- labelled views
    @property
    def windows(self) -> list[str]:
        return [c[4:] for c in self.firm_events.columns if c.startswith("car_")]

    @property
    def car(self) -> pd.DataFrame:
        """CAR per firm-event (rows ``(event_id, ticker)``) and window (columns)."""
        cols = [f"car_{w}" for w in self.windows]
        out = self.firm_events.set_index(["event_id", "ticker"])[cols]
        out.columns = self.windows
        return out

    @property
    def claims(self) -> pd.DataFrame | None:
        """The study's claims (headline event × group × headline window), or None before the analyse stage."""
        return self.analyses.get("claims")

    @property
    def caar(self) -> pd.DataFrame:
        return self.caar_table

    @property
    def aar(self) -> pd.DataFrame:
        return self.aar_table

    @property
    def params(self) -> pd.DataFrame:
        return self.firm_events.set_index(["event_id", "ticker"])[["alpha", "beta", "sigma", "n_estimation"]]

    @property
    def outcomes(self) -> pd.DataFrame:
        """The status of every firm-event, with the reason in words."""
        out = self.firm_events[["event_id", "ticker", "group", "exchange", "day0", "status"]].copy()
        out["reason"] = out["status"].map(OUTCOMES)
        return out

    def outcome_counts(self) -> pd.Series:
        """Firm-events per outcome code."""
        return self.firm_events["status"].value_counts().reindex(list(OUTCOMES), fill_value=0)

    def tests(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """The test table, optionally restricted to some tests."""
        if names is None:
            return self.test_table
        canon = [TESTS.canonical(n, where="tests") for n in names]
        return self.test_table[self.test_table["test"].isin(canon)].reset_index(drop=True)

    def test(self, name: str, *, event_id: str, group: str, window: str = "0_0") -> TestResult:
        """One test result as a :class:`TestResult`."""
        name = TESTS.canonical(name, where="test")
        t = self.test_table
        hit = t[(t["test"] == name) & (t["event_id"] == event_id) & (t["group"] == group) & (t["window"] == window)]
        if hit.empty:
            raise KeyError(f"no result for test={name!r}, event_id={event_id!r}, group={group!r}, window={window!r}")
        r = hit.iloc[0]
        return TestResult(
            name, float(r.statistic), float(r.pvalue), str(r.distribution), int(r.nobs), str(r.notes or "")
        )

    def to_frame(self) -> pd.DataFrame:
        """The firm-event table."""
        return self.firm_events.copy()

    # ----------------------------------------------------------------- display
    def summary(self, event_id: str | None = None, windows: Sequence[str] = ("0_0", "m1_1", "0_5")) -> pd.DataFrame:
        """CAAR and key tests per group for one event (default: the headline event, else the first)."""
        event_id = event_id or self.settings.get("headline_event") or str(self.events["event_id"].iloc[0])
        c = self.caar_table
        c = c[(c["event_id"] == event_id) & (c["window"].isin(windows))]
        t = self.test_table
        t = t[(t["event_id"] == event_id) & (t["window"].isin(windows))]
        piv = t.pivot_table(index=["group", "window"], columns="test", values="pvalue", aggfunc="first")
        piv.columns = [f"p_{x}" for x in piv.columns]
        out = c.set_index(["group", "window"])[["nobs", "caar", "ci_low", "ci_high"]].join(piv)
        order = {w: i for i, w in enumerate(windows)}
        return out.sort_index(key=lambda idx: idx.map(order) if idx.name == "window" else idx)

    def __str__(self) -> str:
        counts = self.outcome_counts()
        lines = [
            f"EventStudyResults: {self.events.shape[0]} events, {len(self.firm_events)} firm-events, "
            f"model={self.settings.get('model')}",
            "outcomes: " + ", ".join(f"{k}={v}" for k, v in counts.items() if v),
            self.summary().to_string(float_format=lambda x: f"{x:.4f}"),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        counts = self.outcome_counts()
        head = (
            f"<p><b>EventStudyResults</b>: {self.events.shape[0]} events, {len(self.firm_events)} firm-events, "
            f"model <code>{self.settings.get('model')}</code>; outcomes: "
            + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
            + "</p>"
        )
        return head + self.summary().to_html(float_format=lambda x: f"{x:.4f}")

    # ----------------------------------------------------------------- regressions (METHODS §5)
    def mvrm(self, **options: Any) -> Any:
        """Event-dummy SUR system and its Wald tests; see :func:`eventstudy.regression.mvrm`."""
        from .regression import mvrm

        return mvrm(self, **options)

    def regress(self, formula: str, data: pd.DataFrame | None = None, **options: Any) -> Any:
        """Cross-sectional regression of CARs; see :func:`eventstudy.regression.regress`."""
        from .regression import regress

        return regress(self, formula, data, **options)

    def to_html(self, path: Any = None, *, title: str = "Event study report", **options: Any) -> str:
        """The full report as one self-contained HTML string (written to ``path`` if given); see
        :mod:`eventstudy.report.html`."""
        from .report.html import render_html, report_context

        html = render_html(report_context(self, title=title, **options))
        if path is not None:
            from pathlib import Path

            Path(path).write_text(html, encoding="utf-8")
        return html

    def to_pdf(self, path: Any, *, title: str = "Event study report", **options: Any) -> Any:
        """Write the report laid out for print to ``path`` (needs weasyprint)."""
        from pathlib import Path

        from .report.html import render_html, report_context
        from .report.pdf import write_pdf

        return write_pdf(render_html(report_context(self, title=title, **options), for_print=True), Path(path))

    def plot(self, kind: str = "caar", *, event_id: str | None = None) -> Any:
        """A figure of the report: ``kind`` is ``"caar"`` (CAAR paths), ``"heatmap"`` or ``"timeline"``."""
        from .report.html import figure

        return figure(self, kind, event_id=event_id)


#: The fields handed out as copies.
_TABLES = frozenset(
    {"firm_events", "ar", "test_table", "caar_table", "aar_table", "day0", "data_notes", "events", "world_returns"}
)


class ReadOnlyList(list):
    """A list that refuses every edit (it still compares equal to a list and serialises as one)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("the settings of a fit are read-only; fit again with other options")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __setitem__ = __delitem__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:  # pickled and copied through the constructor, not by appends
        return (ReadOnlyList, (list(self),))

    def __iadd__(self, other: Any) -> ReadOnlyList:  # type: ignore[override,misc]
        self._refuse()
        return self

    def __imul__(self, other: Any) -> ReadOnlyList:  # type: ignore[override,misc]
        self._refuse()
        return self


def _thawed(value: Any) -> Any:
    """The plain form of a frozen settings value (dicts and lists), for pickling."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_thawed(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_thawed(v) for v in value)
    return value


def _frozen(value: Any) -> Any:
    """A settings value that cannot be edited in place: lists read-only, tuples of frozen values, sets frozen,
    mappings read-only."""
    if isinstance(value, list):
        return ReadOnlyList(_frozen(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    return value


def summarise_cells(values: np.ndarray) -> tuple[int, float, float]:
    """``(nobs, mean, sd)`` of the finite values."""
    v = values[np.isfinite(values)]
    n = int(v.size)
    return n, float(v.mean()) if n else float("nan"), float(v.std(ddof=1)) if n > 1 else float("nan")
