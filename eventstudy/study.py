"""EventStudy: orchestration only — it wires events, universe, calendars, data, windows, models, the engine and
the tests together, and holds no maths of its own."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import calendars
from .analyse import run_analyses
from .config import (
    DEFAULT_CAR_WINDOWS,
    DEFAULT_TESTS,
    PRICES_DIR_ENV,
    StudyOptions,
    StudySpec,
    window_label,
    with_report_windows,
)
from .errors import CalendarError, ConfigError, EventsError, located
from .estimate import align, estimate
from .events import EventTable, read_events
from .groups import group_display
from .inference.runner import aar_table, caar_table, run_tests
from .models import FactorModel, MarketModel, NormalReturnModel, get_model, uses_benchmark, world_model
from .record import reproducibility_record
from .results import EventStudyResults
from .universe import Universe, read_universe

if TYPE_CHECKING:
    from .data.load import Loaded

__all__ = ["EventStudy", "price_source_for"]

Progress = Callable[[str], None]


def _as_events(events: EventTable | pd.DataFrame | str | os.PathLike[str]) -> EventTable:
    if isinstance(events, EventTable):
        return events
    if isinstance(events, pd.DataFrame):
        return EventTable.from_frame(events)
    return read_events(events)


def _as_universe(universe: Universe | pd.DataFrame | str | os.PathLike[str]) -> Universe:
    if isinstance(universe, Universe):
        return universe
    if isinstance(universe, pd.DataFrame):
        return Universe.from_frame(universe)
    return read_universe(universe)


def price_source_for(prices: Any) -> Any:
    """A price source from what a caller passed: a source, a DataFrame, a folder of price files, a snapshot
    (``.parquet`` file with its ``.sha256`` beside it), or ``"yahoo"``."""
    from .data import sources

    if isinstance(prices, pd.DataFrame):
        return sources.FrameSource(prices)
    if isinstance(prices, str | os.PathLike):
        if str(prices) == "yahoo":
            return sources.YahooSource()
        if Path(prices).suffix.lower() == ".parquet" and not Path(prices).is_dir():
            return sources.get_source("snapshot", Path(prices))
        return sources.FileSource(Path(prices))
    if hasattr(prices, "fetch"):
        return prices
    raise ConfigError(
        f"prices: cannot use a {type(prices).__name__} as prices; fix: pass a folder of price files, a DataFrame, "
        "a PriceSource, or 'yahoo'"
    )


def _source_name(name: str) -> str:
    """The study file's ``source`` when no price folder is given: a registered source that needs no arguments."""
    from .data.sources import SOURCES

    canonical = SOURCES.canonical(name, where="source")  # an unknown name lists the valid ones
    if canonical != "yahoo":
        raise ConfigError(
            located(
                "source",
                f"the price source {name!r} needs a folder of price files",
                value=name,
                fix="set prices_dir in the study file's [data] section, or pass --prices-dir",
            )
        )
    return "yahoo"


