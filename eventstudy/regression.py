"""Abnormal-return regressions (METHODS §5): the multivariate regression model with event dummies, estimated as a
seemingly unrelated system, and cross-sectional regressions of CARs on characteristics.

Notes
-----
**MVRM** (Schipper & Thompson 1983; Binder 1985). One equation per security *i* over the union of the estimation and
event windows of the selected events,

.. math::

    R_{it} = \\alpha_i + \\beta_i R_{m,it} + \\sum_k \\gamma_{ik} D_{ikt} + \\varepsilon_{it},

with :math:`R_m` the security's own benchmark and :math:`D_{ikt} = 1` on the sessions of event *k*'s CAR window on
*i*'s own exchange, so that :math:`CAR_{ik} = L\\gamma_{ik}`. The system is estimated by GLS with a given
residual covariance :math:`\\hat\\Sigma`, from its normal equations in numpy (:func:`_gls_closed_form`);
``solver="linearmodels"`` fits the same system with ``linearmodels.system.SUR`` instead (the reference, which a test
holds equal to 1e-10). The regressors are not identical across equations here (each security has its own benchmark,
its own sessions and its own event dummies), so GLS is not equation-by-equation OLS in general; it is when they
are identical and every date is observed (Zellner 1962), and then :math:`\\mathrm{Cov}(\\mathrm{vec}\\,B) =
\\hat\\Sigma\\otimes(X'X)^{-1}`.

*Unequal calendars.* The time index is the union of the equations' session dates, and the system is the exact GLS
on the observed cells: on date *t* only the equations observed then enter, with
:math:`e_{o,t}'\\Sigma_{oo}^{-1}e_{o,t}`. No date is dropped from any equation. The closed form sums these date
blocks directly. ``SUR`` needs a common index, so on the reference path a day on which an equation has no return
(its exchange is closed, the price is missing, or the day lies outside its windows) is filled with zero in the
dependent variable and every regressor and gets its own indicator regressor, which fits that cell exactly and
concentrates it out of :math:`e_t'\\Sigma^{-1}e_t` (the missing-observation dummy device for SUR): the same
estimates. The cell indicators are not reported.

*Residual covariance.* :math:`\\hat\\Sigma_{ij}` is computed from the equation-by-equation OLS residuals over the dates
both equations observe, :math:`\\sum_t e_{it}e_{jt}/n_{ij}`, scaled by
:math:`\\sqrt{n_i n_j/((n_i-k_i)(n_j-k_j))}` (``linearmodels``' ``debiased`` scaling in the balanced case). When
*N* is large relative to the number of dates, or :math:`\\hat\\Sigma` is ill-conditioned or not positive definite,
the correlations are shrunk toward zero with the Ledoit & Wolf (2004) intensity (identity target on the residuals
standardised by their own sd, so the variances are kept). The GLS weights then use the shrunk matrix and the
parameter covariance is the sandwich :math:`A^{-1}X'(W^{-1}\\hat\\Sigma W^{-1}\\otimes I)XA^{-1}`,
:math:`A = X'(W^{-1}\\otimes I)X`, from ``linearmodels.system.covariance.HomoskedasticCovariance``; without
shrinkage :math:`W=\\hat\\Sigma` and it reduces to :math:`A^{-1}`. The portfolio form (one equal-weighted portfolio
per group and exchange) is used on request or when too few common dates remain to estimate correlations.

*Wald tests* use :math:`W = (Rb-q)'(RVR')^{-1}(Rb-q) \\sim \\chi^2(q)`, with the F version :math:`W/q \\sim
F(q, n - K)`, *n* the observed security-days and *K* the reported parameters.

**Cross-sectional regressions** of CAR (or SCAR) on characteristics through the statsmodels formula API: OLS with
HC3 errors for one event date, and errors clustered by event date for pooled sets of several dates;
``weights="patell"`` gives WLS with weights :math:`1/\\mathrm{Var}(CAR_i)`.

References
----------
Binder, J. J. (1985). On the use of the multivariate regression model in event studies. *JAR* 23(1).
Zellner, A. (1962). An efficient method of estimating seemingly unrelated regressions. *JASA* 57.
Ledoit, O., Wolf, M. (2004). A well-conditioned estimator for large-dimensional covariance matrices. *JMVA* 88.
Cameron, A. C., Miller, D. L. (2015). A practitioner's guide to cluster-robust inference. *JHR* 50(2).
MacKinnon, J. G., Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster sizes. *JAE* 32(2).
Schipper, K., Thompson, R. (1983). The impact of merger-related regulations on the shareholders of acquiring firms.
*JAR* 21.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from .catalog import REGRESSION_PARAM_COLUMNS as _PARAM_COLUMNS
from .config import Window, window_label
from .display import Summary, SummaryMixin
from .errors import ConfigError, located
from .windows import Panel

if TYPE_CHECKING:
    from .results import EventStudyResults

__all__ = [
    "MVRMResult",
    "RegressionResult",
    "mvrm",
    "regress",
    "ledoit_wolf_intensity",
    "SHRINK_OPTIONS",
    "SOLVERS",
    "SIGMA_METHODS",
    "MVRM_COLUMNS",
    "REGRESSION_PARAM_COLUMNS",
    "FEW_EFFECTIVE_CLUSTERS",
    "effective_clusters",
    "CHINA_EXCHANGES",
]

#: shrinkage options of :func:`mvrm`
SHRINK_OPTIONS: dict[str, str] = {
    "auto": "Ledoit-Wolf when N > T/10, cond(corr) > 1e3 or Sigma is not positive definite; portfolio form when "
    f"fewer than {30} complete dates remain",
    "none": "the sample residual covariance (repaired to the nearest positive definite correlation if needed)",
    "ledoit_wolf": "always shrink the residual correlations with the Ledoit-Wolf (2004) intensity",
    "portfolio": "equal-weighted portfolios per group and exchange instead of securities",
}
#: exchanges whose listings count as China-listed
CHINA_EXCHANGES: tuple[str, ...] = ("XSHG", "XSHE")
_USABLE = ("ok", "missing_event_window")
_MIN_COMPLETE_DATES = 30
_COND_LIMIT = 1e3
_WALD_COLUMNS = [
    "test",
    "hypothesis",
    "event_id",
    "other_event_id",
    "group_col",
    "group",
    "other_group",
    "nobs",
    "estimate",
    "std_err",
    "statistic",
    "df_num",
    "pvalue",
    "f_statistic",
    "df_denom",
    "pvalue_f",
    "notes",
]
#: the columns of :meth:`MVRMResult.to_frame` (and of ``mvrm.csv``)
MVRM_COLUMNS = [
    "kind",
    "test",
    "hypothesis",
    "event_id",
    "other_event_id",
    "ticker",
    "exchange",
    "group_col",
    "group",
    "other_group",
    "nobs",
    "weight",
    "gamma",
    "gamma_std_err",
    "car",
    "estimate",
    "std_err",
    "statistic",
    "df_num",
    "df_denom",
    "pvalue",
    "f_statistic",
    "pvalue_f",
    "notes",
    "window",
    "form",
    "sigma_method",
    "shrinkage",
    "n_security_days",
    "df_resid",
    "covariance_note",
]
#: how the GLS weights' Σ̂ was obtained (``MVRMResult.sigma_method``)
SIGMA_METHODS: dict[str, str] = {
    "sample": "the pairwise residual covariance as it is",
    "nearest_pd": "the pairwise residual covariance repaired to the nearest positive definite correlation",
    "ledoit_wolf": "the residual correlations shrunk toward zero with the Ledoit-Wolf (2004) intensity",
}


# ============================================================================ MVRM
@dataclass(frozen=True, repr=False)
class MVRMResult(SummaryMixin):
    """The fitted event-dummy system.

    Attributes
    ----------
    coefficients
        One row per security (or portfolio) × event: ``ticker`` (the portfolio's label in portfolio form),
        ``event_id, exchange``, the group labels, ``weight`` (securities in the equation), ``gamma`` (daily abnormal
        return) and ``gamma_std_err``, ``car`` = L·γ with its ``std_err``, the t ``statistic`` (the same for γ and
        the CAR) with ``df_denom`` = ``df_resid`` degrees of freedom, and its two-sided ``pvalue``.
    wald
        One row per hypothesis: ``test`` (``all_zero`` (a), ``mean_zero`` (b), ``groups_equal`` (c),
        ``events_equal`` and ``events_offset`` (d)), ``hypothesis``, the events and groups involved, ``nobs``
        (the equations involved), ``estimate``/``std_err`` in CAR units for one-row hypotheses, the χ²
        ``statistic`` with ``df_num`` degrees of freedom and its ``pvalue``, and the F version ``f_statistic``
        (F(``df_num``, ``df_denom``)) with ``pvalue_f``.
    covariance_note
        How Σ̂ was used: sample, shrunk (with the intensity) or portfolio form, and how missing days were handled.
    sigma, residual_sigma
        The Σ̂ of the GLS weights (shrunk when the note says so) and the residual covariance of the
        equation-by-equation OLS (pairwise over common dates, repaired to positive definite if needed); equal
        without shrinkage.
    restrictions
        The restriction matrix :math:`R` of each Wald row (same order as ``wald``), on the parameters it involves
        (columns named as in ``params``): :math:`W = (Rb)'(RVR')^{-1}(Rb)` with ``params`` and ``cov``.
    nobs
        N: the number of equations (securities, or portfolios in portfolio form).
    n_security_days
        Observed security-days (cells) in the system.
    df_resid
        ``n_security_days`` less the number of parameters: the t and F denominator degrees of freedom.
    sigma_method, shrinkage, form
        How the GLS weights' Σ̂ was obtained (one of :data:`SIGMA_METHODS`), the Ledoit–Wolf intensity (0 without
        shrinkage), and ``"securities"`` or ``"portfolios"``.
    """

    coefficients: pd.DataFrame
    wald: pd.DataFrame
    covariance_note: str
    nobs: int
    n_security_days: int
    window: tuple[int, int] = (-1, 1)
    events: tuple[str, ...] = ()
    df_resid: int = 0
    shrinkage: float = 0.0
    sigma_method: str = "sample"
    form: str = "securities"
    notes: tuple[str, ...] = ()
    sigma: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    residual_sigma: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    restrictions: tuple[pd.DataFrame, ...] = field(default=(), repr=False, compare=False)
    params: pd.Series | None = field(default=None, repr=False, compare=False)
    cov: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    system: Any = field(default=None, repr=False, compare=False)

    def test(self, test: str, **where: str) -> pd.DataFrame:
        """The Wald rows of one test, filtered by column values, e.g. ``test("mean_zero", event_id=..., group=...)``."""
        w = self.wald[self.wald["test"] == test]
        for col, val in where.items():
            w = w[w[col] == val]
        return w.reset_index(drop=True)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """The ``1 - alpha`` interval of every γ (t with ``df_resid``) and of its CAR = L·γ, by ticker and event."""
        q = float(special.stdtrit(self.df_resid, 1 - alpha / 2))  # scipy.stats.t.ppf
        c = self.coefficients.set_index(["ticker", "event_id"])
        return pd.DataFrame(
            {
                "gamma_low": c["gamma"] - q * c["gamma_std_err"],
                "gamma_high": c["gamma"] + q * c["gamma_std_err"],
                "ci_low": c["car"] - q * c["std_err"],
                "ci_high": c["car"] + q * c["std_err"],
            }
        )

    def summary(self) -> Summary:
        """The system, its covariance treatment, and the Wald tests (text, HTML, LaTeX, Markdown)."""
        info = (
            ("form", self.form),
            ("equations (N)", str(self.nobs)),
            ("events", ", ".join(self.events)),
            ("CAR window", f"[{self.window[0]}, {self.window[1]}]"),
            ("observed security-days", str(self.n_security_days)),
            ("residual df", str(self.df_resid)),
            ("Sigma", self.sigma_method),
            ("Ledoit-Wolf intensity", f"{self.shrinkage:.3f}"),
        )
        wald = self.wald[["test", "hypothesis", "nobs", "estimate", "std_err", "statistic", "df_num", "pvalue"]]
        coef = self.coefficients.set_index(["ticker", "event_id"])
        coef = coef[["gamma", "gamma_std_err", "car", "std_err", "statistic", "pvalue"]]
        return Summary(
            "MVRM: event-dummy SUR system",
            info,
            (("Wald tests", wald), ("Event dummies", coef)),
            (self.covariance_note, *self.notes),
        )

    def to_frame(self) -> pd.DataFrame:
        """Coefficient rows and Wald rows in one table with the columns :data:`MVRM_COLUMNS` (``kind`` tells them
        apart). ``estimate`` (Wald rows) and ``car`` (coefficient rows) are in CAR units, and so is ``std_err`` on
        every row; the system's settings (``window``, ``form``, ``sigma_method``, ``shrinkage``,
        ``n_security_days``, ``df_resid``, ``covariance_note``) repeat on each row."""
        coef = self.coefficients.assign(kind="coefficient")
        wald = self.wald.assign(kind="wald")
        out = pd.concat([coef, wald], ignore_index=True, sort=False)
        system = {
            "window": window_label(self.window),
            "form": self.form,
            "sigma_method": self.sigma_method,
            "shrinkage": self.shrinkage,
            "n_security_days": self.n_security_days,
            "df_resid": self.df_resid,
            "covariance_note": self.covariance_note,
        }
        for c in MVRM_COLUMNS:
            if c in system:
                out[c] = system[c]
            elif c not in out.columns:
                out[c] = np.nan
        return out[MVRM_COLUMNS]


@dataclass
class _Unit:
    label: str
    exchange: str
    labels: dict[str, str]
    weight: float
    ret: pd.Series
    mret: pd.Series
    dummies: dict[str, pd.DatetimeIndex]


def _source(results_or_panel: Any) -> tuple[Panel, np.ndarray | None, pd.DataFrame | None]:
    if isinstance(results_or_panel, Panel):
        return results_or_panel, None, None
    panel = getattr(results_or_panel, "panel", None)
    if panel is None:
        raise ConfigError(
            located(
                "mvrm",
                "needs the aligned panel",
                value=type(results_or_panel).__name__,
                fix="pass a Panel or the EventStudyResults of EventStudy.fit()",
            )
        )
    abn = getattr(results_or_panel, "abnormal", None)
    status = None if abn is None else np.asarray(abn.status)
    return panel, status, getattr(results_or_panel, "events", None)


def _default_events(panel: Panel, events_frame: pd.DataFrame | None) -> list[str]:
    ids = list(pd.unique(panel.keys["event_id"]))
    if events_frame is not None and "headline" in events_frame.columns:
        head = events_frame.loc[events_frame["headline"].astype(bool), "event_id"].tolist()
        head = [e for e in head if e in ids]
        if head:
            return head
    return ids


def _build_units(
    panel: Panel,
    status: np.ndarray | None,
    events: list[str],
    window: tuple[int, int],
    group_cols: list[str],
    groups: Sequence[str] | None,
    min_estimation: int,
) -> tuple[list[_Unit], list[str]]:
    keys = panel.keys
    notes: list[str] = []
    lo, hi = panel.day_index(window[0]), panel.day_index(window[1]) + 1
    valid = np.isfinite(panel.ret) & np.isfinite(panel.mret) & ~np.isnat(panel.dates)
    if panel.merged is not None:  # days merged across a benchmark's gap (METHODS §2) stay missing here
        valid &= ~panel.merged
    span = panel.estimation | panel.event
    selected = keys["event_id"].isin(events).to_numpy()
    usable = selected & valid[:, lo:hi].all(axis=1)
    usable &= (valid & panel.estimation[None, :]).sum(axis=1) >= min_estimation
    if status is not None:
        usable &= np.isin(status, _USABLE)
    if groups is not None:
        keep = np.zeros(len(keys), dtype=bool)
        for col in group_cols:
            keep |= keys[col].isin(groups).to_numpy()
        selected &= keep
        usable &= keep
    dropped = int((selected & ~usable).sum())
    if dropped:
        notes.append(
            f"{dropped} firm-events of the selected events have no dummy (status not usable, incomplete CAR window "
            f"or fewer than {min_estimation} estimation returns); their CAR-window days are left out of the equation"
        )
    units: list[_Unit] = []
    tickers = keys["ticker"].to_numpy()
    order = {e: i for i, e in enumerate(events)}
    for tk in pd.unique(tickers[usable]):
        rows = np.flatnonzero((tickers == tk) & selected)
        good = rows[usable[rows]]
        good = good[np.argsort([order[e] for e in keys["event_id"].to_numpy()[good]], kind="stable")]
        m = valid[good] & span[None, :]
        d = pd.DatetimeIndex(panel.dates[good][m])
        frame = pd.DataFrame({"ret": panel.ret[good][m], "mret": panel.mret[good][m]}, index=d)
        frame = frame[~frame.index.duplicated()].sort_index()
        dummies: dict[str, pd.DatetimeIndex] = {}
        seen: dict[frozenset, str] = {}
        for r in good:
            ev = str(keys.at[r, "event_id"])
            dates = pd.DatetimeIndex(panel.dates[r, lo:hi])
            key = frozenset(dates)
            if key in seen:
                notes.append(
                    f"{tk}: {ev} has the same CAR-window sessions as {seen[key]}; it is not separately "
                    "identified and has no dummy"
                )
                continue
            seen[key] = ev
            dummies[ev] = dates
        covered = pd.DatetimeIndex(np.concatenate([v.values for v in dummies.values()]))
        bad = rows[~usable[rows]]
        if bad.size:
            masked = pd.DatetimeIndex(panel.dates[bad, lo:hi].ravel()).dropna()
            masked = masked[~masked.isin(covered)]
            frame = frame[~frame.index.isin(masked)]
        r0 = good[0]
        units.append(
            _Unit(
                label=str(tk),
                exchange=str(keys.at[r0, "exchange"]),
                labels={c: str(keys.at[r0, c]) for c in group_cols},
                weight=1.0,
                ret=frame["ret"],
                mret=frame["mret"],
                dummies=dummies,
            )
        )
    return units, notes


def _portfolios(units: list[_Unit], group_cols: list[str]) -> list[_Unit]:
    buckets: dict[tuple, list[_Unit]] = {}
    for u in units:
        buckets.setdefault((*[u.labels[c] for c in group_cols], u.exchange), []).append(u)
    out = []
    for key, members in buckets.items():
        ret = pd.concat([m.ret for m in members], axis=1, sort=True).mean(axis=1)
        mret = pd.concat([m.mret for m in members], axis=1, sort=True).mean(axis=1)
        dummies: dict[str, pd.DatetimeIndex] = {}
        for m in members:
            for ev, dates in m.dummies.items():
                dummies[ev] = dates if ev not in dummies else dummies[ev].union(dates)
        out.append(
            _Unit(
                label="pf:" + "/".join(key[:-1]) + "@" + key[-1],
                exchange=key[-1],
                labels=dict(zip(group_cols, key[:-1], strict=True)),
                weight=float(len(members)),
                ret=ret,
                mret=mret,
                dummies=dummies,
            )
        )
    return out


def ledoit_wolf_intensity(x: np.ndarray) -> float:
    """Ledoit & Wolf (2004) shrinkage intensity toward the scaled identity for the ``(T, N)`` data ``x``.

    .. math::

        S = X'X/T,\\quad m = \\mathrm{tr}(S)/N,\\quad d^2 = \\lVert S - mI\\rVert_F^2/N,\\quad
        \\bar b^2 = \\frac{1}{NT}\\Big(\\frac{1}{T}\\sum_t \\lVert x_t\\rVert^4 - \\lVert S\\rVert_F^2\\Big),\\quad
        \\delta = \\min(\\bar b^2, d^2)/d^2

    (Ledoit & Wolf 2004, JMVA 88, Lemma 3.2–3.4 and Theorem 3.2); the shrunk matrix is :math:`\\delta mI +
    (1-\\delta)S`. ``x`` is centred here.
    """
    x = np.asarray(x, dtype=float)
    t, n = x.shape
    x = x - x.mean(axis=0)
    s = x.T @ x / t
    m = np.trace(s) / n
    d2 = ((s - m * np.eye(n)) ** 2).sum() / n
    if d2 <= 0:
        return 0.0
    b2 = (((x**2).sum(axis=1) ** 2).sum() / t - (s**2).sum()) / (n * t)
    return float(min(b2, d2) / d2)


@dataclass(frozen=True)
class _Design:
    """The system as arrays on the union of the equations' dates: ``T`` dates, ``N`` equations, ``k`` regressor
    slots (``const``, ``market``, then ``gamma:<event>`` for each event of the request).

    A cell (date, equation) that is not observed holds zero in ``y`` and in every slot of ``x``; a slot that is not a
    regressor of an equation (no dummy for that event) is zero on every date and ``present`` is False there.
    """

    index: pd.DatetimeIndex
    y: np.ndarray  # (T, N)
    x: np.ndarray  # (T, N, k)
    observed: np.ndarray  # (T, N) bool
    slots: list[str]
    present: np.ndarray  # (N, k) bool

    @property
    def real_cols(self) -> list[list[str]]:
        """Each equation's regressors, in slot order."""
        return [[s for s, on in zip(self.slots, row, strict=True) if on] for row in self.present]


