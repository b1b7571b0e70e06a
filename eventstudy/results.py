"""The fitted study: numbers and labels only (no formatting of statistics, no maths)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .abnormal import OUTCOMES, Abnormal
from .catalog import describe_test
from .config import StudyOptions, as_window
from .display import Summary, SummaryMixin, check_choice, to_latex, to_markdown
from .errors import ConfigError
from .inference import TESTS, TestResult
from .windows import Panel

__all__ = ["EventStudyResults", "TABLES"]


#: table name → attribute of :class:`EventStudyResults`
TABLES: dict[str, str] = {
    "firm_events": "firm_events",
    "ar": "ar",
    "tests": "test_table",
    "caar": "caar_table",
    "aar": "aar_table",
    "day0": "day0",
    "data_notes": "data_notes",
    "events": "events",
    "outcomes": "outcomes",
}
#: the tables :meth:`EventStudyResults.save` writes and ``load`` reads (``outcomes`` is derived)
SAVED = [name for name in TABLES if name != "outcomes"]


@dataclass(frozen=True, repr=False)
class EventStudyResults(SummaryMixin):
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
        Every test on every event × group × window: ``event_id, group, window, test, statistic, pvalue,
        distribution, nobs, notes``, then one float column per number the tests that ran report beside their
        statistic (``rbar``, ``pvalue_exact``, ...: :data:`eventstudy.catalog.OUTPUT_COLUMNS`), NaN on the rows of
        the other tests, and, after the analyse stage, the claims' ``pvalue_holm, qvalue_bh, placebo_pvalue``.
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
    options
        The validated :class:`~eventstudy.config.StudyOptions` of the fit (a variant of the study is a
        ``dataclasses.replace`` of it).
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
    options: StudyOptions | None = field(default=None, repr=False, compare=False)

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

    # ----------------------------------------------------------------- choices
    @property
    def event_ids(self) -> list[str]:
        return [str(e) for e in self.events["event_id"]]

    @property
    def groups(self) -> list[str]:
        """Every group label of the CAAR table (groups, segments and pooled sets)."""
        return [str(g) for g in pd.unique(self.caar_table["group"])]

    def _event(self, event_id: str | None) -> str:
        if event_id is None:
            return str(self.settings.get("headline_event") or self.event_ids[0])
        return str(check_choice("event_id", event_id, self.event_ids))

    def _window(self, window: Any) -> str:
        return as_window(window, self.windows, where="window").label

    def test(self, name: str, *, event_id: str, group: str, window: Any = "0_0") -> TestResult:
        """One test result as a :class:`TestResult`; ``window`` in any spelling (``(-1, 1)``, ``"m1_1"``, ...). Its
        ``details`` are the test's output columns that hold a number on its row.

        An unknown test, event id, group or window raises an error that lists the valid ones.
        """
        name = TESTS.canonical(name, where="test")
        event_id = self._event(event_id)
        check_choice("group", group, self.groups)
        label = self._window(window)
        t = self.test_table
        hit = t[(t["test"] == name) & (t["event_id"] == event_id) & (t["group"] == group) & (t["window"] == label)]
        if hit.empty:
            raise KeyError(f"no result for test={name!r}, event_id={event_id!r}, group={group!r}, window={label!r}")
        r = hit.iloc[0]
        outputs = [c for c in describe_test(name).outputs if c in t.columns and pd.notna(r[c])]
        return TestResult(
            name,
            float(r.statistic),
            float(r.pvalue),
            str(r.distribution),
            int(r.nobs),
            str(r.notes or ""),
            MappingProxyType({c: float(r[c]) for c in outputs}),
        )

    def conf_int(self, alpha: float = 0.05, *, event_id: str | None = None) -> pd.DataFrame:
        """The ``1 - alpha`` t interval of every CAAR: ``ci_low, ci_high`` indexed by event, group and window.

        .. math:: \\mathrm{CAAR} \\pm t_{1-\\alpha/2,\\,N-1}\\, s_{CAR}/\\sqrt{N}

        (the interval of the CAAR table, which holds the 95 % one).
        """
        if not 0 < alpha < 1:
            raise ConfigError(f"conf_int: alpha must lie in (0, 1) (got {alpha!r}); fix: e.g. 0.05")
        c = self.caar_table
        if event_id is not None:
            c = c[c["event_id"] == self._event(event_id)]
        n = c["nobs"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            half = _t_quantile(1 - alpha / 2, n - 1) * c["sd_car"].to_numpy(dtype=float) / np.sqrt(n)
        out = c[["event_id", "group", "window"]].assign(ci_low=c["caar"] - half, ci_high=c["caar"] + half)
        return out.set_index(["event_id", "group", "window"])

    # ----------------------------------------------------------------- tables
    def table(self, name: str) -> pd.DataFrame:
        """One table of the results by name (see :data:`TABLES`), or an analysis that is a table."""
        if name in TABLES:
            frame = getattr(self, TABLES[name])
            return frame() if callable(frame) else frame
        frames = [k for k, v in self.analyses.items() if isinstance(v, pd.DataFrame)]
        check_choice("table", name, [*TABLES, *frames])
        return self.analyses[name]

    def to_frame(self, table: str = "firm_events") -> pd.DataFrame:
        """A tidy copy of one table (default the firm-event table); see :meth:`table`."""
        return self.table(table).copy()

    def to_latex(self, table: str = "caar", **options: Any) -> str:
        """One table as a LaTeX ``tabular`` (booktabs), for papers."""
        return to_latex(self.table(table), **options)

    def to_markdown(self, table: str = "caar", **options: Any) -> str:
        """One table as a Markdown pipe table, for notes."""
        return to_markdown(self.table(table), **options)

    def save(self, path: str | os.PathLike[str], *, csv: bool = True) -> Path:
        """Write every table (CSV and Parquet), the analyses that are tables, and the settings into folder ``path``.

        :meth:`load` reads them back (from the Parquet files); ``csv=False`` leaves out the CSV copies (a run, whose
        outputs hold the CSV tables already, saves its results so).
        """
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        frames = {name: self.table(name) for name in SAVED}
        frames.update({f"analysis_{k}": v for k, v in self.analyses.items() if isinstance(v, pd.DataFrame)})
        for name, frame in frames.items():
            frame.to_parquet(out / f"{name}.parquet", index=False)
            if csv:
                frame.to_csv(out / f"{name}.csv", index=False, float_format="%.17g")
        settings = json.dumps(_thawed(self.settings), indent=2, default=str)
        (out / "settings.json").write_text(settings, encoding="utf-8")
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EventStudyResults:
        """The results written by :meth:`save` (from the Parquet files, so every value and type is kept)."""
        folder = Path(path)
        if not (folder / "settings.json").is_file():
            raise ConfigError(
                f"{folder}: no saved results (settings.json is missing); fix: pass a folder written by res.save()"
            )
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in SAVED}
        analyses = {p.stem[len("analysis_") :]: pd.read_parquet(p) for p in sorted(folder.glob("analysis_*.parquet"))}
        settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
        return cls(
            **{TABLES[name]: frame for name, frame in tables.items()},
            settings=settings,
            analyses=MappingProxyType(analyses),
        )

    # ----------------------------------------------------------------- display
    def summary(self, event_id: str | None = None, windows: Sequence[Any] = ("0_0", "m1_1", "0_5")) -> Summary:
        """CAAR, its 95 % interval and the p-value of every test per group and window, for one event (default: the
        headline event, else the first). An unknown event id or window raises with the valid ones."""
        event_id = self._event(event_id)
        labels = [self._window(w) for w in windows]
        c = self.caar_table
        c = c[(c["event_id"] == event_id) & (c["window"].isin(labels))]
        t = self.test_table
        t = t[(t["event_id"] == event_id) & (t["window"].isin(labels))]
        piv = t.pivot_table(index=["group", "window"], columns="test", values="pvalue", aggfunc="first")
        piv.columns = [f"p_{x}" for x in piv.columns]
        out = c.set_index(["group", "window"])[["nobs", "caar", "ci_low", "ci_high"]].join(piv)
        order = {w: i for i, w in enumerate(labels)}
        out = out.sort_index(key=lambda idx: idx.map(order) if idx.name == "window" else idx)
        counts = self.outcome_counts()
        info = (
            ("events", str(self.events.shape[0])),
            ("firm-events", str(len(self.firm_events))),
            ("model", str(self.settings.get("model"))),
            ("outcomes", ", ".join(f"{k} {v}" for k, v in counts.items() if v)),
            ("event", event_id),
        )
        return Summary("Event study results", info, ((f"CAAR and p-values, event {event_id}", out),))

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
            Path(path).write_text(html, encoding="utf-8")
        return html

    def to_pdf(self, path: Any, *, title: str = "Event study report", **options: Any) -> Any:
        """Write the report laid out for print to ``path`` (needs weasyprint)."""
        from .report.html import render_html, report_context
        from .report.pdf import write_pdf

        return write_pdf(render_html(report_context(self, title=title, **options), for_print=True), Path(path))

    def plot(self, kind: str = "caar", *, event_id: str | None = None) -> Any:
        """A figure of the report: ``kind`` is ``"caar"`` (CAAR paths), ``"heatmap"`` or ``"timeline"``.

        Returns a ``matplotlib.figure.Figure`` built without pyplot: the backend and the caller's figures are left
        alone, and a notebook shows it as it is.
        """
        from .report.plots import figure

        return figure(self, kind, event_id=self._event(event_id))


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


def _t_quantile(q: float, df: Any) -> Any:
    """Student's t quantile (``scipy.stats.t.ppf``), through :mod:`scipy.special` so importing the results does
    not import :mod:`scipy.stats`."""
    from scipy.special import stdtrit

    return stdtrit(np.asarray(df, dtype=float), q)
