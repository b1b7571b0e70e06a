"""Every registered test statistic passes the same checks, so a newly registered test inherits them: a catalog
entry, one row per event × group × window, p-values in [0, 1], NaN only with a reason, the sample size of the CAAR
table, results that do not depend on the order of the firm-events, a missing return handled, and the numbers it
reports beside its statistic (its ``details``) exactly the output columns it declares, in the test table under their
own names. Five tests are also checked against their formula by hand. (Every registered model passes
``test_models``' shared checks.)"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.abnormal import compute_abnormal
from eventstudy.catalog import (
    OUTPUT_COLUMNS,
    TEST_BASE_COLUMNS,
    TEST_CATALOG,
    TEST_INPUTS,
    describe_test,
    output_columns,
)
from eventstudy.config import StudyOptions
from eventstudy.errors import ConfigError
from eventstudy.inference import TESTS, TestResult, register_test
from eventstudy.inference.base import BATCHES, Batch
from eventstudy.inference.runner import caar_table, make_sample, run_tests
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


def _unregister(name):
    TESTS._items.pop(name, None)
    TEST_CATALOG.pop(name, None)


META = dict(
    label="max",
    description="largest CAR",
    formula="max CAR_i",
    reference="—",
    distribution="N(0,1)",
    robust_to_clustering=False,
)


def test_a_new_test_with_an_output_gets_its_column(panel, fitted):
    """A registered test that declares an output gets a column of that name, after the built-in ones, with its
    meaning in the catalog; the other tests' rows hold NaN there."""

    @register_test("max_car_z", outputs={"max_car": "the largest CAR of the sample"}, **META)
    def max_car_z(s):
        if s.n < 2:
            return TestResult("max_car_z", float("nan"), float("nan"), "N(0,1)", s.n, "needs 2 firm-events")
        z = float(s.car.mean() / (s.car.std(ddof=1) / np.sqrt(s.n)))
        return TestResult("max_car_z", z, 0.5, "N(0,1)", s.n, details={"max_car": float(s.car.max())})

    try:
        assert TEST_CATALOG["max_car_z"].outputs == ("max_car",)
        assert OUTPUT_COLUMNS["max_car"] == "the largest CAR of the sample"
        abn, _, _ = fitted
        tests = run_tests(panel, abn, ["max_car_z", "kp_bmp_t"], ("group",), rng=1)
        assert list(tests.columns) == [*TEST_BASE_COLUMNS, "rbar", "max_car"]
        new, kp = _rows(tests, "max_car_z"), _rows(tests, "kp_bmp_t")
        for w, label in enumerate(("0_0", "m1_1", "0_5")):
            car = _cell_sample(panel, abn, "max_car_z", w=w).car
            assert new.loc[("r0", "sim", label), "max_car"] == car.max()
        assert new["rbar"].isna().all() and kp["max_car"].isna().all() and kp["rbar"].notna().all()
        # a known column is declared by its name alone
        register_test("max_car_y", outputs=("max_car", "positive"), **META)(max_car_z)
        assert TEST_CATALOG["max_car_y"].outputs == ("max_car", "positive")
        assert output_columns(["max_car_y", "csect_t", "sign_z"]) == ("positive", "pvalue_exact", "max_car")
    finally:
        _unregister("max_car_z")
        _unregister("max_car_y")
        OUTPUT_COLUMNS.pop("max_car", None)


