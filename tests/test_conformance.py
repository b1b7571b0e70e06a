"""Every registered test statistic passes the same checks, so a newly registered test inherits them: a catalog
entry, one row per event × group × window, p-values in [0, 1], NaN only with a reason, the sample size of the CAAR
table, results that do not depend on the order of the firm-events, and a missing return handled. Five tests are
also checked against their formula by hand. (Every registered model passes ``test_models``' shared checks.)"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.abnormal import compute_abnormal
from eventstudy.catalog import TEST_CATALOG, TEST_INPUTS, describe_test
from eventstudy.config import StudyOptions
from eventstudy.errors import ConfigError
from eventstudy.inference import TESTS, TestResult, register_test
from eventstudy.inference.base import BATCHES, Batch
from eventstudy.inference.runner import caar_table, run_tests
from eventstudy.models import MarketModel
from eventstudy.report.labels import explain_test, short_name
from eventstudy.report.sections import appendix_methods
from eventstudy.simulate import SimulationDesign, simulate_panel

WINDOWS = [(0, 0), (-1, 1), (0, 5)]
KEYS = ["event_id", "group", "window"]


def _fit(panel):
    abn = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=100)
    tests = run_tests(panel, abn, TESTS.names(), ("group",), model=MarketModel(), min_estimation=100, rng=1)
    return abn, tests, caar_table(panel, abn, ("group",))


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(SimulationDesign(n_firms=12, rbar=0.1), 2, rng=5)


@pytest.fixture(scope="module")
def fitted(panel):
    return _fit(panel)


@pytest.fixture(scope="module")
def reversed_fit(panel):
    """The same firm-events in the opposite order."""
    order = np.arange(panel.n)[::-1]
    changes = {
        name: (value.iloc[order].reset_index(drop=True) if isinstance(value, pd.DataFrame) else value[order])
        for name, value in vars(panel).items()
        if (isinstance(value, pd.DataFrame) and len(value) == panel.n)
        or (isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] == panel.n)
    }
    from dataclasses import replace

    return _fit(replace(panel, **changes))


@pytest.fixture(scope="module")
def gappy_fit(panel):
    """One firm-event without its day-0 return."""
    from dataclasses import replace

    ret = panel.ret.copy()
    ret[0, panel.day_index(0)] = np.nan
    return _fit(replace(panel, ret=ret))


def _rows(tests: pd.DataFrame, name: str) -> pd.DataFrame:
    return tests[tests["test"] == name].set_index(KEYS).sort_index()


ALL = TESTS.names()


@pytest.mark.parametrize("name", ALL)
def test_catalog_entry(name):
    info = describe_test(name)
    assert info.name == name and info.label and info.description and info.formula and info.reference
    assert isinstance(info.robust_to_clustering, bool) and set(info.requires) <= set(TEST_INPUTS)


@pytest.mark.parametrize("name", ALL)
def test_one_row_per_cell_and_the_caar_sample_size(fitted, name):
    _, tests, caar = fitted
    rows = _rows(tests, name)
    c = caar.set_index(KEYS).sort_index()
    assert rows.index.equals(c.index)
    np.testing.assert_array_equal(rows["nobs"].to_numpy(), c["nobs"].to_numpy())


@pytest.mark.parametrize("name", ALL)
def test_pvalues_and_nans(fitted, gappy_fit, name):
    for _, tests, _ in (fitted, gappy_fit):
        rows = _rows(tests, name)
        p = rows["pvalue"].to_numpy(dtype=float)
        stat = rows["statistic"].to_numpy(dtype=float)
        assert ((p >= 0) & (p <= 1) | np.isnan(p)).all()
        assert (np.isnan(stat) == np.isnan(p)).all()
        assert (rows.loc[np.isnan(p), "notes"].astype(str).str.len() > 0).all()
        family = describe_test(name).distribution.split("(")[0]
        assert rows["distribution"].astype(str).str.startswith(family).all(), rows["distribution"].unique()


@pytest.mark.parametrize("name", ALL)
def test_a_missing_return_leaves_that_firm_event_out_of_the_windows_it_touches(fitted, gappy_fit, name):
    full, gap = _rows(fitted[1], name), _rows(gappy_fit[1], name)
    for window in ("0_0", "m1_1"):
        assert gap.loc[("r0", "sim", window), "nobs"] == full.loc[("r0", "sim", window), "nobs"] - 1
    assert gap.loc[("r1", "sim", "0_0"), "nobs"] == full.loc[("r1", "sim", "0_0"), "nobs"]


@pytest.mark.parametrize("name", ALL)
def test_the_order_of_the_firm_events_does_not_matter(fitted, reversed_fit, name):
    a, b = _rows(fitted[1], name), _rows(reversed_fit[1], name)
    np.testing.assert_allclose(a["statistic"], b["statistic"], rtol=1e-10, atol=1e-12)
    if "rng" not in describe_test(name).requires:  # a resampled p-value depends on the draw order
        np.testing.assert_allclose(a["pvalue"], b["pvalue"], rtol=1e-10, atol=1e-12)


def _cell(panel, abn, event_id="r0", w=1):
    rows = np.flatnonzero((panel.keys["event_id"] == event_id).to_numpy() & abn.usable(w))
    return abn.car[rows, w], abn.var_car[rows, w], abn.scar[rows, w], abn.nobs[rows]


@pytest.mark.parametrize("name", ["csect_t", "bmp_t", "j1", "patell_z", "sign_z"])
def test_known_values_by_hand(panel, fitted, name):
    abn, tests, _ = fitted
    car, var, scar, m = _cell(panel, abn)
    n = car.size
    want = {
        "csect_t": car.mean() / (car.std(ddof=1) / np.sqrt(n)),
        "bmp_t": scar.mean() / (scar.std(ddof=1) / np.sqrt(n)),
        "j1": car.mean() / np.sqrt(var.sum() / n**2),
        "patell_z": scar.sum() / np.sqrt(((m - 2) / (m - 4)).sum()),
        "sign_z": ((car > 0).sum() - n / 2) / np.sqrt(n / 4),
    }[name]
    got = _rows(tests, name).loc[("r0", "sim", "m1_1")]
    assert got["statistic"] == pytest.approx(want, rel=1e-12)
    if describe_test(name).distribution == "N(0,1)":
        assert got["pvalue"] == pytest.approx(2 * stats.norm.sf(abs(want)), rel=1e-10)


def test_a_new_test_declares_its_metadata_and_runs_like_the_others(panel, fitted):
    with pytest.raises(ConfigError, match="no metadata for label, description"):
        register_test("mean_car_z_incomplete", distribution="N(0,1)")
    with pytest.raises(ConfigError, match="unknown input 'prices'"):
        register_test(
            "mean_car_z_bad",
            label="z",
            description="d",
            formula="f",
            reference="r",
            distribution="N(0,1)",
            robust_to_clustering=False,
            requires=("prices",),
        )

    @register_test(
        "mean_car_z",
        aliases=("mcz",),
        label="mean z",
        description="z of the mean CAR with the cross-sectional sd",
        formula="z = CAAR / (s_CAR / √N); N(0,1)",
        reference="—",
        distribution="N(0,1)",
        robust_to_clustering=False,
    )
    def mean_car_z(s):
        if s.n < 2:
            return TestResult("mean_car_z", float("nan"), float("nan"), "N(0,1)", s.n, "needs 2 firm-events")
        z = float(s.car.mean() / (s.car.std(ddof=1) / np.sqrt(s.n)))
        return TestResult("mean_car_z", z, float(2 * stats.norm.sf(abs(z))), "N(0,1)", s.n)

    try:
        assert TEST_CATALOG["mean_car_z"].description == "z of the mean CAR with the cross-sectional sd"
        abn, _, caar = fitted
        tests = run_tests(panel, abn, ["mean_car_z", "csect_t"], ("group",), rng=1)
        new, ref = _rows(tests, "mean_car_z"), _rows(tests, "csect_t")
        assert new.index.equals(caar.set_index(KEYS).sort_index().index)
        np.testing.assert_allclose(new["statistic"], ref["statistic"], rtol=1e-14)
        # the options, the report's labels, hover text and methods appendix read the catalog entry
        assert StudyOptions(tests=["mcz", "csect_t"]).tests == ("mean_car_z", "csect_t")
        assert short_name("mean_car_z") == "mean z"
        assert explain_test("mean_car_z") == (
            "Z of the mean CAR with the cross-sectional sd: z = CAAR / (s_CAR / √N); N(0,1); ignores correlation "
            "between firms that share the event date"
        )
        assert appendix_methods._method("mean_car_z") == (
            "z of the mean CAR with the cross-sectional sd",
            "z = CAAR / (s_CAR / √N); N(0,1)",
            "—",
        )
    finally:
        TESTS._items.pop("mean_car_z")
        TESTS._aliases.pop("mcz", None)
        TEST_CATALOG.pop("mean_car_z")


# ---------------------------------------------------------------------------- batch versions
def _batch_samples(panel, abn):
    """Samples of two cells (one of them pooled over both events, so its dates are not aligned) in every window,
    including ones of 0, 1, 2 and 3 firm-events, a tie and a zero among the CARs."""
    from eventstudy.inference.runner import make_cell, make_sample

    model = MarketModel()
    samples = []
    fitted = np.flatnonzero(np.isin(abn.status, ("ok", "missing_event_window")))
    one = fitted[(panel.keys["event_id"].to_numpy()[fitted] == "r0")]
    for rows in (one, fitted):
        cell = make_cell(panel, abn, rows)
        for w in range(len(abn.windows)):
            keep = abn.usable(w)[rows]
            for members in (np.flatnonzero(keep), np.flatnonzero(keep)[:3], np.flatnonzero(keep)[:2]):
                samples.append(
                    make_sample(
                        panel, abn, rows[members], w, model=model, min_estimation=100, cell=cell, members=members
                    )
                )
        samples.append(
            make_sample(panel, abn, rows[:0], 0, model=model, min_estimation=100, cell=cell, members=rows[:0])
        )
        samples.append(
            make_sample(panel, abn, rows[:1], 0, model=model, min_estimation=100, cell=cell, members=np.arange(1))
        )
    # CARs with a tie and a zero (the signed-rank test's other branches)
    s = samples[0]
    car = s.car.copy()
    car[1], car[2] = car[0], 0.0
    samples.append(replace(s, car=car))
    return samples


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_a_batch_version_gives_the_results_of_the_test_itself(panel, fitted, name):
    abn = fitted[0]
    samples = _batch_samples(panel, abn)
    got = BATCHES[name][1](Batch(samples))
    assert len(got) == len(samples)
    for i, s in enumerate(samples):
        want = TESTS.get(name)(s)
        res = got[i]
        assert (res.name, res.distribution, res.nobs, res.notes) == (
            want.name,
            want.distribution,
            want.nobs,
            want.notes,
        )
        np.testing.assert_allclose([res.statistic, res.pvalue], [want.statistic, want.pvalue], rtol=1e-12, atol=1e-14)
        assert list(res.details) == list(want.details)
        np.testing.assert_allclose(list(res.details.values()), list(want.details.values()), rtol=1e-12, atol=1e-14)


def test_the_test_table_keeps_its_columns_and_types_without_tests_or_cells(panel, fitted):
    abn, tests, _ = fitted
    for table in (
        run_tests(panel, abn, [], ("group",)),
        run_tests(panel, abn, ["csect_t"], ("group",), pools={"pooled:none": ["no such event"]}, events=False),
    ):
        assert table.empty and list(table.columns) == list(tests.columns)
        # merges on the key columns (the claims' columns) need text there, as in a table with rows
        assert table.merge(
            tests[["event_id", "group", "window", "test"]], on=["event_id", "group", "window", "test"]
        ).empty
