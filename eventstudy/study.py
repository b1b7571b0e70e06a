"""EventStudy: orchestration only — it wires events, universe, calendars, data, windows, models, the engine and
the tests together, and holds no maths of its own."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import calendars
from .abnormal import compute_abnormal
from .config import DEFAULT_CAR_WINDOWS, DEFAULT_TESTS, PRICES_DIR_ENV, StudySpec, check_windows, window_label
from .errors import ConfigError, UniverseError
from .events import EventTable, read_events
from .inference import TESTS
from .inference.runner import aar_table, caar_table, run_tests
from .models import NormalReturnModel, get_model
from .results import EventStudyResults
from .universe import Universe, read_universe
from .windows import build_panel, clean_estimation_mask

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
    """A price source from what a caller passed: a source, a DataFrame, a folder of price files, or ``"yahoo"``."""
    from .data import sources

    if isinstance(prices, pd.DataFrame):
        return sources.FrameSource(prices)
    if isinstance(prices, str | os.PathLike):
        if str(prices) == "yahoo":
            return sources.YahooSource()
        return sources.FileSource(Path(prices))
    if hasattr(prices, "fetch"):
        return prices
    raise ConfigError(
        f"prices: cannot use a {type(prices).__name__} as prices; fix: pass a folder of price files, a DataFrame, "
        "a PriceSource, or 'yahoo'"
    )


@dataclass(frozen=True)
class _Loaded:
    returns: dict[str, pd.Series]
    notes: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp


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
    tests
        Registry names of the tests to run.
    cache
        A ``PriceCache`` or a path to the DuckDB cache; None means no cache.
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
    ) -> None:
        self.events = _as_events(events)
        self.universe = _as_universe(universe)
        self.source = price_source_for(prices)
        self.model = get_model(model)
        self.estimation_window = tuple(estimation_window)
        self.event_window = tuple(event_window)
        self.car_windows = tuple(tuple(w) for w in car_windows)
        check_windows(self.estimation_window, self.event_window, self.car_windows)  # type: ignore[arg-type]
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
        self.tests = tuple(TESTS.canonical(t, where="tests") for t in tests)
        if min_estimation < self.model.df_loss + 3:
            raise ConfigError(
                f"min_estimation: too small (got {min_estimation}); fix: use at least {self.model.df_loss + 3}"
            )
        span = self.estimation_window[1] - self.estimation_window[0] + 1
        if min_estimation > span:
            raise ConfigError(
                f"min_estimation: {min_estimation} exceeds the estimation window's {span} days; "
                "fix: lower min_estimation or widen estimation_window"
            )
        self.min_estimation = int(min_estimation)
        self.thin_trading_share = float(thin_trading_share)
        if return_kind not in ("simple", "log"):
            raise ConfigError(f"return_kind: must be 'simple' or 'log' (got {return_kind!r}); fix: pick one")
        self.return_kind = return_kind
        self.clean_estimation = bool(clean_estimation)
        self.cache = self._as_cache(cache)
        self.offline = bool(offline)
        self.start = pd.Timestamp(start) if start else None
        self.end = pd.Timestamp(end) if end else None
        if headline_event is not None and headline_event not in self.events.ids:
            raise ConfigError(
                f"headline_event: {headline_event!r} is not an event id; fix: use one of {', '.join(self.events.ids)}"
            )
        self.headline_event = headline_event or (self.events.headline_ids[0] if self.events.headline_ids else None)

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
        ``EVENTSTUDY_PRICES_DIR`` environment variable, else from ``spec.source`` (Yahoo by default).
        """
        if prices is None:
            if spec.prices_dir is not None:
                prices = spec.prices_dir
            elif os.environ.get(PRICES_DIR_ENV):
                prices = Path(os.environ[PRICES_DIR_ENV])
            else:
                prices = spec.source
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
            offline=spec.offline,
            start=spec.start,
            end=spec.end,
            headline_event=spec.headline_event,
        )

    # ------------------------------------------------------------------ steps
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
        start = self.start or first - pd.Timedelta(days=math.ceil(abs(min(lo, 0)) * 7 / 5 * 1.08) + 20)
        end = self.end or last + pd.Timedelta(days=math.ceil(max(hi, 0) * 7 / 5) + 21)
        return start, end

    def _load(self, secs: pd.DataFrame, progress: Progress) -> _Loaded:
        from .data.cache import load_prices
        from .data.returns import to_returns

        start, end = self._span()
        frame = self.universe.frame.set_index("ticker")
        tickers = list(dict.fromkeys([*secs["ticker"], *secs["benchmark"].dropna()]))
        missing_bench = [t for t in tickers if t not in frame.index]
        if missing_bench:
            raise UniverseError(
                f"{self.universe.name}:benchmark: {missing_bench[0]!r} is not a ticker of the universe; "
                "fix: add it as a row with group benchmark"
            )
        progress(f"loading prices for {len(tickers)} tickers, {start.date()} to {end.date()}")
        fetched = load_prices(
            tickers, start.date(), end.date(), source=self.source, cache=self.cache, offline=self.offline
        )
        prices = fetched.prices
        returns: dict[str, pd.Series] = {}
        notes = []
        by_ticker = dict(tuple(prices.groupby("ticker", sort=False)))
        for tk in tickers:
            row = frame.loc[tk]
            if tk not in by_ticker:
                notes.append(
                    {
                        "ticker": tk,
                        "exchange": row["exchange"],
                        "source": fetched.source,
                        "failure": fetched.failures.get(tk, "no rows in the requested span"),
                    }
                )
                continue
            p = by_ticker[tk].set_index("date").sort_index()
            first_valid = row.get("first_valid_date")
            dropped_pre = 0
            if isinstance(first_valid, pd.Timestamp) and not pd.isna(first_valid):
                dropped_pre = int((p.index < first_valid).sum())
                p = p[p.index >= first_valid]
            sess = calendars.sessions(row["exchange"], start.date(), end.date())
            rf = to_returns(p["close"], sess, kind=self.return_kind, volume=p["volume"])
            ret = rf.frame["ret"]
            returns[tk] = ret
            note = _returns_notes(rf)
            notes.append(
                {
                    "ticker": tk,
                    "exchange": row["exchange"],
                    "source": fetched.source,
                    "first_date": p.index.min(),
                    "last_date": p.index.max(),
                    "price_rows": len(p),
                    "sessions": len(rf.frame),
                    "returns": int(ret.notna().sum()),
                    "missing_returns": int(ret.isna().sum()) - 1 if len(ret) else 0,
                    "zero_returns": int((ret == 0).sum()),
                    "rows_before_first_valid_date": dropped_pre,
                    **note,
                    "failure": "",
                }
            )
        from .data.returns import NOTE_REASONS

        table = pd.DataFrame(notes)
        for reason in NOTE_REASONS:
            col = f"rows_{reason}"
            table[col] = table[col].fillna(0).astype(int) if col in table.columns else 0
        failure = table.pop("failure").fillna("")
        table["failure"] = failure
        return _Loaded(returns, table, start, end)

    def fit(self, *, progress: Progress | None = None) -> EventStudyResults:
        """Run the study; returns a new, immutable :class:`~eventstudy.results.EventStudyResults`."""
        progress = progress or (lambda msg: None)
        secs = self.securities()
        loaded = self._load(secs, progress)
        exchanges = list(pd.unique(secs["exchange"]))
        progress(f"mapping day 0 for {len(self.events)} events on {len(exchanges)} exchanges")
        ev = self.events.frame[["event_id", "announced_at_utc"]]
        day0 = calendars.day0_table(ev, exchanges)
        fe = (
            self.events.frame[["event_id"]]
            .merge(secs, how="cross")
            .merge(day0[["event_id", "exchange", "day0"]], on=["event_id", "exchange"], how="left")
        )
        lo = min(self.estimation_window[0], self.event_window[0])
        hi = max(self.estimation_window[1], self.event_window[1])
        sessions = {}
        for ex in exchanges:
            d0 = day0.loc[day0["exchange"] == ex, "day0"]
            first = min(loaded.start, d0.min()) - pd.Timedelta(days=abs(lo) * 2 + 30)
            last = max(loaded.end, d0.max()) + pd.Timedelta(days=hi * 2 + 30)
            sessions[ex] = _clip_sessions(ex, first, last)
        progress(f"aligning {len(fe)} firm-events in event time")
        panel = build_panel(
            fe, loaded.returns, sessions, estimation_window=self.estimation_window, event_window=self.event_window
        )
        if self.clean_estimation:
            panel = _with_excluded(panel, clean_estimation_mask(panel))
        progress(f"estimating the {self.model.name} model and abnormal returns")
        abn = compute_abnormal(
            panel,
            self.model,
            self.car_windows,
            min_estimation=self.min_estimation,
            thin_trading_share=self.thin_trading_share,
        )
        progress(f"running {len(self.tests)} tests per event, group and window")
        tests = run_tests(panel, abn, self.tests, self.group_by)
        caar = caar_table(panel, abn, self.group_by)
        aar = aar_table(panel, abn, self.group_by)
        return EventStudyResults(
            firm_events=_firm_event_table(panel, abn, self.model),
            ar=_ar_table(panel, abn),
            test_table=tests,
            caar_table=caar,
            aar_table=aar,
            day0=day0,
            data_notes=loaded.notes,
            events=self.events.frame.copy(),
            settings={
                "model": self.model.name,
                "estimation_window": self.estimation_window,
                "event_window": self.event_window,
                "car_windows": [window_label(w) for w in self.car_windows],
                "groups": self.groups,
                "group_by": self.group_by,
                "tests": self.tests,
                "min_estimation": self.min_estimation,
                "thin_trading_share": self.thin_trading_share,
                "return_kind": self.return_kind,
                "clean_estimation": self.clean_estimation,
                "headline_event": self.headline_event,
                "source": getattr(self.source, "name", type(self.source).__name__),
                "data_start": str(loaded.start.date()),
                "data_end": str(loaded.end.date()),
            },
            panel=panel,
            abnormal=abn,
        )