def _design(units: list[_Unit], events: list[str]) -> _Design:
    """The equations' dependent variable, regressors and observed cells on the union of their dates."""
    index = units[0].ret.index
    for u in units[1:]:
        index = index.union(u.ret.index)
    index = pd.DatetimeIndex(index).sort_values()
    slots = ["const", "market", *[f"gamma:{ev}" for ev in events]]
    t, n, k = len(index), len(units), len(slots)
    y = np.zeros((t, n))
    x = np.zeros((t, n, k))
    observed = np.zeros((t, n), dtype=bool)
    present = np.zeros((n, k), dtype=bool)
    present[:, :2] = True
    for i, u in enumerate(units):
        yi = u.ret.reindex(index).to_numpy(dtype=float)
        xm = u.mret.reindex(index).to_numpy(dtype=float)
        obs = np.isfinite(yi) & np.isfinite(xm)
        observed[:, i] = obs
        y[obs, i] = yi[obs]
        x[:, i, 0] = obs
        x[obs, i, 1] = xm[obs]
        for j, ev in enumerate(events):
            if ev in u.dummies:
                present[i, 2 + j] = True
                x[:, i, 2 + j] = index.isin(u.dummies[ev]) & obs
    return _Design(index, y, x, observed, slots, present)


def _sur_equations(design: _Design, labels: list[str]) -> dict[str, dict[str, Any]]:
    """The equations in ``linearmodels.system.SUR``'s form on the common index: each unobserved cell is zero in the
    dependent variable and every regressor, and has its own indicator regressor (``cell:<date>``)."""
    index = design.index
    eqs: dict[str, dict[str, Any]] = {}
    for i, (label, cols) in enumerate(zip(labels, design.real_cols, strict=True)):
        obs = design.observed[:, i]
        real = pd.DataFrame(design.x[:, i, design.present[i]], index=index, columns=cols)
        miss = np.flatnonzero(~obs)
        cells = np.zeros((len(index), miss.size))
        cells[miss, np.arange(miss.size)] = 1.0
        cell_names = [f"cell:{d:%Y-%m-%d}" for d in index[miss]]
        exog = pd.concat([real, pd.DataFrame(cells, index=index, columns=cell_names)], axis=1)
        eqs[label] = {"dependent": pd.Series(design.y[:, i], index=index, name="ret"), "exog": exog}
    return eqs


