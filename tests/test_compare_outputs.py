"""scripts/compare_outputs.py: two runs' tables compared to a tolerance, including a test table of an older run
(the tests' outputs as JSON in one ``details`` column) against a newer one (a column per output)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers.scripts import load_script

from eventstudy.output import write_csv

compare_outputs = load_script("compare_outputs")

RBAR = 0.37569132333097016  # 17 significant digits, as the older JSON held it
P_EXACT = 0.0312500000001234


def _new() -> pd.DataFrame:
    """A test table in today's layout: the outputs as columns, NaN where a test has none."""
    return pd.DataFrame(
        {
            "event_id": ["e1", "e1", "e1", "e1"],
            "test": ["csect_t", "kp_bmp_t", "sign_z", "grank_t"],
            "statistic": [-2.5, -1.1, 1.5, 0.25],
            "notes": ["", "", "", ""],
            "rbar": [np.nan, RBAR, np.nan, np.nan],
            "positive": [np.nan, np.nan, 5.0, np.nan],
            "pvalue_exact": [np.nan, np.nan, P_EXACT, np.nan],
            "grank_z": [np.nan, np.nan, np.nan, 1.887367040219],
            "pvalue_holm": [0.1, np.nan, np.nan, np.nan],
        }
    )


def _old() -> pd.DataFrame:
    """The same table in the older layout: one ``details`` column of JSON, GRANK's Z under ``z``."""
    return pd.DataFrame(
        {
            "event_id": ["e1", "e1", "e1", "e1"],
            "test": ["csect_t", "kp_bmp_t", "sign_z", "grank_t"],
            "statistic": [-2.5, -1.1, 1.5, 0.25],
            "notes": ["", "", "", ""],
            "details": [
                "",
                json.dumps({"rbar": RBAR}),
                json.dumps({"positive": 5.0, "pvalue_exact": P_EXACT}),
                json.dumps({"z": 1.887367040219}),
            ],
            "pvalue_holm": [0.1, np.nan, np.nan, np.nan],
        }
    )


def test_older_details_are_expanded_into_the_newer_columns():
    old = compare_outputs.expand_details(_old(), _new())
    assert list(old.columns) == list(_new().columns)
    pd.testing.assert_frame_equal(old, _new(), check_exact=True)
    assert compare_outputs.compare_frames(_old(), _old(), 1e-12) == []  # two older tables: JSON key by key
    pd.testing.assert_frame_equal(compare_outputs.expand_details(_new(), _old()), _new())


def test_a_changed_output_number_is_found_in_its_column():
    new = _new()
    new.loc[1, "rbar"] = RBAR * (1 + 1e-9)
    problems = compare_outputs.compare_frames(compare_outputs.expand_details(_old(), new), new, 1e-12)
    assert problems == [f"column 'rbar': 1 rows differ; first at row 1: {RBAR!r} vs {RBAR * (1 + 1e-9)!r}"]
    assert compare_outputs.compare_frames(compare_outputs.expand_details(_old(), new), new, 1e-8) == []
    # an output the older run did not have is a column of difference, not ignored
    gone = _old()
    gone.loc[2, "details"] = json.dumps({"positive": 5.0})
    problems = compare_outputs.compare_frames(compare_outputs.expand_details(gone, _new()), _new(), 1e-12)
    assert problems == ["columns differ: missing [], new ['pvalue_exact']"]


@pytest.mark.parametrize(("digits", "code"), [(10, 0), (17, 1)])
def test_csv_files_of_two_runs(tmp_path, capsys, digits, code):
    """The CLI's CSV writes floats with 10 significant digits and the older JSON held 17: the expanded numbers of
    a CSV are rounded as the run writes them (with 17 digits the rounded CSV of the newer run differs)."""
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    write_csv(_old(), before / "tests.csv")
    write_csv(_new(), after / "tests.csv")
    _new().to_parquet(after / "tests.parquet")
    _old().to_parquet(before / "tests.parquet")
    args = [str(before), str(after), "--files", "tests.csv", "tests.parquet", "--csv-digits", str(digits)]
    assert compare_outputs.main(args) == code
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "tests.parquet: equal to 1e-12 (4 rows x 9 columns)"  # every digit on both sides
    if code == 0:
        assert out[0] == "tests.csv: equal to 1e-12 (4 rows x 9 columns)"
    else:
        assert out[:2] == [
            "tests.csv: DIFFERS (4 rows)",
            f"  column 'rbar': 1 rows differ; first at row 1: {RBAR!r} vs 0.3756913233",
        ]
