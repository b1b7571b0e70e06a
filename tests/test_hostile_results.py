"""Hostile use of the library: results that really are immutable, and no change to the user's session.

Tables are handed out as copies, ``settings`` is a read-only mapping, and fitting and writing change no pandas
option of the session.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from test_reliability import fit


@pytest.fixture(scope="module")
def results():
    res, _ = fit()
    return res


@pytest.mark.parametrize("name", ["caar_table", "test_table", "firm_events", "ar", "aar_table", "data_notes", "day0"])
def test_editing_a_table_in_place_changes_nothing(results, name: str) -> None:
    summary = results.summary().frame
    table = getattr(results, name)
    numeric = table.select_dtypes("number").columns
    table.loc[:, numeric] = 12345.0
    table["status"] = "edited"
    fresh = getattr(results, name)
    assert "edited" not in fresh.get("status", pd.Series(dtype=object)).tolist()
    assert not (fresh[numeric] == 12345.0).all().all() if len(numeric) and len(fresh) else True
    pd.testing.assert_frame_equal(results.summary().frame, summary)


def test_caar_edit_does_not_reach_the_summary(results) -> None:
    before = results.summary().frame
    results.caar_table["caar"] *= 1000  # the pandas idiom that edited the held table before
    results.caar.iloc[0, results.caar.columns.get_loc("caar")] = 99.0
    pd.testing.assert_frame_equal(results.summary().frame, before)


def test_settings_are_read_only(results) -> None:
    with pytest.raises(TypeError):
        results.settings["model"] = "constant_mean"  # type: ignore[index]
    assert results.settings["model"] == "market"
    windows = results.settings["car_windows"]
    for edit in (lambda: windows.append("0_9"), lambda: windows.__setitem__(0, "x"), windows.clear):
        with pytest.raises(TypeError, match="read-only"):
            edit()
    assert windows[:2] == ["0_0", "m1_1"]
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(windows)) == windows and copy.deepcopy(windows) == windows
    again = pickle.loads(pickle.dumps(results))  # the whole results object, read-only again after loading
    assert dict(again.settings) == dict(results.settings)
    pd.testing.assert_frame_equal(again.summary().frame, results.summary().frame)
    with pytest.raises(TypeError):
        again.settings["model"] = "x"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        results.settings = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        results.analyses["claims"] = None  # type: ignore[index]


def test_results_still_serialise(results, tmp_path: Path) -> None:
    import json

    from eventstudy.report.tables import write_tables

    write_tables(results, tmp_path)
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["model"] == "market" and settings["car_windows"][:2] == ["0_0", "m1_1"]
    assert settings["estimation_window"] == [-120, -11]


def test_fitting_changes_no_pandas_option() -> None:
    import warnings

    import numpy as np

    options = {k: pd.get_option(k) for k in ("display.max_rows", "display.width", "mode.chained_assignment")}
    errs = np.geterr()
    filters = list(warnings.filters)
    res, _ = fit()
    res.summary()
    str(res)
    assert {k: pd.get_option(k) for k in options} == options
    assert np.geterr() == errs
    assert list(warnings.filters) == filters