def _pairwise_sigma(resid: np.ndarray, observed: np.ndarray, k: np.ndarray) -> np.ndarray:
    e = np.where(observed, resid, 0.0)
    o = observed.astype(float)
    n_ij = o.T @ o
    s = (e.T @ e) / np.maximum(n_ij, 1.0)
    n_i = np.diag(n_ij)
    scale = np.sqrt(np.outer(n_i, n_i) / np.outer(np.maximum(n_i - k, 1.0), np.maximum(n_i - k, 1.0)))
    return s * scale


def _wald(b: np.ndarray, v: np.ndarray, r: np.ndarray, q: np.ndarray, df2: int) -> dict[str, float]:
    """:math:`W = (Rb-q)'(RVR')^{-1}(Rb-q)`, χ²(q) and :math:`W/q` ~ F(q, df2). ``b`` and ``v`` may be restricted
    to the parameters ``r`` involves."""
    diff = r @ b - q
    rvr = r @ v @ r.T
    try:
        stat = float(diff @ np.linalg.solve(rvr, diff))
    except np.linalg.LinAlgError:
        stat = float("nan")
    df = int(r.shape[0])
    fstat = stat / df
    return {
        "statistic": stat,
        "df_num": df,
        "pvalue": float(special.chdtrc(df, stat)),  # scipy.stats.chi2.sf
        "f_statistic": fstat,
        "df_denom": int(df2),
        "pvalue_f": float(special.fdtrc(df, df2, fstat)),  # scipy.stats.f.sf
    }