def test_a_number_a_test_does_not_declare_stops_the_run(panel, fitted):
    """An undeclared number in ``details`` is not dropped: the run stops, naming the test, the number and the fix."""

    @register_test("undeclared_z", **META)
    def undeclared_z(s):
        return TestResult("undeclared_z", 1.0, 0.5, "N(0,1)", s.n, details={"max_car": float(s.car.max())})

    try:
        abn, _, _ = fitted
        with pytest.raises(ConfigError) as err:
            run_tests(panel, abn, ["csect_t", "undeclared_z"], ("group",), rng=1)
        assert str(err.value) == (
            "test 'undeclared_z' reports 'max_car' in its details but does not declare it as outputs (declared: "
            "none); fix: register it with register_test('undeclared_z', ..., outputs={'max_car': 'what it holds'}) "
            "so the test table has a column for it, or leave it out of the details"
        )
    finally:
        _unregister("undeclared_z")


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ({"pvalue": "p"}, "output column 'pvalue' is a column every test table has already; fix: give it another"),
        ({"placebo_pvalue": "p"}, "output column 'placebo_pvalue' is a column every test table has already"),
        (("max_car",), "output column 'max_car' is new and has no meaning; fix: pass outputs={'max_car': 'what it"),
        ({"rbar": "another r"}, "output column 'rbar' already means 'mean pairwise correlation of the estimation"),
        ({"max car": "m"}, "output column 'max car' is not a plain name; fix: a name of letters, digits and _"),
    ],
)
def test_an_output_column_that_cannot_be_one(outputs, message):
    with pytest.raises(ConfigError) as err:
        register_test("bad_z", outputs=outputs, **META)
    assert str(err.value).startswith(f"register_test('bad_z'): {message}")
    assert "bad_z" not in TEST_CATALOG


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
    assert list(tests.columns) == [*TEST_BASE_COLUMNS, *OUTPUT_COLUMNS]  # every test ran: every output column
    for names, table in (
        ([], run_tests(panel, abn, [], ("group",))),
        (["csect_t"], run_tests(panel, abn, ["csect_t"], ("group",), pools={"pooled:none": ["none"]}, events=False)),
        (ALL, run_tests(panel, abn, ALL, ("group",), pools={"pooled:none": ["no such event"]}, events=False)),
    ):
        assert table.empty and list(table.columns) == [*TEST_BASE_COLUMNS, *output_columns(names)]
        # the output columns are numbers, as in a table with rows (concatenated with one, they stay numbers)
        assert (table.dtypes[list(output_columns(names))] == np.float64).all()
        # merges on the key columns (the claims' columns) need text there, as in a table with rows
        assert table.merge(
            tests[["event_id", "group", "window", "test"]], on=["event_id", "group", "window", "test"]
        ).empty


# ---------------------------------------------------------------------------- output columns (details)
@pytest.mark.parametrize("name", ALL)
def test_a_test_reports_exactly_the_outputs_it_declares(panel, fitted, name):
    """The single-sample function's ``details`` hold the declared outputs, in their order, whenever the test is
    computed (none when it is not), and every declared output is a known column with a meaning."""
    abn = fitted[0]
    declared = describe_test(name).outputs
    assert all(OUTPUT_COLUMNS.get(col) for col in declared)
    computed = 0
    for s in _batch_samples(panel, abn):
        res = TESTS.get(name)(replace(s, rng=np.random.default_rng(0)))
        if np.isnan(res.statistic) and res.notes:
            assert dict(res.details) == {}, res.notes
        else:
            assert tuple(res.details) == declared
            computed += 1
    assert computed >= 10


def _cell_sample(panel, abn, name, event_id="r0", w=1):
    """The sample of ``event_id`` × group ``sim`` × window ``w`` as the runner builds it (with its random stream,
    seeded as the runner seeds each cell's: ``run_tests(..., rng=1)``)."""
    fitted = np.flatnonzero(
        (panel.keys["event_id"] == event_id).to_numpy() & np.isin(abn.status, ("ok", "missing_event_window"))
    )
    keep = abn.usable(w)[fitted]
    seed = [1, zlib.crc32(f"{event_id}|sim|{abn.windows[w]}".encode())]
    return make_sample(
        panel,
        abn,
        fitted[keep],
        w,
        model=MarketModel(),
        min_estimation=100,
        rng=np.random.default_rng(seed),
        members=np.flatnonzero(keep),
        cell=None,
    )


@pytest.mark.parametrize("name", ALL)
def test_the_test_table_has_each_output_in_its_column(panel, fitted, name):
    """A test's row holds the numbers its own function gives in ``details``, each in the column of that name, and
    NaN in the other tests' output columns."""
    abn, tests, _ = fitted
    declared = describe_test(name).outputs
    row = _rows(tests, name).loc[("r0", "sim", "m1_1")]
    want = TESTS.get(name)(_cell_sample(panel, abn, name))
    assert want.statistic == pytest.approx(row["statistic"], rel=1e-12)
    for col in declared:
        assert row[col] == pytest.approx(want.details[col], rel=1e-12), col
    others = [col for col in OUTPUT_COLUMNS if col not in declared]
    assert row[others].isna().all()
    # and every row of the test, computed or not: NaN outside its own columns, its own columns set where computed
    rows = _rows(tests, name)
    assert rows[others].isna().all().all()
    done = rows["statistic"].notna()
    assert rows.loc[done, list(declared)].notna().all().all()
