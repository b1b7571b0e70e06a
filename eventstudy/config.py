"""The study file (TOML) → a validated :class:`StudySpec`.

The study file is data only: it is parsed with :mod:`tomllib` and nothing in it is evaluated.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .calendars import DATE_RULES
from .catalog import canonical_test, default_tests
from .errors import ConfigError
from .groups import parse_group_tables

__all__ = [
    "StudyOptions",
    "StudySpec",
    "Window",
    "as_window",
    "DEFAULT_CAR_WINDOWS",
    "REPORT_WINDOWS",
    "read_study",
    "window_label",
    "with_report_windows",
    "PRICES_DIR_ENV",
]

PRICES_DIR_ENV = "EVENTSTUDY_PRICES_DIR"
SNAPSHOT_PATH = Path("data/prices.parquet")
"""Where a study's snapshot lives when ``[data] source = "snapshot"`` names no ``snapshot`` file."""

DEFAULT_CAR_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (-2, 2), (0, 5), (-5, 5), (-10, 10))
#: the tests a study runs when none are chosen: those the catalog marks as default
DEFAULT_TESTS: tuple[str, ...] = default_tests()


_WINDOW_TEXT = re.compile(r"^\s*[\[(]?\s*(m?-?\d+)\s*(?:_|,|\s)\s*(m?-?\d+)\s*[\])]?\s*$")


def _day(text: str) -> int:
    return -int(text[1:]) if text.startswith("m") else int(text)


class Window(tuple[int, int]):
    """An inclusive window ``(start, end)`` of event days, from any of its spellings.

    ``Window((-1, 1))``, ``Window("m1_1")``, ``Window("-1_1")``, ``Window("[-1, 1]")`` and ``Window([-1, 1])``
    are the same window. It is a tuple, so it compares equal to ``(-1, 1)``; :attr:`label` is the column-name form.

    >>> Window("m1_1") == Window("[-1, 1]") == (-1, 1)
    True
    >>> Window((-2, 2)).label
    'm2_2'
    """

    def __new__(cls, value: Any, *, where: str = "window") -> Window:
        if isinstance(value, Window):
            return value
        pair: tuple[int, int] | None = None
        if isinstance(value, str):
            m = _WINDOW_TEXT.match(value)
            if m:
                pair = (_day(m.group(1)), _day(m.group(2)))
        elif isinstance(value, Sequence | np.ndarray) and len(value) == 2:
            a, b = value
            if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in (a, b)):
                pair = (int(a), int(b))
        if pair is None:
            raise ConfigError(
                f"{where}: not a window (got {value!r}); fix: write it as (-1, 1), '-1_1', 'm1_1' or '[-1, 1]'"
            )
        if pair[0] > pair[1]:
            raise ConfigError(f"{where}: start > end (got {value!r}); fix: write (start, end) with start <= end")
        return super().__new__(cls, pair)

    @property
    def start(self) -> int:
        return self[0]

    @property
    def end(self) -> int:
        return self[1]

    @property
    def label(self) -> str:
        """The column-name form: ``(-1, 1)`` → ``"m1_1"``."""
        return window_label(self)

    def __repr__(self) -> str:
        return f"Window({self[0]}, {self[1]})"


def as_window(value: Any, choices: Sequence[Any] | None = None, *, where: str = "window") -> Window:
    """``value`` as a :class:`Window`; with ``choices``, it must be one of them (the error lists them)."""
    window = Window(value, where=where)
    if choices is not None:
        valid = [Window(c) for c in choices]
        if window not in valid:
            raise ConfigError(
                f"{where}: {value!r} is not a window of the study; fix: use one of " + ", ".join(w.label for w in valid)
            )
    return window