def mvrm(
    results_or_panel: EventStudyResults | Panel,
    *,
    events: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    group_col: str | Sequence[str] = ("group", "segment"),
    window: Any = (-1, 1),
    shrink: str = "auto",
    event_pairs: Sequence[tuple[str, str]] | None = None,
    min_estimation: int | None = None,
    solver: str = "closed_form",
) -> MVRMResult:
    """Multivariate regression model with event dummies, estimated as one SUR system (METHODS §5).

    Parameters
    ----------
    results_or_panel
        An :class:`~eventstudy.results.EventStudyResults` (its panel and outcome codes are used) or a
        :class:`~eventstudy.windows.Panel`.
    events
        Event ids in the system. Default: the headline events of the results, else every event of the panel.
    groups
        Labels (in any of ``group_col``) whose securities enter the system. Default: every security.
    group_col
        Universe column(s) whose labels define the groups of tests (b) and (c).
    window
        The CAR window ``(start, end)`` in event days on which the dummies are 1, in any spelling of
        :class:`~eventstudy.config.Window`; ``car = L·gamma``.
    shrink
        One of :data:`SHRINK_OPTIONS`.
    event_pairs
        Pairs ``(k, j)`` for test (d). Default: for each of the study's ``direction_contrasts`` ``(a, b)``, every
        pair of an event of direction ``a`` and one of direction ``b`` among ``events``; none without contrasts.
    min_estimation
        Valid estimation returns a firm-event needs for a dummy (default: the study's, else 120).
    solver
        ``"closed_form"`` (default): the GLS from its normal equations in numpy (:func:`_gls_closed_form`);
        ``"linearmodels"``: ``linearmodels.system.SUR`` on the padded equations, the reference (slower). They agree
        to 1e-10.

    Returns
    -------
    MVRMResult

    Notes
    -----
    The steps: :func:`_mvrm_request` (check the arguments), :func:`_build_units` (one equation per security),
    :func:`_fit_units` (equation-by-equation OLS on the observed cells and the pairwise Σ̂, in portfolio form when
    too few dates are complete), :func:`_covariance_choice` (Σ̂ as it is, repaired or shrunk),
    :func:`_gls_closed_form` (the GLS fit and the parameter covariance; :func:`_gls_linearmodels` with
    ``solver="linearmodels"``), :func:`_coefficient_table`, :func:`_wald_table` and :func:`_covariance_note`.
    """
    req = _mvrm_request(results_or_panel, events, group_col, window, shrink, event_pairs, min_estimation, solver)
    units, notes = _build_units(
        req.panel, req.status, req.events, req.window, req.group_cols, groups, req.min_estimation
    )
    if not units:
        raise ConfigError(
            located(
                "mvrm", "no security has a usable firm-event", value=req.events, fix="choose other events or groups"
            )
        )
    fit, form = _fit_units(units, req, notes)
    cov = _covariance_choice(fit, req.shrink)
    system = SOLVERS[req.solver](fit, cov)
    unit_word = "portfolio" if form == "portfolios" else "security"
    coefficients = _coefficient_table(fit.units, req, system)
    wald, restrictions = _wald_table(fit.units, req, system, unit_word)
    labels = [u.label for u in fit.units]
    return MVRMResult(
        coefficients=coefficients,
        wald=wald,
        covariance_note=_covariance_note(fit, cov, form),
        nobs=len(fit.units),
        n_security_days=system.nobs,
        window=req.window,
        events=tuple(req.events),
        df_resid=system.df_resid,
        shrinkage=float(cov.delta),
        sigma_method=cov.method,
        form=form,
        notes=tuple(notes),
        sigma=pd.DataFrame(cov.weight_sigma, index=labels, columns=labels),
        residual_sigma=pd.DataFrame(cov.full_sigma, index=labels, columns=labels),
        restrictions=restrictions,
        params=system.params,
        cov=system.cov,
        system=system.fitted,
    )


@dataclass(frozen=True)
class _Request:
    """The checked arguments of :func:`mvrm`."""

    panel: Panel
    status: np.ndarray | None
    events: list[str]
    events_frame: pd.DataFrame | None
    window: Window
    group_cols: list[str]
    shrink: str
    event_pairs: list[tuple[str, str]]
    min_estimation: int
    solver: str = "closed_form"

    @property
    def length(self) -> int:
        return self.window[1] - self.window[0] + 1


def _mvrm_request(
    results_or_panel: Any,
    events: Sequence[str] | None,
    group_col: str | Sequence[str],
    window: Any,
    shrink: str,
    event_pairs: Sequence[tuple[str, str]] | None,
    min_estimation: int | None,
    solver: str = "closed_form",
) -> _Request:
    """Check :func:`mvrm`'s arguments against the panel; each error names the argument, the value and the fix."""
    panel, status, events_frame = _source(results_or_panel)
    settings = getattr(results_or_panel, "settings", {}) or {}
    if min_estimation is None:
        min_estimation = int(settings.get("min_estimation", 120))
    if shrink not in SHRINK_OPTIONS:
        raise ConfigError(
            located("mvrm:shrink", "unknown option", value=shrink, fix=f"use one of {list(SHRINK_OPTIONS)}")
        )
    if solver not in SOLVERS:
        raise ConfigError(located("mvrm:solver", "unknown option", value=solver, fix=f"use one of {list(SOLVERS)}"))
    window = Window(window, where="mvrm:window")
    ev_days = panel.rel[panel.event]
    if window[0] < ev_days.min() or window[1] > ev_days.max():
        raise ConfigError(
            located(
                "mvrm:window",
                "must lie inside the event window",
                value=window,
                fix=f"use days within [{ev_days.min()}, {ev_days.max()}]",
            )
        )
    group_cols = [group_col] if isinstance(group_col, str) else list(group_col)
    for c in group_cols:
        if c not in panel.keys.columns:
            raise ConfigError(
                located(
                    "mvrm:group_col",
                    "not a column of the panel keys",
                    value=c,
                    fix=f"use one of {list(panel.keys.columns)}",
                )
            )
    known = list(pd.unique(panel.keys["event_id"]))
    events = list(events) if events is not None else _default_events(panel, events_frame)
    for e in events:
        if e not in known:
            raise ConfigError(located("mvrm:events", "unknown event id", value=e, fix=f"use one of {known}"))
    if event_pairs is None:
        event_pairs = _default_pairs(events, events_frame, settings.get("direction_contrasts") or ())
    pairs = list(event_pairs)
    for pair in pairs:
        for e in pair:
            if e not in events:
                raise ConfigError(located("mvrm:event_pairs", "event not in the system", value=e, fix=f"use {events}"))
    return _Request(
        panel,
        status,
        events,
        events_frame,
        window,
        group_cols,
        shrink,
        [tuple(p) for p in pairs],  # type: ignore[misc]
        min_estimation,
        solver,
    )


@dataclass(frozen=True)
class _UnitsFit:
    """The equations of the system and their equation-by-equation OLS."""

    units: list[_Unit]
    design: _Design
    sigma: np.ndarray
    resid: np.ndarray
    complete: np.ndarray

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.design.index

    @property
    def observed(self) -> np.ndarray:
        return self.design.observed


def _ols_by_equation(units: list[_Unit], events: list[str]) -> _UnitsFit:
    """Each equation's OLS on its observed cells (what the cell indicators reproduce) and the pairwise Σ̂."""
    design = _design(units, events)
    obs = design.observed
    k = design.present.sum(axis=1).astype(float)
    resid = np.full(obs.shape, np.nan)
    for i in range(len(units)):
        o = obs[:, i]
        xi = design.x[o, i][:, design.present[i]]
        coef = np.linalg.lstsq(xi, design.y[o, i], rcond=None)[0]
        resid[o, i] = design.y[o, i] - xi @ coef
    sigma = _pairwise_sigma(resid, obs, k)
    return _UnitsFit(units, design, sigma, resid, np.asarray(obs.all(axis=1)))


