"""Run the registered tests over every event × group × CAR window, vectorised per cell."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

import numpy as np
import pandas as pd

from ..abnormal import Abnormal, compute_abnormal
from ..catalog import TEST_BASE_COLUMNS, describe_test, output_columns
from ..config import window_label
from ..errors import ConfigError
from ..models import NormalReturnModel
from ..windows import Panel, pooled_overlaps
from .base import TESTS, Batch, BatchResults, Cell, Sample, batch_function
from .rank import average_ranks, grank_parts, rank_z_parts

__all__ = [
    "fit_portfolios",
    "group_cells",
    "make_cell",
    "make_sample",
    "on_estimation_days",
    "panel_ranks",
    "portfolio_car",
    "portfolio_fit",
    "portfolio_codes",
    "portfolio_sets",
    "run_tests",
]

#: Firm-events of the cells whose samples are tested together (bounds the memory of the cells' arrays: their
#: estimation residuals, ranks, date layouts and N × N correlations). At 100 000 firm-events (cells of 500) the
#: fit's peak RSS was 2 687 MiB with chunks of 20 000, 2 063 MiB with 4 000 and 1 992 MiB with 2 000, in the same
#: time and with the same numbers bit for bit.
CELL_CHUNK = 2_000

#: the columns of every test table; one float column per output of the tests that ran follows them
#: (:func:`eventstudy.catalog.output_columns`, NaN on the rows of a test without that output)
TEST_COLUMNS = list(TEST_BASE_COLUMNS)


def on_estimation_days(abn: Abnormal, values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``values`` (an ``(n, T)`` engine array) of ``rows`` on the estimation columns ``cols``, NaN on the days the
    fit did not use. C-ordered, as the BLAS products of the tests want (``a[rows][:, cols]`` is not)."""
    sub = np.ix_(rows, cols)
    return np.where(abn.estimation_used[sub], values[sub], np.nan)


def make_cell(panel: Panel, abn: Abnormal, rows: np.ndarray) -> Cell:
    """The :class:`Cell` of the fitted firm-events ``rows``: their estimation residuals, ARs and SARs."""
    est = abn.estimation_used[rows]
    cols = np.flatnonzero(panel.estimation)
    keep = est | panel.event[None, :]
    return Cell(
        resid=on_estimation_days(abn, abn.ar, rows, cols),
        resid_dates=panel.dates[np.ix_(rows, cols)],
        ar_all=lambda: np.where(keep, abn.ar[rows], np.nan),
        sar_all=lambda: np.where(keep, abn.sar[rows], np.nan),
        nobs=abn.nobs[rows].astype(float),
        estimation_cols=cols,
    )


def make_sample(
    panel: Panel,
    abn: Abnormal,
    rows: np.ndarray,
    w: int,
    *,
    model: NormalReturnModel | None = None,
    min_estimation: int = 3,
    rng: np.random.Generator | None = None,
    cell: Cell | None = None,
    members: np.ndarray | None = None,
    portfolios: list[tuple[int, int]] | None = None,
    fits: Abnormal | None = None,
) -> Sample:
    """The :class:`Sample` of firm-events ``rows`` for CAR window number ``w`` (rows must be usable).

    ``cell`` and ``members`` place the rows in the cell they come from (by default a cell of just these rows).
    With ``model`` given, the sample can also fit the equally weighted portfolio of its firm-events, one per
    exchange and day 0; ``portfolios`` and ``fits`` give those fits already made (rows of ``fits``, with their
    sizes).
    """
    if cell is None:
        cell, members = make_cell(panel, abn, rows), np.arange(rows.size)
    a, b = abn.windows[w]
    portfolio = None
    if portfolios is not None and fits is not None:

        def portfolio() -> list[tuple[float, float, int, int]]:
            """(CAR_p, Var(CAR_p), M_p, N_p) of each calendar-aligned portfolio: one per exchange and day 0."""
            return [
                (float(fits.car[j, w]), float(fits.var_car[j, w]), int(fits.nobs[j]), size) for j, size in portfolios
            ]

    elif model is not None:

        def portfolio() -> list[tuple[float, float, int, int]]:
            sets = portfolio_sets(portfolio_codes(panel, rows), np.ones(rows.size, dtype=bool))
            fitted = fit_portfolios(panel, [(rows, sets)], model, abn.windows, min_estimation=min_estimation)
            return [
                (float(fitted.car[j, w]), float(fitted.var_car[j, w]), int(fitted.nobs[j]), int(m.sum()))
                for j, m in enumerate(sets)
            ]

    return Sample(
        car=abn.car[rows, w],
        var_car=abn.var_car[rows, w],
        scar=abn.scar[rows, w],
        df_loss=abn.df_loss,
        length=b - a + 1,
        cell=cell,
        members=cast(np.ndarray, members),  # set with the cell when no cell is given
        window_cols=np.arange(panel.day_index(a), panel.day_index(b) + 1),
        portfolio=portfolio,
        rng=rng,
    )