def window_label(window: Any) -> str:
    """``(-1, 1)`` → ``"m1_1"``: the stable column-name form of a window (−1 written as ``m1``)."""
    if isinstance(window, str):
        window = Window(window)

    def one(x: int) -> str:
        return f"m{-x}" if x < 0 else str(x)

    return f"{one(window[0])}_{one(window[1])}"


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping that pickles and copies (the options' tables: headline windows, regressions).

    >>> m = FrozenMap({"a": 1})
    >>> m == {"a": 1}, dict(m)
    (True, {'a': 1})
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


@dataclass(frozen=True)
class StudyOptions:
    """The options of a study's computation, validated once, shared by the study file and the API.

    :class:`StudySpec` (the study file) and :class:`~eventstudy.study.EventStudy` (the API) both build one, so the
    two accept and reject the same values. It is immutable: a variant of a study is
    ``dataclasses.replace(options, model="constant_mean")``, validated again as it is built.

    Windows may be given in any spelling of :class:`Window`. What needs the data (the universe's groups and columns,
    the events' ids, the model's degrees of freedom) is checked by ``EventStudy`` when it is built.

    >>> StudyOptions(car_windows=["m1_1", (0, 5)]).car_windows
    (Window(-1, 1), Window(0, 5))
    >>> StudyOptions(thin_trading_share=5.0)
    Traceback (most recent call last):
    ...
    eventstudy.errors.ConfigError: thin_trading_share: must lie in [0, 1] (got 5.0); fix: use e.g. 0.2
    """

    model: Any = "market"
    estimation_window: tuple[int, int] = (-250, -11)  # a Window after validation
    event_window: tuple[int, int] = (-10, 10)
    car_windows: Sequence[Any] = DEFAULT_CAR_WINDOWS  # a tuple of Windows after validation
    groups: Sequence[str] | None = None  # tuples after validation
    group_by: Sequence[str] = ("group",)
    tests: Sequence[str] = DEFAULT_TESTS
    min_estimation: int = 120
    thin_trading_share: float = 0.2
    return_kind: str = "simple"
    clean_estimation: bool = False
    headline_event: str | None = None
    seed: int = 0
    world_index: str = "ACWI"
    start: str | None = None
    end: str | None = None
    date_rule: str = "calendar_date"
    early_release: bool = False
    full_estimation: int = 120
    primary_test: str = "kp_bmp_t"
    headline_windows: Mapping[str, Sequence[str]] = field(default_factory=dict)
    placebo_draws: int = 999
    max_abs_return: float = 0.4
    regressions: Sequence[Mapping[str, Any]] = ()
    direction_contrasts: Sequence[Sequence[str]] = ()

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "estimation_window", Window(self.estimation_window, where="estimation_window"))
        put(self, "event_window", Window(self.event_window, where="event_window"))
        if isinstance(self.car_windows, str) or not isinstance(self.car_windows, Sequence):
            raise ConfigError(
                f"car_windows: must be a list of windows (got {self.car_windows!r}); fix: e.g. [(0, 0), (-1, 1)]"
            )
        put(self, "car_windows", tuple(Window(w, where="car_windows") for w in self.car_windows))
        for name in ("groups", "group_by", "tests"):
            value = getattr(self, name)
            if value is None and name == "groups":
                continue
            if isinstance(value, str):
                value = (value,)
            if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f'{name}: must be a list of names (got {value!r}); fix: e.g. ["{name}_a"]')
            put(self, name, tuple(value))
        put(self, "tests", tuple(canonical_test(t, where="tests") for t in self.tests))
        put(self, "primary_test", canonical_test(self.primary_test, where="primary_test"))
        check_windows(self.estimation_window, self.event_window, self.car_windows)
        for name in ("min_estimation", "full_estimation"):
            value = getattr(self, name)
            if not _whole(value):
                raise ConfigError(f"{name}: must be a whole number (got {value!r}); fix: e.g. 120")
            if value < 3:
                raise ConfigError(f"{name}: must be at least 3 (got {value}); fix: use e.g. 120")
        span = self.estimation_window[1] - self.estimation_window[0] + 1
        if self.min_estimation > span:
            raise ConfigError(
                f"min_estimation: {self.min_estimation} exceeds the estimation window's {span} days; "
                "fix: lower min_estimation or widen estimation_window"
            )
        share = self.thin_trading_share
        if isinstance(share, bool) or not isinstance(share, int | float) or math.isnan(share):
            raise ConfigError(
                f"thin_trading_share: must be a number between 0 and 1 (got {share!r}); fix: use e.g. 0.2"
            )
        if not 0 <= share <= 1:
            raise ConfigError(f"thin_trading_share: must lie in [0, 1] (got {share!r}); fix: use e.g. 0.2")
        put(self, "thin_trading_share", float(share))
        if self.return_kind not in ("simple", "log"):
            raise ConfigError(f"return_kind: must be 'simple' or 'log' (got {self.return_kind!r}); fix: pick one")
        if not isinstance(self.clean_estimation, bool | np.bool_):
            raise ConfigError(
                f"clean_estimation: must be true or false (got {self.clean_estimation!r}); fix: write true or false"
            )
        put(self, "clean_estimation", bool(self.clean_estimation))
        if self.date_rule not in DATE_RULES:
            raise ConfigError(
                f"date_rule: must be one of {', '.join(DATE_RULES)} (got {self.date_rule!r}); "
                "fix: pick one (METHODS §1)"
            )
        put(self, "early_release", bool(self.early_release))
        if not _whole(self.seed):
            raise ConfigError(f"seed: must be a whole number (got {self.seed!r}); fix: e.g. 0")
        put(self, "min_estimation", int(self.min_estimation))
        put(self, "seed", int(self.seed))
        # short histories below the full length are flagged; the full length is never below the minimum
        put(self, "full_estimation", max(int(self.full_estimation), self.min_estimation))
        if not _whole(self.placebo_draws) or self.placebo_draws < 0:
            raise ConfigError(
                f"placebo_draws: must be a whole number, 0 or more (got {self.placebo_draws!r}); "
                "fix: e.g. 999 (0: no placebo)"
            )
        put(self, "placebo_draws", int(self.placebo_draws))
        bound = self.max_abs_return
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not bound > 0 or not math.isfinite(bound):
            raise ConfigError(f"max_abs_return: must be a positive number (got {bound!r}); fix: use e.g. 0.4 (40 %)")
        put(self, "max_abs_return", float(bound))
        put(self, "headline_windows", _headline_windows(self.headline_windows))
        put(self, "regressions", _regression_specs(self.regressions))
        put(self, "direction_contrasts", _contrast_pairs(self.direction_contrasts))

    def settings(self) -> dict[str, Any]:
        """The options as plain values (windows as labels), for ``results.settings`` and ``settings.json``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "model":
                value = value if isinstance(value, str) else getattr(value, "name", type(value).__name__)
            elif f.name == "car_windows":
                value = [w.label for w in value]
            elif isinstance(value, Window):
                value = tuple(value)
            elif f.name == "headline_windows":
                value = {k: list(v) for k, v in value.items()}
            elif f.name == "regressions":
                value = [dict(r) for r in value]
            elif f.name == "direction_contrasts":
                value = [list(pair) for pair in value]
            out[f.name] = value
        return out


def _headline_windows(value: Any) -> Mapping[str, Sequence[str]]:
    """``headline_windows``: event id → the labels of its headline windows (any spelling of a window)."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f'headline_windows: must map event ids to lists of windows (got {value!r}); fix: e.g. {{deal = ["0_1"]}}'
        )
    out: dict[str, tuple[str, ...]] = {}
    for key, windows in value.items():
        if isinstance(windows, str) or not isinstance(windows, Sequence):
            raise ConfigError(f'headline_windows.{key}: must be a list of windows (got {windows!r}); fix: e.g. ["0_1"]')
        out[str(key)] = tuple(Window(w, where=f"headline_windows.{key}").label for w in windows)
    return FrozenMap(out)