def _fit_units(units: list[_Unit], req: _Request, notes: list[str]) -> tuple[_UnitsFit, str]:
    """The equation-by-equation fit, in portfolio form on request or when too few dates observe every security."""
    form = "securities"
    if req.shrink == "portfolio":
        units, form = _portfolios(units, req.group_cols), "portfolios"
    fit = _ols_by_equation(units, req.events)
    t_c = int(fit.complete.sum())
    if req.shrink == "auto" and form == "securities" and len(units) > 1 and t_c < _MIN_COMPLETE_DATES:
        units, form = _portfolios(units, req.group_cols), "portfolios"
        notes.append(f"only {t_c} dates observe every security: portfolio form used")
        fit = _ols_by_equation(units, req.events)
    return fit, form


@dataclass(frozen=True)
class _Covariance:
    """Σ̂ for the GLS weights and for the parameter covariance, and why."""

    weight_sigma: np.ndarray
    full_sigma: np.ndarray
    delta: float
    shrunk: bool
    reasons: list[str]
    cond: float
    not_pd: bool
    complete_dates: int

    @property
    def method(self) -> str:
        """The key of :data:`SIGMA_METHODS`."""
        if self.shrunk:
            return "ledoit_wolf"
        return "nearest_pd" if self.not_pd else "sample"


def _covariance_choice(fit: _UnitsFit, shrink: str) -> _Covariance:
    """The pairwise Σ̂, repaired to the nearest positive definite correlation if needed, and shrunk with the
    Ledoit–Wolf intensity when asked for or when N is large relative to T, Σ̂ is ill-conditioned or not PD."""
    sigma = fit.sigma
    n_eq, t_c = len(fit.units), int(fit.complete.sum())
    sd = np.sqrt(np.diag(sigma))
    corr = sigma / np.outer(sd, sd)
    eig = np.linalg.eigvalsh(corr)
    cond = float(eig.max() / eig.min()) if eig.min() > 0 else float("inf")
    not_pd = bool(eig.min() <= 1e-10)
    reasons = []
    if n_eq > t_c / 10:
        reasons.append(f"N={n_eq} > T/10 with T={t_c} complete dates")
    if cond > _COND_LIMIT:
        reasons.append(f"cond(corr)={cond:.3g} > {_COND_LIMIT:g}")
    if not_pd:
        reasons.append("the pairwise Sigma is not positive definite")
    do_shrink = n_eq > 1 and (shrink == "ledoit_wolf" or (shrink == "auto" and bool(reasons)))
    full_sigma = sigma
    if not_pd:
        from statsmodels.stats.correlation_tools import corr_nearest

        full_sigma = corr_nearest(corr, threshold=1e-8) * np.outer(sd, sd)
    delta = 0.0
    weight_sigma = full_sigma
    if do_shrink and t_c >= 3:
        z = fit.resid[fit.complete] / fit.resid[fit.complete].std(axis=0)  # standardised: the target keeps variances
        delta = ledoit_wolf_intensity(z)
        c_w = (1.0 - delta) * (full_sigma / np.outer(sd, sd)) + delta * np.eye(n_eq)
        weight_sigma = c_w * np.outer(sd, sd)
    return _Covariance(weight_sigma, full_sigma, delta, do_shrink, reasons, cond, not_pd, t_c)


@dataclass(frozen=True)
class _System:
    """The GLS fit: the reported parameters (no cell indicators), their covariance, and the observation counts."""

    fitted: Any
    params: pd.Series
    cov: pd.DataFrame
    b: np.ndarray
    v: np.ndarray
    where: dict[str, int]
    nobs: int
    df_resid: int


def _real_names(fit: _UnitsFit) -> list[str]:
    return [f"{u.label}_{c}" for u, cols in zip(fit.units, fit.design.real_cols, strict=True) for c in cols]


def _system(fit: _UnitsFit, b: np.ndarray, v: np.ndarray, fitted: Any) -> _System:
    names = _real_names(fit)
    nobs = int(fit.observed.sum())
    return _System(
        fitted=fitted,
        params=pd.Series(b, index=names),
        cov=pd.DataFrame(v, index=names, columns=names),
        b=b,
        v=v,
        where={name: i for i, name in enumerate(names)},
        nobs=nobs,
        df_resid=int(nobs - len(names)),
    )


def _gls_closed_form(fit: _UnitsFit, cov: _Covariance) -> _System:
    """The GLS of the system on its observed cells, from its normal equations.

    Notes
    -----
    With :math:`W` the weighting Σ̂, :math:`\\Sigma` the full one, :math:`o_t` the equations observed on date *t* and
    :math:`X_t` the :math:`(|o_t|, K)` block-diagonal regressors of date *t*,

    .. math::

        A = \\sum_t X_t'W_{o_t o_t}^{-1}X_t,\\quad b = A^{-1}\\sum_t X_t'W_{o_t o_t}^{-1}y_t,\\quad
        V = A^{-1}\\Big(\\sum_t X_t'W_{o_t o_t}^{-1}\\Sigma_{o_t o_t}W_{o_t o_t}^{-1}X_t\\Big)A^{-1}.

    This is what ``linearmodels.system.SUR`` computes with one indicator per unobserved cell (the indicators
    concentrate out to the observed blocks; the partitioned inverse of :math:`W^{-1}` on the observed block is
    :math:`W_{oo}^{-1}`), and ``HomoskedasticCovariance``'s sandwich, which is :math:`A^{-1}` when :math:`W=\\Sigma`.
    Dates with the same observed equations share one inverse. When every equation observes every date and the
    regressors are the same, this is equation-by-equation OLS (Zellner 1962). ``_gls_linearmodels`` is the
    reference path; a test holds the two equal to 1e-10.
    """
    design = fit.design
    _, n, k = design.x.shape
    patterns, which = np.unique(design.observed, axis=0, return_inverse=True)
    which = np.asarray(which).ravel()
    a = np.zeros((n, k, n, k))
    meat = np.zeros((n, k, n, k))
    c = np.zeros((n, k))
    for p, pattern in enumerate(patterns):
        rows = which == p
        o = np.flatnonzero(pattern)
        w_inv = np.zeros((n, n))
        w_inv[np.ix_(o, o)] = np.linalg.inv(cov.weight_sigma[np.ix_(o, o)])
        sandwich = w_inv @ cov.full_sigma @ w_inv
        xp = design.x[rows]
        flat = xp.reshape(xp.shape[0], n * k)
        xx = (flat.T @ flat).reshape(n, k, n, k)
        a += xx * w_inv[:, None, :, None]
        meat += xx * sandwich[:, None, :, None]
        c += np.einsum("tip,ti->ip", xp, design.y[rows] @ w_inv)
    keep = design.present.ravel()
    a_r = a.reshape(n * k, n * k)[np.ix_(keep, keep)]
    meat_r = meat.reshape(n * k, n * k)[np.ix_(keep, keep)]
    a_inv = np.linalg.inv(a_r)
    b = a_inv @ c.ravel()[keep]
    v = a_inv @ meat_r @ a_inv
    return _system(fit, b, (v + v.T) / 2, None)


def _gls_linearmodels(fit: _UnitsFit, cov: _Covariance) -> _System:
    """``linearmodels.system.SUR`` by GLS with the chosen Σ̂ on the padded equations of :func:`_sur_equations`, and
    the sandwich parameter covariance of ``HomoskedasticCovariance`` (the GLS covariance without shrinkage): the
    reference for :func:`_gls_closed_form`."""
    from linearmodels.system import SUR
    from linearmodels.system.covariance import HomoskedasticCovariance

    eqs = _sur_equations(fit.design, [u.label for u in fit.units])
    system = SUR(eqs, sigma=cov.weight_sigma).fit(method="gls", cov_type="unadjusted")
    xs = [eq["exog"].to_numpy() for eq in eqs.values()]
    cov_full = HomoskedasticCovariance(xs, system.resids.to_numpy(), cov.weight_sigma, cov.full_sigma, gls=True).cov
    names = list(system.params.index)
    widths = [x.shape[1] for x in xs]
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    real_cols = fit.design.real_cols
    pos = np.concatenate([s + np.arange(len(c)) for s, c in zip(starts, real_cols, strict=True)]).astype(int)
    if [names[p] for p in pos] != _real_names(fit):
        raise RuntimeError("linearmodels parameter names do not match the design")  # pragma: no cover
    return _system(fit, system.params.to_numpy()[pos], cov_full[np.ix_(pos, pos)], system)