def portfolio_codes(panel: Panel, rows: np.ndarray) -> np.ndarray:
    """A code per firm-event of ``rows``, equal for firm-events that share an exchange and a day 0 and ordered by
    (exchange, day 0): the calendar-aligned portfolios they may form."""
    keys = panel.keys.iloc[rows]
    exchange = keys["exchange"].astype(str).to_numpy() if "exchange" in keys else np.full(rows.size, "")
    day0 = pd.DatetimeIndex(keys["day0"]).asi8
    codes, _ = pd.MultiIndex.from_arrays([exchange, day0]).factorize(sort=True)
    return np.asarray(codes)


def portfolio_sets(codes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``(K, len(codes))`` membership of the portfolios of the kept firm-events: one per portfolio code present
    among them (:func:`portfolio_codes`), in code order."""
    present = np.unique(codes[keep])
    return (codes[None, :] == present[:, None]) & keep[None, :]


def fit_portfolios(
    panel: Panel,
    sets: Sequence[tuple[np.ndarray, np.ndarray]],
    model: NormalReturnModel,
    windows: Sequence[tuple[int, int]],
    *,
    min_estimation: int = 3,
) -> Abnormal:
    """The engine's output for equally weighted portfolios, one row per portfolio, all fitted in one call.

    ``sets`` holds ``(base rows, membership)`` pairs: membership is ``(K, len(base))``, each row one portfolio of
    firm-events that share an exchange and a day 0. On each session the portfolio return is the mean over the
    members with a return that day, and its benchmark return the mean of their benchmarks; the model is then
    fitted to each portfolio like one security. A day that the clean-estimation mask removes for any member leaves
    the portfolio's estimation window.
    """
    ret, mret, excluded, dates, merged = [], [], [], [], []
    for base, member in sets:
        both = np.isfinite(panel.ret[base]) & np.isfinite(panel.mret[base])
        m = member.astype(float)
        count = m @ both
        with np.errstate(invalid="ignore", divide="ignore"):
            ret.append(m @ np.where(both, panel.ret[base], 0.0) / count)
            mret.append(m @ np.where(both, panel.mret[base], 0.0) / count)
        excluded.append((m @ panel.excluded[base]) > 0)
        if panel.merged is not None:  # days merged across a benchmark's gap (METHODS §2) stay merged
            merged.append((m @ panel.merged[base]) > 0)
        dates.append(panel.dates[base[np.argmax(member, axis=1)]])
    pr = np.vstack(ret)
    valid = np.isfinite(pr)
    d = np.vstack(dates)
    k = len(pr)
    first = np.where(valid.any(axis=1), d[np.arange(k), np.argmax(valid, axis=1)], np.datetime64("NaT"))
    last_col = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    last = np.where(valid.any(axis=1), d[np.arange(k), last_col], np.datetime64("NaT"))
    has_day0 = panel.rel[0] <= 0 <= panel.rel[-1]
    keys = pd.DataFrame(
        {
            "event_id": "portfolio",
            "ticker": [f"portfolio {j}" for j in range(k)],
            "day0": d[:, panel.day_index(0)] if has_day0 else np.full(k, np.datetime64("NaT")),
            "first_return": first,
            "last_return": last,
        }
    )
    one = replace(
        panel,
        keys=keys,
        dates=d,
        ret=pr,
        mret=np.vstack(mret),
        excluded=np.vstack(excluded),
        merged=np.vstack(merged) if merged else None,
    )
    return compute_abnormal(one, model, list(windows), min_estimation=min_estimation, thin_trading_share=1.0)


def portfolio_fit(
    panel: Panel,
    rows: np.ndarray,
    model: NormalReturnModel,
    windows: Sequence[tuple[int, int]],
    *,
    min_estimation: int = 3,
) -> Abnormal:
    """The engine's output for the equally weighted portfolio of ``rows``, which share an exchange and a day 0."""
    member = np.ones((1, rows.size), dtype=bool)
    return fit_portfolios(panel, [(rows, member)], model, windows, min_estimation=min_estimation)


def portfolio_car(
    panel: Panel, rows: np.ndarray, model: NormalReturnModel, window: tuple[int, int], *, min_estimation: int = 3
) -> tuple[float, float, int]:
    """CAR, exact Var(CAR) and M of the equally weighted portfolio of ``rows`` (:func:`portfolio_fit`)."""
    if rows.size == 0:
        return float("nan"), float("nan"), 0
    res = portfolio_fit(panel, rows, model, [window], min_estimation=min_estimation)
    return float(res.car[0, 0]), float(res.var_car[0, 0]), int(res.nobs[0])


def panel_ranks(panel: Panel, abn: Abnormal, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ranks of the firm-events ``rows``, each over its own days, for the rank tests.

    Returns the average ranks of each firm-event's estimation residuals and event-window ARs ranked together
    (``rank_z``), with the count T_i of each row, the average ranks of its estimation residuals among themselves
    on the estimation columns (``grank_t``), and the position of each panel row in those arrays (−1 for rows not
    ranked). Ranks are half-integers, which float32 holds exactly.
    """
    cols = np.flatnonzero(panel.estimation)
    if cols.size and cols[-1] - cols[0] == cols.size - 1:
        cols = slice(cols[0], cols[-1] + 1)  # type: ignore[assignment]  # the usual layout: the estimation window is one run of columns
    together = np.empty((rows.size, panel.rel.size), dtype=np.float32)
    count = np.empty(rows.size)
    estimation = np.empty((rows.size, int(panel.estimation.sum())), dtype=np.float32)
    block = 4096  # a few MB per block: it stays in cache and its temporaries are reused, not page-faulted
    for lo in range(0, rows.size, block):
        sub = rows[lo : lo + block]
        if sub[-1] - sub[0] == sub.size - 1:
            sub = slice(sub[0], sub[-1] + 1)  # type: ignore[assignment]
        est = abn.estimation_used[sub]
        values = np.where(est | panel.event[None, :], abn.ar[sub], np.nan)
        ranks, est_ranks = average_ranks(values, est)
        n = values.shape[0]
        together[lo : lo + n] = ranks
        count[lo : lo + n] = np.isfinite(values).sum(axis=1)
        estimation[lo : lo + n] = cast(np.ndarray, est_ranks)[:, cols]  # ranked within est: never None here
    where = np.full(panel.n, -1, dtype=np.int64)
    where[rows] = np.arange(rows.size)
    return together, count, estimation, where


def group_cells(
    keys: pd.DataFrame,
    group_by: Sequence[str],
    pools: Mapping[str, Sequence[str]] | None = None,
    *,
    events: bool = True,
) -> list[tuple[str, str, np.ndarray]]:
    """``(event_id, group label, row indices)`` for every event and every label of the ``group_by`` columns.

    ``pools`` maps a pooled-set name (e.g. ``"pooled:escalation"``) to event ids; each pooled set is one more
    "event" whose firm-events are those of its member events (each firm-event counted once). ``events=False``
    leaves out the single events' cells (only the pooled sets).

    Events come in order of first appearance, then the pooled sets; within each, the labels of each column in
    sorted order (a missing label is no group), and the rows in the order of ``keys`` (its index labels). The
    cells are found by one sort of the codes per column, not by a group-by per event: 10,000 events cost a few
    hundredths of a second, not minutes.
    """
    index = keys.index.to_numpy()
    ev_codes, ev_names = pd.factorize(keys["event_id"], sort=False)
    sets: list[tuple[str, np.ndarray]] = []  # (name, ascending row positions)
    if events:
        order = np.argsort(ev_codes, kind="stable")
        order = order[ev_codes[order] >= 0]
        bounds = np.searchsorted(ev_codes[order], np.arange(len(ev_names) + 1))
        sets += [(str(name), order[bounds[k] : bounds[k + 1]]) for k, name in enumerate(ev_names)]
    n_events = len(sets)
    for name, members in (pools or {}).items():
        pos = np.flatnonzero(keys["event_id"].isin(list(members)).to_numpy(dtype=bool))
        if pos.size:
            sets.append((str(name), pos))
    # per column: the cells of every single event at once (one stable sort by event, then label)
    by_event: dict[str, list[list[tuple[str, np.ndarray]]]] = {}
    codes_of: dict[str, tuple[np.ndarray, list[str]]] = {}
    for col in dict.fromkeys(group_by):
        codes, uniques = pd.factorize(keys[col], sort=True)
        labels = [str(u) for u in uniques]
        codes_of[col] = (codes, labels)
        per_event: list[list[tuple[str, np.ndarray]]] = [[] for _ in range(n_events)]
        if n_events:
            order = np.lexsort((codes, ev_codes))
            order = order[(codes[order] >= 0) & (ev_codes[order] >= 0)]
            e, c = ev_codes[order], codes[order]
            cut = np.flatnonzero((np.diff(e) != 0) | (np.diff(c) != 0)) + 1
            for lo, hi in zip(np.r_[0, cut], np.r_[cut, order.size], strict=True):
                if hi > lo:
                    per_event[int(e[lo])].append((labels[int(c[lo])], order[lo:hi]))
        by_event[col] = per_event
    cells: list[tuple[str, str, np.ndarray]] = []
    for k, (event_id, pos) in enumerate(sets):
        seen: dict[str, bytes] = {}
        for col in group_by:
            if k < n_events:
                groups = by_event[col][k]
            else:
                codes, labels = codes_of[col]
                sub = codes[pos]
                inner = np.argsort(sub, kind="stable")
                inner = inner[sub[inner] >= 0]
                cut = np.flatnonzero(np.diff(sub[inner]) != 0) + 1
                groups = [
                    (labels[int(sub[inner[lo]])], pos[inner[lo:hi]])
                    for lo, hi in zip(np.r_[0, cut], np.r_[cut, inner.size], strict=True)
                    if hi > lo
                ]
            for label, at in groups:
                rows = index[at]
                if label in seen:
                    if seen[label] == rows.tobytes():
                        continue  # the same firm-events under the same name (e.g. group "etf", segment "etf")
                    label = f"{col}:{label}"  # the same name for other firm-events: keep both, apart
                seen[label] = rows.tobytes()
                cells.append((event_id, label, rows))
    return cells


def run_tests(
    panel: Panel,
    abn: Abnormal,
    tests: Sequence[str],
    group_by: Sequence[str],
    *,
    model: NormalReturnModel | None = None,
    min_estimation: int = 3,
    pools: Mapping[str, Sequence[str]] | None = None,
    rng: np.random.Generator | int | None = 0,
    events: bool = True,
) -> pd.DataFrame:
    """Every test of ``tests`` on every event × group × CAR window (and pooled set); one row per result.

    ``events=False`` runs the pooled sets only.

    Notes
    -----
    BLAS runs on one thread here: a cell's products are small to medium (a few hundred firm-events × the
    estimation days), and a second OpenBLAS thread made them several times slower on a 2-core machine, not
    faster (500 × 240 by 240 × 500: 16 ms on one thread, 66–96 ms on two, with other work running).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run_tests(panel, abn, tests, group_by, model, min_estimation, pools, rng, events)


def _run_tests(
    panel: Panel,
    abn: Abnormal,
    tests: Sequence[str],
    group_by: Sequence[str],
    model: NormalReturnModel | None,
    min_estimation: int,
    pools: Mapping[str, Sequence[str]] | None,
    rng: np.random.Generator | int | None,
    events: bool,
) -> pd.DataFrame:
    funcs = [(name, TESTS.get(name, where="tests"), batch_function(name)) for name in tests]
    per_sample = any(batch is None for _, _, batch in funcs)
    # each cell's resampling stream is its own, so adding a test, a group or an event changes no other p-value
    base_seed = int(rng) if isinstance(rng, int | np.integer) else int(np.random.default_rng(rng).integers(2**32))
    fitted_all = np.isin(abn.status, ("ok", "missing_event_window"))
    usable = (
        np.column_stack([abn.usable(w) for w in range(len(abn.windows))])
        if abn.windows
        else np.zeros((panel.n, 0), dtype=bool)
    )
    cells = [
        (eid, label, rows[fitted_all[rows]])
        for eid, label, rows in group_cells(panel.keys, group_by, pools, events=events)
    ]
    # a pooled set counts each firm-event once: overlapping windows of one security are left out (METHODS §4b)
    removed = pooled_overlaps(panel, abn.windows, usable, pools)
    usable_in = {name: usable & ~mask for name, mask in removed.items()}

    # ranks are each firm-event's own, over its own days: one pass over the panel serves every cell it is in
    ranked = None
    needs = {r for name in tests for r in describe_test(TESTS.canonical(name, where="tests")).requires}
    if "ranks" in needs and fitted_all.any():
        ranked = panel_ranks(panel, abn, np.flatnonzero(fitted_all))

    # every portfolio of every cell and window, fitted in one call of the engine
    portfolios: dict[tuple[int, bytes], list[tuple[int, int]]] = {}
    fits = None
    if model is not None and "portfolio" in needs:
        codes = np.full(panel.n, -1)
        codes[fitted_all] = portfolio_codes(panel, np.flatnonzero(fitted_all))
        sets = []
        count = 0
        for c, (eid, _, fitted) in enumerate(cells):
            if fitted.size == 0:
                continue
            seen: dict[bytes, np.ndarray] = {}
            for w in range(len(abn.windows)):
                keep = usable_in.get(eid, usable)[fitted, w]
                key = keep.tobytes()
                if key in seen or not keep.any():
                    continue
                member = portfolio_sets(codes[fitted], keep)
                seen[key] = member
                portfolios[(c, key)] = [(count + j, int(m.sum())) for j, m in enumerate(member)]
                count += len(member)
            if seen:
                sets.append((fitted, np.vstack(list(seen.values()))))
        if sets:
            fits = fit_portfolios(panel, sets, model, abn.windows, min_estimation=min_estimation)

    dropped: dict[int, list[int]] = {}  # per cell and window: the firm-events its pooled set left out

    def samples_of(c: int) -> list[Sample]:
        """The samples of cell ``c``, one per CAR window, sharing the cell's arrays."""
        event_id, label, fitted = cells[c]
        cell = make_cell(panel, abn, fitted)
        if ranked is not None and fitted.size:
            together, count, estimation, where = ranked
            at = where[fitted]
            cell.put("rank_z", rank_z_parts(together[at] / (count[at, None] + 1.0) - 0.5))
            sar = on_estimation_days(abn, abn.sar, fitted, cell.estimation_cols)
            cell.put("grank_t", grank_parts(sar, estimation[at].astype(float)))
        out = []
        dropped[c] = []
        for w, window in enumerate(abn.windows):
            keep = usable_in.get(event_id, usable)[fitted, w]
            dropped[c].append(int(removed[event_id][fitted, w].sum()) if event_id in removed else 0)
            rng = (
                np.random.default_rng([base_seed, zlib.crc32(f"{event_id}|{label}|{window}".encode())])
                if per_sample
                else None  # every test is computed by its batch version, which draws nothing
            )
            out.append(
                make_sample(
                    panel,
                    abn,
                    fitted[keep],
                    w,
                    model=model,
                    min_estimation=min_estimation,
                    rng=rng,
                    cell=cell,
                    members=np.flatnonzero(keep),
                    portfolios=portfolios.get((c, keep.tobytes()), []) if fits is not None else None,
                    fits=fits,
                )
            )
        return out

    if not funcs or not cells:
        return _empty_test_table(tests)
    # the cells' samples are tested a chunk of cells at a time: every test once per chunk, over all its samples
    frames = []
    chunk: list[int] = []
    size = 0
    for c in range(len(cells)):
        chunk.append(c)
        size += cells[c][2].size
        if size >= CELL_CHUNK or c == len(cells) - 1:
            samples = [s for i in chunk for s in samples_of(i)]
            with np.errstate(all="ignore"):
                results = [
                    batch(Batch(samples)) if batch is not None else BatchResults.of([func(s) for s in samples])
                    for _, func, batch in funcs
                ]
            left_out = [d for i in chunk for d in dropped.pop(i)]
            frames.append(_test_rows(chunk, cells, abn.windows, [name for name, _, _ in funcs], results, left_out))
            chunk, size = [], 0
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _test_rows(
    chunk: Sequence[int],
    cells: Sequence[tuple[str, str, np.ndarray]],
    windows: Sequence[tuple[int, int]],
    names: Sequence[str],
    results: Sequence[BatchResults],
    left_out: Sequence[int],
) -> pd.DataFrame:
    """The test table's rows of a chunk of cells: cell by cell, window by window, test by test; ``left_out`` is the
    number of firm-events each sample's pooled set left out as overlapping (said in the notes). The tests' outputs
    (their ``details``) are columns after the notes, the same for every chunk (:func:`_output_columns`)."""
    n_w, n_t = len(windows), len(names)
    n_s = len(chunk) * n_w
    labels = [window_label(w) for w in windows]

    def stacked(get: Callable[[BatchResults], Sequence[Any]]) -> list[Any]:
        cols = [list(get(r)) for r in results]
        return [cols[j][i] for i in range(n_s) for j in range(n_t)]

    outputs = _output_columns(names, results, n_s)
    return pd.DataFrame(
        {
            "event_id": np.repeat([cells[c][0] for c in chunk], n_w * n_t),
            "group": np.repeat([cells[c][1] for c in chunk], n_w * n_t),
            "window": np.tile(np.repeat(labels, n_t), len(chunk)),
            "test": np.tile(list(names), n_s),
            "statistic": np.column_stack([r.statistic for r in results]).ravel(),
            "pvalue": np.column_stack([r.pvalue for r in results]).ravel(),
            "distribution": stacked(lambda r: r.distribution),
            "nobs": np.column_stack([r.nobs for r in results]).ravel(),
            "notes": [
                _with_overlap_note(note, left_out[k // n_t]) for k, note in enumerate(stacked(lambda r: r.notes))
            ],
            **outputs,
        },
        columns=[*TEST_COLUMNS, *outputs],
    )


def _output_columns(names: Sequence[str], results: Sequence[BatchResults], n_s: int) -> dict[str, np.ndarray]:
    """The output columns of the tests ``names`` (their ``results`` on ``n_s`` samples each) in the table's row
    order (sample by sample, test by test): each test's ``details`` under the column of the same name, NaN on the
    rows of the tests that do not report it and where a test was not computed.

    A test that reports a number it does not declare (:attr:`eventstudy.catalog.TestInfo.outputs`) stops the run
    with a :class:`~eventstudy.errors.ConfigError` that names it: its number would otherwise be lost, or make a
    column that other chunks of the table lack.
    """
    columns = output_columns(names)
    if not columns:
        for name, r in zip(names, results, strict=True):
            _check_declared(name, (), r)
        return {}
    out = {col: np.full((n_s, len(names)), np.nan) for col in columns}
    for j, (name, r) in enumerate(zip(names, results, strict=True)):
        declared = describe_test(TESTS.canonical(name, where="tests")).outputs
        _check_declared(name, declared, r)
        for col in declared:
            try:
                out[col][:, j] = [d.get(col, np.nan) for d in r.details]
            except (TypeError, ValueError):
                raise ConfigError(
                    f"test {name!r}: its output {col!r} holds a value that is not a number; fix: report numbers in "
                    f"TestResult.details (float)"
                ) from None
    return {col: values.ravel() for col, values in out.items()}


def _check_declared(name: str, declared: Sequence[str], results: BatchResults) -> None:
    """A :class:`~eventstudy.errors.ConfigError` if test ``name`` reported details it does not declare."""
    reported = set().union(*results.details) if results.details else set()
    undeclared = sorted(reported.difference(declared))
    if undeclared:
        raise ConfigError(
            f"test {name!r} reports {', '.join(map(repr, undeclared))} in its details but does not declare "
            f"{'it' if len(undeclared) == 1 else 'them'} as outputs (declared: {', '.join(declared) or 'none'}); fix: "
            f"register it with register_test({name!r}, ..., outputs={{{undeclared[0]!r}: 'what it holds'}}) so the "
            f"test table has a column for it, or leave it out of the details"
        )


def _empty_test_table(tests: Sequence[str]) -> pd.DataFrame:
    """The test table without rows: the columns it has with rows (the outputs of ``tests`` as float columns)."""
    out = pd.DataFrame.from_records([], columns=TEST_COLUMNS)
    for col in output_columns(tests):
        out[col] = np.zeros(0)
    return out


def _with_overlap_note(notes: str, dropped: int) -> str:
    """A test's notes, with the number of firm-events its pooled set left out as overlapping ones."""
    if not dropped:
        return notes
    why = f"{dropped} firm-events left out: their window shares sessions with another of the same security"
    return f"{why}; {notes}" if notes else why


def caar_table(
    panel: Panel,
    abn: Abnormal,
    group_by: Sequence[str],
    *,
    level: float = 0.95,
    pools: Mapping[str, Sequence[str]] | None = None,
    events: bool = True,
) -> pd.DataFrame:
    """CAAR per event × group × window with the cross-sectional t interval at ``level`` (``events=False``: the
    pooled sets only)."""
    from scipy.special import stdtrit  # scipy.stats.t.ppf, without importing scipy.stats

    records = []
    usable = (
        np.column_stack([abn.usable(w) for w in range(len(abn.windows))])
        if abn.windows
        else np.zeros((panel.n, 0), dtype=bool)
    )
    # a pooled set counts each firm-event once (METHODS §4b); how many it left out is in n_overlap_removed
    removed = pooled_overlaps(panel, abn.windows, usable, pools)
    for event_id, label, rows in group_cells(panel.keys, group_by, pools, events=events):
        out_of = removed.get(event_id)
        for w, window in enumerate(abn.windows):
            keep = usable[rows, w] if out_of is None else usable[rows, w] & ~out_of[rows, w]
            car = abn.car[rows[keep], w]
            n = car.size
            mean = float(car.mean()) if n else float("nan")
            sd = float(car.std(ddof=1)) if n > 1 else float("nan")
            half = float(stdtrit(n - 1, 0.5 + level / 2) * sd / np.sqrt(n)) if n > 1 else float("nan")
            dropped = 0 if out_of is None else int(out_of[rows, w].sum())
            records.append((event_id, label, window_label(window), n, mean, sd, mean - half, mean + half, dropped))
    out = pd.DataFrame.from_records(
        records,
        columns=["event_id", "group", "window", "nobs", "caar", "sd_car", "ci_low", "ci_high", "n_overlap_removed"],
    )
    # the naive cross-sectional interval, named as such: a claim's interval inverts its own test (the claims table)
    out["interval"] = f"naive {level:.0%} t(N-1) interval of the CARs (ignores cross-correlation)"
    return out


def aar_table(panel: Panel, abn: Abnormal, group_by: Sequence[str], *, level: float = 0.95) -> pd.DataFrame:
    """AAR and CAAR (cumulated from the event window's start) per event × group × event day, with the cross-sectional
    t interval of the CAAR at ``level`` on every day.

    The firm-events are those usable for the whole event window, so the path is over one fixed set. The interval on
    day τ is CAAR_τ ± t(N−1) · s_τ/√N, s_τ being the cross-sectional sd (ddof 1) of the firms' cumulative ARs.
    """
    from scipy.special import stdtrit  # scipy.stats.t.ppf, without importing scipy.stats

    cols = np.flatnonzero(panel.event)
    days = panel.rel[cols]
    full = np.isin(abn.status, ("ok", "missing_event_window")) & np.isfinite(abn.ar[:, cols]).all(axis=1)
    columns = ["event_id", "group", "event_day", "nobs", "aar", "caar", "sd_car", "ci_low", "ci_high"]
    cells = group_cells(panel.keys, group_by)
    if not cells:
        return pd.DataFrame(columns=columns)
    # one row block per cell, gathered into arrays and made a frame once (a frame per cell cost most of the time)
    t = len(cols)
    nobs = np.array([int(full[rows].sum()) for _, _, rows in cells], dtype=np.int64)
    aar = np.full((len(cells), t), np.nan)
    sd = np.full((len(cells), t), np.nan)
    for c, (_, _, rows) in enumerate(cells):
        use = rows[full[rows]]
        if use.size:
            ar = abn.ar[np.ix_(use, cols)]
            aar[c] = ar.mean(axis=0)
            if use.size > 1:
                sd[c] = np.cumsum(ar, axis=1).std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = np.where(nobs > 1, stdtrit(np.maximum(nobs - 1, 1).astype(float), 0.5 + level / 2), np.nan)
        half = quantile[:, None] * sd / np.sqrt(nobs)[:, None]
    caar = np.cumsum(aar, axis=1)
    return pd.DataFrame(
        {
            "event_id": np.repeat(np.array([e for e, _, _ in cells], dtype=object), t),
            "group": np.repeat(np.array([g for _, g, _ in cells], dtype=object), t),
            "event_day": np.tile(days, len(cells)),
            "nobs": np.repeat(nobs, t),
            "aar": aar.ravel(),
            "caar": caar.ravel(),
            "sd_car": sd.ravel(),
            "ci_low": (caar - half).ravel(),
            "ci_high": (caar + half).ravel(),
        }
    )
