"""The closed-form engine path against the design-tensor path, and its independence from the block size.

Tolerances: the two paths compute the same formulas in a different order (centred sums and closed-form inverses
against batched ``einsum`` and ``inv``), so values agree to 1e-12 relative; masks and outcome codes agree exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.abnormal import compute_abnormal
from eventstudy.models import ConstantMean, MarketAdjusted, MarketModel
from eventstudy.windows import Panel

WINDOWS = [(0, 0), (0, 1), (-1, 1), (-2, 2), (0, 5), (-5, 5), (-10, 10)]
FLOAT_FIELDS = ["params", "sigma2", "ar", "var_ar", "sar", "car", "var_car", "scar", "zero_share", "no_trade_share"]
EXACT_FIELDS = ["nobs", "estimation_used", "complete", "status"]


def random_panel(n: int, seed: int, *, est=(-140, -21), event=(-10, 10), excluded: bool = False) -> Panel:
    rng = np.random.default_rng(seed)
    rel = np.arange(est[0], event[1] + 1)
    t = rel.size
    mret = rng.normal(0, 0.01, (n, t))
    beta = rng.uniform(0.3, 1.8, (n, 1))
    ret = 0.0005 + beta * mret + rng.normal(0, 0.02, (n, t))
    ret[rng.random((n, t)) < 0.03] = np.nan
    mret[rng.random((n, t)) < 0.005] = np.nan
    ret[1, :100] = np.nan  # short estimation
    for i in range(0, t - 40, 30):  # thin trading: 9 sessions without a price in every 30 (10 missing returns)
        ret[2, i : i + 10] = np.nan
    ret[3, rel == 0] = np.nan  # missing event day
    mret[4] = np.nan  # no benchmark
    dates = np.array(pd.bdate_range("2020-01-01", periods=t).values, dtype="datetime64[ns]")
    keys = pd.DataFrame(
        {
            "event_id": [f"e{i % 3}" for i in range(n)],
            "ticker": [f"F{i}" for i in range(n)],
            "group": "g",
            "exchange": "X",
            "day0": pd.Timestamp(dates[-est[0]]),
            "first_return": pd.Timestamp(dates[0]),
            "last_return": pd.Timestamp(dates[-1]),
        }
    )
    exc = rng.random((n, t)) < 0.05 if excluded else np.zeros((n, t), dtype=bool)
    return Panel(
        keys=keys,
        rel=rel,
        dates=np.tile(dates, (n, 1)),
        ret=ret,
        mret=mret,
        estimation=(rel >= est[0]) & (rel <= est[1]),
        event=(rel >= event[0]) & (rel <= event[1]),
        excluded=exc,
    )


def assert_same(a, b, rtol=1e-12):
    for name in FLOAT_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=name)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-15, equal_nan=True, err_msg=name)
    for name in EXACT_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.windows == b.windows and a.df_loss == b.df_loss


@pytest.mark.parametrize("model", [MarketModel(), ConstantMean(), MarketAdjusted()], ids=lambda m: m.name)
@pytest.mark.parametrize("excluded", [False, True], ids=["plain", "excluded"])
def test_closed_form_matches_design_tensor_path(model, excluded):
    panel = random_panel(60, 11, excluded=excluded)
    fast = compute_abnormal(panel, model, WINDOWS, min_estimation=60, method="fast")
    generic = compute_abnormal(panel, model, WINDOWS, min_estimation=60, method="generic")
    assert_same(fast, generic)
    codes = {"ok", "short_estimation", "thin_trading", "missing_event_window"}
    assert set(fast.status) >= (codes if model.name == "constant_mean" else codes | {"no_data"})
    # the row without benchmark returns: no_data when the model uses the benchmark, usable under constant_mean
    assert (fast.status[4] == "no_data") == (model.name != "constant_mean")


def test_closed_form_with_a_gap_between_estimation_and_event_window():
    panel = random_panel(30, 5, est=(-150, -31), event=(-10, 10))
    fast = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60, method="fast")
    generic = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60, method="generic")
    assert_same(fast, generic)
    assert np.isnan(fast.ar[:, panel.day_index(-20)]).all()


@pytest.mark.parametrize("block_size", [1, 7, 64, 10_000])
def test_results_do_not_depend_on_block_size(block_size):
    panel = random_panel(50, 3)
    ref = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60)
    got = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60, block_size=block_size)
    assert_same(ref, got, rtol=0)


def test_chunks_of_firm_events_give_the_same_rows():
    """The engine is row-wise: fitting chunks of firm-events and stacking them equals one fit."""
    panel = random_panel(40, 9)
    whole = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60)
    for lo, hi in [(0, 17), (17, 40)]:
        part = Panel(
            panel.keys.iloc[lo:hi].reset_index(drop=True),
            panel.rel,
            panel.dates[lo:hi],
            panel.ret[lo:hi],
            panel.mret[lo:hi],
            panel.estimation,
            panel.event,
            panel.excluded[lo:hi],
        )
        got = compute_abnormal(part, MarketModel(), WINDOWS, min_estimation=60)
        np.testing.assert_array_equal(got.car, whole.car[lo:hi])
        np.testing.assert_array_equal(got.var_car, whole.var_car[lo:hi])
        np.testing.assert_array_equal(got.status, whole.status[lo:hi])


def test_bad_method_and_fast_without_closed_form_are_refused():
    panel = random_panel(5, 1)

    class Custom(MarketModel):
        pass

    with pytest.raises(ValueError, match="method"):
        compute_abnormal(panel, MarketModel(), WINDOWS, method="quick")
    with pytest.raises(ValueError, match="no closed form"):
        compute_abnormal(panel, Custom(), WINDOWS, min_estimation=60, method="fast")
    # a subclass may change the design: it takes the design-tensor path
    got = compute_abnormal(panel, Custom(), WINDOWS, min_estimation=60)
    ref = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60, method="generic")
    assert_same(got, ref, rtol=0)


def test_alignment_is_the_same_in_any_block_size(monkeypatch):
    """build_panel aligns rows in blocks; blocks of 2 rows give the panel of one block, and each cell is the
    ticker's return on the session ``day0 + τ`` of its exchange (NaN/NaT off the sessions or without data)."""
    from eventstudy import windows

    rng = np.random.default_rng(11)
    sess = {"XNYS": pd.bdate_range("2024-01-02", periods=60), "XASX": pd.bdate_range("2024-01-03", periods=55)}
    returns = {
        "A": pd.Series(rng.normal(0, 0.02, 60), index=sess["XNYS"]),
        "B": pd.Series(rng.normal(0, 0.02, 40), index=sess["XNYS"][20:]),
        "M": pd.Series(rng.normal(0, 0.01, 60), index=sess["XNYS"]),
        "C": pd.Series(rng.normal(0, 0.02, 55), index=sess["XASX"]),
        "N": pd.Series(rng.normal(0, 0.01, 55), index=sess["XASX"]),
    }
    rows = [
        ("A", "XNYS", "M", 3),  # the estimation window starts before the first session
        ("B", "XNYS", "M", 30),  # B has no returns before its 21st session
        ("A", "XNYS", "M", 58),  # the event window runs past the last session
        ("Z", "XNYS", "M", 30),  # no returns at all
        ("C", "XASX", "N", 25),
        ("C", "XASX", None, 25),  # no benchmark
        ("A", "XNYS", "M", 30),
    ]
    fe = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(rows))],
            "ticker": [r[0] for r in rows],
            "exchange": [r[1] for r in rows],
            "benchmark": [r[2] for r in rows],
            "day0": [sess[r[1]][r[3]] for r in rows],
        }
    )
    kw = {"estimation_window": (-8, -3), "event_window": (-2, 2)}
    whole = windows.build_panel(fe, returns, sess, **kw)
    monkeypatch.setattr(windows, "_ALIGN_BLOCK", 2)
    blocks = windows.build_panel(fe, returns, sess, **kw)
    np.testing.assert_array_equal(whole.ret, blocks.ret)
    np.testing.assert_array_equal(whole.mret, blocks.mret)
    np.testing.assert_array_equal(whole.dates, blocks.dates)
    pd.testing.assert_frame_equal(whole.keys, blocks.keys)
    for i, (tk, ex, bench, p0) in enumerate(rows):
        for j, tau in enumerate(whole.rel):
            p = p0 + tau
            on = 0 <= p < len(sess[ex])
            date = sess[ex][p] if on else pd.NaT
            if on:
                assert pd.Timestamp(whole.dates[i, j]) == date
            else:
                assert pd.Timestamp(whole.dates[i, j]) is pd.NaT
            for value, source in ((whole.ret[i, j], tk), (whole.mret[i, j], bench)):
                expected = returns[source].get(date, np.nan) if on and source in returns else np.nan
                assert value == expected or (np.isnan(value) and np.isnan(expected))


def test_cells_tested_in_small_chunks_give_the_same_table(monkeypatch):
    """The battery runs a chunk of cells at a time (to bound memory): the chunk size changes no number."""
    from eventstudy.catalog import default_tests
    from eventstudy.inference import runner

    panel = random_panel(60, 11)
    abn = compute_abnormal(panel, MarketModel(), WINDOWS, min_estimation=60)

    def table(chunk: int) -> pd.DataFrame:
        monkeypatch.setattr(runner, "CELL_CHUNK", chunk)
        return runner.run_tests(panel, abn, default_tests(), ["group"], model=MarketModel(), min_estimation=60)

    whole = table(10**9)
    assert whole["event_id"].nunique() == 3 and whole["pvalue"].notna().any()
    pd.testing.assert_frame_equal(table(1), whole)
    pd.testing.assert_frame_equal(table(25), whole)