def _regression_specs(value: Any) -> tuple[Mapping[str, Any], ...]:
    """``regressions``: ``{formula, events}`` mappings (``events`` defaults to ``"all"``)."""
    if isinstance(value, Mapping | str) or not isinstance(value, Sequence):
        raise ConfigError(
            f"regressions: must be a list of {{formula, events}} tables (got {value!r}); fix: e.g. "
            '[{"formula": "car ~ C(group)", "events": "all"}]'
        )
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("formula"), str) or not item["formula"].strip():
            raise ConfigError(
                f'regressions[{i}]: needs a formula (got {item!r}); fix: e.g. {{"formula": "car ~ C(group)"}}'
            )
        events = item.get("events", "all")
        out.append(FrozenMap({"formula": str(item["formula"]), "events": events}))
    return tuple(out)


def _contrast_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """``direction_contrasts``: pairs of event directions."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigError(
            f'direction_contrasts: must be a list of pairs (got {value!r}); fix: e.g. [["escalation", "truce"]]'
        )
    out = []
    for i, pair in enumerate(value):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ConfigError(
                f"direction_contrasts[{i}]: must be a pair of directions (got {pair!r}); "
                'fix: e.g. ["escalation", "truce"]'
            )
        out.append((str(pair[0]), str(pair[1])))
    return tuple(out)


def _whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


@dataclass(frozen=True)
class StudySpec:
    """Everything that defines a study, validated.

    Paths are resolved relative to the study file's folder.
    """

    name: str = "study"
    title: str = "Event study"
    events: Path = Path("events.csv")
    universe: Path = Path("universe.csv")
    groups: tuple[str, ...] | None = None  # None: every group of the universe but benchmark
    group_by: tuple[str, ...] = ("group",)
    group_labels: Mapping[str, str] = field(default_factory=dict)
    group_colours: Mapping[str, str] = field(default_factory=dict)
    regressions: tuple[Mapping[str, Any], ...] = ()
    direction_contrasts: tuple[tuple[str, str], ...] = ()
    model: str = "market"
    estimation_window: tuple[int, int] = (-250, -11)
    event_window: tuple[int, int] = (-10, 10)
    car_windows: tuple[tuple[int, int], ...] = DEFAULT_CAR_WINDOWS
    min_estimation: int = 120
    thin_trading_share: float = 0.2
    max_abs_return: float = 0.4
    return_kind: str = "simple"
    clean_estimation: bool = False
    tests: tuple[str, ...] = DEFAULT_TESTS
    headline_event: str | None = None
    world_index: str = "ACWI"
    factors: Path | None = None
    factors_percent: bool = False
    date_rule: str = "calendar_date"
    full_estimation: int = 120
    primary_test: str = "kp_bmp_t"
    headline_windows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    confounders: Path | None = None
    dividends: Path | None = None
    placebo_draws: int = 999
    out: Path = Path("reports")
    # data
    source: str = "yahoo"
    snapshot: Path | None = None
    prices_dir: Path | None = None
    cache: Path | None = Path(".eventstudy/cache.duckdb")
    offline: bool = False
    start: str | None = None
    end: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: where each key stood in the file (``"study.min_estimation"``), for error messages
    key_locations: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        try:  # the windows as the file wrote them ([start, end]), then every option as the API validates it
            check_windows(self.estimation_window, self.event_window, self.car_windows)
        except ConfigError as exc:
            raise ConfigError(f"study.toml:{exc}") from None
        self.options()  # the API's validation too: the study file and the API accept the same values

    def options(self) -> StudyOptions:
        """The computation's options of this study file, validated as the API validates them (an error names the
        key as the file wrote it, ``study.toml:study.min_estimation``)."""
        names = {f.name for f in fields(StudyOptions)}
        try:
            return StudyOptions(**{f.name: getattr(self, f.name) for f in fields(self) if f.name in names})
        except ConfigError as exc:
            text = str(exc)
            key = text.split(":", 1)[0].split("[", 1)[0].split(".", 1)[0]
            where = self.key_locations.get(key)
            raise ConfigError(f"study.toml:{where + text[len(key) :] if where else text}") from None

    def with_options(self, **changes: Any) -> StudySpec:
        """A copy with some fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_windows(estimation: tuple[int, int], event: tuple[int, int], car_windows: Sequence[tuple[int, int]]) -> None:
    """Validate the estimation, event and CAR windows (inclusive, in event time)."""
    for name, (a, b) in (("estimation_window", estimation), ("event_window", event)):
        if a > b:
            raise ConfigError(f"{name}: start > end (got [{a}, {b}]); fix: write [start, end] with start <= end")
    e1, e2 = estimation
    w1, w2 = event
    if not (e2 < w1 or e1 > w2):
        raise ConfigError(
            f"estimation_window: [{e1}, {e2}] overlaps the event window [{w1}, {w2}]; "
            f"fix: end the estimation window before {w1}, e.g. [{e1}, {w1 - 1}]"
        )
    if not car_windows:
        raise ConfigError("car_windows: empty; fix: give at least one window such as [0, 0]")
    seen: set[tuple[int, int]] = set()
    for a, b in car_windows:
        if (a, b) in seen:
            raise ConfigError(f"car_windows: the window [{a}, {b}] is listed twice; fix: list each window once")
        seen.add((a, b))
        if a > b:
            raise ConfigError(f"car_windows: start > end (got [{a}, {b}]); fix: write [start, end] with start <= end")
        if a < w1 or b > w2:
            raise ConfigError(
                f"car_windows: [{a}, {b}] is not inside the event window [{w1}, {w2}]; "
                "fix: widen event_window or narrow the CAR window"
            )