class EventStudy:
    """An event study: events × securities, a normal-return model, windows and tests.

    Parameters
    ----------
    events
        An :class:`~eventstudy.events.EventTable`, a DataFrame with the events-file columns, or a path to one.
    universe
        A :class:`~eventstudy.universe.Universe`, a DataFrame with the universe-file columns, or a path.
    prices
        A price source (``FileSource``, ``YahooSource``, ``FrameSource``), a long/wide DataFrame of closes, a folder
        of price files, or ``"yahoo"``.
    model
        A registry name (``"market"``, ``"constant_mean"``, ``"market_adjusted"``) or a model instance.
    estimation_window, event_window, car_windows
        Inclusive windows in sessions of each security's exchange.
    groups
        The universe groups whose securities are studied (default: every group but ``benchmark``).
    group_by
        Universe columns whose labels define the test groups (e.g. ``("group", "segment")``).
    regressions
        The cross-sectional CAR regressions the analyses run: ``{"formula": ..., "events": ...}`` with a patsy
        formula on the firm-event table and ``events`` one of ``"headline"``, ``"all"`` or a list of event ids.
    direction_contrasts
        Pairs of event directions ``(a, b)``: the MVRM compares every event of direction ``a`` with every event of
        direction ``b`` (its test d).
    group_labels, group_colours
        How the report shows the test groups: label and colour (hex or a colour name) per group, in the order they
        are shown; groups left out come after them, labelled by their own names, in Okabe–Ito colours (see
        :mod:`eventstudy.groups`).
    tests
        Registry names of the tests to run.
    cache
        A ``PriceCache`` or a path to the DuckDB cache; None means no cache.
    world_index
        With ``model="world"``: the universe ticker of the world index of the two-factor model (local index plus
        world index).
    factors, factors_percent
        With ``model="factor"``: a frame indexed by date (one column per factor) or the path of a factor CSV, and
        whether that file is in percent.
    seed
        Seed of the resampling tests.
    date_rule
        Day 0 of a date-only announcement (METHODS §1): ``"calendar_date"`` (the session of its date in the
        announcer's zone, or the next) or ``"end_of_day"`` (the late 23:59:59 convention, a robustness variant).
    early_release
        Date each event that has an ``early_announced_at`` by that earlier release (the early-day-0 variant).
    primary_test
        The test of the study's claims (METHODS §4b; default ``kp_bmp_t``).
    headline_windows
        Per headline event, its headline windows (e.g. ``{"deal": ["0_1"]}``); by default [0,0] and [−1,1] for a
        timed event and [0,1] for a date-only one.
    confounders
        Firm-specific news (``ticker, date, note``): a frame or the path of ``confounders.csv``.
    placebo_draws
        Pseudo-event days per claim for the placebo p-value (0 switches the placebo off).
    dividends
        Cash dividends of price-only series (``ticker, date, dividend``): a frame or the path of a CSV file. A
        known amount is added back into its ex-dividend session's return; a row without an amount marks an
        ex-dividend session to flag (see :func:`eventstudy.data.returns.add_dividends`).
    full_estimation
        The usual minimum estimation length (120). A usable firm-event with fewer valid estimation returns (a
        study that lowered ``min_estimation`` for recent listings) is flagged ``short_history`` in the firm-event
        table (METHODS §2).
    """

    def __init__(
        self,
        events: Any,
        universe: Any,
        prices: Any,
        *,
        model: str | NormalReturnModel = "market",
        estimation_window: tuple[int, int] = (-250, -11),
        event_window: tuple[int, int] = (-10, 10),
        car_windows: Sequence[tuple[int, int]] = DEFAULT_CAR_WINDOWS,
        groups: Sequence[str] | None = None,
        group_by: Sequence[str] = ("group",),
        tests: Sequence[str] = DEFAULT_TESTS,
        min_estimation: int = 120,
        thin_trading_share: float = 0.2,
        return_kind: str = "simple",
        clean_estimation: bool = False,
        cache: Any = None,
        offline: bool = False,
        start: str | None = None,
        end: str | None = None,
        headline_event: str | None = None,
        seed: int = 0,
        world_index: str = "ACWI",
        factors: pd.DataFrame | str | os.PathLike[str] | None = None,
        factors_percent: bool = False,
        date_rule: str = "calendar_date",
        early_release: bool = False,
        group_labels: Mapping[str, str] | None = None,
        group_colours: Mapping[str, str] | None = None,
        regressions: Sequence[Mapping[str, Any]] = (),
        direction_contrasts: Sequence[tuple[str, str]] = (),
        full_estimation: int = 120,
        primary_test: str = "kp_bmp_t",
        headline_windows: Mapping[str, Sequence[str]] | None = None,
        confounders: pd.DataFrame | str | os.PathLike[str] | None = None,
        placebo_draws: int = 999,
        max_abs_return: float = 0.4,
        dividends: pd.DataFrame | str | os.PathLike[str] | None = None,
    ) -> None:
        arguments = {k: v for k, v in locals().items() if k != "self"}
        self.events = _as_events(events)
        arguments["events"] = self.events  # as read, before any variant of the dates
        # the options that need no data, validated once (the study file builds the same object)
        self.options = StudyOptions(
            model=model,
            estimation_window=estimation_window,
            event_window=event_window,
            car_windows=car_windows,
            groups=groups,
            group_by=group_by,
            tests=tests,
            min_estimation=min_estimation,
            thin_trading_share=thin_trading_share,
            return_kind=return_kind,
            clean_estimation=clean_estimation,
            headline_event=headline_event,
            seed=seed,
            world_index=world_index,
            start=start,
            end=end,
            date_rule=date_rule,
            early_release=early_release,
            full_estimation=full_estimation,
            primary_test=primary_test,
            headline_windows=headline_windows or {},
            placebo_draws=placebo_draws,
            max_abs_return=max_abs_return,
            regressions=regressions,
            direction_contrasts=direction_contrasts,
        )
        self.date_rule = self.options.date_rule
        # the early-day-0 variant: each event released a session early (early_announced_at) is dated by that release
        self.early_release = bool(early_release)
        if self.early_release:
            self.events = self.events.with_early_release()
        self.universe = _as_universe(universe)
        from .data.stamps import with_exchange_zones

        # a folder of price files reads date-times in each security's exchange zone (data/stamps.py)
        self.source = with_exchange_zones(price_source_for(prices), self.universe.frame)
        # what the study was built from (tables and source already read), for with_options
        self._arguments = {**arguments, "universe": self.universe, "prices": self.source}
        self.world_index = world_index if isinstance(model, str) and model == "world" else None
        if self.world_index is not None and self.world_index not in set(self.universe.frame["ticker"]):
            raise ConfigError(
                f"world_index: {world_index!r} is not a ticker of the universe; fix: add it (e.g. ACWI, group "
                "benchmark) or choose another world index"
            )
        # the two-factor model needs the world index's returns: a market-model stand-in until the data is loaded
        if isinstance(model, str) and model == "factor":
            if factors is None:
                raise ConfigError(
                    'factors: the factor model needs a factor file; fix: set factors = "ff3.csv" in the study file '
                    "or pass factors=DataFrame"
                )
            if not isinstance(factors, pd.DataFrame):
                from .data.factors import read_factors

                factors = read_factors(factors, percent=factors_percent)
            model = FactorModel(factors)
        self.model = MarketModel() if self.world_index else get_model(model)
        # the world index is loaded whenever the universe has it, for the two-factor robustness check
        self.world_ticker = world_index if world_index in set(self.universe.frame["ticker"]) else None
        self.estimation_window = self.options.estimation_window
        self.event_window = self.options.event_window
        # the windows the report and the summary read are computed whatever car_windows says
        self.car_windows = with_report_windows(self.options.car_windows, self.event_window)
        frame = self.universe.frame
        known_groups = list(pd.unique(frame["group"]))
        if groups is None:
            groups = [g for g in known_groups if g != "benchmark"]
        for g in groups:
            if g not in known_groups:
                raise ConfigError(
                    f"groups: unknown group {g!r}; fix: use one of the universe's groups: {', '.join(known_groups)}"
                )
        self.groups = tuple(groups)
        for col in group_by:
            if col not in frame.columns:
                raise ConfigError(
                    f"group_by: {col!r} is not a universe column; fix: use one of {', '.join(frame.columns)}"
                )
        self.group_by = tuple(group_by)
        if uses_benchmark(self.model):  # constant_mean needs no benchmark, the market model one per security
            self.universe.require_benchmarks(self.securities()["ticker"], model=self.model.name)
        present = [v for col in self.group_by for v in pd.unique(self.securities()[col].astype(str))]
        self.group_display = group_display(present, group_labels, group_colours)
        # every sign_<x> column of the events must name a group (a value of a group_by column of the universe)
        self.events.warn_unknown_signs(v for col in self.group_by for v in frame[col].astype(str))
        self.regressions = self.options.regressions
        self.direction_contrasts = self.options.direction_contrasts
        # firm-specific events name studied securities; those without a time zone take their exchange's
        studied_secs = self.securities()
        self.events.check_scope(studied_secs, frame)
        zones = {ex: str(calendars.get_calendar(ex).tz) for ex in pd.unique(studied_secs["exchange"])}
        self.events = self.events.for_universe(studied_secs, zones)
        self.tests = self.options.tests
        if min_estimation < self.model.df_loss + 3:
            raise ConfigError(
                f"min_estimation: too small (got {min_estimation}); fix: use at least {self.model.df_loss + 3}"
            )
        self.min_estimation = self.options.min_estimation
        # a study may admit short histories (min_estimation below the usual 120 days); they are flagged (METHODS §2)
        self.full_estimation = self.options.full_estimation
        self.primary_test = self.options.primary_test
        self.headline_windows = {k: list(v) for k, v in self.options.headline_windows.items()}
        for eid in self.headline_windows:
            if eid not in self.events.ids:
                raise ConfigError(
                    f"headline_windows: {eid!r} is not an event id; fix: use one of {', '.join(self.events.ids)}"
                )
        from .analyse import read_confounders

        self.confounders = confounders if isinstance(confounders, pd.DataFrame) else read_confounders(confounders)
        from .data.returns import read_dividends

        self.dividends = read_dividends(dividends)
        self.placebo_draws = self.options.placebo_draws
        self.thin_trading_share = self.options.thin_trading_share
        self.return_kind = self.options.return_kind
        self.clean_estimation = self.options.clean_estimation
        self.max_abs_return = self.options.max_abs_return
        self.cache = self._as_cache(cache)
        self.offline = bool(offline)
        self.start, self.end = _data_span(start, end, self.events)
        if headline_event is not None and headline_event not in self.events.ids:
            raise ConfigError(
                f"headline_event: {headline_event!r} is not an event id; fix: use one of {', '.join(self.events.ids)}"
            )
        self.seed = self.options.seed
        self.headline_event = headline_event or (self.events.headline_ids[0] if self.events.headline_ids else None)
        # the options with what the data resolved: every CAR window, the groups, the tests' names, the headline
        self.options = replace(
            self.options,
            car_windows=self.car_windows,
            groups=self.groups,
            tests=self.tests,
            headline_event=self.headline_event,
        )
        # every announcement must lie inside the calendar of every exchange studied (day 0 must exist)
        studied = list(pd.unique(self.securities()["exchange"]))
        instants = self._timing()
        try:
            calendars.day0_table(instants, studied, date_rule=self.date_rule)
        except CalendarError:
            for ev in self.events.frame.itertuples():
                for ex in studied:
                    try:
                        calendars.day0_table(
                            instants[instants["event_id"] == ev.event_id], [ex], date_rule=self.date_rule
                        )
                    except CalendarError:
                        cal = calendars.get_calendar(ex)
                        raise EventsError(
                            located(
                                f"{self.events.name}:{ev.event_id}:announced_at",
                                f"day 0 on {ex} lies outside its calendar ({cal.first_session:%Y-%m-%d} to "
                                f"{cal.last_session:%Y-%m-%d})",
                                value=ev.announced_at,
                                fix="check the date, or drop the event or the securities of that exchange",
                            )
                        ) from None
            raise

    def _timing(self) -> pd.DataFrame:
        """The columns of the events table that fix day 0 (METHODS §1)."""
        return self.events.frame[["event_id", "announced_at_utc", "time_precision", "timezone"]]

    def with_options(self, **changes: Any) -> EventStudy:
        """A new study with some options (or the events, universe or prices) changed; this one is unchanged.

        >>> study.with_options(model="constant_mean").fit()     # doctest: +SKIP
        """
        unknown = [k for k in changes if k not in self._arguments]
        if unknown:
            raise ConfigError(
                f"with_options: unknown option {unknown[0]!r}; fix: use one of {', '.join(sorted(self._arguments))}"
            )
        return type(self)(**{**self._arguments, **changes})

    @staticmethod
    def _as_cache(cache: Any) -> Any:
        if cache is None or cache is False:
            return None
        from .data.cache import PriceCache

        return cache if isinstance(cache, PriceCache) else PriceCache(Path(cache))

    @classmethod
    def from_spec(cls, spec: StudySpec, *, prices: Any = None) -> EventStudy:
        """Build a study from a :class:`~eventstudy.config.StudySpec` (the study file).

        The prices come from ``prices`` if given, else from ``spec.prices_dir``, else from the folder named by the
        ``EVENTSTUDY_PRICES_DIR`` environment variable, else from ``spec.source``: the snapshot file
        ``spec.snapshot`` read in place for ``"snapshot"``, Yahoo through the cache for ``"yahoo"`` (the default).
        """
        if prices is None:
            if spec.prices_dir is not None:
                prices = spec.prices_dir
            elif os.environ.get(PRICES_DIR_ENV):
                prices = Path(os.environ[PRICES_DIR_ENV])
            elif spec.source == "snapshot":
                from .data.sources import get_source

                prices = get_source("snapshot", spec.snapshot)
            else:
                prices = _source_name(spec.source)
        local = not (isinstance(prices, str) and prices == "yahoo")
        return cls(
            spec.events,
            spec.universe,
            prices,
            model=spec.model,
            estimation_window=spec.estimation_window,
            event_window=spec.event_window,
            car_windows=spec.car_windows,
            groups=spec.groups,
            group_by=spec.group_by,
            tests=spec.tests,
            min_estimation=spec.min_estimation,
            thin_trading_share=spec.thin_trading_share,
            return_kind=spec.return_kind,
            clean_estimation=spec.clean_estimation,
            cache=None if local else spec.cache,
            offline=spec.offline and not local,  # a local source never goes online
            start=spec.start,
            end=spec.end,
            headline_event=spec.headline_event,
            world_index=spec.world_index,
            factors=spec.factors,
            factors_percent=spec.factors_percent,
            date_rule=spec.date_rule,
            group_labels=spec.group_labels,
            group_colours=spec.group_colours,
            regressions=spec.regressions,
            direction_contrasts=spec.direction_contrasts,
            full_estimation=spec.full_estimation,
            primary_test=spec.primary_test,
            headline_windows=spec.headline_windows,
            confounders=spec.confounders,
            placebo_draws=spec.placebo_draws,
            max_abs_return=spec.max_abs_return,
            dividends=spec.dividends,
        )

    # ------------------------------------------------------------------ steps
    def firm_events(
        self, secs: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, progress: Progress
    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DatetimeIndex]]:
        """Day 0 per event and exchange, the firm-event table (each market-wide event with every security, each
        firm-specific event with the securities it names), and each exchange's sessions covering the data span and
        every window."""
        exchanges = list(pd.unique(secs["exchange"]))
        progress(f"mapping day 0 for {len(self.events)} events on {len(exchanges)} exchanges")
        day0 = calendars.day0_table(self._timing(), exchanges, date_rule=self.date_rule)
        fe = self.events.firm_events(secs).merge(
            day0[["event_id", "exchange", "day0"]], on=["event_id", "exchange"], how="left"
        )
        lo = min(self.estimation_window[0], self.event_window[0])
        hi = max(self.estimation_window[1], self.event_window[1])
        sessions = {}
        for ex in exchanges:
            d0 = day0.loc[day0["exchange"] == ex, "day0"]
            first = min(start, d0.min()) - pd.Timedelta(days=abs(lo) * 2 + 30)
            last = max(end, d0.max()) + pd.Timedelta(days=hi * 2 + 30)
            sessions[ex] = _clip_sessions(ex, first, last)
        return day0, fe, sessions

    def pools(self) -> dict[str, list[str]]:
        """Pooled sets of events tested together: ``pooled:<direction>`` for each direction in the events table."""
        frame = self.events.frame
        if "direction" not in frame.columns:
            return {}
        out: dict[str, list[str]] = {}
        for direction, sub in frame.groupby("direction", sort=False):
            if str(direction).strip():
                out[f"pooled:{direction}"] = list(sub["event_id"])
        return out

    def _resolve_model(self, loaded: Loaded) -> NormalReturnModel:
        if not self.world_index:
            return self.model
        world = loaded.returns.get(self.world_index)
        if world is None:
            raise ConfigError(
                f"world_index: no prices for {self.world_index!r}; fix: provide its price file or choose another"
            )
        return world_model(world)

    def securities(self) -> pd.DataFrame:
        """The universe rows studied."""
        frame = self.universe.frame
        return frame[frame["group"].isin(self.groups)].reset_index(drop=True)

    def _span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        instants = self.events.frame["announced_at_utc"]
        first = instants.min().tz_convert(None).normalize()
        last = instants.max().tz_convert(None).normalize()
        lo = min(self.estimation_window[0], self.event_window[0])
        hi = max(self.estimation_window[1], self.event_window[1])
        # sessions → calendar days with room for holidays (Golden Week, year end)
        back = math.ceil(abs(min(lo, 0)) * 7 / 5 * 1.08) + 20
        # the placebo draws pseudo-event days from all the data: one more estimation window's worth before the
        # first event, so that days before it (2024 in the example study) can be pseudo-events too
        start = self.start or first - pd.Timedelta(days=back * (2 if self.placebo_draws > 0 else 1))
        end = self.end or last + pd.Timedelta(days=math.ceil(max(hi, 0) * 7 / 5) + 21)
        return start, end

    def _load(self, secs: pd.DataFrame, progress: Progress) -> Loaded:
        """Returns of ``secs``, their benchmarks and the world index (:func:`~eventstudy.data.load.load_returns`)."""
        from .data.load import load_returns

        start, end = self._span()
        frame = self.universe.frame.set_index("ticker")
        exchanges = pd.unique(frame.loc[frame.index.intersection(secs["ticker"]), "exchange"])
        benchmarks = [t for t in [*secs["benchmark"].dropna(), self.world_ticker] if t and t in frame.index]
        exchanges = list(dict.fromkeys([*exchanges, *frame.loc[benchmarks, "exchange"]]))
        day0 = calendars.day0_table(self._timing(), exchanges, date_rule=self.date_rule)
        return load_returns(
            self.universe,
            secs,
            day0,
            source=self.source,
            start=start,
            end=end,
            event_window=self.event_window,
            return_kind=self.return_kind,
            cache=self.cache,
            offline=self.offline,
            extra=[self.world_ticker] if self.world_ticker else [],
            progress=progress,
            max_abs_return=self.max_abs_return,
            dividends=self.dividends,
        )

    def fit(
        self,
        *,
        progress: Progress | None = None,
        backend: Any = "numpy",
        client: Any = None,
        analyse: bool = True,
    ) -> EventStudyResults:
        """Run the study; returns a new, immutable :class:`~eventstudy.results.EventStudyResults`.

        Loads the prices, aligns the firm-events in event time, estimates the model and the abnormal returns, runs
        the tests, and then (unless ``analyse=False``) the analyse stage (:meth:`analyse`), so that the results hold
        every number the report shows.

        Parameters
        ----------
        progress
            Called with a one-line message at each step.
        analyse
            Run the analyse stage (MVRM, cross-sectional regressions, robustness, ...). ``False`` stops after the
            tests (for speed measurements, or to run :meth:`analyse` later).
        backend
            ``"numpy"`` (in memory) or ``"dask"``: chunks of firm-events are loaded and estimated on the workers
            of ``client`` (see :mod:`eventstudy.backends.dask`; pass a ``DaskBackend(...)`` for its options).
            The results are the same.
        client
            A ``dask.distributed.Client`` for ``backend="dask"``.
        """
        progress = progress or (lambda msg: None)
        if not (isinstance(backend, str) and backend == "numpy"):
            from .backends.dask import get_backend

            chosen = get_backend(backend)
            if chosen.split == "events":  # engine and tests on the workers; the client gets the tables
                fitted = chosen.fit_events(self, client, progress=progress)
                return self.analyse(fitted, progress=progress) if analyse else fitted
            loaded: Any
            loaded, day0, panel, abn, model = chosen.estimate(self, client, progress=progress)
        else:
            secs = self.securities()
            loaded = self._load(secs, progress)
            day0, fe, sessions = self.firm_events(secs, loaded.start, loaded.end, progress)
            progress(f"aligning {len(fe)} firm-events in event time")
            panel = align(fe, loaded.returns, sessions, self.options)
            model = self._resolve_model(loaded)
            progress(f"estimating the {model.name} model and abnormal returns")
            panel, abn = estimate(panel, model, self.options)
        progress(f"running {len(self.tests)} tests per event, group and window")
        tables = self.tables(panel, abn, model, pools=self.pools())
        fitted = self.results(tables, day0, loaded, model, panel=panel, abn=abn)
        return self.analyse(fitted, progress=progress) if analyse else fitted

    @staticmethod
    def analyse(
        results: EventStudyResults, names: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> EventStudyResults:
        """The analyse stage: a new results object whose ``analyses`` hold the registered analyses' outputs
        (:data:`eventstudy.analyse.ANALYSES`; default every one), each computed once. Analyses already in
        ``results.analyses`` are kept.

        >>> res = study.fit(analyse=False)      # doctest: +SKIP
        >>> res = study.analyse(res)            # doctest: +SKIP
        >>> res.analyses["mvrm"]                # doctest: +SKIP
        """
        return run_analyses(results, names, progress=progress)

    def tables(
        self,
        panel: Any,
        abn: Any,
        model: NormalReturnModel,
        *,
        pools: dict[str, list[str]] | None = None,
        events: bool = True,
        ar: bool = True,
    ) -> dict[str, pd.DataFrame]:
        """The result tables of the firm-events of ``panel``: ``firm_events``, ``ar``, ``test_table``,
        ``caar_table`` and ``aar_table``.

        ``events=False`` gives only the pooled sets' rows of the tests and CAAR tables (the other tables empty),
        for a panel that was built for its pooled sets; ``ar=False`` leaves the AR table empty.
        """
        # the tests first: their temporaries do not stack on the AR table (2M rows at 100 000 firm-events)
        test_table = run_tests(
            panel,
            abn,
            self.tests,
            self.group_by,
            model=model,
            min_estimation=self.min_estimation,
            pools=pools,
            rng=self.seed,
            events=events,
        )
        fe_table = _firm_event_table(panel, abn, model)
        fe_table["benchmark_flags"] = self._benchmark_flags(panel, fe_table)
        usable = fe_table["status"].isin(("ok", "missing_event_window"))
        fe_table["short_history"] = usable & (fe_table["n_estimation"] < self.full_estimation)
        ar_table = _ar_table(panel, abn, empty=not (events and ar))  # an AR table not kept is not built
        if not events:
            fe_table = fe_table.iloc[:0]
        return {
            "firm_events": fe_table,
            "ar": ar_table,
            "test_table": test_table,
            "caar_table": caar_table(panel, abn, self.group_by, pools=pools, events=events),
            "aar_table": aar_table(panel, abn, self.group_by) if events else aar_table(panel, abn, ()),
        }

    def _placebo_options(self, panel: Any, loaded: Any, model: NormalReturnModel) -> dict[str, Any] | None:
        """What the claims' placebo draws need (:func:`~eventstudy.analyse.claims.build_claims`), or None when the
        returns are not at hand or the placebo is off."""
        returns = getattr(loaded, "returns", None)
        if returns is None or self.placebo_draws <= 0:
            return None
        exchanges = list(pd.unique(panel.keys["exchange"]))
        return {
            "returns": returns,
            "sessions": {ex: _clip_sessions(ex, loaded.start - pd.Timedelta(days=30), loaded.end) for ex in exchanges},
            "model": model,
            "estimation_window": self.estimation_window,
            "event_window": self.event_window,
            "min_estimation": self.min_estimation,
            "thin_trading_share": self.thin_trading_share,
            "data_start": loaded.start,
            "data_end": loaded.end,
            "draws": self.placebo_draws,
            "seed": self.seed,
        }

    def claims(
        self,
        panel: Any,
        abn: Any,
        test_table: pd.DataFrame,
        day0: pd.DataFrame,
        placebo: dict[str, Any] | None,
        *,
        adjust: bool = True,
    ) -> pd.DataFrame:
        """The claims of the headline events in ``panel`` (:func:`~eventstudy.analyse.claims.build_claims`);
        ``adjust=False`` for a part of the study's events, adjusted for multiplicity once all parts are in."""
        from .analyse import build_claims

        return build_claims(
            panel=panel,
            abn=abn,
            test_table=test_table,
            events=self.events.frame,
            day0=day0,
            group_by=self.group_by,
            primary_test=self.primary_test,
            windows=self.headline_windows,
            confounders=self.confounders,
            placebo=placebo,
            adjust=adjust,
        )

    def _benchmark_flags(self, panel: Any, fe_table: pd.DataFrame) -> pd.Series:
        """The firm-event table's ``benchmark_flags``: the benchmark's gaps (from alignment) and its ex-dividend
        sessions of unknown amount inside a claim window of the event (METHODS §2, price-only benchmarks)."""
        from .analyse.claims import claim_windows
        from .analyse.overlaps import ex_dividend_flags

        gaps = fe_table.get("benchmark_flags", pd.Series("", index=fe_table.index)).fillna("").astype(str)
        divs = ex_dividend_flags(panel, claim_windows(self.events.frame, self.headline_windows), self.dividends)
        if not any(divs):  # no dividend flag (the usual case): the gaps' text as it is
            return pd.Series(gaps.to_numpy(dtype=object), index=fe_table.index, dtype="str")
        both = [("; ".join(x for x in pair if x)) for pair in zip(gaps, divs, strict=True)]
        return pd.Series(both, index=fe_table.index, dtype="str")

    def _claim_robustness(
        self, claims: pd.DataFrame, panel: Any, abn: Any, model: Any, day0: pd.DataFrame, data: Any
    ) -> pd.DataFrame:
        """Each claim under the late and early day-0 conventions, without confounded or overlapping firm-events,
        with the 120-day rule and clean estimation windows (:mod:`eventstudy.analyse.claim_robustness`)."""
        from .analyse.claim_robustness import claim_robustness

        realign = None
        variants: dict[str, tuple[str, pd.DataFrame]] = {}
        if data is not None:
            exchanges = list(data["sessions"])

            def realign(fe: pd.DataFrame) -> Any:
                return align(fe, data["returns"], data["sessions"], self.options)

            variants["late_day0"] = (
                "date-only news at 23:59:59 in the announcer's zone (the older, late convention)",
                calendars.day0_table(self._timing(), exchanges, date_rule="end_of_day"),
            )
            early = self.events.with_early_release()
            timing = early.frame[["event_id", "announced_at_utc", "time_precision", "timezone"]]
            variants["early_day0"] = (
                "news dated by its earlier release (early_announced_at in the events file)",
                calendars.day0_table(timing, exchanges, date_rule=self.date_rule),
            )
        return claim_robustness(
            claims,
            panel=panel,
            abn=abn,
            model=model,
            group_by=self.group_by,
            primary_test=self.primary_test,
            min_estimation=self.min_estimation,
            full_estimation=self.full_estimation,
            thin_trading_share=self.thin_trading_share,
            day0=day0,
            confounders=self.confounders,
            realign=realign,
            day0_variants=variants,
        )

    def results(
        self,
        tables: dict[str, pd.DataFrame],
        day0: pd.DataFrame,
        loaded: Any,
        model: NormalReturnModel,
        *,
        panel: Any = None,
        abn: Any = None,
        settings: dict[str, Any] | None = None,
        claims: pd.DataFrame | None = None,
    ) -> EventStudyResults:
        """The results object from the tables of :meth:`tables` and what loading recorded.

        ``claims`` are the study's claims when they were built elsewhere (the Dask backend's event chunks, then
        :func:`~eventstudy.analyse.claims.adjust_claims`); otherwise they are built here from ``panel``.
        """
        from types import MappingProxyType

        from .analyse import small_group_rule

        test_table = small_group_rule(tables["test_table"])
        analyses: dict[str, Any] = {}
        if panel is not None and abn is not None:
            placebo = self._placebo_options(panel, loaded, model)
            claims = self.claims(panel, abn, test_table, day0, placebo)
            analyses["claims"] = claims
            test_table = _with_claim_columns(test_table, claims)
            analyses["claim_robustness"] = self._claim_robustness(claims, panel, abn, model, day0, placebo)
        elif claims is not None:
            analyses["claims"] = claims
            test_table = _with_claim_columns(test_table, claims)
        return EventStudyResults(
            analyses=MappingProxyType(analyses),
            firm_events=_with_data_flags(tables["firm_events"], loaded.notes, self.event_window),
            ar=tables["ar"],
            test_table=test_table,
            caar_table=tables["caar_table"],
            aar_table=tables["aar_table"],
            day0=day0,
            data_notes=loaded.notes,
            events=self.events.frame.copy(),
            settings={
                "model": model.name,
                "estimation_window": self.estimation_window,
                "event_window": self.event_window,
                "car_windows": [window_label(w) for w in self.car_windows],
                "groups": self.groups,
                "group_by": self.group_by,
                "tests": self.tests,
                "min_estimation": self.min_estimation,
                "full_estimation": self.full_estimation,
                "primary_test": self.primary_test,
                "headline_windows": self.headline_windows,
                "placebo_draws": self.placebo_draws,
                "thin_trading_share": self.thin_trading_share,
                "return_kind": self.return_kind,
                "clean_estimation": self.clean_estimation,
                "max_abs_return": self.max_abs_return,
                "date_rule": self.date_rule,
                "early_release": self.early_release,
                "headline_event": self.headline_event,
                "source": getattr(self.source, "name", type(self.source).__name__),
                **({"source_sha256": self.source.sha256} if hasattr(self.source, "sha256") else {}),
                "seed": self.seed,
                "reproducibility": reproducibility_record(),
                "data_start": str(loaded.start.date()),
                "data_end": str(loaded.end.date()),
                **self.group_display,
                "regressions": [dict(r) for r in self.regressions],
                "direction_contrasts": [list(pair) for pair in self.direction_contrasts],
                **(settings or {}),
            },
            panel=panel,
            abnormal=abn,
            options=self.options,
            world_returns=getattr(loaded, "returns", {}).get(self.world_ticker) if self.world_ticker else None,
        )


def _with_data_flags(fe: pd.DataFrame, notes: pd.DataFrame, event_window: tuple[int, int]) -> pd.DataFrame:
    """The firm-event table with ``data_flags``: the bad prints, extreme returns and unit jumps of each firm-event's
    ticker inside its event window (from the data notes), whichever backend built the table."""
    from .data.sanity import firm_event_flags

    if fe.empty or "ticker" not in notes.columns or "day0" not in fe.columns:
        return fe.assign(data_flags="")
    first = np.full(len(fe), np.datetime64("NaT"), dtype="datetime64[ns]")
    last = first.copy()
    day0 = pd.to_datetime(fe["day0"]).to_numpy(dtype="datetime64[ns]")
    for ex, rows in fe.groupby("exchange", sort=False).indices.items():
        d0 = day0[rows]
        ok = ~np.isnat(d0)
        if not ok.any():
            continue
        margin = np.timedelta64(2 * max(abs(event_window[0]), abs(event_window[1])) + 20, "D")
        lo, hi = d0[ok].min() - margin, d0[ok].max() + margin
        sess = _clip_sessions(str(ex), pd.Timestamp(lo), pd.Timestamp(hi)).values.astype("datetime64[ns]")
        pos = np.searchsorted(sess, d0)
        a = np.clip(pos + event_window[0], 0, len(sess) - 1)
        b = np.clip(pos + event_window[1], 0, len(sess) - 1)
        first[rows] = np.where(ok, sess[a], np.datetime64("NaT"))
        last[rows] = np.where(ok, sess[b], np.datetime64("NaT"))
    return fe.assign(data_flags=firm_event_flags(notes, fe["ticker"].to_numpy(), first, last))


def _data_span(start: Any, end: Any, events: EventTable) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``start`` and ``end`` as dates, checked against each other and the events: an ``end`` before every event (or
    a ``start`` after every event) leaves nothing to study and is named as such."""
    out: list[pd.Timestamp | None] = []
    for key, value in (("start", start), ("end", end)):
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(None)
            continue
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError):
            ts = pd.NaT
        if pd.isna(ts):
            raise ConfigError(located(key, "not a date", value=value, fix="write an ISO date such as 2024-01-02"))
        out.append(ts.tz_localize(None).normalize() if ts.tzinfo is not None else ts.normalize())
    s, e = out
    if s is not None and e is not None and e < s:
        raise ConfigError(located("end", f"end is before start {s:%Y-%m-%d}", value=f"{e:%Y-%m-%d}", fix="swap them"))
    days = pd.to_datetime(events.frame["announced_at"].astype(str).str.slice(0, 10), errors="coerce")  # local dates
    if len(days):
        first, last = days.min(), days.max()
        if e is not None and e < first:
            raise ConfigError(
                located(
                    "end",
                    f"end is before every event (the first, {events.ids[int(days.argmin())]}, is on {first:%Y-%m-%d})",
                    value=f"{e:%Y-%m-%d}",
                    fix="set end after the last event's window, or leave it out to derive it from the events",
                )
            )
        if s is not None and s > last:
            raise ConfigError(
                located(
                    "start",
                    f"start is after every event (the last, {events.ids[int(days.argmax())]}, is on {last:%Y-%m-%d})",
                    value=f"{s:%Y-%m-%d}",
                    fix="set start before the first event's estimation window, or leave it out",
                )
            )
    return s, e


def _with_claim_columns(test_table: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """The tests table with the claims' adjusted and placebo p-values on the claim rows (NaN elsewhere)."""
    cols = ["pvalue_holm", "qvalue_bh", "placebo_pvalue"]
    keys = ["event_id", "group", "window", "test"]
    extra = claims[keys + cols].dropna(subset=["pvalue_holm", "placebo_pvalue"], how="all")
    out = test_table.drop(columns=[c for c in cols if c in test_table.columns])
    return out.merge(extra, on=keys, how="left")


def _clip_sessions(exchange: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    cal = calendars.get_calendar(exchange)
    lo = max(first, pd.Timestamp(cal.first_session))
    hi = min(last, pd.Timestamp(cal.last_session))
    return calendars.sessions(exchange, lo.date(), hi.date())


def _firm_event_table(panel: Any, abn: Any, model: NormalReturnModel) -> pd.DataFrame:
    keys = panel.keys
    out = keys[["event_id", "ticker", "group", "exchange", "day0"]].copy()
    out["day0"] = pd.to_datetime(out["day0"]).dt.date
    out["status"] = abn.status
    out["n_estimation"] = abn.nobs
    k = abn.params.shape[1]
    out["alpha"] = abn.params[:, 0] if k >= 1 else np.nan
    out["beta"] = abn.params[:, 1] if k >= 2 else np.nan
    out["sigma"] = np.sqrt(abn.sigma2)
    for w, window in enumerate(abn.windows):
        lab = window_label(window)
        out[f"car_{lab}"] = abn.car[:, w]
        out[f"var_car_{lab}"] = abn.var_car[:, w]
        out[f"scar_{lab}"] = abn.scar[:, w]
    for extra in ("segment", "name", "benchmark", "benchmark_flags"):
        if extra in keys.columns:
            out[extra] = keys[extra].to_numpy()
    out["zero_share"] = abn.zero_share
    out["no_trade_share"] = abn.no_trade_share if abn.no_trade_share is not None else np.nan
    return out


def _ar_table(panel: Any, abn: Any, *, empty: bool = False) -> pd.DataFrame:
    cols = np.flatnonzero(panel.event)
    usable = np.isin(abn.status, ("ok", "missing_event_window"))
    rows = np.flatnonzero(usable)
    if empty:  # the columns and dtypes of the table, without its rows
        return _ar_table_rows(panel, abn, rows[:1], cols).iloc[:0]
    return _ar_table_rows(panel, abn, rows, cols)


def _ar_table_rows(panel: Any, abn: Any, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
    n, t = rows.size, cols.size
    keys = panel.keys.iloc[rows]
    cells = np.ix_(rows, cols)  # the event-window cells only, not whole rows
    # column by column: each column's temporary is freed before the next is made, and no block is consolidated
    out = pd.DataFrame({"event_id": np.repeat(keys["event_id"].to_numpy(), t)})
    out["ticker"] = np.repeat(keys["ticker"].to_numpy(), t)
    out["event_day"] = np.tile(panel.rel[cols], n)
    out["date"] = panel.dates[cells].ravel()  # the session (datetime64), not a Python date per row
    ret = panel.ret[cells]
    if panel.merged is not None:  # a day merged across a benchmark's gap has no single-day return of its own
        ret = np.where(panel.merged[cells], np.nan, ret)
    out["ret"] = ret.ravel()
    out["ar"] = abn.ar[cells].ravel()
    out["sar"] = abn.sar[cells].ravel()
    return out
