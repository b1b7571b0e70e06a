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