_KEYS = {f.name for f in fields(StudySpec)} - {"extra", "group_labels", "group_colours", "key_locations"}
_SECTIONS = {"study", "data"}

#: Windows the report and the run summary read (day 0, [-1, 1], [0, 5], ...): computed whatever ``car_windows``
#: says, whenever they fit inside the event window.
REPORT_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (-2, 2), (0, 5))


def with_report_windows(
    car_windows: Sequence[tuple[int, int]], event_window: tuple[int, int]
) -> tuple[tuple[int, int], ...]:
    """``car_windows`` followed by the :data:`REPORT_WINDOWS` they lack that fit inside ``event_window``.

    >>> with_report_windows([(0, 0)], (-1, 1))
    ((0, 0), (0, 1), (-1, 1))
    """
    out = [(int(w[0]), int(w[1])) for w in car_windows]
    for w in REPORT_WINDOWS:
        if w not in out and event_window[0] <= w[0] and w[1] <= event_window[1]:
            out.append(w)
    return tuple(out)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pair(where: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2 or not all(_is_int(v) for v in value):
        raise ConfigError(f"{where}: must be a pair of whole numbers [start, end] (got {value!r}); fix: e.g. [0, 5]")
    return (int(value[0]), int(value[1]))


def _text(loc: str, value: Any, example: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{loc}: must be text in quotes (got {value!r}); fix: e.g. {example}")
    if not empty_ok and not value.strip():
        raise ConfigError(f"{loc}: must not be empty (got {value!r}); fix: e.g. {example}")
    return value


def _names(loc: str, value: Any, example: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{loc}: must be a list of names (got {value!r}); fix: e.g. {example}")
    if not value:
        raise ConfigError(f"{loc}: the list is empty; fix: name at least one, e.g. {example}")
    dup = [v for i, v in enumerate(value) if v in value[:i]]
    if dup:
        raise ConfigError(f"{loc}: {dup[0]!r} is listed twice; fix: list each name once")
    return tuple(value)


def _date_text(loc: str, value: Any) -> str:
    import datetime as _dt

    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    fix = "write an ISO date such as 2024-01-02 (quoted or not)"
    if not isinstance(value, str):
        raise ConfigError(f"{loc}: must be a date (got {value!r}); fix: {fix}")
    try:
        return _dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ConfigError(f"{loc}: not a date (got {value!r}); fix: {fix}") from None


def _regressions(loc: str, value: Any) -> tuple[dict[str, Any], ...]:
    """``regressions``: the cross-sectional CAR regressions of the study, as ``{formula, events}`` tables."""
    example = '[{ formula = "car ~ C(group)", events = "all" }]'
    if not isinstance(value, list):
        raise ConfigError(f"{loc}: must be a list of tables (got {value!r}); fix: e.g. regressions = {example}")
    out = []
    for i, item in enumerate(value):
        where = f"{loc}[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"formula", "events"} or "formula" not in item:
            raise ConfigError(
                f"{where}: must be a table with a formula and optionally events (got {item!r}); fix: e.g. {example}"
            )
        formula = _text(f"{where}.formula", item["formula"], '"car ~ C(group)"')
        events = item.get("events", "all")
        if isinstance(events, str):
            events = events.strip()
        elif isinstance(events, list) and events and all(isinstance(e, str) and e.strip() for e in events):
            events = [e.strip() for e in events]
        else:
            events = None
        if events is None or events == "":
            raise ConfigError(
                f'{where}.events: must be "headline", "all" or a list of event ids (got {item.get("events")!r}); '
                'fix: e.g. events = "headline"'
            )
        out.append({"formula": formula, "events": events})
    return tuple(out)


def _contrasts(loc: str, value: Any) -> tuple[tuple[str, str], ...]:
    """``direction_contrasts``: pairs of event directions whose events the MVRM compares (its test d)."""
    ok = isinstance(value, list) and all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) and x.strip() for x in v) for v in value
    )
    if not ok:
        raise ConfigError(
            f'{loc}: must be a list of [direction, direction] pairs (got {value!r}); fix: e.g. [["up", "down"]]'
        )
    return tuple((a.strip(), b.strip()) for a, b in value)


