"""Hostile input, size: the Kolari–Pynnönen r̄ of a pooled set of any size, without an N × N matrix.

The blocked sums give exactly the pairwise-complete Pearson mean of :func:`pairwise_correlation` (to 1e-12) on
residuals with missing dates and firm-events on different calendars, for the whole cell and for samples that lack
a few or many of its firm-events; their memory stays bounded; a study of 10,000 events on 8 securities completes
(runs only with EVENTSTUDY_RUN_SCALE=1: it takes many minutes, longer than the suite's budget).
"""

from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import parametric
from eventstudy.inference.base import Cell, Sample
from eventstudy.inference.parametric import correlation_sums, mean_residual_correlation, pairwise_correlation
from eventstudy.inference.runner import aar_table, group_cells


def residual_cell(n: int, t: int = 60, *, seed: int = 0, calendars: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` firm-events' residuals on ``t`` estimation days: starts spread over a year, three calendars (dates
    shifted by one or two days), 10 % of the residuals missing, a common factor so that r̄ is not zero."""
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64("2020-01-01"), np.datetime64("2022-01-01")).astype("datetime64[ns]")
    factor = rng.normal(size=days.size)
    start = rng.integers(0, 300, n)
    shift = rng.integers(0, calendars, n)
    idx = start[:, None] + shift[:, None] + np.arange(t)[None, :]
    dates = days[idx]
    resid = 0.5 * factor[idx] + rng.normal(size=(n, t))
    resid[rng.random((n, t)) < 0.1] = np.nan
    dates[rng.random((n, t)) < 0.02] = np.datetime64("NaT")
    return resid, dates


def dense_rbar(resid: np.ndarray, dates: np.ndarray, members: np.ndarray, min_periods: int = 5) -> float:
    corr = pairwise_correlation(resid, dates, min_periods=min_periods)
    off = np.isfinite(corr)
    np.fill_diagonal(off, False)
    sub = np.ix_(members, members)
    return float(np.where(off, corr, 0.0)[sub].sum() / off[sub].sum())


def sample_of(resid: np.ndarray, dates: np.ndarray, members: np.ndarray, cell: Cell | None = None) -> Sample:
    n = resid.shape[0]
    cell = cell or Cell(resid, dates, np.zeros((n, 1)), np.zeros((n, 1)), np.full(n, 60), np.arange(1))
    k = members.size
    return Sample(np.zeros(k), np.ones(k), np.zeros(k), 2, 1, cell, members)


def grouped_by_pandas(keys, group_by, pools, events=True):
    """The cells as pandas' group-by finds them: events in order of appearance, then the pooled sets; labels
    sorted, missing labels dropped, rows in order; a label met twice in one event is kept apart unless its rows are
    the same."""
    sets = [(str(e), ev) for e, ev in keys.groupby("event_id", sort=False)] if events else []
    sets += [(n, keys[keys["event_id"].isin(m)]) for n, m in pools.items() if keys["event_id"].isin(m).any()]
    out = []
    for event_id, ev in sets:
        seen: dict[str, bytes] = {}
        for col in group_by:
            for label, sub in ev.groupby(col, sort=True):
                label, rows = str(label), sub.index.to_numpy()
                if label in seen:
                    if seen[label] == rows.tobytes():
                        continue
                    label = f"{col}:{label}"
                seen[label] = rows.tobytes()
                out.append((event_id, label, rows))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_cells_are_those_of_a_group_by(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    keys = pd.DataFrame(
        {
            "event_id": rng.choice([f"e{i}" for i in range(int(rng.integers(1, 30)))], n),
            "group": rng.choice(["miners", "defense", "etf", None], n),
            "segment": rng.choice(["a", "etf", "miners", "b", None], n),
        },
        index=rng.permutation(n) + 7 if seed % 2 else None,
    ).astype({"event_id": "string[pyarrow]"} if seed % 3 == 0 else {})
    pools = {"pooled:a": ["e1", "e2", "e3"], "pooled:none": ["zz"], "pooled:all": [f"e{i}" for i in range(30)]}
    for group_by in (["group"], ["group", "segment"], ["segment", "group"]):
        for events in (True, False):
            want = grouped_by_pandas(keys, group_by, pools, events)
            got = group_cells(keys, group_by, pools, events=events)
            assert [(e, g) for e, g, _ in got] == [(e, g) for e, g, _ in want]
            for (_, _, a), (_, _, b) in zip(got, want, strict=True):
                np.testing.assert_array_equal(a, b)


def test_cells_of_ten_thousand_events_take_no_time() -> None:
    keys = pd.DataFrame(
        {"event_id": np.repeat([f"e{i:05d}" for i in range(10_000)], 7), "group": np.tile(list("mmmmddd"), 10_000)}
    ).astype("string[pyarrow]")
    t0 = time.perf_counter()
    cells = group_cells(keys, ["group"], {"pooled:x": [f"e{i:05d}" for i in range(0, 10_000, 3)]})
    seconds = time.perf_counter() - t0
    assert len(cells) == 20_002 and cells[-1][1] == "m" and cells[-1][2].size == 4 * 3334
    assert seconds < 5  # a group-by per event took about 20 s here


def test_aar_table_is_the_per_cell_mean_and_interval() -> None:
    """The AAR table, gathered into arrays once, equals a frame per cell computed the plain way (exactly)."""
    from scipy import stats
    from test_reliability import fit

    res, _ = fit()
    panel, abn = res.panel, res.abnormal
    cols = np.flatnonzero(panel.event)
    full = np.isin(abn.status, ("ok", "missing_event_window")) & np.isfinite(abn.ar[:, cols]).all(axis=1)
    full[0] = False  # one firm-event less in one cell: N differs between cells
    abn = type(abn)(**{**abn.__dict__, "status": np.where(full | ~np.isin(abn.status, ("ok",)), abn.status, "no_data")})
    frames = []
    for event_id, label, rows in group_cells(panel.keys, ["group"]):
        ar = abn.ar[np.ix_(rows[full[rows]], cols)]
        n = ar.shape[0]
        sd = np.cumsum(ar, axis=1).std(axis=0, ddof=1) if n > 1 else np.full(cols.size, np.nan)
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.full(cols.size, np.nan)
        caar = np.cumsum(ar.mean(axis=0))
        frames.append(
            pd.DataFrame(
                {"event_id": event_id, "group": label, "event_day": panel.rel[cols], "nobs": n,
                 "aar": ar.mean(axis=0), "caar": caar, "sd_car": sd, "ci_low": caar - half, "ci_high": caar + half}
            )
        )  # fmt: skip
    want = pd.concat(frames, ignore_index=True)
    assert sorted(set(want["nobs"])) == [1, 2]
    pd.testing.assert_frame_equal(aar_table(panel, abn, ["group"]), want, check_exact=True)


def test_row_sums_match_the_matrix() -> None:
    resid, dates = residual_cell(300)
    corr = pairwise_correlation(resid, dates)
    off = np.isfinite(corr)
    np.fill_diagonal(off, False)
    c, f = correlation_sums(resid, dates, block_elements=2_000)  # many small blocks
    np.testing.assert_allclose(c, np.where(off, corr, 0.0).sum(axis=1), rtol=0, atol=1e-11)
    np.testing.assert_array_equal(f, off.sum(axis=1))


@pytest.mark.parametrize("dropped", [0, 1, 25, 180])
def test_blocked_rbar_equals_the_pairwise_mean(monkeypatch: pytest.MonkeyPatch, dropped: int) -> None:
    resid, dates = residual_cell(400, seed=dropped)
    rng = np.random.default_rng(7)
    members = np.sort(rng.choice(400, 400 - dropped, replace=False))
    expected = dense_rbar(resid, dates, members)
    assert 0.05 < expected < 0.4  # a real common component, not a zero that anything would match
    monkeypatch.setattr(parametric, "DENSE_CORRELATION_LIMIT", 50)  # force the blocked route
    monkeypatch.setattr(parametric, "BLOCK_ELEMENTS", 5_000)
    got = mean_residual_correlation(sample_of(resid, dates, members))
    assert abs(got - expected) < 1e-12


def test_samples_of_one_cell_share_its_row_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    resid, dates = residual_cell(250, seed=3)
    monkeypatch.setattr(parametric, "DENSE_CORRELATION_LIMIT", 10)
    cell = Cell(resid, dates, np.zeros((250, 1)), np.zeros((250, 1)), np.full(250, 60), np.arange(1))
    for members in (np.arange(250), np.arange(1, 250), np.arange(0, 250, 2)):
        got = mean_residual_correlation(sample_of(resid, dates, members, cell))
        assert abs(got - dense_rbar(resid, dates, members)) < 1e-12
    assert "correlation_sums:5" in cell._cache and not any(
        isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[0] == v.shape[1] == 250 for v in cell._cache.values()
    )


def test_memory_is_bounded_without_an_n_by_n_matrix() -> None:
    n = 5000
    resid, dates = residual_cell(n, t=40, seed=11)
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        c, f = correlation_sums(resid, dates, block_elements=250_000)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    matrix = n * n * 8
    assert peak < matrix / 4, (peak, matrix)  # one N × N float64 matrix would be 200 MB; the blocks stay far below
    assert f.sum() > 0 and np.isfinite(c).all()
    assert seconds < 120


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("EVENTSTUDY_RUN_SCALE"),
    reason="takes several minutes of CPU; run with EVENTSTUDY_RUN_SCALE=1, or benchmarks/scale_events.py for the "
    "command line's time and peak memory",
)
def test_ten_thousand_events_on_eight_securities() -> None:
    """10,000 events on 8 securities (80,000 firm-events, pooled sets of ~27,000) complete in minutes."""
    import resource

    from eventstudy.study import EventStudy

    sessions = pd.bdate_range("2010-01-04", "2025-12-31")
    rng = np.random.default_rng(5)
    rm = rng.normal(0.0003, 0.01, sessions.size)
    tickers = [f"S{i}" for i in range(7)]
    wide = {"IDX": 100 * np.cumprod(1 + rm)}
    for i, tk in enumerate(tickers):
        wide[tk] = 20 * np.cumprod(1 + 0.0001 + (0.6 + 0.1 * i) * rm + rng.normal(0, 0.015, sessions.size))
    prices = pd.DataFrame(wide, index=pd.DatetimeIndex(sessions, name="date"))
    universe = pd.DataFrame(
        {
            "ticker": [*tickers, "IDX"],
            "name": [*tickers, "Index"],
            "group": ["miners"] * 4 + ["defense"] * 3 + ["benchmark"],
            "exchange": "XNYS",
            "currency": "USD",
            "benchmark": ["IDX"] * 7 + [""],
        }
    )
    days = pd.DatetimeIndex(rng.choice(sessions[300:-30], 10_000)).sort_values()
    events = pd.DataFrame(
        {
            "event_id": [f"e{i:05d}" for i in range(10_000)],
            "title": "Synthetic",
            "announced_at": days.strftime("%Y-%m-%d"),
            "time_precision": "day",
            "timezone": "America/New_York",
            "sign_miners_ex_china": "+",
            "sign_china_rare_earths": "0",
            "sign_defense": "-",
            "headline": "false",
            "direction": rng.choice(["escalation", "deescalation", "industrial_policy"], 10_000),
        }
    )
    t0 = time.perf_counter()
    res = EventStudy(
        events,
        universe,
        prices,
        estimation_window=(-250, -11),
        event_window=(-10, 10),
        car_windows=[(0, 0), (-1, 1)],
    ).fit()  # every default test
    seconds = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    pooled = res.test_table[
        res.test_table["event_id"].str.startswith("pooled:") & (res.test_table["test"] == "kp_bmp_t")
    ]
    assert len(pooled) and pooled["statistic"].notna().all()
    assert seconds < 600 and peak_gb < 8, (seconds, peak_gb)
