"""What every test statistic takes and returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from .._registry import Registry
from ..catalog import OUTPUT_COLUMNS, TEST_BASE_COLUMNS, TEST_CATALOG, TEST_INPUTS, TestInfo
from ..errors import ConfigError

__all__ = [
    "TestResult",
    "Cell",
    "Sample",
    "Batch",
    "BatchResults",
    "TESTS",
    "BATCHES",
    "register_test",
    "batch_for",
    "batch_function",
]

T = TypeVar("T")


@dataclass(frozen=True)
class TestResult:
    """One test statistic.

    Unpacks as ``stat, p = result``. A test that cannot be computed carries NaNs and the reason in ``notes``.
    """

    name: str
    statistic: float
    pvalue: float
    distribution: str
    nobs: int
    notes: str = ""
    details: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    __test__ = False  # not a pytest class

    def __iter__(self) -> Iterator[float]:
        yield self.statistic
        yield self.pvalue


class Cell:
    """The fitted firm-events of one event (or pooled set) × group, of which each CAR window's sample is a subset.

    It holds the arrays that do not depend on the CAR window, and :meth:`cached` keeps what the tests build from
    them once per cell (the date × firm layout, the correlation matrix, the ranks). A sample's statistic is then a
    product of its members' 0/1 vector (:attr:`Sample.weights`) with such a per-firm-event array, whichever
    firm-events a window loses to a missing return.

    Attributes
    ----------
    resid
        ``(N, T_est)`` in-sample estimation residuals in event time (NaN where unused).
    resid_dates
        ``(N, T_est)`` their session dates, for calendar alignment.
    ar_all, sar_all
        ``(N, T)`` over all event days of the panel: in-sample residuals (and e/σ̂) on the estimation days used,
        abnormal returns (and SAR) on event-window days, NaN elsewhere. Used by the rank tests. Either may be
        given as a function that builds it when first asked for.
    nobs
        ``(N,)`` valid estimation returns M_i.
    estimation_cols
        Columns of ``ar_all`` that form the estimation window.
    """

    def __init__(
        self,
        resid: np.ndarray,
        resid_dates: np.ndarray,
        ar_all: np.ndarray | Callable[[], np.ndarray],
        sar_all: np.ndarray | Callable[[], np.ndarray],
        nobs: np.ndarray,
        estimation_cols: np.ndarray,
    ) -> None:
        self.resid = resid
        self.resid_dates = resid_dates
        self.nobs = nobs
        self.estimation_cols = estimation_cols
        self._cache: dict[str, Any] = {}
        self._arrays = {"ar_all": ar_all, "sar_all": sar_all}

    def _array(self, name: str) -> np.ndarray:
        value = self._arrays[name]
        if callable(value):  # built on first use: a cell whose ranks came with it never needs them
            value = self._arrays[name] = value()
        return value

    @property
    def ar_all(self) -> np.ndarray:
        return self._array("ar_all")

    @property
    def sar_all(self) -> np.ndarray:
        return self._array("sar_all")

    @property
    def n(self) -> int:
        return int(self.resid.shape[0])

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` the first time ``key`` is asked for; the kept value afterwards."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key`` (e.g. ranks computed for the whole panel at once)."""
        self._cache[key] = value


