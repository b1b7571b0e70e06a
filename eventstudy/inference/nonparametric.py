"""Non-parametric tests (METHODS §4): sign, generalised sign (Cowan 1992), Wilcoxon signed-rank."""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np

from .._lazy import lazy
from .base import (
    Batch,
    BatchResults,
    Sample,
    TestResult,
    batch_for,
    not_computable,
    pvalue_normal,
    pvalues_normal,
    reasons,
    register_test,
)
from .rank import average_ranks

special = lazy("scipy.special")
stats = lazy("scipy.stats")  # imported on first use: import eventstudy stays fast


def binomial_two_sided(w: int, n: int) -> float:
    """Exact two-sided binomial p-value of ``w`` successes in ``n`` trials under p = ½.

    The distribution is symmetric, so ``scipy.stats.binomtest``'s rule (every outcome no likelier than ``w``)
    is both tails beyond min(w, n − w): 2·F(min(w, n − w)), capped at 1, with F from ``scipy.special.bdtr``.
    """
    if 2 * w == n:
        return 1.0
    return float(min(1.0, 2.0 * special.bdtr(min(w, n - w), n, 0.5)))


def positive_shares(resid: np.ndarray) -> np.ndarray:
    """Each firm's share of positive estimation residuals (Cowan's p̂ is their mean over the sample)."""
    valid = np.isfinite(resid)
    return (np.where(valid, resid, 0.0) > 0).sum(axis=1) / valid.sum(axis=1)


@register_test("sign_z")
def sign_z(s: Sample) -> TestResult:
    """Sign test: w = #{CAR_i > 0}, :math:`Z = (w - N/2)/\\sqrt{N/4}`, N(0,1); exact binomial p in ``details``."""
    if s.n < 1:
        return not_computable("sign_z", "N(0,1)", s.n, "no firm-events")
    w = int((s.car > 0).sum())
    z = (w - s.n / 2) / np.sqrt(s.n / 4)
    exact = binomial_two_sided(w, s.n)
    return TestResult(
        "sign_z",
        float(z),
        pvalue_normal(z),
        "N(0,1)",
        s.n,
        details={"positive": float(w), "pvalue_exact": exact},
    )


@register_test("gsign_z")
def gsign_z(s: Sample) -> TestResult:
    """Generalised sign (Cowan 1992).

    Notes
    -----
    :math:`\\hat p` is the mean over firms of each firm's share of positive estimation-window residuals;
    :math:`Z = (w - N\\hat p)/\\sqrt{N\\hat p(1-\\hat p)}`, N(0,1).
    """
    if s.n < 1:
        return not_computable("gsign_z", "N(0,1)", s.n, "no firm-events")
    p = float(s.weights @ s.cell.cached("gsign_z", lambda: positive_shares(s.cell.resid)) / s.n)
    w = int((s.car > 0).sum())
    z = (w - s.n * p) / np.sqrt(s.n * p * (1 - p))
    return TestResult(
        "gsign_z",
        float(z),
        pvalue_normal(z),
        "N(0,1)",
        s.n,
        details={"positive": float(w), "p_hat": p},
    )


