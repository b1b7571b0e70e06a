"""Rank tests (METHODS §4): Corrado (1989) with Corrado–Zivney (1992) standardised ranks, and the generalised rank
test GRANK of Kolari & Pynnönen (2011)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from .._lazy import lazy
from .base import (
    Batch,
    BatchResults,
    Cell,
    Sample,
    TestResult,
    batch_for,
    not_computable,
    pvalue_normal,
    pvalue_t,
    pvalues_normal,
    pvalues_t,
    reasons,
    register_test,
    t_labels,
)

stats = lazy("scipy.stats")  # imported on first use: import eventstudy stays fast

__all__ = ["average_ranks", "centred_ranks", "grank_parts", "rank_z_parts"]

_BLOCK = 1024


def _rank_block(values: np.ndarray, subset: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    valid = np.isfinite(values)
    x = np.where(valid, values, np.inf)
    order = np.argsort(x, axis=1)
    ranked = np.take_along_axis(x, order, axis=1)
    pos = np.broadcast_to(np.arange(1, x.shape[1] + 1, dtype=float), x.shape)
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, pos, axis=1)
    sub_ranks: np.ndarray | None = None
    if subset is not None:
        # ranks among the subset's values only: count the subset's members along the sorted order
        inside = valid & subset
        sub_ranks = np.empty(x.shape)
        np.put_along_axis(sub_ranks, order, np.cumsum(np.take_along_axis(inside, order, axis=1), axis=1), axis=1)
    tied = ((ranked[:, 1:] == ranked[:, :-1]) & np.isfinite(ranked[:, 1:])).any(axis=1)
    if tied.any():
        ranks[tied] = stats.rankdata(x[tied], axis=1, method="average")
        if sub_ranks is not None:
            sub_ranks[tied] = stats.rankdata(np.where(inside[tied], x[tied], np.inf), axis=1, method="average")
    ranks[~valid] = np.nan
    if sub_ranks is not None:
        sub_ranks[~inside] = np.nan
    return ranks, sub_ranks


def average_ranks(
    values: np.ndarray, subset: np.ndarray | None = None, *, threads: int = 2
) -> tuple[np.ndarray, np.ndarray | None]:
    """Average ranks (1-based, scipy's ``method="average"``) of the finite values of each row; NaN elsewhere.

    With the ``(n, T)`` mask ``subset``, also the ranks of each row's finite values inside the subset among
    themselves (NaN outside it). One ``argsort`` per row serves both; rows with tied values are ranked by
    ``scipy.stats.rankdata``. Blocks of rows are sorted on ``threads`` threads (numpy's sort releases the GIL).
    """
    n = values.shape[0]
    starts = list(range(0, n, _BLOCK))
    ranks = np.empty(values.shape)
    sub_ranks = np.empty(values.shape) if subset is not None else None

    def one(lo: int) -> None:
        sl = slice(lo, min(lo + _BLOCK, n))
        r, s = _rank_block(values[sl], None if subset is None else subset[sl])
        ranks[sl] = r
        if sub_ranks is not None:
            sub_ranks[sl] = s

    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, starts))
    else:
        for lo in starts:
            one(lo)
    return ranks, sub_ranks


def centred_ranks(values: np.ndarray) -> np.ndarray:
    """U_it = rank(x_it)/(T_i + 1) − ½ per row over its finite values (average ranks for ties); NaN elsewhere."""
    ranks, _ = average_ranks(values, threads=1)
    t = np.isfinite(values).sum(axis=1, keepdims=True)
    return ranks / (t + 1.0) - 0.5


def rank_z_parts(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centred ranks ``u`` (firms × days) as the rank tests sum them: ``(u with 0 for NaN, 1.0 where present)``."""
    have = np.isfinite(u)
    return np.where(have, u, 0.0), have.astype(float)


def grank_parts(sar_estimation: np.ndarray, ranks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """What GRANK needs of a cell before the CAR window is known.

    ``sar_estimation`` is ``(N, M)``: each firm's estimation-window SARs (NaN where unused). ``ranks`` are their
    average ranks within each row when already known (the ranks of e_it/σ̂_i are those of e_it, σ̂_i > 0).
    Returns the SARs, their presence, their ranks (0 where absent), each firm's count T_i and its 1/(T_i + 2):
    the denominator of a row that gains the cumulated day.
    """
    valid = np.isfinite(sar_estimation)
    if ranks is None:
        ranks, _ = average_ranks(sar_estimation, threads=1)
    return {
        "sar": sar_estimation,
        "valid": valid,
        "present": valid.astype(float),
        "ranks": np.where(valid, ranks, 0.0),
        "count": valid.sum(axis=1),
        "scale": 1.0 / (valid.sum(axis=1) + 2.0),
    }


@register_test("rank_z")
def rank_z(s: Sample) -> TestResult:
    """Corrado rank test with Corrado–Zivney standardised ranks.

    Notes
    -----
    Each firm's estimation residuals and event-window ARs are ranked together:
    :math:`U_{it} = \\mathrm{rank}(AR_{it})/(T_i+1) - 1/2`. With :math:`\\bar U_t` the mean over the
    :math:`N_t` firms with a value on day t and :math:`S^2 = T^{-1}\\sum_t N_t \\bar U_t^2` over the T days of the
    estimation and event windows, a single day gives :math:`Z = \\sqrt{N_0}\\,\\bar U_0/S`. A window of L days
    cumulates: :math:`Z = \\sum_{t\\in w} \\sqrt{N_t}\\bar U_t / (S\\sqrt L)`, which is the single-day test for L = 1.
    N(0,1).
    """
    if s.n < 1 or s.window_cols is None:
        return not_computable("rank_z", "N(0,1)", s.n, "no firm-events or no abnormal-return matrix")
    u, have = s.cell.cached("rank_z", lambda: rank_z_parts(centred_ranks(s.cell.ar_all)))
    n_t = s.weights @ have
    with np.errstate(invalid="ignore", divide="ignore"):
        ubar = np.where(n_t > 0, (s.weights @ u) / np.maximum(n_t, 1), np.nan)
    days = n_t > 0
    s2 = np.sum(n_t[days] * ubar[days] ** 2) / days.sum()
    w = s.window_cols
    z = np.sum(np.sqrt(n_t[w]) * ubar[w]) / (np.sqrt(s2) * np.sqrt(len(w)))
    return TestResult("rank_z", float(z), pvalue_normal(z), "N(0,1)", s.n)


@register_test("grank_t")
def grank_t(s: Sample) -> TestResult:
    """Generalised rank test GRANK (Kolari & Pynnönen 2011) for CARs.

    Notes
    -----
    1. :math:`SCAR^*_i = SCAR_i / s(SCAR)` (cross-sectional sd, ddof 1);
    2. GSAR is the estimation-window SAR (:math:`e_{it}/\\hat\\sigma_i`) plus :math:`SCAR^*_i` as one cumulated day;
    3. :math:`U_{it} = \\mathrm{rank}(GSAR_{it})/(T_i+1) - 1/2`;
    4. :math:`Z = \\bar U_0 / S_{\\bar U}` with :math:`S_{\\bar U}^2 = T^{-1}\\sum_t (N_t/N)\\bar U_t^2` over the
       estimation days and the cumulated day;
    5. :math:`t = Z\\sqrt{(T-2)/(T-1-Z^2)}`, t(T−2).

    The estimation days are ranked once for all windows; the cumulated day then moves each estimation rank up by
    1 where SCAR*_i is below it (½ where equal), and its own rank is 1 plus the count below (plus ½ per tie).
    """
    if s.n < 2:
        return not_computable("grank_t", "t(T-2)", s.n, "needs at least 2 firm-events")
    sd = s.scar.std(ddof=1)
    if not np.isfinite(sd) or sd == 0:
        return not_computable("grank_t", "t(T-2)", s.n, "the SCARs have no cross-sectional spread")
    g = s.cell.cached("grank_t", lambda: grank_parts(s.cell.sar_all[:, s.cell.estimation_cols]))
    star = np.full(s.cell.n, np.nan)
    star[s.members] = s.scar / sd  # NaN for the cell's other firm-events: no comparison holds
    x = g["sar"]
    # comparisons with NaN are False: absent estimation days and non-members drop out by themselves
    below = x < star[:, None]
    above = x > star[:, None]
    n_below = below.sum(axis=1)
    ties = g["count"] - n_below - above.sum(axis=1)  # estimation SARs equal to SCAR*_i
    scale = s.weights * g["scale"]
    n_est = s.weights @ g["present"]
    # estimation days: rank + [SCAR* < x] + ½[SCAR* = x], over T_i + 2
    lift = scale @ above
    if ties[s.members].any():
        lift += 0.5 * (scale @ (x == star[:, None]))
    sum_u = scale @ g["ranks"] + lift - 0.5 * n_est
    # the cumulated day: 1 + #below + ½·#equal (its own copy counted once), over T_i + 2
    u_cum = ((1.0 + n_below + 0.5 * ties) * g["scale"])[s.members] - 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        ubar = np.append(sum_u / np.maximum(n_est, 1), u_cum.mean())
    n_t = np.append(n_est, s.n)
    days = n_t > 0
    t_days = int(days.sum())
    s2 = np.sum((n_t[days] / s.n) * ubar[days] ** 2) / t_days
    z = ubar[-1] / np.sqrt(s2)
    if t_days - 1 - z**2 <= 0:
        return not_computable("grank_t", f"t({t_days - 2})", s.n, "Z too large for the t transformation")
    t = z * np.sqrt((t_days - 2) / (t_days - 1 - z**2))
    p = pvalue_t(t, t_days - 2)
    return TestResult("grank_t", float(t), p, f"t({t_days - 2})", s.n, details={"grank_z": float(z)})


# ---------------------------------------------------------------------------------------------- batch versions


def _rank_z_of(cell: Cell) -> tuple[np.ndarray, np.ndarray]:
    return rank_z_parts(centred_ranks(cell.ar_all))


def _grank_of(cell: Cell) -> dict[str, np.ndarray]:
    return grank_parts(cell.sar_all[:, cell.estimation_cols])


#: Elements of the (samples × firm-events × estimation days) comparisons of one step of the GRANK batch.
GRANK_BLOCK = 4_000_000


@batch_for("rank_z")
def _rank_z_batch(b: Batch) -> BatchResults:
    k = len(b)
    z = np.full(k, np.nan)
    no_cols = np.array([s.window_cols is None for s in b.samples], dtype=bool)
    for cell, at in b.by_cell():
        at = at[(b.n[at] >= 1) & ~no_cols[at]]
        if not at.size:
            continue
        u, have = cell.cached("rank_z", partial(_rank_z_of, cell))
        weights = b.weights(cell, at)
        n_t = weights.T @ have
        with np.errstate(invalid="ignore", divide="ignore"):
            ubar = np.where(n_t > 0, (weights.T @ u) / np.maximum(n_t, 1), np.nan)
            days = n_t > 0
            s2 = np.where(days, n_t * ubar**2, 0.0).sum(axis=1) / days.sum(axis=1)
            in_window = np.zeros(n_t.shape, dtype=bool)
            length = np.zeros(at.size)
            for j, i in enumerate(at):
                cols = b.samples[i].window_cols
                in_window[j, cols] = True
                length[j] = len(cols)
            total = np.where(in_window, np.sqrt(n_t) * ubar, 0.0).sum(axis=1)
            z[at] = total / (np.sqrt(s2) * np.sqrt(length))
    missing = reasons(k, ((b.n < 1) | no_cols, "no firm-events or no abnormal-return matrix"))
    return BatchResults.build("rank_z", z, pvalues_normal(z), ["N(0,1)"] * k, b.n, missing=missing)


@batch_for("grank_t")
def _grank_t_batch(b: Batch) -> BatchResults:
    k = len(b)
    _, sd = b.moments("scar")
    z = np.full(k, np.nan)
    t_days = np.zeros(k, dtype=np.int64)
    for cell, at in b.by_cell():
        at = at[(b.n[at] >= 2) & np.isfinite(sd[at]) & (sd[at] != 0)]
        if not at.size:
            continue
        g = cell.cached("grank_t", partial(_grank_of, cell))
        x = g["sar"]
        step = max(1, GRANK_BLOCK // max(x.size, 1))
        for lo in range(0, at.size, step):
            part = at[lo : lo + step]
            weights = b.weights(cell, part).T  # (samples, firm-events)
            star = np.full(weights.shape, np.nan)
            for j, i in enumerate(part):
                s = b.samples[i]
                star[j, s.members] = s.scar / sd[i]
            below = x[None, :, :] < star[:, :, None]
            above = x[None, :, :] > star[:, :, None]
            n_below = below.sum(axis=2)
            ties = g["count"][None, :] - n_below - above.sum(axis=2)
            scale = weights * g["scale"][None, :]
            n_est = weights @ g["present"]
            lift = np.einsum("jn,jnm->jm", scale, above)
            tied = (np.where(weights > 0, ties, 0) != 0).any(axis=1)
            for jt in np.flatnonzero(tied):
                lift[jt] += 0.5 * (scale[jt] @ (x == star[jt][:, None]))
            sum_u = scale @ g["ranks"] + lift - 0.5 * n_est
            u_cum = ((1.0 + n_below + 0.5 * ties) * g["scale"][None, :]) - 0.5
            with np.errstate(invalid="ignore", divide="ignore"):
                ubar_est = sum_u / np.maximum(n_est, 1)
                ubar_cum = np.where(weights > 0, u_cum, 0.0).sum(axis=1) / b.n[part]
                n_part = b.n[part].astype(float)
                days = n_est > 0
                t_days[part] = days.sum(axis=1) + 1
                s2 = (np.where(days, (n_est / n_part[:, None]) * ubar_est**2, 0.0).sum(axis=1) + ubar_cum**2) / t_days[
                    part
                ]
                z[part] = ubar_cum / np.sqrt(s2)
    with np.errstate(invalid="ignore", divide="ignore"):
        room = t_days - 1 - z**2
        t = z * np.sqrt((t_days - 2) / room)
    small = b.n < 2
    flat = ~small & ~(np.isfinite(sd) & (sd != 0))
    too_large = ~small & ~flat & ~(room > 0)
    missing = reasons(
        k,
        (small, "needs at least 2 firm-events"),
        (flat, "the SCARs have no cross-sectional spread"),
        (too_large, "Z too large for the t transformation"),
    )
    labels = t_labels(t_days - 2)
    dist = ["t(T-2)" if (small[i] or flat[i]) else labels[i] for i in range(k)]
    details = [{"grank_z": float(v)} for v in z]
    return BatchResults.build("grank_t", t, pvalues_t(t, t_days - 2), dist, b.n, details=details, missing=missing)