@dataclass(frozen=True)
class Sample:
    """The firm-events of one group, one event (or a pooled set) and one CAR window.

    Attributes
    ----------
    car, var_car, scar
        ``(N,)`` CAR, its exact variance, and the standardised CAR.
    df_loss
        The model's k (σ̂² divides by M_i − df_loss).
    length
        L, the number of days in the CAR window.
    cell
        The :class:`Cell` the firm-events come from.
    members
        Their rows in ``cell`` (sorted).
    window_cols
        Columns of ``ar_all`` that form the CAR window.
    portfolio
        A callable returning ``(CAR_p, Var(CAR_p), M_p, N_p)`` of each equally weighted calendar-aligned portfolio
        of the sample, fitted with the study's model (for ``portfolio_t``).
    rng
        The random generator for resampling tests.

    The cell's arrays restricted to the members are :attr:`resid`, :attr:`resid_dates`, :attr:`ar_all`,
    :attr:`sar_all`, :attr:`nobs_estimation` and :attr:`estimation_cols`.
    """

    car: np.ndarray
    var_car: np.ndarray
    scar: np.ndarray
    df_loss: int
    length: int
    cell: Cell = field(compare=False, repr=False)
    members: np.ndarray = field(compare=False, repr=False)
    window_cols: np.ndarray | None = None
    portfolio: Callable[[], list[tuple[float, float, int, int]]] | None = None
    rng: np.random.Generator | None = None
    _memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    __test__ = False

    @property
    def n(self) -> int:
        return int(self.car.shape[0])

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per sample (e.g. r̄, which both Kolari–Pynnönen tests use)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    @cached_property
    def weights(self) -> np.ndarray:
        """``(N_cell,)`` 1.0 for the members, 0.0 for the cell's other firm-events."""
        out = np.zeros(self.cell.n)
        out[self.members] = 1.0
        return out

    @cached_property
    def resid(self) -> np.ndarray:
        return self.cell.resid[self.members]

    @cached_property
    def resid_dates(self) -> np.ndarray:
        return self.cell.resid_dates[self.members]

    @cached_property
    def ar_all(self) -> np.ndarray:
        return self.cell.ar_all[self.members]

    @cached_property
    def sar_all(self) -> np.ndarray:
        return self.cell.sar_all[self.members]

    @cached_property
    def nobs_estimation(self) -> np.ndarray:
        return self.cell.nobs[self.members]

    @property
    def estimation_cols(self) -> np.ndarray:
        return self.cell.estimation_cols


TestFunction = Callable[[Sample], TestResult]
BatchFunction = Callable[["Batch"], "BatchResults"]

#: The registry of test statistics (METHODS §4).
TESTS: Registry[TestFunction] = Registry("test")


def register_test(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    label: str | None = None,
    description: str | None = None,
    formula: str | None = None,
    reference: str | None = None,
    distribution: str | None = None,
    robust_to_clustering: bool | None = None,
    default: bool = False,
    requires: tuple[str, ...] = ("car",),
    outputs: Sequence[str] | Mapping[str, str] = (),
) -> Callable[[TestFunction], TestFunction]:
    """Register a test function under ``name``, with its metadata in :data:`eventstudy.catalog.TEST_CATALOG`.

    A built-in test's metadata is already in the catalog. A new test declares its ``label``, ``description``,
    ``formula``, ``reference``, ``distribution`` and ``robust_to_clustering`` (and optionally whether it runs by
    ``default`` and which inputs it ``requires``, from :data:`~eventstudy.catalog.TEST_INPUTS`), so the runner, the
    validation of a study's tests, the summaries and the report know it without reading its code.

    ``outputs`` names the numbers the test reports in :attr:`TestResult.details`: each becomes a column of the test
    table (NaN on the other tests' rows). A column that :data:`~eventstudy.catalog.OUTPUT_COLUMNS` does not know yet
    is given with its meaning, ``outputs={"max_car": "largest CAR of the sample"}``; a known one by its name
    (``outputs=("rbar",)``). The runner stops with an error when a test reports a number it did not declare.

    >>> @register_test("mean_car_z", label="z", description="z of the mean CAR", formula="z = CAAR/(s/√N)",
    ...                reference="—", distribution="N(0,1)", robust_to_clustering=False)   # doctest: +SKIP
    ... def mean_car_z(s: Sample) -> TestResult: ...
    """
    given = {
        "label": label,
        "description": description,
        "formula": formula,
        "reference": reference,
        "distribution": distribution,
        "robust_to_clustering": robust_to_clustering,
    }
    columns, meanings = _declared_outputs(name, outputs)
    if name not in TEST_CATALOG or any(v is not None for v in given.values()):
        missing = [k for k, v in given.items() if v is None]
        if missing:
            raise ConfigError(
                f"register_test({name!r}): no metadata for {', '.join(missing)}; fix: pass them to register_test"
            )
        unknown = [r for r in requires if r not in TEST_INPUTS]
        if unknown:
            raise ConfigError(
                f"register_test({name!r}): unknown input {unknown[0]!r}; fix: use some of {', '.join(TEST_INPUTS)}"
            )
        info = TestInfo(
            name,
            default=bool(default),
            requires=tuple(requires),
            outputs=columns,
            **given,  # type: ignore[arg-type]
        )
    else:
        info = TEST_CATALOG[name]
        if columns:
            info = replace(info, outputs=columns)
    if aliases:
        info = replace(info, aliases=tuple(aliases))

    def deco(func: TestFunction) -> TestFunction:
        TESTS.add(name, func, aliases=aliases)
        OUTPUT_COLUMNS.update(meanings)
        TEST_CATALOG[name] = info
        return func

    return deco