#: how :func:`mvrm` solves the GLS system
SOLVERS: dict[str, Any] = {
    "closed_form": _gls_closed_form,
    "linearmodels": _gls_linearmodels,
}


def _coefficient_table(units: list[_Unit], req: _Request, system: _System) -> pd.DataFrame:
    """One row per equation × event dummy: γ, the CAR = L·γ, their t test with the residual df."""
    se_all = np.sqrt(np.diag(system.v))
    rows = []
    for u in units:
        for ev in req.events:
            j = system.where.get(f"{u.label}_gamma:{ev}")
            if j is None:
                continue
            g, se = system.b[j], se_all[j]
            rows.append(
                {
                    "ticker": u.label,
                    "event_id": ev,
                    "exchange": u.exchange,
                    **u.labels,
                    "weight": u.weight,
                    "gamma": g,
                    "gamma_std_err": se,
                    "car": req.length * g,
                    "std_err": req.length * se,
                    "statistic": g / se,
                    "df_denom": system.df_resid,
                    "pvalue": float(2 * special.stdtr(system.df_resid, -abs(g / se))),  # 2 * scipy.stats.t.sf
                }
            )
    return pd.DataFrame(rows)


class _WaldTests:
    """The Wald rows of one system, built hypothesis by hypothesis (:meth:`add`), with their restriction matrices."""

    def __init__(self, units: list[_Unit], req: _Request, system: _System, unit_word: str) -> None:
        self.units, self.req, self.system, self.unit_word = units, req, system, unit_word
        self.rows: list[dict[str, Any]] = []
        self.restrictions: list[pd.DataFrame] = []
        self.scopes: list[tuple[str | None, str | None]] = [(None, None)]
        for col in req.group_cols:
            self.scopes += [(col, lab) for lab in self.labels(col)]

    def labels(self, col: str) -> list[str]:
        return list(dict.fromkeys(u.labels[col] for u in self.units))

    def members(self, ev: str, col: str | None, label: str | None) -> list[_Unit]:
        """The equations with a dummy for ``ev`` whose ``col`` is ``label`` (every one when ``col`` is None)."""
        where = self.system.where
        return [u for u in self.units if f"{u.label}_gamma:{ev}" in where and (col is None or u.labels[col] == label)]

    def mean_row(self, ev: str, us: list[_Unit]) -> np.ndarray:
        """The restriction row of the (portfolio-weighted) mean of ``ev``'s γ over ``us``."""
        r = np.zeros(len(self.system.where))
        w = np.array([u.weight for u in us])
        for u, wi in zip(us, w / w.sum(), strict=True):
            r[self.system.where[f"{u.label}_gamma:{ev}"]] = wi
        return r

    def add(self, test: str, hyp: str, r: np.ndarray, n: int, **info: Any) -> None:
        """One Wald row for :math:`R\\gamma = 0`, on the parameters ``r`` involves; a one-row hypothesis also gets
        its estimate and standard error in CAR units (times the window's length)."""
        sysm, length = self.system, self.req.length
        r = np.atleast_2d(r)
        on = np.flatnonzero(np.any(r != 0, axis=0))
        r, b_on, v_on = r[:, on], sysm.b[on], sysm.v[np.ix_(on, on)]
        res = _wald(b_on, v_on, r, np.zeros(r.shape[0]), sysm.df_resid)
        est = se = np.nan
        if r.shape[0] == 1:
            est = float(length * (r @ b_on)[0])
            se = float(length * np.sqrt(r @ v_on @ r.T)[0, 0])
        self.rows.append({"test": test, "hypothesis": hyp, "nobs": n, "estimate": est, "std_err": se, **info, **res})
        self.restrictions.append(pd.DataFrame(r, columns=sysm.params.index[on]))

    def zero_tests(self, ev: str) -> None:
        """(a) every γ of ``ev`` is zero and (b) their mean is zero, over all equations and over each group."""
        for col, lab in self.scopes:
            us = self.members(ev, col, lab)
            if not us:
                continue
            name = lab or "all"
            r = np.zeros((len(us), len(self.system.where)))
            for i, u in enumerate(us):
                r[i, self.system.where[f"{u.label}_gamma:{ev}"]] = 1.0
            info = {"event_id": ev, "group_col": col or "all", "group": name}
            self.add("all_zero", f"gamma[i,{ev}] = 0 for every {self.unit_word} i in {name}", r, len(us), **info)
            self.add("mean_zero", f"mean of gamma[i,{ev}] over {name} = 0", self.mean_row(ev, us), len(us), **info)

    def group_tests(self, ev: str) -> None:
        """(c) the mean γ of ``ev`` is equal across the groups of each column (jointly, and pair by pair)."""
        for col in self.req.group_cols:
            labs = [lab for lab in self.labels(col) if self.members(ev, col, lab)]
            if len(labs) < 2:
                continue
            means = {lab: self.mean_row(ev, self.members(ev, col, lab)) for lab in labs}
            sizes = {lab: len(self.members(ev, col, lab)) for lab in labs}
            if len(labs) > 2:
                r = np.vstack([means[lab] - means[labs[0]] for lab in labs[1:]])
                hyp = f"mean gamma[{ev}] equal across {col}: {', '.join(labs)}"
                self.add("groups_equal", hyp, r, sum(sizes.values()), event_id=ev, group_col=col, group="all")
            for g1, g2 in combinations(labs, 2):
                self.add(
                    "groups_equal",
                    f"mean gamma[{ev}] over {g1} = over {g2}",
                    means[g1] - means[g2],
                    sizes[g1] + sizes[g2],
                    event_id=ev,
                    group_col=col,
                    group=g1,
                    other_group=g2,
                )

    def event_tests(self, ev_k: str, ev_j: str) -> None:
        """(d) the mean γ of ``ev_k`` equals that of ``ev_j``, and the two offset each other (a full reversal), over
        the equations with both dummies, in all and in each group."""
        for col, lab in self.scopes:
            both = [u for u in self.members(ev_k, col, lab) if f"{u.label}_gamma:{ev_j}" in self.system.where]
            if not both:
                continue
            name = lab or "all"
            rk, rj = self.mean_row(ev_k, both), self.mean_row(ev_j, both)
            info = {"event_id": ev_k, "other_event_id": ev_j, "group_col": col or "all", "group": name}
            hyp = f"mean gamma[{ev_k}] = mean gamma[{ev_j}] over {name}"
            self.add("events_equal", hyp, rk - rj, len(both), **info)
            hyp = f"mean gamma[{ev_k}] + mean gamma[{ev_j}] = 0 over {name} (full reversal)"
            self.add("events_offset", hyp, rk + rj, len(both), **info)

    def table(self) -> pd.DataFrame:
        wald = pd.DataFrame(self.rows)
        for c in _WALD_COLUMNS:
            if c not in wald.columns:
                wald[c] = np.nan
        wald["notes"] = wald["notes"].astype(object).where(wald["notes"].notna(), "")
        return wald[_WALD_COLUMNS]


def _wald_table(
    units: list[_Unit], req: _Request, system: _System, unit_word: str
) -> tuple[pd.DataFrame, tuple[pd.DataFrame, ...]]:
    """The Wald tests (a) all γ zero, (b) a group's mean γ zero, (c) groups equal, (d) events equal / offset, and
    each row's restriction matrix."""
    tests = _WaldTests(units, req, system, unit_word)
    for ev in req.events:
        tests.zero_tests(ev)
        tests.group_tests(ev)
    for ev_k, ev_j in req.event_pairs:
        tests.event_tests(ev_k, ev_j)
    return tests.table(), tuple(tests.restrictions)


def _covariance_note(fit: _UnitsFit, cov: _Covariance, form: str) -> str:
    """How Σ̂ was used and how missing days were handled, in words."""
    n_eq = len(fit.units)
    missing = int(fit.observed.size - fit.observed.sum())
    parts = [
        f"{form}: {n_eq} equations over {len(fit.index)} dates (union of sessions); {missing} missing cells (exchange "
        "closed, no price, or outside the windows) are left out: GLS on each date's observed equations (what one "
        "indicator per missing cell gives in linearmodels' SUR)",
    ]
    if cov.shrunk:
        parts.append(
            f"Sigma shrunk: Ledoit-Wolf (2004) intensity {cov.delta:.3f} toward zero correlation "
            f"({'; '.join(cov.reasons) if cov.reasons else 'requested'}); sandwich covariance"
        )
    else:
        parts.append(
            f"Sigma not shrunk (sample pairwise covariance; cond(corr)={cov.cond:.3g}, N={n_eq}, "
            f"T={cov.complete_dates} complete dates)"
        )
    if cov.not_pd:
        parts.append("the pairwise Sigma was repaired to the nearest positive definite correlation")
    if form == "portfolios":
        parts.append("portfolio form: equal-weighted portfolios per group and exchange; test (a) is over portfolios")
    return "; ".join(parts)


