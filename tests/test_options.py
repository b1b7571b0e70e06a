"""One options object, validated once and shared by the study file and the API; one window type; one estimate step
for the fit and its variants."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_reliability import OPTIONS, events_frame, synthetic_prices, universe_frame

from eventstudy.config import StudyOptions, Window, as_window, read_study
from eventstudy.errors import ConfigError
from eventstudy.estimate import estimate
from eventstudy.models import get_model
from eventstudy.study import EventStudy

STUDY = """
[study]
name = "t"
events = "events.csv"
universe = "universe.csv"
groups = ["miners"]
estimation_window = [-120, -11]
event_window = [-5, 5]
car_windows = [[0, 0], [-1, 1]]
min_estimation = 50
"""


@pytest.mark.parametrize(
    "value", [(-1, 1), "m1_1", "-1_1", "[-1, 1]", [-1, 1], "(-1, 1)", np.array([-1, 1]), Window((-1, 1))]
)
def test_window_accepts_every_spelling(value):
    w = Window(value)
    assert w == (-1, 1) and w.start == -1 and w.end == 1 and w.label == "m1_1"


@pytest.mark.parametrize("value", ["jun27", "1_m1", (2, 1), (1.0, 2.0), (1, 2, 3), None])
def test_window_rejects_what_is_not_a_window(value):
    with pytest.raises(ConfigError, match="window"):
        Window(value)


def test_as_window_lists_the_valid_choices():
    assert as_window("0_5", [(0, 0), (0, 5)]) == (0, 5)
    with pytest.raises(ConfigError, match="not a window of the study; fix: use one of 0_0, m1_1"):
        as_window("m3_3", [(0, 0), (-1, 1)])


def _write_study(tmp_path: Path, extra: str = "") -> Path:
    events_frame().to_csv(tmp_path / "events.csv", index=False)
    universe_frame().to_csv(tmp_path / "universe.csv", index=False)
    path = tmp_path / "study.toml"
    text = STUDY if not extra.startswith("min_estimation") else STUDY.replace("min_estimation = 50\n", "")
    path.write_text(text + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("key", "toml", "value", "message"),
    [
        ("thin_trading_share", "thin_trading_share = 5.0", 5.0, "thin_trading_share: must lie in [0, 1] (got 5.0)"),
        ("min_estimation", "min_estimation = 500", 500, "min_estimation: 500 exceeds the estimation window's 110"),
        ("return_kind", 'return_kind = "weird"', "weird", "return_kind: must be 'simple' or 'log' (got 'weird')"),
        ("primary_test", 'primary_test = "kp_bmp"', "kp_bmp", "primary_test: unknown test 'kp_bmp'; did you mean"),
        ("tests", 'tests = ["csect_t", "nope_t"]', ["csect_t", "nope_t"], "tests: unknown test 'nope_t'"),
        ("placebo_draws", "placebo_draws = -1", -1, "placebo_draws: must be a whole number, 0 or more (got -1)"),
        ("max_abs_return", "max_abs_return = 0.0", 0.0, "max_abs_return: must be a positive number (got 0.0)"),
        ("full_estimation", "full_estimation = 2", 2, "full_estimation: must be at least 3 (got 2)"),
    ],
)
def test_the_study_file_and_the_api_reject_the_same_values(tmp_path, key, toml, value, message):
    with pytest.raises(ConfigError) as from_file:
        read_study(_write_study(tmp_path, f"{toml}\n"))
    kwargs = {**OPTIONS, key: value}
    with pytest.raises(ConfigError) as from_api:
        EventStudy(events_frame(), universe_frame(), synthetic_prices(), **kwargs)
    assert message in str(from_file.value)
    assert message in str(from_api.value)


def test_the_study_file_and_the_api_build_equal_options(tmp_path):
    spec = read_study(_write_study(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_file = EventStudy.from_spec(spec, prices=synthetic_prices())
        from_api = EventStudy(events_frame(), universe_frame(), synthetic_prices(), groups=["miners"], **OPTIONS)
    assert from_file.options.car_windows == from_api.options.car_windows
    for name in ("estimation_window", "event_window", "min_estimation", "thin_trading_share", "groups", "model"):
        assert getattr(from_file.options, name) == getattr(from_api.options, name), name
    for name in ("primary_test", "placebo_draws", "max_abs_return", "full_estimation", "headline_windows"):
        assert getattr(from_file.options, name) == getattr(from_api.options, name), name


def test_every_option_is_validated_in_the_options_object_once():
    """What the API and the study file share is checked by ``StudyOptions`` alone: aliases and window spellings
    come out in one form, and the settings carry plain values."""
    options = StudyOptions(
        tests=["j2", "kp_bmp_t"],
        primary_test="j2",
        headline_windows={"ev1": ["[0, 1]", (-1, 1)]},
        regressions=[{"formula": "car ~ C(group)"}],
        direction_contrasts=[["escalation", "truce"]],
        full_estimation=60,
        min_estimation=100,
    )
    assert options.tests == ("patell_z", "kp_bmp_t") and options.primary_test == "patell_z"
    assert dict(options.headline_windows) == {"ev1": ("0_1", "m1_1")}
    assert options.full_estimation == 100  # never below the minimum
    settings = options.settings()
    assert settings["regressions"] == [{"formula": "car ~ C(group)", "events": "all"}]
    assert settings["direction_contrasts"] == [["escalation", "truce"]]
    assert settings["headline_windows"] == {"ev1": ["0_1", "m1_1"]}
    with pytest.raises(TypeError):
        options.headline_windows["ev2"] = ("0_0",)  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"regressions\[0\]: needs a formula"):
        StudyOptions(regressions=[{"events": "all"}])
    with pytest.raises(ConfigError, match=r"direction_contrasts\[0\]: must be a pair"):
        StudyOptions(direction_contrasts=[["escalation"]])


def test_options_are_immutable_and_a_variant_is_validated_again():
    base = StudyOptions(car_windows=["0_0", "m1_1"])
    with pytest.raises(AttributeError):
        base.model = "constant_mean"  # type: ignore[misc]
    variant = replace(base, model="constant_mean", clean_estimation=True)
    assert variant.model == "constant_mean" and variant.car_windows == ((0, 0), (-1, 1))
    with pytest.raises(ConfigError, match="thin_trading_share"):
        replace(base, thin_trading_share=2.0)


def test_a_variant_by_replace_equals_a_new_fit_with_that_option():
    """The estimate step on the fit's panel with replace(options, ...) gives the CARs of a fresh fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = EventStudy(events_frame(), universe_frame(), synthetic_prices(), **OPTIONS)
        res = study.fit(analyse=False)
        direct = study.with_options(model="constant_mean").fit(analyse=False)
    options = replace(res.options, model="constant_mean")
    _, abn = estimate(res.panel, get_model(options.model), options)
    got = pd.Series(abn.car[:, 1], index=res.firm_events.set_index(["event_id", "ticker"]).index)
    want = direct.firm_events.set_index(["event_id", "ticker"])["car_m1_1"]
    pd.testing.assert_series_equal(got, want, check_names=False, rtol=0, atol=1e-14)