#: the columns the claims add to the test table (their adjusted and placebo p-values): no test output may take them
_CLAIM_TEST_COLUMNS = ("pvalue_holm", "qvalue_bh", "placebo_pvalue")


def _declared_outputs(name: str, outputs: Sequence[str] | Mapping[str, str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The output columns a registered test declares, and the meanings of those new to
    :data:`~eventstudy.catalog.OUTPUT_COLUMNS`; a :class:`ConfigError` for a name that is not usable as a column."""
    if isinstance(outputs, str):
        outputs = (outputs,)
    meanings = dict(outputs) if isinstance(outputs, Mapping) else {}
    columns = tuple(dict.fromkeys(outputs))
    for col in columns:
        where = f"register_test({name!r}): output column {col!r}"
        if not isinstance(col, str) or not col.isidentifier():
            raise ConfigError(f"{where} is not a plain name; fix: a name of letters, digits and _ such as 'max_car'")
        if col in TEST_BASE_COLUMNS or col in _CLAIM_TEST_COLUMNS:
            raise ConfigError(f"{where} is a column every test table has already; fix: give it another name")
        meaning = meanings.get(col)
        if col not in OUTPUT_COLUMNS and not (isinstance(meaning, str) and meaning.strip()):
            raise ConfigError(
                f"{where} is new and has no meaning; fix: pass outputs={{{col!r}: 'what it holds, in words'}}"
            )
        if col in OUTPUT_COLUMNS and meaning is not None and meaning != OUTPUT_COLUMNS[col]:
            raise ConfigError(
                f"{where} already means {OUTPUT_COLUMNS[col]!r}; fix: give the new number another name, or pass "
                f"the column by its name alone"
            )
    return columns, {c: m for c, m in meanings.items() if c not in OUTPUT_COLUMNS}


class Batch:
    """Many samples at once (several cells, each with its CAR windows), for a test's batch implementation.

    A batch implementation (:func:`batch_for`) computes one test for every sample of the batch with a few array
    operations instead of one call per sample, and gives the numbers the test's own function gives (to rounding
    of the order of summation). What several tests use is computed once per batch and kept (:meth:`cached`).

    Attributes
    ----------
    samples
        The samples, in the runner's order (the samples of one cell next to each other).
    n
        ``(S,)`` the number of firm-events of each sample.
    """

    def __init__(self, samples: Sequence[Sample]) -> None:
        self.samples = list(samples)
        self.n = np.array([s.n for s in self.samples], dtype=np.int64)
        self._memo: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.samples)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per batch."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def flat(self, field_name: str) -> tuple[np.ndarray, np.ndarray]:
        """The samples' ``(N,)`` arrays ``field_name`` (e.g. ``"car"``) end to end, and the sample of each value."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            if field_name == "nobs_estimation":  # straight from the cells (not each sample's cached copy)
                values = [s.cell.nobs[s.members] for s in self.samples]
            else:
                values = [getattr(s, field_name) for s in self.samples]
            flat = np.concatenate(values) if values else np.zeros(0)
            return flat, np.repeat(np.arange(len(values)), self.n)

        return self.cached(f"flat:{field_name}", build)

    def sums(self, field_name: str) -> np.ndarray:
        """``(S,)`` the sum of each sample's ``field_name``."""
        flat, seg = self.flat(field_name)
        return np.bincount(seg, weights=flat, minlength=len(self))

    def moments(self, field_name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(S,)`` means and standard deviations (ddof 1) of each sample's ``field_name``, two passes as numpy's
        ``mean`` and ``std``; NaN where a sample has too few values."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            flat, seg = self.flat(field_name)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = self.sums(field_name) / self.n
                dev = flat - mean[seg]
                var = np.bincount(seg, weights=dev * dev, minlength=len(self)) / (self.n - 1)
            mean[self.n == 0] = np.nan
            var[self.n < 2] = np.nan
            return mean, np.sqrt(var)

        return self.cached(f"moments:{field_name}", build)

    def by_cell(self) -> list[tuple[Cell, np.ndarray]]:
        """The cells of the batch, each with the positions of its samples (in batch order)."""

        def build() -> list[tuple[Cell, np.ndarray]]:
            cells: dict[int, tuple[Cell, list[int]]] = {}
            for i, s in enumerate(self.samples):
                cells.setdefault(id(s.cell), (s.cell, []))[1].append(i)
            return [(cell, np.asarray(at, dtype=np.int64)) for cell, at in cells.values()]

        return self.cached("by_cell", build)

    def weights(self, cell: Cell, at: np.ndarray) -> np.ndarray:
        """``(N_cell, len(at))``: column j holds the 0/1 weights of sample ``at[j]`` of ``cell``."""
        out = np.zeros((cell.n, at.size))
        members = [self.samples[i].members for i in at]
        if members:
            rows = np.concatenate(members)
            out[rows, np.repeat(np.arange(at.size), [m.size for m in members])] = 1.0
        return out


@dataclass(frozen=True)
class BatchResults:
    """The results of one test on every sample of a :class:`Batch`, as columns; ``results[i]`` is sample i's
    :class:`TestResult`."""

    name: str
    statistic: np.ndarray
    pvalue: np.ndarray
    distribution: list[str]
    nobs: np.ndarray
    notes: list[str]
    details: list[Mapping[str, float]]

    def __len__(self) -> int:
        return len(self.distribution)

    def __getitem__(self, i: int) -> TestResult:
        return TestResult(
            self.name,
            float(self.statistic[i]),
            float(self.pvalue[i]),
            self.distribution[i],
            int(self.nobs[i]),
            self.notes[i],
            MappingProxyType(dict(self.details[i])),
        )

    @classmethod
    def of(cls, results: Sequence[TestResult]) -> BatchResults:
        """The columns of results computed one by one."""
        return cls(
            results[0].name if results else "",
            np.array([r.statistic for r in results], dtype=float),
            np.array([r.pvalue for r in results], dtype=float),
            [r.distribution for r in results],
            np.array([r.nobs for r in results], dtype=np.int64),
            [r.notes for r in results],
            [r.details for r in results],
        )

    @classmethod
    def build(
        cls,
        name: str,
        statistic: np.ndarray,
        pvalue: np.ndarray,
        distribution: Sequence[str],
        nobs: np.ndarray,
        *,
        notes: Sequence[str] | None = None,
        details: Sequence[Mapping[str, float]] | None = None,
        missing: np.ndarray | None = None,
    ) -> BatchResults:
        """Columns of results; where ``missing`` (a ``(S,)`` array of reasons, "" where computed) is set, the
        sample's result is :func:`not_computable` with that reason (NaN statistic and p, no details)."""
        k = len(nobs)
        stat = np.asarray(statistic, dtype=float).copy()
        p = np.asarray(pvalue, dtype=float).copy()
        notes_out = list(notes) if notes is not None else [""] * k
        det = list(details) if details is not None else [{}] * k
        if missing is not None:
            gone = np.flatnonzero(missing != "")
            stat[gone] = np.nan
            p[gone] = np.nan
            for i in gone:
                notes_out[i] = str(missing[i])
                det[i] = {}
        return cls(name, stat, p, list(distribution), np.asarray(nobs, dtype=np.int64), notes_out, det)


#: Batch implementations of registered tests: canonical name → (the test's function, its batch implementation).
BATCHES: dict[str, tuple[TestFunction, BatchFunction]] = {}


def batch_for(name: str) -> Callable[[BatchFunction], BatchFunction]:
    """Register the batch implementation of the registered test ``name``: a function of a :class:`Batch` that
    returns the :class:`BatchResults` the test's own function gives sample by sample (the conformance tests check
    the two agree). The runner uses it while ``name`` is registered to the same function."""

    def deco(func: BatchFunction) -> BatchFunction:
        BATCHES[name] = (TESTS.get(name), func)
        return func

    return deco


def batch_function(name: str) -> BatchFunction | None:
    """The batch implementation of the test registered as ``name`` (or an alias), if it has one."""
    canonical = TESTS.canonical(name, where="tests")
    entry = BATCHES.get(canonical)
    if entry is None or entry[0] is not TESTS.get(canonical):
        return None
    return entry[1]


def reasons(n: int, *rules: tuple[np.ndarray, str]) -> np.ndarray:
    """``(n,)`` the reason a sample's test cannot be computed ("" where it can): the first rule whose mask is
    True, in the order given (the order of the checks in the test's own function)."""
    out = np.full(n, "", dtype=object)
    for mask, why in reversed(rules):
        out[np.asarray(mask, dtype=bool)] = why
    return out


def labels_where(missing: np.ndarray, computed: Sequence[str], fallback: str) -> list[str]:
    """The distribution label of each sample: ``computed`` where the test ran, ``fallback`` where it did not."""
    return [fallback if m else c for m, c in zip(missing, computed, strict=True)]


def pvalues_normal(z: np.ndarray) -> np.ndarray:
    """:func:`pvalue_normal` of every element."""
    from scipy.special import ndtr

    z = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(z), 2.0 * ndtr(-np.abs(z)), np.nan)


