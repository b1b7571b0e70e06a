"""The study file (TOML) → a validated :class:`StudySpec`.

The study file is data only: it is parsed with :mod:`tomllib` and nothing in it is evaluated.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["StudySpec", "DEFAULT_CAR_WINDOWS", "read_study", "window_label", "PRICES_DIR_ENV"]

PRICES_DIR_ENV = "EVENTSTUDY_PRICES_DIR"

DEFAULT_CAR_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (-2, 2), (0, 5), (-5, 5), (-10, 10))
DEFAULT_TESTS: tuple[str, ...] = (
    "csect_t",
    "cda_t",
    "patell_z",
    "bmp_t",
    "kp_bmp_t",
    "kp_patell_z",
    "j1",
    "portfolio_t",
    "sign_z",
    "gsign_z",
    "rank_z",
    "grank_t",
    "wilcoxon",
)


def window_label(window: tuple[int, int]) -> str:
    """``(-1, 1)`` → ``"m1_1"``: the stable column-name form of a window (−1 written as ``m1``)."""

    def one(x: int) -> str:
        return f"m{-x}" if x < 0 else str(x)

    return f"{one(window[0])}_{one(window[1])}"


@dataclass(frozen=True)
class StudySpec:
    """Everything that defines a study, validated.

    Paths are resolved relative to the study file's folder.
    """

    name: str = "study"
    title: str = "Event study"
    events: Path = Path("events.csv")
    universe: Path = Path("universe.csv")
    groups: tuple[str, ...] = ("miners", "magnets", "defense")
    group_by: tuple[str, ...] = ("group",)
    model: str = "market"
    estimation_window: tuple[int, int] = (-250, -11)
    event_window: tuple[int, int] = (-10, 10)
    car_windows: tuple[tuple[int, int], ...] = DEFAULT_CAR_WINDOWS
    min_estimation: int = 120
    thin_trading_share: float = 0.2
    return_kind: str = "simple"
    clean_estimation: bool = False
    tests: tuple[str, ...] = DEFAULT_TESTS
    headline_event: str | None = None
    world_index: str = "ACWI"
    factors: Path | None = None
    factors_percent: bool = False
    date_rule: str = "calendar_date"
    out: Path = Path("reports")
    # data
    source: str = "yahoo"
    prices_dir: Path | None = None
    cache: Path | None = Path(".eventstudy/cache.duckdb")
    offline: bool = False
    start: str | None = None
    end: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_windows(self.estimation_window, self.event_window, self.car_windows)
        if self.min_estimation < 3:
            raise ConfigError(
                f"study.toml:min_estimation: must be at least 3 (got {self.min_estimation}); fix: use e.g. 120"
            )
        if not 0 <= self.thin_trading_share <= 1:
            raise ConfigError(
                f"study.toml:thin_trading_share: must lie in [0, 1] (got {self.thin_trading_share}); fix: use e.g. 0.2"
            )
        if self.date_rule not in ("calendar_date", "end_of_day"):
            raise ConfigError(
                f"study.toml:date_rule: must be 'calendar_date' or 'end_of_day' (got {self.date_rule!r}); "
                "fix: pick one (METHODS §1)"
            )
        if self.return_kind not in ("simple", "log"):
            raise ConfigError(
                f"study.toml:return_kind: must be 'simple' or 'log' (got {self.return_kind!r}); fix: pick one"
            )

    def with_options(self, **changes: Any) -> StudySpec:
        """A copy with some fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_windows(estimation: tuple[int, int], event: tuple[int, int], car_windows: Sequence[tuple[int, int]]) -> None:
    """Validate the estimation, event and CAR windows (inclusive, in event time)."""
    for name, (a, b) in (("estimation_window", estimation), ("event_window", event)):
        if a > b:
            raise ConfigError(
                f"study.toml:{name}: start > end (got [{a}, {b}]); fix: write [start, end] with start <= end"
            )
    e1, e2 = estimation
    w1, w2 = event
    if not (e2 < w1 or e1 > w2):
        raise ConfigError(
            f"study.toml:estimation_window: [{e1}, {e2}] overlaps the event window [{w1}, {w2}]; "
            f"fix: end the estimation window before {w1}, e.g. [{e1}, {w1 - 1}]"
        )
    if not car_windows:
        raise ConfigError("study.toml:car_windows: empty; fix: give at least one window such as [0, 0]")
    for a, b in car_windows:
        if a > b:
            raise ConfigError(
                f"study.toml:car_windows: start > end (got [{a}, {b}]); fix: write [start, end] with start <= end"
            )
        if a < w1 or b > w2:
            raise ConfigError(
                f"study.toml:car_windows: [{a}, {b}] is not inside the event window [{w1}, {w2}]; "
                "fix: widen event_window or narrow the CAR window"
            )


_KEYS = {f.name for f in fields(StudySpec)} - {"extra"}
_SECTIONS = {"study", "data"}


def _pair(where: str, value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ConfigError(f"{where}: must be a pair of whole numbers [start, end] (got {value!r}); fix: e.g. [0, 5]")
    return (int(value[0]), int(value[1]))


def spec_from_mapping(data: Mapping[str, Any], *, base: Path, where: str = "study.toml") -> StudySpec:
    """Build a :class:`StudySpec` from parsed TOML (sections ``[study]`` and ``[data]`` or flat keys)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS and isinstance(value, Mapping):
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
        if key in ("estimation_window", "event_window"):
            value = _pair(loc, value)
        elif key == "car_windows":
            if not isinstance(value, list):
                raise ConfigError(f"{loc}: must be a list of [start, end] pairs (got {value!r}); fix: e.g. [[0, 0]]")
            value = tuple(_pair(loc, v) for v in value)
        elif key in ("groups", "group_by", "tests"):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f'{loc}: must be a list of names (got {value!r}); fix: e.g. ["miners"]')
            value = tuple(value)
        elif key in ("events", "universe", "out", "prices_dir", "cache", "factors"):
            if value in ("", None):
                value = None
            else:
                if not isinstance(value, str):
                    raise ConfigError(f"{loc}: must be a path string (got {value!r}); fix: quote the path")
                value = base / value
        elif key in ("min_estimation",):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{loc}: must be a whole number (got {value!r}); fix: e.g. 120")
        elif key in ("clean_estimation", "offline", "factors_percent"):
            if not isinstance(value, bool):
                raise ConfigError(f"{loc}: must be true or false (got {value!r}); fix: write true or false")
        kwargs[key] = value
    for key in ("events", "universe", "out"):
        kwargs.setdefault(key, base / getattr(StudySpec, key))
    if "cache" not in kwargs:
        kwargs["cache"] = base / StudySpec.cache  # type: ignore[operator]
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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc}); fix: correct the syntax at that line") from None
    return spec_from_mapping(data, base=path.resolve().parent, where=path.name)
