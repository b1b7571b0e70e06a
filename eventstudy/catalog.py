"""The library's vocabulary as data, with no code behind it: outcome codes and their meanings, what each test
statistic is (label, formula, reference, null distribution, whether it is robust to event-date clustering, whether
it runs by default, what it needs, which numbers it reports beside its statistic), and the columns of the test table
with what each output column holds.

Renderers, the study's validation, the summaries and the CLI read labels and metadata here (or from the results),
never from the modules that compute. Registering a test (:func:`eventstudy.inference.register_test`) adds its
entry to :data:`TEST_CATALOG`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ConfigError

__all__ = [
    "OUTCOMES",
    "OUTPUT_COLUMNS",
    "REGRESSION_PARAM_COLUMNS",
    "TEST_BASE_COLUMNS",
    "TestInfo",
    "TEST_CATALOG",
    "TEST_INPUTS",
    "canonical_test",
    "describe_test",
    "default_tests",
    "output_columns",
    "robust_tests",
]

#: outcome code of a firm-event → what it means, in order of precedence (METHODS §2)
OUTCOMES: dict[str, str] = {
    "ok": "usable for every CAR window",
    "no_data": "no prices for the security or its benchmark around the event",
    "pre_listing": "day 0 is not after the first valid price (not yet listed, or a shell before it)",
    "short_estimation": "fewer valid estimation-window returns than min_estimation",
    "thin_trading": "no price (no trade) on more than the allowed share of estimation days, or no residual variation",
    "missing_event_window": "a return is missing inside at least one CAR window (other windows are still used)",
}


@dataclass(frozen=True)
class TestInfo:
    """What a registered test is, as data: the runner, the study's validation, the summaries, the CLI and the
    report read it here, never from the test's code.

    Attributes
    ----------
    name
        The registry name.
    label
        A short label for tables (``"KP-BMP"``).
    description
        What it is, in words.
    formula
        The statistic and its null distribution, in plain text.
    reference
        Where the formula comes from.
    distribution
        The null distribution (``"t(N-1)"``, ``"N(0,1)"``, ...).
    robust_to_clustering
        Whether it stays valid when every security shares the event date (cross-correlated abnormal returns).
    default
        Whether a study runs it when the tests are not chosen.
    requires
        The inputs it reads: ``car``, ``var_car``, ``scar``, ``estimation_residuals``, ``ranks``, ``portfolio``,
        ``rng``.
    aliases
        Other names a study may use for it (``j2`` for ``patell_z``).
    outputs
        The numbers it reports beside its statistic and p-value (in ``TestResult.details``), each a column of the
        test table named in :data:`OUTPUT_COLUMNS` (``rbar`` for the Kolari–Pynnönen tests).
    """

    name: str
    label: str
    description: str
    formula: str
    reference: str
    distribution: str
    robust_to_clustering: bool
    default: bool = True
    requires: tuple[str, ...] = ("car",)
    aliases: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    __test__ = False  # not a pytest class


#: the inputs a test may require
TEST_INPUTS: tuple[str, ...] = ("car", "var_car", "scar", "estimation_residuals", "ranks", "portfolio", "rng")

#: the columns every row of the test table has, before the columns of the tests' outputs (:data:`OUTPUT_COLUMNS`)
TEST_BASE_COLUMNS: tuple[str, ...] = (
    "event_id",
    "group",
    "window",
    "test",
    "statistic",
    "pvalue",
    "distribution",
    "nobs",
    "notes",
)

#: the columns of a regression's coefficient table, one row per term (the cross-sectional regressions)
REGRESSION_PARAM_COLUMNS: tuple[str, ...] = (
    "term",
    "coef",
    "std_err",
    "statistic",
    "pvalue",
    "ci_low",
    "ci_high",
    "effective_clusters",
    "term_note",
)

#: a column of the test table that some tests report beside their statistic → what it holds; a test's row has a
#: number there when the test reports it (:attr:`TestInfo.outputs`), NaN otherwise. In this order in the table.
OUTPUT_COLUMNS: dict[str, str] = {
    "pvalue_normal": "two-sided p-value of the BMP statistic against N(0,1) instead of t(N−1)",
    "rbar": "mean pairwise correlation of the estimation residuals (Kolari–Pynnönen)",
    "car_p": "CAR of the equally weighted portfolio (with several portfolios, their mean weighted by size)",
    "var_car_p": "variance of that CAR (Σ w_j² Var(CAR_j) with several portfolios)",
    "portfolios": "number of calendar-aligned portfolios combined (one per exchange and day 0)",
    "positive": "number of firm-events with a positive CAR (w)",
    "pvalue_exact": "exact two-sided binomial p-value of the sign test",
    "p_hat": "share of positive estimation-window residuals: the expected share of positive CARs under the null",
    "grank_z": "GRANK's Z, before its t transformation",
    "ci_low_percentile": "lower end of the 95 % percentile bootstrap interval of CAAR",
    "ci_high_percentile": "upper end of the 95 % percentile bootstrap interval of CAAR",
    "ci_low_bca": "lower end of the 95 % BCa bootstrap interval of CAAR",
    "ci_high_bca": "upper end of the 95 % BCa bootstrap interval of CAAR",
    "n_dates": "number of estimation dates the residual bootstrap draws from",
}

_BUILT_IN: tuple[TestInfo, ...] = (
    TestInfo(
        "csect_t", "t", "cross-sectional t", "t = CAAR / (s_CAR / √N); t(N−1)", "Brown & Warner (1985)", "t(N-1)", False
    ),
    TestInfo(
        "cda_t",
        "CDA",
        "crude dependence adjustment",
        "t = CAAR / (Ŝ √L), Ŝ² the variance of the calendar-date AAR of the estimation window; t(M−1)",
        "Brown & Warner (1980, 1985)",
        "t(M-1)",
        True,
        requires=("car", "estimation_residuals"),
    ),
    TestInfo(
        "patell_z",
        "Patell",
        "Patell Z",
        "Z = Σ SCAR_i / √(Σ (M_i−k)/(M_i−k−2)); N(0,1)",
        "Patell (1976)",
        "N(0,1)",
        False,
        requires=("scar",),
        aliases=("j2",),
    ),
    TestInfo(
        "bmp_t",
        "BMP",
        "standardised cross-sectional (BMP)",
        "t = mean(SCAR) / (sd(SCAR)/√N); t(N−1)",
        "Boehmer et al. (1991)",
        "t(N-1)",
        False,
        requires=("scar",),
        outputs=("pvalue_normal",),
    ),
    TestInfo(
        "kp_bmp_t",
        "KP-BMP",
        "Kolari–Pynnönen adjusted BMP",
        "t_BMP · √((1 − r̄)/(1 + (N−1) r̄)), r̄ the mean Pearson correlation of estimation residuals",
        "Kolari & Pynnönen (2010)",
        "t(N-1)",
        True,
        requires=("scar", "estimation_residuals"),
        outputs=("rbar",),
    ),
    TestInfo(
        "kp_patell_z",
        "KP-Patell",
        "Kolari–Pynnönen adjusted Patell",
        "Z_Patell · √((1 − r̄)/(1 + (N−1) r̄))",
        "Kolari & Pynnönen (2010)",
        "N(0,1)",
        True,
        requires=("scar", "estimation_residuals"),
        outputs=("rbar",),
    ),
    TestInfo(
        "j1",
        "J1",
        "CLM J1",
        "J1 = CAAR / √(Σ Var(CAR_i) / N²); N(0,1)",
        "Campbell, Lo & MacKinlay (1997)",
        "N(0,1)",
        False,
        requires=("car", "var_car"),
    ),
    TestInfo(
        "portfolio_t",
        "portfolio",
        "portfolio test",
        "equally weighted portfolio per exchange and day 0, same model; t = CAR_p / √Var(CAR_p); t(M−k)",
        "Brown & Warner (1980)",
        "t(M-k)",
        True,
        requires=("portfolio",),
        outputs=("car_p", "var_car_p", "portfolios"),
    ),
    TestInfo(
        "sign_z",
        "sign",
        "sign test",
        "Z = (w − N/2)/√(N/4), w = #{CAR_i > 0}",
        "Corrado & Zivney (1992)",
        "N(0,1)",
        False,
        outputs=("positive", "pvalue_exact"),
    ),
    TestInfo(
        "gsign_z",
        "gen. sign",
        "generalised sign",
        "Z = (w − N p̂)/√(N p̂ (1−p̂)), p̂ from estimation-window ARs",
        "Cowan (1992)",
        "N(0,1)",
        False,
        requires=("car", "estimation_residuals"),
        outputs=("positive", "p_hat"),
    ),
    TestInfo(
        "rank_z",
        "rank",
        "Corrado rank",
        "Z = √N₀ · Ū₀ / S with standardised ranks",
        "Corrado (1989); Corrado & Zivney (1992)",
        "N(0,1)",
        False,
        requires=("ranks",),
    ),
    TestInfo(
        "grank_t",
        "GRANK",
        "generalised rank (GRANK)",
        "ranks of re-standardised SCAR among estimation-day SARs; t = Z √((T−2)/(T−1−Z²)); t(T−2)",
        "Kolari & Pynnönen (2011)",
        "t(T-2)",
        True,
        requires=("scar", "ranks"),
        outputs=("grank_z",),
    ),
    TestInfo(
        "wilcoxon",
        "Wilcoxon",
        "Wilcoxon signed-rank",
        "signed ranks of CAR_i; scipy's exact or normal p-value",
        "Wilcoxon (1945)",
        "signed-rank",
        False,
    ),
    TestInfo(
        "gsign_z_estudy2",
        "gen. sign (estudy2)",
        "generalised sign as estudy2 computes it",
        "Z = (w − N p̂)/√(N p̂ (1−p̂)), p̂ pooled over every firm-day of the estimation window",
        "Cowan (1992); estudy2",
        "N(0,1)",
        False,
        default=False,
        requires=("car", "estimation_residuals"),
        outputs=("p_hat",),
    ),
    TestInfo(
        "bootstrap",
        "bootstrap",
        "cross-sectional bootstrap",
        "percentile/BCa interval of CAAR, B resamples of CAR_i, seeded",
        "—",
        "bootstrap",
        False,
        default=False,
        requires=("car", "rng"),
        outputs=("ci_low_percentile", "ci_high_percentile", "ci_low_bca", "ci_high_bca"),
    ),
    TestInfo(
        "bootstrap_resid",
        "resid. bootstrap",
        "residual-vector bootstrap",
        "resamples estimation-residual date vectors, keeping cross-correlation",
        "Hein & Westfall (2004)",
        "bootstrap",
        True,
        default=False,
        requires=("car", "estimation_residuals", "rng"),
        outputs=("n_dates",),
    ),
)

#: every test's metadata by name: the built-in tests, and each test registered later with its own
TEST_CATALOG: dict[str, TestInfo] = {info.name: info for info in _BUILT_IN}


def describe_test(name: str) -> TestInfo:
    """The metadata of test ``name`` (a :class:`KeyError` naming the known tests if it has none)."""
    try:
        return TEST_CATALOG[name]
    except KeyError:
        raise KeyError(f"no catalog entry for test {name!r}; known: {', '.join(TEST_CATALOG)}") from None


def default_tests() -> tuple[str, ...]:
    """The tests a study runs when none are chosen, in catalog order."""
    return tuple(name for name, info in TEST_CATALOG.items() if info.default)


def canonical_test(name: str, *, where: str = "tests") -> str:
    """The catalog name of test ``name`` or of one of its aliases; a :class:`~eventstudy.errors.ConfigError` naming
    ``where``, the close match and the valid names otherwise.

    >>> canonical_test("j2")
    'patell_z'
    >>> canonical_test("kp_bmp")
    Traceback (most recent call last):
    ...
    eventstudy.errors.ConfigError: tests: unknown test 'kp_bmp'; did you mean 'kp_bmp_t'? valid tests are: ...
    """
    if not isinstance(name, str):
        raise ConfigError(f'{where}: a test name must be text (got {name!r}); fix: e.g. "kp_bmp_t"')
    if name in TEST_CATALOG:
        return name
    for info in TEST_CATALOG.values():
        if name in info.aliases:
            return info.name
    valid = list(TEST_CATALOG)
    aliases = [a for info in TEST_CATALOG.values() for a in info.aliases]
    close = difflib.get_close_matches(name, valid + aliases, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(f"{where}: unknown test {name!r}; {hint}valid tests are: {', '.join(valid)}")


def output_columns(tests: Iterable[str]) -> tuple[str, ...]:
    """The columns of the outputs of ``tests`` (names or aliases): the union of their :attr:`TestInfo.outputs`, in
    the order of :data:`OUTPUT_COLUMNS` (the order of the test table), whatever the order of the tests.

    >>> output_columns(["csect_t", "gsign_z", "sign_z", "kp_bmp_t"])
    ('rbar', 'positive', 'pvalue_exact', 'p_hat')
    >>> output_columns(["csect_t", "patell_z"])
    ()
    """
    declared = [col for name in tests for col in describe_test(canonical_test(name)).outputs]
    known = tuple(col for col in OUTPUT_COLUMNS if col in declared)
    return known + tuple(col for col in dict.fromkeys(declared) if col not in OUTPUT_COLUMNS)


def robust_tests(names: Iterable[str] | None = None) -> tuple[str, ...]:
    """The tests that stay valid when every security shares the event date, in catalog order (of ``names`` if
    given).

    >>> robust_tests(["csect_t", "kp_bmp_t", "grank_t"])
    ('kp_bmp_t', 'grank_t')
    """
    chosen = set(TEST_CATALOG if names is None else names)
    return tuple(n for n, info in TEST_CATALOG.items() if info.robust_to_clustering and n in chosen)