def _clip_sessions(exchange: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    cal = calendars.get_calendar(exchange)
    lo = max(first, pd.Timestamp(cal.first_session))
    hi = min(last, pd.Timestamp(cal.last_session))
    return calendars.sessions(exchange, lo.date(), hi.date())


def _with_excluded(panel: Any, excluded: np.ndarray) -> Any:
    from dataclasses import replace

    return replace(panel, excluded=excluded)


def _returns_notes(rf: Any) -> dict[str, Any]:
    notes = getattr(rf, "notes", None)
    if notes is None:
        return {}
    if isinstance(notes, pd.DataFrame):
        if notes.empty or "reason" not in notes.columns:
            return {}
        counts = notes["reason"].value_counts()
        return {f"rows_{k}": int(v) for k, v in counts.items()}
    if isinstance(notes, dict):
        return {f"rows_{k}": (len(v) if hasattr(v, "__len__") else v) for k, v in notes.items()}
    return {}


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
    for extra in ("segment", "name", "benchmark"):
        if extra in keys.columns:
            out[extra] = keys[extra].to_numpy()
    out["zero_share"] = abn.zero_share
    return out


def _ar_table(panel: Any, abn: Any) -> pd.DataFrame:
    cols = np.flatnonzero(panel.event)
    usable = np.isin(abn.status, ("ok", "missing_event_window"))
    rows = np.flatnonzero(usable)
    n, t = rows.size, cols.size
    keys = panel.keys.iloc[rows]
    return pd.DataFrame(
        {
            "event_id": np.repeat(keys["event_id"].to_numpy(), t),
            "ticker": np.repeat(keys["ticker"].to_numpy(), t),
            "event_day": np.tile(panel.rel[cols], n),
            "date": pd.to_datetime(panel.dates[rows][:, cols].ravel()).date,
            "ret": panel.ret[rows][:, cols].ravel(),
            "ar": abn.ar[rows][:, cols].ravel(),
            "sar": abn.sar[rows][:, cols].ravel(),
        }
    )