def _default_pairs(
    events: list[str], events_frame: pd.DataFrame | None, contrasts: Sequence[Sequence[str]]
) -> list[tuple[str, str]]:
    """Every pair (an event of direction a, an event of direction b) among ``events``, for each contrast (a, b) of
    the study (``direction_contrasts``); none when the study names no contrast."""
    if events_frame is None or "direction" not in events_frame.columns:
        return []
    direction = events_frame.set_index("event_id")["direction"].to_dict()
    pairs: list[tuple[str, str]] = []
    for a, b in contrasts:
        first = [e for e in events if direction.get(e) == a]
        second = [e for e in events if direction.get(e) == b]
        pairs += [(x, y) for x in first for y in second]
    return pairs


# ============================================================================ cross-sectional regressions
#: the columns of :meth:`RegressionResult.params`
REGRESSION_PARAM_COLUMNS = list(_PARAM_COLUMNS)
#: Below this many effective event dates (:func:`effective_clusters`) a term's clustered standard error gets a note
FEW_EFFECTIVE_CLUSTERS = 5.0
#: the ``cov_type`` of :func:`regress` that clusters by event date (any other is passed to statsmodels as it is)
EVENT_DATE_CLUSTERS = "cluster"


@dataclass(frozen=True, repr=False)
class RegressionResult(SummaryMixin):
    """A cross-sectional regression of CARs.

    Attributes
    ----------
    params
        One row per term: ``term, coef, std_err, statistic, pvalue, ci_low, ci_high`` (95 %); ``statistic`` is t
        (``distribution`` says whether its p-value is from t or the normal). With errors clustered by event date,
        ``effective_clusters`` is how many event dates the term's estimate effectively rests on
        (:func:`effective_clusters`), and ``term_note`` warns when they are fewer than
        :data:`FEW_EFFECTIVE_CLUSTERS`; NaN and empty otherwise.
    nobs
        N: the firm-events in the regression.
    r2, formula, window, weights
        The fit and its settings.
    cov_type
        statsmodels' covariance type: ``"HC3"`` by default for one event date, ``"cluster"`` (clustered by event
        date) for a pooled set over several dates.
    n_clusters
        The number of event dates (clusters) with ``cov_type="cluster"``, else 0.
    distribution
        The reference distribution of ``statistic``: ``"t(G-1)"`` for clustered errors, ``"N(0,1)"`` for the
        heteroskedasticity-robust ones, ``"t(df_resid)"`` otherwise (statsmodels' defaults).
    notes
        How the standard errors were computed, in words.
    result
        The statsmodels results object.
    data
        The frame the formula was evaluated on (with ``event_date``, the clusters).
    """

    params: pd.DataFrame
    nobs: int
    r2: float
    cov_type: str
    formula: str
    window: str
    weights: str | None
    result: Any = field(repr=False, compare=False)
    data: pd.DataFrame = field(repr=False, compare=False)
    n_clusters: int = 0
    distribution: str = ""
    notes: str = ""

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """The ``1 - alpha`` interval of every coefficient (statsmodels' ``conf_int``), by term."""
        ci = self.result.conf_int(alpha=alpha)
        ci.columns = ["ci_low", "ci_high"]
        return ci.rename_axis("term")

    def to_frame(self) -> pd.DataFrame:
        """One row per term: :data:`REGRESSION_PARAM_COLUMNS` and the fit's ``nobs``, ``r2``, ``cov_type``,
        ``n_clusters``, ``distribution``, ``formula``, ``window``, ``weights`` and ``notes``."""
        return self.params.assign(
            nobs=self.nobs,
            r2=self.r2,
            cov_type=self.cov_type,
            n_clusters=self.n_clusters,
            distribution=self.distribution,
            formula=self.formula,
            window=self.window,
            weights=self.weights or "",
            notes=self.notes,
        )

    def summary(self) -> Summary:
        """The fit and its coefficient table (text, HTML, LaTeX, Markdown)."""
        info = (
            ("formula", self.formula),
            ("CAR window", self.window),
            ("weights", self.weights or "none (OLS)"),
            ("covariance", self.cov_type + (f" ({self.n_clusters} event dates)" if self.n_clusters else "")),
            ("statistic", self.distribution),
            ("nobs", str(self.nobs)),
            ("R²", f"{self.r2:.4f}"),
        )
        return Summary(
            "Cross-sectional regression of CARs",
            info,
            (("Coefficients", self.params.set_index("term")),),
            (self.notes,) if self.notes else (),
        )


def _event_dates(events: pd.DataFrame) -> pd.DataFrame:
    """``event_id, event_date``: each event's announcement date in its own time zone (the announcer's calendar
    date), the cluster of the pooled regressions."""
    when = pd.to_datetime(events["announced_at_utc"], utc=True)
    dates = [
        t.tz_convert(str(tz)).date().isoformat() if pd.notna(t) else None
        for t, tz in zip(when, events["timezone"], strict=True)
    ]
    return pd.DataFrame({"event_id": events["event_id"].to_numpy(), "event_date": dates})


def cross_section_frame(results: EventStudyResults, *, window: Any = "m1_1") -> pd.DataFrame:
    """The usable firm-events for ``window`` with ``car``, ``scar``, ``var_car``, labels, ``momentum`` and
    ``event_date``.

    ``momentum`` is the sum of the security's returns over event days −30 … −11 (NaN if any is missing or the panel
    does not reach day −30); ``china_listed`` is 1 for listings on :data:`CHINA_EXCHANGES`; ``event_date`` is the
    event's announcement date in its own time zone (the clusters of pooled regressions).
    """
    fe = results.firm_events
    window = window_label(Window(window, where="regress:window"))
    if f"car_{window}" not in fe.columns:
        raise ConfigError(
            located(
                "regress:window", "not a CAR window of the results", value=window, fix=f"use one of {results.windows}"
            )
        )
    out = fe[["event_id", "ticker", "group", "exchange", "status"]].copy()
    for c in ("segment", "benchmark"):
        if c in fe.columns:
            out[c] = fe[c].to_numpy()
    out["car"] = fe[f"car_{window}"].to_numpy()
    out["var_car"] = fe[f"var_car_{window}"].to_numpy()
    out["scar"] = fe[f"scar_{window}"].to_numpy()
    out["china_listed"] = out["exchange"].isin(CHINA_EXCHANGES).astype(int)
    panel = results.panel
    if panel is not None and panel.rel[0] <= -30 and panel.rel[-1] >= -11:
        seg = panel.ret[:, panel.day_index(-30) : panel.day_index(-11) + 1]
        mom = pd.DataFrame(
            {
                "event_id": panel.keys["event_id"].to_numpy(),
                "ticker": panel.keys["ticker"].to_numpy(),
                "momentum": np.where(np.isfinite(seg).all(axis=1), np.nansum(seg, axis=1), np.nan),
            }
        )
        out = out.merge(mom, on=["event_id", "ticker"], how="left")
    ev = results.events
    if "direction" in ev.columns:
        out = out.merge(ev[["event_id", "direction"]], on="event_id", how="left")
    if {"announced_at_utc", "timezone"} <= set(ev.columns):
        out = out.merge(_event_dates(ev), on="event_id", how="left")
    else:  # a bare events frame: each event is its own date
        out["event_date"] = out["event_id"].astype(str)
    ok = out["status"].isin(_USABLE) & np.isfinite(out["car"])
    return out[ok].reset_index(drop=True)