@lru_cache(maxsize=128)
def signed_rank_cdf(n: int) -> np.ndarray:
    """P(W+ ≤ k), k = 0 … n(n+1)/2, for the Wilcoxon signed-rank statistic of n untied, non-zero differences.

    The null distribution is built as scipy builds it (each rank joins the sum or not with probability ½), so the
    probabilities are exact binary fractions; the cumulative sums are cached per n.
    """
    pmf = np.ones(1)
    for k in range(1, n + 1):
        prev = pmf
        pmf = np.zeros(k * (k + 1) // 2 + 1)
        pmf[: prev.size] = prev * 0.5
        pmf[-prev.size :] += prev * 0.5
    return np.cumsum(pmf)


def signed_rank(x: np.ndarray) -> tuple[float, float]:
    """W+ (the sum of the ranks of |x| over the positive x, zeros dropped) and its two-sided p-value.

    The p-value follows ``scipy.stats.wilcoxon(x)`` (``method="auto"``, ``zero_method="wilcox"``, continuity
    correction): for N ≤ 50 without ties or zeros, the exact null distribution, taken in its lower tail
    (2·P(W+ ≤ min(W+, N(N+1)/2 − W+)), which is exact also far out in the tails); for N > 50, or with ties or zeros
    and N > 13, the normal approximation with the tie correction; with ties or zeros and N ≤ 13, scipy's exact
    permutation distribution itself.
    """
    n = x.size
    d = x[x != 0]
    m = d.size
    ranks, _ = average_ranks(np.abs(d)[None, :], threads=1)
    ranks = ranks[0]
    w_plus = float(ranks[d > 0].sum())
    _, counts = np.unique(ranks, return_counts=True)  # the sizes of the groups of tied |x|
    tied = counts.size < m
    if n <= 50 and not tied and m == n:
        total = m * (m + 1) // 2
        k = int(min(w_plus, total - w_plus))
        return w_plus, float(min(1.0, 2.0 * signed_rank_cdf(m)[k]))
    if n <= 13:
        return w_plus, float(stats.wilcoxon(x, alternative="two-sided", correction=True, method="auto").pvalue)
    se = np.sqrt((m * (m + 1.0) * (2.0 * m + 1.0) - np.sum(counts**3.0 - counts) / 2.0) / 24.0)
    z = (w_plus - m * (m + 1.0) / 4.0) / se
    z -= np.sign(z) * 0.5 / se
    return w_plus, pvalue_normal(z)


@register_test("wilcoxon")
def wilcoxon(s: Sample) -> TestResult:
    """Wilcoxon signed-rank test on CAR_i.

    The statistic is W+, the sum of the ranks of the positive CARs (R's ``V``). The two-sided p-value is scipy's
    (:func:`signed_rank`): exact for small N without ties or zeros, otherwise the normal approximation with
    continuity correction.
    """
    if s.n < 1:
        return not_computable("wilcoxon", "signed-rank", s.n, "no firm-events")
    if np.all(s.car == 0):
        return not_computable("wilcoxon", "signed-rank", s.n, "all CARs are zero")
    w_plus, p = signed_rank(s.car)
    return TestResult("wilcoxon", w_plus, p, "signed-rank", s.n)


@register_test("gsign_z_estudy2")
def gsign_z_estudy2(s: Sample) -> TestResult:
    """Generalised sign test as the R package estudy2 computes it: p̂ pooled over every firm-day of the
    estimation window (rather than the mean of the per-firm shares of :func:`gsign_z`)."""
    if s.n < 1:
        return not_computable("gsign_z_estudy2", "N(0,1)", s.n, "no firm-events")
    valid = np.isfinite(s.resid)
    p = float((np.where(valid, s.resid, 0.0) > 0).sum() / valid.sum())
    w = int((s.car > 0).sum())
    z = (w - s.n * p) / np.sqrt(s.n * p * (1 - p))
    return TestResult("gsign_z_estudy2", float(z), pvalue_normal(z), "N(0,1)", s.n, details={"p_hat": p})


# ---------------------------------------------------------------------------------------------- batch versions


def _positive_batch(b: Batch) -> np.ndarray:
    car, seg = b.flat("car")
    return np.bincount(seg, weights=(car > 0).astype(float), minlength=len(b))


@batch_for("sign_z")
def _sign_z_batch(b: Batch) -> BatchResults:
    w = _positive_batch(b)
    n = b.n
    z = (w - n / 2) / np.sqrt(n / 4)
    low = np.minimum(w, n - w)
    with np.errstate(invalid="ignore"):
        exact = np.where(2 * w == n, 1.0, np.minimum(1.0, 2.0 * special.bdtr(low, n, 0.5)))
    details = [{"positive": float(a), "pvalue_exact": float(e)} for a, e in zip(w, exact, strict=True)]
    missing = reasons(len(b), (n < 1, "no firm-events"))
    return BatchResults.build("sign_z", z, pvalues_normal(z), ["N(0,1)"] * len(b), n, details=details, missing=missing)


@batch_for("gsign_z")
def _gsign_z_batch(b: Batch) -> BatchResults:
    p = np.full(len(b), np.nan)
    for cell, at in b.by_cell():
        shares = cell.cached("gsign_z", partial(positive_shares, cell.resid))
        p[at] = (shares @ b.weights(cell, at)) / b.n[at]
    w = _positive_batch(b)
    n = b.n
    z = (w - n * p) / np.sqrt(n * p * (1 - p))
    details = [{"positive": float(a), "p_hat": float(q)} for a, q in zip(w, p, strict=True)]
    missing = reasons(len(b), (n < 1, "no firm-events"))
    return BatchResults.build("gsign_z", z, pvalues_normal(z), ["N(0,1)"] * len(b), n, details=details, missing=missing)


@batch_for("wilcoxon")
def _wilcoxon_batch(b: Batch) -> BatchResults:
    """W+ from one sort of every sample's |CAR|; the p-value as :func:`signed_rank` gives it. A sample with tied
    |CAR|s, or with zeros and N ≤ 13, goes through :func:`wilcoxon` itself."""
    k = len(b)
    car, seg = b.flat("car")
    nz = car != 0
    d, sg = car[nz], seg[nz]
    order = np.lexsort((np.abs(d), sg))
    d, sg = d[order], sg[order]
    m = np.bincount(sg, minlength=k)
    start = np.concatenate(([0], np.cumsum(m)[:-1])) if k else np.zeros(0, dtype=np.int64)
    rank = (np.arange(d.size) - start[sg] + 1).astype(float)
    w_plus = np.bincount(sg, weights=np.where(d > 0, rank, 0.0), minlength=k)
    a = np.abs(d)
    tied = np.zeros(k, dtype=bool)
    same = (a[1:] == a[:-1]) & (sg[1:] == sg[:-1])
    tied[sg[1:][same]] = True
    n = b.n
    all_zero = m == 0
    # the exact null distribution: N ≤ 50, no ties, no zeros
    p = np.full(k, np.nan)
    exact = (n <= 50) & ~tied & (m == n) & ~all_zero
    for i in np.flatnonzero(exact):
        total = int(m[i]) * (int(m[i]) + 1) // 2
        low = int(min(w_plus[i], total - w_plus[i]))
        p[i] = float(min(1.0, 2.0 * signed_rank_cdf(int(m[i]))[low]))
    normal = ~exact & ~tied & (n > 13) & ~all_zero
    mf = m.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((mf * (mf + 1.0) * (2.0 * mf + 1.0) - 0.0 / 2.0) / 24.0)
        z = (w_plus - mf * (mf + 1.0) / 4.0) / se
        z -= np.sign(z) * 0.5 / se
    p[normal] = pvalues_normal(z[normal])
    missing = reasons(k, (n < 1, "no firm-events"), (all_zero & (n >= 1), "all CARs are zero"))
    out = BatchResults.build("wilcoxon", w_plus, p, ["signed-rank"] * k, n, missing=missing)
    # tied |CAR|s, or zeros with N ≤ 13: the test's own function (the tie correction, scipy's permutations)
    for i in np.flatnonzero(~exact & ~normal & (missing == "")):
        with np.errstate(all="ignore"):
            res = wilcoxon(b.samples[i])
        out.statistic[i], out.pvalue[i] = res.statistic, res.pvalue
    return out
