"""Parametric tests (METHODS §4): cross-sectional t, Brown–Warner CDA, Patell, BMP, Kolari–Pynnönen, CLM J1."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from .base import (
    Batch,
    BatchResults,
    Sample,
    TestResult,
    batch_for,
    labels_where,
    not_computable,
    pvalue_normal,
    pvalue_t,
    pvalues_normal,
    pvalues_t,
    reasons,
    register_test,
    t_labels,
)

__all__ = [
    "aligned_dates",
    "calendar_aar",
    "calendar_layout",
    "correlation_sums",
    "mean_residual_correlation",
    "pairwise_correlation",
    "sample_calendar_aar",
]


def _t(name: str, stat: float, df: float, n: int, notes: str = "") -> TestResult:
    p = pvalue_t(stat, df)
    return TestResult(name, float(stat), p, f"t({int(df)})", n, notes)


def _z(name: str, stat: float, n: int, notes: str = "") -> TestResult:
    p = pvalue_normal(stat)
    return TestResult(name, float(stat), p, "N(0,1)", n, notes)


@register_test("csect_t")
def csect_t(s: Sample) -> TestResult:
    """Cross-sectional t: :math:`t = \\overline{CAR} / (s_{CAR}/\\sqrt{N})`, t(N−1)."""
    if s.n < 2:
        return not_computable("csect_t", "t(N-1)", s.n, "needs at least 2 firm-events")
    sd = s.car.std(ddof=1)
    return _t("csect_t", s.car.mean() / (sd / np.sqrt(s.n)), s.n - 1, s.n)


@register_test("cda_t")
def cda_t(s: Sample) -> TestResult:
    r"""Brown–Warner (1980, 1985) crude dependence adjustment.

    Notes
    -----
    :math:`AAR_\tau` is the mean of the in-sample residuals over the firms with a residual on calendar date τ
    (calendar-aligned, so that securities with other day-0 dates and pooled events share their common shocks).
    :math:`\hat S^2 = \sum_\tau (AAR_\tau - \overline{AAR})^2/(M-1)` over the M dates;
    :math:`t = CAAR/(\hat S\sqrt{L})`, t(M−1).
    """
    if s.n < 1:
        return not_computable("cda_t", "t(M-1)", s.n, "no firm-events")
    aar = sample_calendar_aar(s)
    m = aar.size
    if m < 3:
        return not_computable("cda_t", "t(M-1)", s.n, "fewer than 3 estimation days")
    sd = aar.std(ddof=1)
    return _t("cda_t", s.car.mean() / (sd * np.sqrt(s.length)), m - 1, s.n)


def aligned_dates(dates: np.ndarray) -> bool:
    """Whether every row of ``dates`` holds the same session in each column (one exchange, one day 0)."""
    if dates.shape[0] < 2:
        return True
    view = dates.view(np.int64)
    return bool((view == view[0]).all())


def calendar_layout(resid: np.ndarray, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(E, W)``: the residuals on a date × firm layout (``(D, N)``, 0 where missing) and their presence (0/1),
    one row per calendar date that has a residual, in date order."""
    n = resid.shape[0]
    valid = np.isfinite(resid) & ~np.isnat(dates)
    if aligned_dates(dates):  # each column is one date, and columns run in date order
        keep = valid.any(axis=0)
        return np.where(valid, resid, 0.0)[:, keep].T.copy(), valid[:, keep].T.astype(float)
    uniq, inv = np.unique(dates[valid], return_inverse=True)
    rows = np.nonzero(valid)[0]
    e = np.zeros((uniq.size, n))
    w = np.zeros((uniq.size, n))
    e[inv, rows] = resid[valid]
    w[inv, rows] = 1.0
    return e, w