def _check_value(key: str, value: Any, loc: str, base: Path) -> Any:
    """One key of the study file, checked against its type and range; the value as :class:`StudySpec` holds it."""
    from .paths import check_ticker, safe_name

    if key in ("estimation_window", "event_window"):
        return _pair(loc, value)
    if key == "car_windows":
        if not isinstance(value, list):
            raise ConfigError(f"{loc}: must be a list of [start, end] pairs (got {value!r}); fix: e.g. [[0, 0]]")
        pairs = tuple(_pair(loc, v) for v in value)
        dup = [w for i, w in enumerate(pairs) if w in pairs[:i]]
        if dup:
            raise ConfigError(
                f"{loc}: the window [{dup[0][0]}, {dup[0][1]}] is listed twice; fix: list each window once"
            )
        return pairs
    if key == "groups":
        return _names(loc, value, '["miners"]')
    if key == "group_by":
        return _names(loc, value, '["group"]')
    if key == "tests":
        return _names(loc, value, '["csect_t", "bmp_t"]')
    if key == "regressions":
        return _regressions(loc, value)
    if key == "direction_contrasts":
        return _contrasts(loc, value)
    if key in ("events", "universe", "out", "prices_dir", "cache", "factors", "snapshot", "confounders", "dividends"):
        if value is None or (isinstance(value, str) and not value.strip()):
            if key in ("events", "universe", "out"):
                raise ConfigError(
                    f"{loc}: the path is empty; fix: give a path relative to the study file, e.g. "
                    f'{key} = "{getattr(StudySpec, key)}"'
                )
            return None
        if not isinstance(value, str):
            raise ConfigError(f"{loc}: must be a path string (got {value!r}); fix: quote the path")
        return base / value
    if key == "headline_windows":
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"{loc}: must be a table of event ids and window lists (got {value!r}); "
                "fix: e.g. headline_windows = { deal_signed = [[0, 1]] }"
            )
        out: dict[str, tuple[str, ...]] = {}
        for event_id, wins in value.items():
            if not isinstance(wins, list) or not wins:
                raise ConfigError(f"{loc}.{event_id}: must be a list of [start, end] pairs; fix: e.g. [[0, 1]]")
            out[str(event_id)] = tuple(window_label(_pair(f"{loc}.{event_id}", w)) for w in wins)
        return out
    if key in ("clean_estimation", "offline", "factors_percent"):
        if not isinstance(value, bool):
            raise ConfigError(f"{loc}: must be true or false (got {value!r}); fix: write true or false")
        return value
    if key == "name":
        return safe_name(_text(loc, value, '"bank_mergers_2024"'), where=loc)
    if key == "title":
        return _text(loc, value, '"Bank mergers 2024"')
    if key == "model":
        return _text(loc, value, '"market" (or constant_mean, market_adjusted, ...)')
    if key == "source":
        return _text(loc, value, '"snapshot", "yahoo" or "files"')
    if key == "headline_event":
        return _text(loc, value, '"deal_signed"')
    if key == "world_index":
        return check_ticker(_text(loc, value, '"ACWI"'), where=loc)
    if key in ("start", "end"):
        return _date_text(loc, value)
    # the computation's options (min_estimation, thin_trading_share, primary_test, placebo_draws, ...) are checked
    # by StudyOptions, the one validation the study file and the API share
    return value