def pvalues_t(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """:func:`pvalue_t` of every element."""
    from scipy.special import stdtr

    t = np.asarray(t, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(t) & (df > 0)
        return np.where(ok, 2.0 * stdtr(np.where(ok, df, 1.0), -np.abs(np.where(ok, t, 0.0))), np.nan)


def t_labels(df: np.ndarray) -> list[str]:
    """``"t(df)"`` for every element (as ``f"t({int(df)})"``)."""
    return [f"t({d})" for d in np.asarray(df).astype(np.int64).tolist()]


def not_computable(name: str, distribution: str, nobs: int, reason: str) -> TestResult:
    """The result of a test that cannot be computed, with the reason."""
    return TestResult(name, float("nan"), float("nan"), distribution, int(nobs), notes=reason)


def pvalue_normal(z: float) -> float:
    """Two-sided p-value of ``z`` against N(0,1) (scipy.special.ndtr, without the distribution-object overhead)."""
    from scipy.special import ndtr

    return float(2.0 * ndtr(-abs(z))) if np.isfinite(z) else float("nan")


def pvalue_t(t: float, df: float) -> float:
    """Two-sided p-value of ``t`` against Student's t(df) (scipy.special.stdtr)."""
    from scipy.special import stdtr

    return float(2.0 * stdtr(df, -abs(t))) if np.isfinite(t) and df > 0 else float("nan")