def regress(
    results: EventStudyResults,
    formula: str,
    data: pd.DataFrame | None = None,
    *,
    window: Any = "m1_1",
    weights: str | None = None,
    cov_type: str | None = None,
    events: Sequence[str] | None = None,
) -> RegressionResult:
    """Cross-sectional regression of CARs through the statsmodels formula API (METHODS §5).

    Parameters
    ----------
    results
        The fitted study.
    formula
        A statsmodels/patsy formula on :func:`cross_section_frame`'s columns (``car``, ``scar``, ``group``,
        ``segment``, ``exchange``, ``china_listed``, ``event_id``, ``event_date``, ``direction``, ``momentum``) and
        ``data``'s.
    data
        Characteristics per ``ticker``, or per ``event_id`` and ``ticker``; merged on those columns.
    window
        The CAR window in any spelling: ``"m1_1"``, ``"-1_1"``, ``(-1, 1)``, ``"[-1, 1]"``.
    weights
        None for OLS; ``"patell"`` for WLS with weights ``1/var_car``.
    cov_type
        statsmodels covariance type, or ``"cluster"``: standard errors clustered by event date (statsmodels'
        ``cov_type="cluster"`` with the event dates as groups, t with G − 1 degrees of freedom). Default: clustered
        when the firm-events span more than one event date (a pooled set: firm-events of one date share its
        shock), else ``"HC3"``.
    events
        Restrict to these event ids.

    Notes
    -----
    Pooled sets hold several firm-events per event date whose CARs are cross-correlated; clustering by event date
    (Cameron & Miller 2015) keeps the standard errors honest. With few dates the cluster-robust errors are
    themselves noisy, which ``n_clusters`` lets the reader judge.
    """
    import statsmodels.formula.api as smf

    window = window_label(Window(window, where="regress:window"))
    frame = cross_section_frame(results, window=window)
    if events is not None:
        frame = frame[frame["event_id"].isin(list(events))].reset_index(drop=True)
    frame = _merge_characteristics(frame, data)
    if weights is None:
        model = smf.ols(formula, data=frame)
    elif weights == "patell":
        model = smf.wls(formula, data=frame, weights=1.0 / frame["var_car"])
    else:
        raise ConfigError(located("regress:weights", "unknown weights", value=weights, fix="use None or 'patell'"))
    n_dates = int(frame["event_date"].nunique())
    if cov_type is None:
        cov_type = EVENT_DATE_CLUSTERS if n_dates > 1 else "HC3"
    if cov_type == EVENT_DATE_CLUSTERS:
        # the rows patsy kept (a formula's missing values drop rows), in the model's order
        dates = frame.loc[model.data.row_labels, "event_date"]
        groups = pd.factorize(dates)[0]
        if np.unique(groups).size < 2:
            raise ConfigError(
                located(
                    "regress:cov_type",
                    "clustering by event date needs at least two event dates",
                    value=cov_type,
                    fix="pool several events, or use cov_type='HC3'",
                )
            )
        fitted = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        n_clusters = int(np.unique(groups).size)
        distribution = f"t({n_clusters - 1})"
        notes = f"standard errors clustered by event date ({n_clusters} dates; t with {n_clusters - 1} df)"
        effective = effective_clusters(fitted, groups)
    else:
        fitted = model.fit(cov_type=cov_type)
        n_clusters = 0
        distribution = f"t({int(fitted.df_resid)})" if fitted.use_t else "N(0,1)"
        notes = f"{cov_type} standard errors" + (f"; {n_dates} event dates not clustered" if n_dates > 1 else "")
        effective = np.full(len(fitted.params), np.nan)
    ci = fitted.conf_int()
    params = pd.DataFrame(
        {
            "term": fitted.params.index,
            "coef": fitted.params.to_numpy(),
            "std_err": fitted.bse.to_numpy(),
            "statistic": fitted.tvalues.to_numpy(),
            "pvalue": fitted.pvalues.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "effective_clusters": effective,
            "term_note": [_few_clusters_note(e, n_clusters) for e in effective],
        }
    )
    return RegressionResult(
        params=params,
        nobs=int(fitted.nobs),
        r2=float(fitted.rsquared),
        cov_type=cov_type,
        formula=formula,
        window=window,
        weights=weights,
        result=fitted,
        data=frame,
        n_clusters=n_clusters,
        distribution=distribution,
        notes=notes,
    )


def effective_clusters(fitted: Any, groups: np.ndarray) -> np.ndarray:
    """How many clusters each coefficient of a fitted (W)LS regression effectively rests on.

    A coefficient is a weighted sum of the observations, :math:`\\hat\\beta_j = \\sum_i h_{ji} \\tilde y_i` with
    :math:`H = (\\tilde X'\\tilde X)^{-1}\\tilde X'` (the weighted design of WLS). Cluster g's share of the
    coefficient's squared weights is :math:`s_{jg} = \\sum_{i \\in g} h_{ji}^2 / \\sum_i h_{ji}^2`, and the
    effective number of clusters is the inverse Herfindahl index :math:`1 / \\sum_g s_{jg}^2`: G when every
    cluster carries the same share, 1 when one cluster carries it all. A term identified within one or two event
    dates (a main effect that interactions leave to the reference level's dates, a dummy of one event) has few,
    whatever the number of clusters; its cluster-robust standard error then rests on those few clusters' scores
    and is unreliable (MacKinnon & Webb 2017, on few treated clusters).

    ``groups`` are the cluster codes of the fitted rows, in the model's row order.

    >>> import statsmodels.api as sm
    >>> x = np.r_[np.ones(5), np.zeros(30)]                       # a dummy of the first cluster's five rows
    >>> g = np.r_[np.zeros(5), np.repeat([1, 2, 3], 10)].astype(int)
    >>> fit = sm.OLS(np.arange(35.0), sm.add_constant(x)).fit()
    >>> effective_clusters(fit, g).round(3).tolist()               # intercept: clusters 1-3 alike; dummy: mostly 0
    [3.0, 1.349]
    """
    x = np.asarray(fitted.model.wexog, dtype=float)
    weights = np.asarray(fitted.normalized_cov_params, dtype=float) @ x.T  # (k, n): the rows of H
    codes = np.asarray(groups)
    onehot = np.zeros((codes.size, int(codes.max()) + 1 if codes.size else 0))
    onehot[np.arange(codes.size), codes] = 1.0
    per_cluster = (weights * weights) @ onehot
    total = per_cluster.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = per_cluster / total
        return 1.0 / (share * share).sum(axis=1)


def _few_clusters_note(effective: float, n_clusters: int) -> str:
    """The note of a term whose estimate rests on fewer than :data:`FEW_EFFECTIVE_CLUSTERS` event dates."""
    if not np.isfinite(effective) or effective >= FEW_EFFECTIVE_CLUSTERS:
        return ""
    return (
        f"rests on about {effective:.1f} of the {n_clusters} event dates: its clustered standard error and "
        f"t({n_clusters - 1}) p-value are unreliable (they overstate precision with so few clusters)"
    )


def _merge_characteristics(frame: pd.DataFrame, data: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with ``data``'s columns, merged on ``ticker`` (and ``event_id`` when ``data`` has it)."""
    if data is None:
        return frame
    if "ticker" not in data.columns:
        raise ConfigError(
            located(
                "regress:data",
                "needs a ticker column",
                value=list(data.columns),
                fix="add ticker (and optionally event_id)",
            )
        )
    on = ["event_id", "ticker"] if {"event_id", "ticker"} <= set(data.columns) else ["ticker"]
    clash = [c for c in data.columns if c in frame.columns and c not in on]
    if clash:
        raise ConfigError(
            located("regress:data", "columns already in the firm-event frame", value=clash, fix="rename them")
        )
    return frame.merge(data, on=on, how="left")


# ============================================================================ output tables
def regression_specs(settings: Mapping[str, Any]) -> list[tuple[str, str, list[str] | None]]:
    """The study's cross-sectional regressions (``settings["regressions"]``) as ``(formula, scope, events)``:
    ``events`` None for every event; ``scope`` names them in tables (the event id, ``pooled`` or the ids).

    >>> regression_specs({"headline_event": "e1", "regressions": [
    ...     {"formula": "car ~ C(group)", "events": "headline"}, {"formula": "car ~ 1", "events": "all"}]})
    [('car ~ C(group)', 'e1', ['e1']), ('car ~ 1', 'pooled', None)]
    """
    head = settings.get("headline_event")
    out: list[tuple[str, str, list[str] | None]] = []
    for spec in settings.get("regressions") or ():
        events = spec.get("events", "all")
        if events == "headline":
            out.append((spec["formula"], head or "", [head] if head else None))
        elif events == "all":
            out.append((spec["formula"], "pooled", None))
        else:
            ids = [events] if isinstance(events, str) else list(events)
            out.append((spec["formula"], " ".join(ids), ids))
    return out