def spec_from_mapping(data: Mapping[str, Any], *, base: Path, where: str = "study.toml") -> StudySpec:
    """Build a :class:`StudySpec` from parsed TOML (sections ``[study]`` and ``[data]`` or flat keys).

    Every key is checked against its type and range first (a ConfigError names the key, the value and the fix),
    then the windows against each other.
    """
    flat: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for key, value in data.items():
        if key == "groups" and isinstance(value, Mapping):  # [groups.<name>] tables: labels and colours
            labels, colours = parse_group_tables(value, where=f"{where}:groups")
            shown = {"group_labels": labels, "group_colours": colours}
        elif key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"{where}:{key}: must be a section [{key}] of keys (got {value!r}); fix: write [{key}] on its "
                    "own line followed by its keys"
                )
            for k, v in value.items():
                flat[k] = (v, f"{where}:{key}.{k}")
        else:
            flat[key] = (value, f"{where}:{key}")
    kwargs: dict[str, Any] = {}
    for key, (value, loc) in flat.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(key, sorted(_KEYS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys are: {', '.join(sorted(_KEYS))}"
            raise ConfigError(f"{loc}: unknown key {key!r}; fix: {hint}")
        kwargs[key] = _check_value(key, value, loc, base)
    if "start" in kwargs and "end" in kwargs and kwargs["start"] > kwargs["end"]:
        raise ConfigError(
            f"{flat['end'][1]}: end {kwargs['end']} is before start {kwargs['start']}; fix: swap start and end"
        )
    for key in ("events", "universe", "out"):
        kwargs.setdefault(key, base / getattr(StudySpec, key))
    if "cache" not in kwargs:
        kwargs["cache"] = base / StudySpec.cache  # type: ignore[operator]
    if kwargs.get("source") == "snapshot" and kwargs.get("snapshot") is None:
        kwargs["snapshot"] = base / SNAPSHOT_PATH
    kwargs.update(shown)
    kwargs["key_locations"] = {key: loc.split(":", 1)[1] for key, (_, loc) in flat.items()}
    try:
        return StudySpec(**kwargs)
    except TypeError as exc:  # a wrong type that slipped through, e.g. a string where a number belongs
        raise ConfigError(f"{where}: {exc}; fix: check the value types against the README") from None


def read_study(path: str | os.PathLike[str]) -> StudySpec:
    """Read and validate a study file.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, has an unknown key (the nearest valid key is suggested), a window
        with start > end, or an estimation window overlapping the event window.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: study file not found; fix: pass the path of a study TOML file")
    raw = path.read_bytes()
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark (Notepad's "Unicode")
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path.name}:{line}: the study file is not UTF-8 text (got {raw[exc.start : exc.start + 8]!r}); "
            "fix: save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc}); fix: correct the syntax at that line") from None
    return spec_from_mapping(data, base=path.resolve().parent, where=path.name)
