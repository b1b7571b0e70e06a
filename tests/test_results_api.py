"""The results object in the ecosystem's conventions: summaries, intervals, tidy tables, save/load, errors that list
the valid choices, figures without pyplot."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_reliability import OPTIONS, events_frame, synthetic_prices, universe_frame

from eventstudy.catalog import TEST_BASE_COLUMNS
from eventstudy.display import Summary, to_markdown
from eventstudy.errors import ConfigError
from eventstudy.inference.parametric import kp_bmp_t
from eventstudy.inference.runner import make_sample
from eventstudy.results import SAVED, EventStudyResults
from eventstudy.study import EventStudy

pytestmark = pytest.mark.filterwarnings("ignore::eventstudy.errors.DataWarning")


@pytest.fixture(scope="module")
def res() -> EventStudyResults:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events_frame(), universe_frame(), synthetic_prices(), **OPTIONS).fit()


@pytest.mark.parametrize("window", [(-1, 1), "m1_1", "-1_1", "[-1, 1]"])
def test_a_window_in_any_spelling(res, window):
    got = res.test("csect_t", event_id="ev1", group="miners", window=window)
    t = res.test_table
    want = t[(t["test"] == "csect_t") & (t["event_id"] == "ev1") & (t["group"] == "miners") & (t["window"] == "m1_1")]
    np.testing.assert_equal(got.statistic, want["statistic"].iloc[0])  # NaN when the group is too small to report
    assert got.nobs == want["nobs"].iloc[0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.summary("jun27"), "event_id: unknown value 'jun27'; fix: use one of ev1, ev2"),
        (lambda r: r.summary(windows=["m3_3"]), "window: 'm3_3' is not a window of the study; fix: use one of"),
        (lambda r: r.test("csect_t", event_id="ev1", group="minerz"), "group: unknown value 'minerz'"),
        (lambda r: r.test("csect_t", event_id="ev9", group="miners"), "event_id: unknown value 'ev9'"),
        (lambda r: r.table("cars"), "table: unknown value 'cars'; fix: use one of firm_events"),
        (lambda r: r.plot("caar", event_id="jun27"), "event_id: unknown value 'jun27'"),
    ],
)
def test_unknown_choices_raise_with_the_valid_ones(res, call, message):
    with pytest.raises(ConfigError) as err:
        call(res)
    assert message in str(err.value)


def test_summary_text_html_latex_markdown(res):
    s = res.summary()
    assert isinstance(s, Summary)
    assert list(s.frame.columns[:4]) == ["nobs", "caar", "ci_low", "ci_high"]
    caar = res.caar_table.set_index(["event_id", "group", "window"]).loc[("ev1", "miners", "m1_1"), "caar"]
    assert s.frame.loc[("miners", "m1_1"), "caar"] == caar
    text = str(s)
    assert text.startswith("Event study results") and f"{caar:.4f}" in text
    assert str(res) == text and res._repr_html_() == s.as_html()
    assert "<table" in s.as_html() and "\\begin{tabular}" in s.as_latex() and "\\toprule" in s.as_latex()
    assert "| group | window | nobs | caar |" in s.as_markdown()


def test_markdown_and_latex_of_a_table(res):
    md = res.to_markdown("caar").splitlines()
    assert md[0].startswith("| event_id | group | window | nobs | caar |")
    assert len(md) == 2 + len(res.caar_table)
    assert to_markdown(pd.DataFrame({"a": ["x|y"], "b": [1.5]})).splitlines()[2] == "| x\\|y | 1.5000 |"
    assert res.to_latex("caar").count("\\\\") == len(res.caar_table) + 1


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_conf_int_is_the_t_interval_of_the_caar(res, alpha):
    ci = res.conf_int(alpha)
    c = res.caar_table.set_index(["event_id", "group", "window"])
    row = c.loc[("ev1", "miners", "m1_1")]
    half = stats.t.ppf(1 - alpha / 2, row["nobs"] - 1) * row["sd_car"] / np.sqrt(row["nobs"])
    assert ci.loc[("ev1", "miners", "m1_1"), "ci_low"] == pytest.approx(row["caar"] - half, abs=1e-15)
    if alpha == 0.05:  # the CAAR table's own 95 % interval
        np.testing.assert_allclose(ci["ci_low"], c["ci_low"], rtol=0, atol=1e-15)
        np.testing.assert_allclose(ci["ci_high"], c["ci_high"], rtol=0, atol=1e-15)


@pytest.mark.parametrize("as_str", [True, False])
def test_save_and_load_give_the_same_tables(res, tmp_path, as_str):
    folder = str(tmp_path / "saved") if as_str else tmp_path / "saved"
    res.save(folder)
    for name in SAVED:
        assert (tmp_path / "saved" / f"{name}.csv").is_file() and (tmp_path / "saved" / f"{name}.parquet").is_file()
    back = EventStudyResults.load(folder)
    for name in SAVED:
        pd.testing.assert_frame_equal(back.table(name), res.table(name), check_exact=True)
    assert set(back.analyses) == {k for k, v in res.analyses.items() if isinstance(v, pd.DataFrame)}
    # an analysis' text column of mixed objects comes back as a string column: the values are equal
    pd.testing.assert_frame_equal(back.analyses["mvrm"], res.analyses["mvrm"], check_exact=True, check_dtype=False)
    assert back.settings["model"] == res.settings["model"]
    assert back.settings["car_windows"] == res.settings["car_windows"]
    assert back.summary().as_text() == res.summary().as_text()


def test_load_of_a_folder_without_results(tmp_path):
    with pytest.raises(ConfigError, match="no saved results"):
        EventStudyResults.load(tmp_path)


def test_plot_returns_a_figure_and_leaves_pyplot_alone(res):
    import matplotlib
    import matplotlib.figure
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    before = plt.get_fignums()
    for kind in ("caar", "heatmap", "timeline"):
        fig = res.plot(kind)
        assert isinstance(fig, matplotlib.figure.Figure)
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == before


@pytest.mark.parametrize("window", [(-1, 1), "m1_1", "-1_1", "[-1, 1]"])
def test_mvrm_and_regress_take_any_window_spelling(res, window):
    m = res.mvrm(window=window, events=["ev1"])
    assert m.window == (-1, 1)
    r = res.regress("car ~ 1", window=window)
    assert r.window == "m1_1"


def test_mvrm_window_outside_the_event_window_is_an_error(res):
    with pytest.raises(ConfigError, match="mvrm:window"):
        res.mvrm(window="m9_9")
    with pytest.raises(ConfigError, match="mvrm:window: not a window"):
        res.mvrm(window="jun27")


def test_mvrm_result_summary_and_intervals(res):
    import statsmodels.api as sm  # noqa: F401

    m = res.mvrm(events=["ev1"])
    s = m.summary()
    assert s.title.startswith("MVRM") and "Wald tests" in s.as_text() and m._repr_html_() == s.as_html()
    ci = m.conf_int(0.05)
    c = m.coefficients.set_index(["ticker", "event_id"])
    q = stats.t.ppf(0.975, m.df_resid)
    np.testing.assert_allclose(ci["ci_low"], c["car"] - q * c["std_err"], rtol=1e-14)
    np.testing.assert_allclose(ci["gamma_high"], c["gamma"] + q * c["gamma_std_err"], rtol=1e-14)
    assert (ci["gamma_low"] < c["gamma"]).all() and (c["gamma"] < ci["gamma_high"]).all()


def test_regression_result_summary_and_intervals(res):
    r = res.regress("car ~ 1", window="m1_1")
    ci = r.conf_int(0.1)
    want = r.result.conf_int(alpha=0.1)
    assert ci.loc["Intercept", "ci_low"] == want.loc["Intercept", 0]
    assert "Coefficients" in str(r) and "<table" in r._repr_html_()
    assert list(r.to_frame()["term"]) == ["Intercept"]


# ------------------------------------------------------------------ the tests' outputs as columns
OUTPUT_TESTS = ["csect_t", "kp_bmp_t", "sign_z", "grank_t"]


@pytest.fixture(scope="module")
def res_outputs() -> EventStudyResults:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = {**OPTIONS, "tests": OUTPUT_TESTS}
        return EventStudy(events_frame(), universe_frame(), synthetic_prices(), **options).fit()


def test_the_tests_outputs_are_columns_of_the_test_table(res_outputs):
    t = res_outputs.test_table
    outputs = ["rbar", "positive", "pvalue_exact", "grank_z"]
    assert list(t.columns[: len(TEST_BASE_COLUMNS)]) == list(TEST_BASE_COLUMNS)
    assert list(t.columns[len(TEST_BASE_COLUMNS) :][:4]) == outputs and "details" not in t.columns
    assert (t.dtypes[outputs] == np.float64).all()
    # kp_bmp_t's rbar is the r̄ its own function gives on the same firm-events
    panel, abn = res_outputs.panel, res_outputs.abnormal
    keys = panel.keys
    fitted = np.isin(abn.status, ("ok", "missing_event_window"))
    rows = np.flatnonzero((keys["event_id"] == "ev1").to_numpy() & (keys["group"] == "miners").to_numpy() & fitted)
    rows = rows[abn.usable(1)[rows]]
    want = kp_bmp_t(make_sample(panel, abn, rows, 1))
    row = t[(t["test"] == "kp_bmp_t") & (t["event_id"] == "ev1") & (t["group"] == "miners") & (t["window"] == "m1_1")]
    assert row["rbar"].iloc[0] == pytest.approx(want.details["rbar"], rel=1e-12) and 0 < abs(want.details["rbar"]) < 1
    assert row[["positive", "pvalue_exact", "grank_z"]].isna().all(axis=None)
    # a test without outputs has NaN in every output column; a test with some, numbers in its own only
    assert t.loc[t["test"] == "csect_t", outputs].isna().all(axis=None)
    sign = t[t["test"] == "sign_z"]
    assert sign[["positive", "pvalue_exact"]].notna().all(axis=None) and sign[["rbar", "grank_z"]].isna().all(axis=None)
    # res.test hands them back in details
    got = res_outputs.test("kp_bmp_t", event_id="ev1", group="miners", window="m1_1")
    assert dict(got.details) == {"rbar": row["rbar"].iloc[0]}
    assert dict(res_outputs.test("csect_t", event_id="ev1", group="miners", window="m1_1").details) == {}


def test_the_output_columns_are_saved_and_loaded_equal(res_outputs, tmp_path):
    res_outputs.save(tmp_path / "saved")
    back = EventStudyResults.load(tmp_path / "saved")
    t = res_outputs.test_table
    pd.testing.assert_frame_equal(back.test_table, t, check_exact=True)  # dtypes included
    csv = pd.read_csv(tmp_path / "saved" / "tests.csv")
    assert list(csv.columns) == list(t.columns)
    for col in ("rbar", "positive", "pvalue_exact", "grank_z"):
        np.testing.assert_array_equal(csv[col].to_numpy(), t[col].to_numpy())  # every digit (%.17g)