def calendar_aar(resid: np.ndarray, dates: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The mean residual on each calendar date (over the firms with a residual that date), in date order.

    ``weights`` (0/1 per row) restricts the mean to some of the rows; dates none of them has are left out.
    """
    return _layout_aar(calendar_layout(resid, dates), weights)


def _layout_aar(layout: tuple[np.ndarray, np.ndarray], weights: np.ndarray | None) -> np.ndarray:
    e, w = layout
    if weights is None:
        sums, counts = e.sum(axis=1), w.sum(axis=1)
    else:
        sums, counts = e @ weights, w @ weights
    have = counts > 0
    return sums[have] / counts[have]


def sample_calendar_aar(s: Sample) -> np.ndarray:
    """:func:`calendar_aar` of the sample's estimation residuals, on its cell's date layout (built once)."""
    layout = s.cell.cached("calendar_layout", lambda: calendar_layout(s.cell.resid, s.cell.resid_dates))
    return _layout_aar(layout, s.weights)


def _patell(s: Sample) -> float:
    d = s.nobs_estimation - s.df_loss
    return float(s.scar.sum() / np.sqrt(np.sum(d / (d - 2.0))))


@register_test("patell_z", aliases=("j2",))
def patell_z(s: Sample) -> TestResult:
    """Patell (1976) Z: :math:`\\sum_i SCAR_i / \\sqrt{\\sum_i (M_i-k)/(M_i-k-2)}`, N(0,1). CLM's J2."""
    if s.n < 1:
        return not_computable("patell_z", "N(0,1)", s.n, "no firm-events")
    return _z("patell_z", _patell(s), s.n)


def _bmp(s: Sample) -> float:
    return float(s.scar.mean() / (s.scar.std(ddof=1) / np.sqrt(s.n)))


@register_test("bmp_t")
def bmp_t(s: Sample) -> TestResult:
    """Boehmer, Musumeci & Poulsen (1991): :math:`\\overline{SCAR}/(s_{SCAR}/\\sqrt{N})`, t(N−1)."""
    if s.n < 2:
        return not_computable("bmp_t", "t(N-1)", s.n, "needs at least 2 firm-events")
    stat = _bmp(s)
    res = _t("bmp_t", stat, s.n - 1, s.n)
    return TestResult(**{**res.__dict__, "details": {"pvalue_normal": pvalue_normal(stat)}})


def pairwise_correlation(
    resid: np.ndarray,
    dates: np.ndarray,
    *,
    min_periods: int = 5,
    layout: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Pearson correlations of the rows of ``resid``, each pair over its common dates (pairwise complete).

    ``resid`` and ``dates`` are ``(N, T)``; rows are aligned by date, not by position. Pairs with fewer than
    ``min_periods`` common dates get NaN. ``layout`` is :func:`calendar_layout` of ``resid`` and ``dates`` when
    it is already at hand (it is read, not changed).

    Notes
    -----
    On a date × firm layout with residuals E (zero where missing) and the presence indicator W, every pairwise
    sum is a matrix product: over the dates common to i and j, Σe_i e_j = (E'E)_ij, Σe_i = (E'W)_ij,
    Σe_i² = ((E∘E)'W)_ij and the count is (W'W)_ij. Four dense BLAS products; a sparse route over the missing
    dates does fewer operations but, with its large fresh output, ran slower.
    """
    e, wf = calendar_layout(resid, dates) if layout is None else layout
    p = e.T @ e
    cnt = wf.T @ wf
    s = e.T @ wf  # s[i, j]: sum of firm i's residuals over the dates common with j
    q = (e * e).T @ wf
    # in place, N × N at a time: cov = P − S∘S'/cnt, var = Q − S∘S/cnt, corr = cov/√(var∘var')
    with np.errstate(invalid="ignore", divide="ignore"):
        tmp = s * s.T
        tmp /= cnt
        p -= tmp
        np.multiply(s, s, out=tmp)
        tmp /= cnt
        q -= tmp
        np.multiply(q, q.T, out=tmp)
        np.sqrt(tmp, out=tmp)
        p /= tmp
    p[cnt < min_periods] = np.nan
    return p


#: Above this many firm-events a cell's correlations are summed by blocks, never held as an N × N matrix.
DENSE_CORRELATION_LIMIT = 2000
#: Elements of one block's arrays (rows × columns): bounds the memory of the blocked sums (about 8 arrays of
#: this many float64, 8 bytes each: 130 MB at 2 million).
BLOCK_ELEMENTS = 2_000_000


class _Layout:
    """Residuals on calendar-date positions, built block by block (never as a dense dates × firm-events array)."""

    def __init__(self, resid: np.ndarray, dates: np.ndarray) -> None:
        valid = np.isfinite(resid) & ~np.isnat(dates)
        uniq = np.unique(dates[valid])
        pos = np.full(resid.shape, -1, dtype=np.int64)
        pos[valid] = np.searchsorted(uniq, dates[valid])
        self.resid = np.where(valid, resid, 0.0)
        self.pos = pos
        self.valid = valid
        big = np.iinfo(np.int64).max
        self.first = np.where(valid, pos, big).min(axis=1) if resid.shape[1] else np.full(resid.shape[0], big)
        self.last = np.where(valid, pos, -1).max(axis=1) if resid.shape[1] else np.full(resid.shape[0], -1)

    def block(self, rows: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """``(E, W)``: the residuals of ``rows`` on dates ``lo..hi-1`` (``(hi-lo, len(rows))``, 0 where missing)
        and their presence (0/1)."""
        e = np.zeros((hi - lo, rows.size))
        w = np.zeros((hi - lo, rows.size))
        pos = self.pos[rows]
        ok = self.valid[rows] & (pos >= lo) & (pos < hi)
        r, c = np.nonzero(ok)
        e[pos[r, c] - lo, r] = self.resid[rows][r, c]
        w[pos[r, c] - lo, r] = 1.0
        return e, w


def _block_correlation(layout: _Layout, rows: np.ndarray, cols: np.ndarray, *, min_periods: int) -> np.ndarray:
    """Pairwise-complete Pearson correlations of ``rows`` × ``cols`` (NaN below ``min_periods`` common dates and
    on a firm-event with itself), by the sums of :func:`pairwise_correlation` over the dates the rows cover."""
    lo = int(layout.first[rows].min())
    hi = int(layout.last[rows].max()) + 1
    if hi <= lo:
        return np.full((rows.size, cols.size), np.nan)
    er, wr = layout.block(rows, lo, hi)
    ec, wc = layout.block(cols, lo, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        cnt = wr.T @ wc
        s = er.T @ wc  # sum of the row's residuals over the dates common with the column
        t = wr.T @ ec  # and of the column's
        cov = er.T @ ec - s * t / cnt
        var_r = (er * er).T @ wc - s * s / cnt
        var_c = wr.T @ (ec * ec) - t * t / cnt
        corr = cov / np.sqrt(var_r * var_c)
    corr[cnt < min_periods] = np.nan
    corr[rows[:, None] == cols[None, :]] = np.nan
    return corr


def correlation_sums(
    resid: np.ndarray,
    dates: np.ndarray,
    *,
    min_periods: int = 5,
    block_elements: int = BLOCK_ELEMENTS,
    layout: _Layout | None = None,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per firm-event ``i``, the sum of its finite pairwise correlations with the others and their number:
    ``(Σ_j C_ij, Σ_j F_ij)`` with C and F as in :func:`mean_residual_correlation`, computed by blocks of rows.

    Memory is bounded by ``block_elements`` (rows × columns of one block), whatever the number of firm-events:
    the N × N matrix is never formed. Rows are taken in order of their first estimation date, and each block
    meets only the columns whose dates overlap its own, so firm-events far apart in time cost nothing.
    ``rows`` restricts both sides to some firm-events (the others count as absent).
    """
    layout = layout or _Layout(resid, dates)
    n = resid.shape[0]
    rows = np.arange(n) if rows is None else np.asarray(rows)
    c_sum = np.zeros(n)
    f_sum = np.zeros(n)
    order = rows[np.argsort(layout.first[rows], kind="stable")]
    firsts, lasts = layout.first[order], layout.last[order]
    step = max(1, min(order.size, math.isqrt(block_elements)))
    width = max(1, block_elements // step)
    for a in range(0, order.size, step):
        blk = order[a : a + step]
        lo, hi = layout.first[blk].min(), layout.last[blk].max()
        # the block with itself (symmetric: its row sums count every pair of the block from both sides)
        corr = _block_correlation(layout, blk, blk, min_periods=min_periods)
        finite = np.isfinite(corr)
        c_sum[blk] += np.where(finite, corr, 0.0).sum(axis=1)
        f_sum[blk] += finite.sum(axis=1)
        # the later firm-events whose dates meet the block's: each pair once, added to both of its firm-events
        later = slice(a + step, order.size)
        cols = order[later][(firsts[later] <= hi) & (lasts[later] >= lo)]
        for b in range(0, cols.size, width):
            part = cols[b : b + width]
            corr = _block_correlation(layout, blk, part, min_periods=min_periods)
            finite = np.isfinite(corr)
            values = np.where(finite, corr, 0.0)
            c_sum[blk] += values.sum(axis=1)
            f_sum[blk] += finite.sum(axis=1)
            c_sum[part] += values.sum(axis=0)
            f_sum[part] += finite.sum(axis=0)
    return c_sum, f_sum


def mean_residual_correlation(s: Sample, *, min_periods: int = 5) -> float:
    """r̄: the mean off-diagonal Pearson correlation of estimation residuals, each pair over its common dates.

    A sample's r̄ is w'Cw / w'Fw with w its members' 0/1 vector, C the finite off-diagonal correlations (0
    elsewhere) and F their indicator. A small cell's C and F are computed once; a large cell's (more than
    :data:`DENSE_CORRELATION_LIMIT` firm-events) never exist as matrices: the cell keeps each firm-event's row sums
    Σ_j C_ij and Σ_j F_ij (:func:`correlation_sums`, by blocks), and a sample that lacks a few of the cell's
    firm-events X gets w'Cw = 1'C1 − 2 Σ_{x∈X} (C1)_x + Σ_{x,y∈X} C_xy (the same for F), exactly; a sample that
    lacks many is summed by blocks over its own members.
    """
    if s.n < 2:
        return float("nan")
    cell = s.cell
    if cell.n <= DENSE_CORRELATION_LIMIT:

        def rbar() -> float:
            c, f = cell.cached(f"correlation:{min_periods}", lambda: _dense_parts(cell, min_periods))
            w = s.weights
            pairs = float(w @ f @ w)
            return float(w @ c @ w) / pairs if pairs > 0 else float("nan")

        return s.cached(f"rbar:{min_periods}", rbar)

    def blocked() -> float:
        layout = cell.cached("correlation_layout", lambda: _Layout(cell.resid, cell.resid_dates))
        c_row, f_row = cell.cached(
            f"correlation_sums:{min_periods}",
            lambda: correlation_sums(cell.resid, cell.resid_dates, min_periods=min_periods, layout=layout),
        )
        out = np.setdiff1d(np.arange(cell.n), s.members)
        if out.size <= DENSE_CORRELATION_LIMIT:
            c_total, f_total = c_row.sum(), f_row.sum()
            c_out, f_out = c_row[out].sum(), f_row[out].sum()
            if out.size:
                corr = _block_correlation(layout, out, out, min_periods=min_periods)
                finite = np.isfinite(corr)
                c_xx, f_xx = np.where(finite, corr, 0.0).sum(), finite.sum()
            else:
                c_xx = f_xx = 0.0
            num, pairs = c_total - 2 * c_out + c_xx, f_total - 2 * f_out + f_xx
        else:
            c_m, f_m = correlation_sums(
                cell.resid, cell.resid_dates, min_periods=min_periods, layout=layout, rows=s.members
            )
            num, pairs = c_m.sum(), f_m.sum()
        return float(num) / float(pairs) if pairs > 0 else float("nan")

    return s.cached(f"rbar:{min_periods}", blocked)


def _dense_parts(cell: Any, min_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """A cell's finite off-diagonal correlations C (0 elsewhere) and their indicator F."""
    layout = cell.cached("calendar_layout", partial(calendar_layout, cell.resid, cell.resid_dates))
    corr = pairwise_correlation(cell.resid, cell.resid_dates, min_periods=min_periods, layout=layout)
    off = np.isfinite(corr)
    corr[~off] = 0.0
    np.fill_diagonal(corr, 0.0)
    np.fill_diagonal(off, False)
    return corr, off.astype(float)


def _kp_reason(s: Sample, r: float) -> str:
    if not np.isfinite(r):
        return "r̄ is undefined: no pair of firm-events shares 5 estimation dates"
    return f"r̄ = {r:.3f} is below −1/(N−1) = {-1 / (s.n - 1):.3f}: the adjustment is undefined"


def _kp_factor(s: Sample) -> tuple[float, float]:
    r = mean_residual_correlation(s)
    return float(np.sqrt((1 - r) / (1 + (s.n - 1) * r))), r


@register_test("kp_bmp_t")
def kp_bmp_t(s: Sample) -> TestResult:
    """Kolari & Pynnönen (2010) adjusted BMP: :math:`t_{BMP}\\sqrt{(1-\\bar r)/(1+(N-1)\\bar r)}`, t(N−1)."""
    if s.n < 2:
        return not_computable("kp_bmp_t", "t(N-1)", s.n, "needs at least 2 firm-events")
    factor, r = _kp_factor(s)
    if not np.isfinite(factor):
        return not_computable("kp_bmp_t", "t(N-1)", s.n, _kp_reason(s, r))
    res = _t("kp_bmp_t", _bmp(s) * factor, s.n - 1, s.n)
    return TestResult(**{**res.__dict__, "details": {"rbar": r}})


@register_test("kp_patell_z")
def kp_patell_z(s: Sample) -> TestResult:
    """Kolari & Pynnönen (2010) adjusted Patell Z, N(0,1)."""
    if s.n < 2:
        return not_computable("kp_patell_z", "N(0,1)", s.n, "needs at least 2 firm-events")
    factor, r = _kp_factor(s)
    if not np.isfinite(factor):
        return not_computable("kp_patell_z", "N(0,1)", s.n, _kp_reason(s, r))
    res = _z("kp_patell_z", _patell(s) * factor, s.n)
    return TestResult(**{**res.__dict__, "details": {"rbar": r}})


@register_test("j1")
def j1(s: Sample) -> TestResult:
    """Campbell, Lo & MacKinlay J1: :math:`CAAR/\\sqrt{\\sum_i Var(CAR_i)/N^2}`, N(0,1)."""
    if s.n < 1:
        return not_computable("j1", "N(0,1)", s.n, "no firm-events")
    return _z("j1", s.car.mean() / np.sqrt(s.var_car.sum() / s.n**2), s.n)


@register_test("portfolio_t")
def portfolio_t(s: Sample) -> TestResult:
    r"""Portfolio test: the equally weighted portfolio of the sample, calendar-aligned, fitted like one security.

    Notes
    -----
    :math:`t = CAR_p/\sqrt{Var(CAR_p)}` with the exact forecast-error variance, t(M−k). Cross-correlation between
    the members is inside the portfolio's residual variance, so the test is immune to it by construction.
    Securities on another exchange or with another day 0 (other time zones, pooled events) form their own portfolio
    (METHODS §4); several portfolios are combined as
    :math:`t = \sum_j w_j CAR_j / \sqrt{\sum_j w_j^2 Var(CAR_j)}`, :math:`w_j = N_j/N`, which treats the
    portfolios as independent of each other (said in ``notes``), against t with the smallest M_j − k.
    """
    if s.n < 1:
        return not_computable("portfolio_t", "t(M-k)", s.n, "no firm-events")
    if s.portfolio is None:
        return not_computable("portfolio_t", "t(M-k)", s.n, "the sample carries no model for the portfolio fit")
    parts = [p for p in s.portfolio() if np.isfinite(p[0]) and np.isfinite(p[1])]
    if not parts:
        return not_computable("portfolio_t", "t(M-k)", s.n, "the portfolio has too few estimation days")
    car = np.array([p[0] for p in parts])
    var = np.array([p[1] for p in parts])
    m = min(p[2] for p in parts)
    w = np.array([p[3] for p in parts], dtype=float)
    w /= w.sum()
    stat = float((w * car).sum() / np.sqrt((w**2 * var).sum()))
    notes = ""
    if len(parts) > 1:
        notes = f"{len(parts)} portfolios (one per exchange and day 0) combined as if independent of each other"
    res = _t("portfolio_t", stat, m - s.df_loss, int(sum(p[3] for p in parts)), notes)
    return TestResult(
        **{
            **res.__dict__,
            "details": {
                "car_p": float((w * car).sum()),
                "var_car_p": float((w**2 * var).sum()),
                "portfolios": float(len(parts)),
            },
        }
    )


# ---------------------------------------------------------------------------------------------- batch versions
# Each computes its test for every sample of a batch at once, as the function above does for one sample.


def _t_batch(name: str, b: Batch, stat: np.ndarray, df: np.ndarray, missing: np.ndarray, fallback: str, **kw: Any):
    return BatchResults.build(
        name, stat, pvalues_t(stat, df), labels_where(missing, t_labels(df), fallback), b.n, missing=missing, **kw
    )


def _z_batch(name: str, b: Batch, stat: np.ndarray, missing: np.ndarray, **kw: Any) -> BatchResults:
    return BatchResults.build(name, stat, pvalues_normal(stat), ["N(0,1)"] * len(b), b.n, missing=missing, **kw)


@batch_for("csect_t")
def _csect_t_batch(b: Batch) -> BatchResults:
    mean, sd = b.moments("car")
    stat = mean / (sd / np.sqrt(b.n))
    missing = reasons(len(b), (b.n < 2, "needs at least 2 firm-events"))
    return _t_batch("csect_t", b, stat, b.n - 1, missing, "t(N-1)")


@batch_for("cda_t")
def _cda_t_batch(b: Batch) -> BatchResults:
    mean, _ = b.moments("car")
    m = np.zeros(len(b), dtype=np.int64)
    sd = np.full(len(b), np.nan)
    for cell, at in b.by_cell():
        e, w = cell.cached("calendar_layout", partial(calendar_layout, cell.resid, cell.resid_dates))
        weights = b.weights(cell, at)
        sums, counts = e @ weights, w @ weights
        have = counts > 0
        aar = np.where(have, sums / np.where(have, counts, 1.0), 0.0)
        m[at] = have.sum(axis=0)
        mean_aar = aar.sum(axis=0) / np.maximum(m[at], 1)
        dev = np.where(have, aar - mean_aar, 0.0)
        sd[at] = np.sqrt((dev * dev).sum(axis=0) / (m[at] - 1))
    length = np.array([s.length for s in b.samples], dtype=float)
    stat = mean / (sd * np.sqrt(length))
    missing = reasons(len(b), (b.n < 1, "no firm-events"), (m < 3, "fewer than 3 estimation days"))
    return _t_batch("cda_t", b, stat, m - 1, missing, "t(M-1)")


def _patell_batch(b: Batch) -> np.ndarray:
    def build() -> np.ndarray:
        d = b.flat("nobs_estimation")[0] - b.samples[0].df_loss if len(b) else np.zeros(0)
        _, seg = b.flat("nobs_estimation")
        return b.sums("scar") / np.sqrt(np.bincount(seg, weights=d / (d - 2.0), minlength=len(b)))

    return b.cached("patell", build)


@batch_for("patell_z")
def _patell_z_batch(b: Batch) -> BatchResults:
    return _z_batch("patell_z", b, _patell_batch(b), reasons(len(b), (b.n < 1, "no firm-events")))


def _bmp_batch(b: Batch) -> np.ndarray:
    mean, sd = b.moments("scar")
    return mean / (sd / np.sqrt(b.n))


@batch_for("bmp_t")
def _bmp_t_batch(b: Batch) -> BatchResults:
    stat = _bmp_batch(b)
    missing = reasons(len(b), (b.n < 2, "needs at least 2 firm-events"))
    details = [{"pvalue_normal": float(p)} for p in pvalues_normal(stat)]
    return _t_batch("bmp_t", b, stat, b.n - 1, missing, "t(N-1)", details=details)


def _rbar_batch(b: Batch, min_periods: int = 5) -> np.ndarray:
    """r̄ of every sample (:func:`mean_residual_correlation`): w'Cw / w'Fw for all samples of a cell at once."""

    def build() -> np.ndarray:
        out = np.full(len(b), np.nan)
        for cell, at in b.by_cell():
            at = at[b.n[at] >= 2]
            if not at.size:
                continue
            if cell.n > DENSE_CORRELATION_LIMIT:
                out[at] = [mean_residual_correlation(b.samples[i], min_periods=min_periods) for i in at]
                continue
            c, f = cell.cached(f"correlation:{min_periods}", partial(_dense_parts, cell, min_periods))
            weights = b.weights(cell, at)
            num = ((c @ weights) * weights).sum(axis=0)
            pairs = ((f @ weights) * weights).sum(axis=0)
            out[at] = np.where(pairs > 0, num / np.where(pairs > 0, pairs, 1.0), np.nan)
        return out

    return b.cached(f"rbar:{min_periods}", build)


def _kp_batch(name: str, b: Batch, base: np.ndarray, t_dist: bool) -> BatchResults:
    r = _rbar_batch(b)
    factor = np.sqrt((1 - r) / (1 + (b.n - 1) * r))
    small = b.n < 2
    undefined = ~small & ~np.isfinite(factor)
    missing = reasons(len(b), (small, "needs at least 2 firm-events"))
    for i in np.flatnonzero(undefined):
        missing[i] = _kp_reason(b.samples[i], float(r[i]))
    details = [{"rbar": float(v)} for v in r]
    if t_dist:
        return _t_batch(name, b, base * factor, b.n - 1, missing, "t(N-1)", details=details)
    return _z_batch(name, b, base * factor, missing, details=details)


@batch_for("kp_bmp_t")
def _kp_bmp_t_batch(b: Batch) -> BatchResults:
    return _kp_batch("kp_bmp_t", b, _bmp_batch(b), True)


@batch_for("kp_patell_z")
def _kp_patell_z_batch(b: Batch) -> BatchResults:
    return _kp_batch("kp_patell_z", b, _patell_batch(b), False)


@batch_for("j1")
def _j1_batch(b: Batch) -> BatchResults:
    mean, _ = b.moments("car")
    stat = mean / np.sqrt(b.sums("var_car") / b.n**2)
    return _z_batch("j1", b, stat, reasons(len(b), (b.n < 1, "no firm-events")))


@batch_for("portfolio_t")
def _portfolio_t_batch(b: Batch) -> BatchResults:
    k = len(b)
    parts = [s.portfolio() if s.portfolio is not None and s.n >= 1 else [] for s in b.samples]
    seg = np.repeat(np.arange(k), [len(p) for p in parts])
    flat = np.array([x for p in parts for x in p], dtype=float).reshape(-1, 4)
    keep = np.isfinite(flat[:, 0]) & np.isfinite(flat[:, 1])
    seg, flat = seg[keep], flat[keep]
    count = np.bincount(seg, minlength=k)
    w = flat[:, 3] / np.bincount(seg, weights=flat[:, 3], minlength=k)[seg]
    car_p = np.bincount(seg, weights=w * flat[:, 0], minlength=k)
    var_p = np.bincount(seg, weights=w**2 * flat[:, 1], minlength=k)
    stat = car_p / np.sqrt(var_p)
    m = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(m, seg, flat[:, 2].astype(np.int64))
    nobs = np.bincount(seg, weights=flat[:, 3], minlength=k).astype(np.int64)
    df = np.where(count > 0, m - b.samples[0].df_loss if k else 0, 0)
    no_model = np.array([s.portfolio is None for s in b.samples], dtype=bool)
    missing = reasons(
        k,
        (b.n < 1, "no firm-events"),
        (no_model, "the sample carries no model for the portfolio fit"),
        (count == 0, "the portfolio has too few estimation days"),
    )
    notes = [
        f"{c} portfolios (one per exchange and day 0) combined as if independent of each other" if c > 1 else ""
        for c in count.tolist()
    ]
    details = [
        {"car_p": float(a), "var_car_p": float(v), "portfolios": float(c)}
        for a, v, c in zip(car_p, var_p, count, strict=True)
    ]
    return BatchResults.build(
        "portfolio_t",
        stat,
        pvalues_t(stat, df),
        labels_where(missing, t_labels(df), "t(M-k)"),
        np.where(missing == "", nobs, b.n),
        notes=notes,
        details=details,
        missing=missing,
    )
