"""The Dask backend: chunks of firm-events estimated on dask.distributed workers.

:meth:`eventstudy.EventStudy.fit` with ``backend="dask"`` (or a :class:`DaskBackend` for options) splits the
securities into chunks, each carrying all of its securities' firm-events. Every chunk is one task: the worker reads
its securities' (and their benchmarks') prices from a Parquet dataset partitioned by ticker, turns them into
returns, aligns the chunk's firm-events in event time and runs the same engine
(:func:`eventstudy.abnormal.compute_abnormal`). The client reads no prices: it plans the chunks, places the
chunk results in the study's firm-event order, and runs the same tests and tables as the in-memory backend, so
the results are identical.

With ``DaskBackend(split="events")`` a chunk holds whole events for every security instead, and the worker also
runs the tests of its events' cells (each pooled set is a task of its own); the client concatenates the result
tables in the in-memory order and never holds the panel.

Dask schedules the tasks; a worker that dies mid-run has its tasks run again elsewhere (Dask retries a task whose
worker died up to ``distributed.scheduler.allowed-failures`` times).

The dataset is :meth:`eventstudy.data.cache.PriceCache.export_parquet`'s layout. Without ``dataset`` the client
writes one to a temporary folder, a batch of tickers at a time, from the study's price source and cache; that
folder is only visible to workers on the same machine. On a real cluster export the dataset to shared storage
once and pass its path.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..abnormal import Abnormal
from ..analyse.claims import CLAIM_COLUMNS, adjust_claims, small_group_rule
from ..data.returns import fallbacks_of
from ..errors import ConfigError
from ..estimate import align_and_estimate
from ..windows import Panel

if TYPE_CHECKING:
    from ..data.sources import FetchResult
    from ..results import EventStudyResults
    from ..study import EventStudy

__all__ = ["DaskBackend", "ParquetPriceSource", "fit_dask", "get_backend"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ParquetPriceSource:
    """Prices read from a Parquet dataset partitioned by ticker (only the requested tickers' partitions).

    Parameters
    ----------
    directory
        The dataset's root folder, as written by :meth:`~eventstudy.data.cache.PriceCache.export_parquet`.
    name
        The source name reported in the results (the name of the source the dataset was exported from).
    failures
        ticker → reason, for tickers that the original source could not deliver (reported as they were).
    """

    directory: str
    name: str = "parquet"
    failures: Mapping[str, str] = field(default_factory=dict)

    def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
        from ..data.cache import read_parquet_partitions
        from ..data.sources import FetchResult, _span

        prices = read_parquet_partitions(self.directory, tickers, start, end)
        have = set(prices["ticker"])
        span = _span(None if start is None else pd.Timestamp(start), None if end is None else pd.Timestamp(end))
        failures = {
            t: self.failures.get(t, f"no rows in {span} in the Parquet dataset {self.directory}")
            for t in tickers
            if t not in have
        }
        return FetchResult(prices=prices, failures=failures, source=self.name)


@dataclass(frozen=True)
class _Loaded:
    """What the rest of ``fit`` needs from loading: per-ticker notes and the data span."""

    notes: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class _Chunk:
    rows: np.ndarray
    panel: Panel
    abn: Abnormal
    notes: pd.DataFrame


def _quiet(msg: str) -> None:
    return None


def _fit_chunk(
    study: EventStudy,
    secs: pd.DataFrame,
    firm_events: pd.DataFrame,
    rows: np.ndarray,
    sessions: Mapping[str, pd.DatetimeIndex],
    index: int,
    task_hook: Callable[[int], None] | None,
) -> _Chunk:
    """One task: load the chunk's returns from its Parquet partitions, align, and run the engine."""
    if task_hook is not None:
        task_hook(index)
    loaded = study._load(secs, _quiet)
    panel, abn = align_and_estimate(firm_events, loaded.returns, sessions, study.model, study.options)
    return _Chunk(rows=rows, panel=panel, abn=abn, notes=loaded.notes)


_ROW_FIELDS = (
    "params",
    "sigma2",
    "nobs",
    "ar",
    "var_ar",
    "sar",
    "estimation_used",
    "car",
    "var_car",
    "scar",
    "complete",
    "status",
    "zero_share",
    "no_trade_share",
)


class _Assembler:
    """Places chunk results at their rows of the study's firm-event order, as they arrive."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.keys: list[pd.DataFrame] = []
        self.notes: list[pd.DataFrame] = []
        self.panel: dict[str, np.ndarray] = {}
        self.abn: dict[str, np.ndarray] = {}
        self.first: _Chunk | None = None

    @staticmethod
    def _put(store: dict[str, np.ndarray], name: str, value: np.ndarray, rows: np.ndarray, n: int) -> None:
        if name not in store:
            dtype = object if value.dtype.kind == "U" else value.dtype
            store[name] = np.empty((n, *value.shape[1:]), dtype=dtype)
        store[name][rows] = value

    def add(self, chunk: _Chunk) -> None:
        self.first = self.first or chunk
        self.keys.append(chunk.panel.keys.set_axis(chunk.rows))
        self.notes.append(chunk.notes)
        for name in ("dates", "ret", "mret", "excluded", "merged"):
            self._put(self.panel, name, getattr(chunk.panel, name), chunk.rows, self.n)
        for name in _ROW_FIELDS:
            self._put(self.abn, name, getattr(chunk.abn, name), chunk.rows, self.n)

    def result(self) -> tuple[Panel, Abnormal, list[pd.DataFrame]]:
        if self.first is None:
            raise ConfigError("the study has no firm-events; fix: check the events, groups and universe")
        keys = pd.concat(self.keys).sort_index().reset_index(drop=True)
        panel = replace(self.first.panel, keys=keys, **self.panel)
        fields: dict[str, Any] = dict(self.abn)
        fields["status"] = fields["status"].astype(str)
        abn = replace(self.first.abn, **fields)
        return panel, abn, self.notes


def _combine_notes(notes: list[pd.DataFrame], order: Sequence[str]) -> pd.DataFrame:
    from ..data.returns import NOTE_REASONS

    table = pd.concat(notes, ignore_index=True).drop_duplicates("ticker", keep="first")
    rank = {t: i for i, t in enumerate(order)}
    table = table.iloc[np.argsort([rank.get(t, len(rank)) for t in table["ticker"]], kind="stable")]
    table = table.reset_index(drop=True)
    for reason in NOTE_REASONS:
        col = f"rows_{reason}"
        table[col] = table[col].fillna(0).astype(int) if col in table.columns else 0
    failure = table.pop("failure").fillna("")
    table["failure"] = failure
    return table


@dataclass(frozen=True)
class DaskBackend:
    """Options of the Dask backend; pass an instance as ``EventStudy.fit(backend=...)``.

    Parameters
    ----------
    dataset
        A Parquet dataset partitioned by ticker that every worker can read (shared storage on a real cluster),
        e.g. written by :meth:`~eventstudy.data.cache.PriceCache.export_parquet`. None: the client writes one to
        a temporary folder from the study's price source (workers on the same machine only).
    chunk_size
        Firm-events per task, roughly: a chunk holds whole securities (all their events), so that clean
        estimation windows see every event of a security.
    batch_size
        Tickers fetched and written per batch when the client writes the dataset.
    task_hook
        Called on the worker with the chunk number at the start of each task (instrumentation, fault tests).
    split
        ``"securities"`` (default): a chunk holds whole securities and the workers run the engine; the client
        places the chunks' panels and abnormal returns in one panel and runs the tests, so the results keep
        ``panel`` and ``abnormal`` (robustness checks, MVRM). ``"events"``: a chunk holds whole events (every
        security), and the workers run the engine *and* the tests of their events' cells, plus one task per
        pooled set; the client receives only the result tables and never holds the panel (``results.panel`` is
        None). For studies too large for one machine's memory; it needs ``clean_estimation = false``, since a
        security's other events lie in other chunks.
    keep_ar
        With ``split="events"``: return the long AR table (one row per firm-event and event day) to the client.
        False leaves ``results.ar`` empty, which ``results.settings["ar_table"]`` records.
    """

    dataset: str | Path | None = None
    chunk_size: int = 20_000
    batch_size: int = 256
    task_hook: Callable[[int], None] | None = None
    split: str = "securities"
    keep_ar: bool = True

    name = "dask"

    def estimate(
        self, study: EventStudy, client: Any, *, progress: Progress = _quiet
    ) -> tuple[_Loaded, pd.DataFrame, Panel, Abnormal, Any]:
        """Everything ``fit`` does up to the engine, on the workers: ``(loaded, day0, panel, abnormal, model)``."""
        secs, tickers, start, end = self._check(study, client)
        with self._dataset(study, tickers, start, end, progress) as (dataset, failures):
            return self._run(study, client, secs, tickers, start, end, dataset, failures, progress)

    def fit_events(self, study: EventStudy, client: Any, *, progress: Progress = _quiet) -> EventStudyResults:
        """``split="events"``: the whole study on the workers, event chunk by event chunk; the client concatenates
        the result tables in the in-memory order, so the numbers are identical."""
        if study.clean_estimation:
            raise ConfigError(
                "clean_estimation: split='events' cannot see a security's other events, which lie in other chunks; "
                "fix: use split='securities' or clean_estimation = false"
            )
        secs, tickers, start, end = self._check(study, client)
        with self._dataset(study, tickers, start, end, progress) as (dataset, failures):
            return self._run_events(study, client, secs, tickers, start, end, dataset, failures, progress)

    def _check(self, study: EventStudy, client: Any) -> tuple[pd.DataFrame, list[str], pd.Timestamp, pd.Timestamp]:
        if client is None:
            raise ConfigError(
                "client: backend 'dask' needs a dask.distributed Client; fix: pass client=Client(...) "
                "(e.g. Client(LocalCluster()) or Client('tcp://scheduler:8786'))"
            )
        if getattr(study, "world_index", None):
            raise ConfigError(
                "backend: 'dask' does not support world_index yet; fix: use backend='numpy' for this study"
            )
        if self.chunk_size < 1:
            raise ConfigError(f"chunk_size: must be at least 1 (got {self.chunk_size}); fix: use e.g. 20000")
        if self.split not in ("securities", "events"):
            raise ConfigError(f"split: must be 'securities' or 'events' (got {self.split!r}); fix: pick one")
        secs = study.securities()
        start, end = study._span()
        world = [study.world_ticker] if getattr(study, "world_ticker", None) else []
        benchmarks = list(dict.fromkeys(secs["benchmark"].dropna()))
        fallbacks = fallbacks_of(study.universe.frame.set_index("ticker"), benchmarks)
        tickers = list(dict.fromkeys([*secs["ticker"], *benchmarks, *fallbacks.values(), *world]))
        known = set(study.universe.frame["ticker"])
        missing = [t for t in tickers if t not in known]
        if missing:
            from ..errors import UniverseError

            raise UniverseError(
                f"{study.universe.name}:benchmark: {missing[0]!r} is not a ticker of the universe; "
                "fix: add it as a row with group benchmark"
            )
        return secs, tickers, start, end

    @contextmanager
    def _dataset(
        self, study: EventStudy, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp, progress: Progress
    ) -> Iterator[tuple[Path, dict[str, str]]]:
        """The Parquet dataset the workers read: the one given, or one written to a temporary folder."""
        if self.dataset is not None:
            yield Path(self.dataset), {}
            return
        tmp = tempfile.mkdtemp(prefix="eventstudy-parquet-")
        try:
            failures = self._write_dataset(study, tickers, start, end, Path(tmp), progress)
            yield Path(tmp), failures
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _write_dataset(
        self,
        study: EventStudy,
        tickers: list[str],
        start: pd.Timestamp,
        end: pd.Timestamp,
        dataset: Path,
        progress: Progress,
    ) -> dict[str, str]:
        from ..data.cache import load_prices, write_parquet_partitions

        failures: dict[str, str] = {}
        progress(f"writing prices of {len(tickers)} tickers to a Parquet dataset in {dataset}")
        for i in range(0, len(tickers), self.batch_size):
            batch = tickers[i : i + self.batch_size]
            fetched = load_prices(
                batch, start.date(), end.date(), source=study.source, cache=study.cache, offline=study.offline
            )
            write_parquet_partitions(fetched.prices, dataset)
            failures.update(fetched.failures)
        return failures

    def _run(self, study, client, secs, tickers, start, end, dataset, failures, progress):
        from distributed import as_completed

        day0, fe, sessions = study.firm_events(secs, start, end, progress)

        worker_study = self._worker_study(study, dataset, failures)
        per_security = max(1, len(study.events))
        secs_per_chunk = max(1, self.chunk_size // per_security)
        sec_tickers = secs["ticker"].to_numpy()
        fe_tickers = fe["ticker"].to_numpy()
        [study_f] = client.scatter([worker_study], broadcast=True, hash=False)
        [sessions_f] = client.scatter([sessions], broadcast=True, hash=False)
        futures = []
        for index, lo_i in enumerate(range(0, len(secs), secs_per_chunk)):
            chunk_secs = secs.iloc[lo_i : lo_i + secs_per_chunk]
            rows = np.flatnonzero(np.isin(fe_tickers, sec_tickers[lo_i : lo_i + secs_per_chunk]))
            futures.append(
                client.submit(
                    _fit_chunk,
                    study_f,
                    chunk_secs.reset_index(drop=True),
                    fe.iloc[rows].reset_index(drop=True),
                    rows,
                    sessions_f,
                    index,
                    self.task_hook,
                    pure=False,
                )
            )
        progress(f"estimating {len(fe)} firm-events in {len(futures)} chunks on the Dask cluster")
        assembler = _Assembler(len(fe))
        for future in as_completed(futures):
            assembler.add(future.result())
            future.release()
        panel, abn, notes = assembler.result()
        loaded = _Loaded(notes=_combine_notes(notes, tickers), start=start, end=end)
        return loaded, day0, panel, abn, study.model

    def _worker_study(self, study: EventStudy, dataset: Path, failures: Mapping[str, str]) -> EventStudy:
        worker_study = copy.copy(study)
        worker_study.source = ParquetPriceSource(
            str(dataset), name=str(getattr(study.source, "name", type(study.source).__name__)), failures=failures
        )
        worker_study.cache = None
        worker_study.offline = False
        return worker_study

    def _run_events(self, study, client, secs, tickers, start, end, dataset, failures, progress):
        day0, fe, sessions = study.firm_events(secs, start, end, progress)
        [study_f] = client.scatter([self._worker_study(study, dataset, failures)], broadcast=True, hash=False)
        [sessions_f] = client.scatter([sessions], broadcast=True, hash=False)
        [secs_f] = client.scatter([secs], broadcast=True, hash=False)
        [day0_f] = client.scatter([day0], broadcast=True, hash=False)
        event_ids = list(study.events.frame["event_id"])
        token = uuid.uuid4().hex  # this fit's tasks share each worker's loaded returns
        per_chunk = max(1, self.chunk_size // max(1, len(secs)))
        fe_events = fe["event_id"].to_numpy()
        tasks = [(event_ids[i : i + per_chunk], None) for i in range(0, len(event_ids), per_chunk)]
        tasks += [(list(members), {name: list(members)}) for name, members in study.pools().items()]
        futures = []
        for index, (events, pools) in enumerate(tasks):
            rows = np.flatnonzero(np.isin(fe_events, events))
            futures.append(
                client.submit(
                    _fit_events_chunk,
                    study_f,
                    secs_f,
                    fe.iloc[rows].reset_index(drop=True),
                    sessions_f,
                    day0_f,
                    pools,
                    self.keep_ar,
                    token,
                    index,
                    self.task_hook,
                    pure=False,
                )
            )
        progress(
            f"estimating and testing {len(fe)} firm-events on the Dask cluster: {len(futures)} tasks "
            f"({sum(p is None for _, p in tasks)} event chunks, {sum(p is not None for _, p in tasks)} pooled sets)"
        )
        parts = client.gather(futures)
        chunks = [part for part, (_, pools) in zip(parts, tasks, strict=True) if pools is None]
        tables = {
            name: pd.concat([part[name] for part in (chunks if name in _EVENT_ONLY else parts)], ignore_index=True)
            for name in ("firm_events", "ar", "test_table", "caar_table", "aar_table")
        }
        loaded = _Loaded(notes=_combine_notes([parts[0]["notes"]], tickers), start=start, end=end)
        settings = {"backend": "dask (split by events)", "ar_table": "kept" if self.keep_ar else "not kept"}
        # each event chunk built the claims of its headline events (placebo included, on the worker's returns);
        # the family is whole only here, so Holm and Benjamini-Hochberg are applied to all of them together
        found = [part["claims"] for part in chunks if len(part["claims"])]  # chunks without a headline event add none
        claims = adjust_claims(pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=CLAIM_COLUMNS))
        return study.results(tables, day0, loaded, study.model, settings=settings, claims=claims)


_EVENT_ONLY = ("firm_events", "ar", "aar_table")

#: On a worker: the returns loaded for the running fit (its token → what ``EventStudy._load`` returned).
_WORKER_LOADED: dict[str, Any] = {}


def _fit_events_chunk(
    study: EventStudy,
    secs: pd.DataFrame,
    firm_events: pd.DataFrame,
    sessions: Mapping[str, pd.DatetimeIndex],
    day0: pd.DataFrame,
    pools: dict[str, list[str]] | None,
    keep_ar: bool,
    token: str,
    index: int,
    task_hook: Callable[[int], None] | None,
) -> dict[str, pd.DataFrame]:
    """One task of ``split="events"``: load every security's returns from its Parquet partition, align the
    chunk's firm-events, run the engine and the tests; the result tables, the claims of the chunk's headline events
    (with their placebo draws, before the multiplicity adjustment) and the per-ticker notes.

    With ``pools``, the chunk's firm-events are those of a pooled set and only its cells are tested. Every task of
    one fit loads the same securities, so a worker keeps the returns of the fit ``token`` for its next task (one
    fit at a time).
    """
    if task_hook is not None:
        task_hook(index)
    loaded = _WORKER_LOADED.get(token)
    if loaded is None:
        loaded = study._load(secs, _quiet)
        _WORKER_LOADED.clear()
        _WORKER_LOADED[token] = loaded
    panel, abn = align_and_estimate(firm_events, loaded.returns, sessions, study.model, study.options)
    tables = study.tables(panel, abn, study.model, pools=pools, events=pools is None, ar=keep_ar)
    claims = pd.DataFrame(columns=CLAIM_COLUMNS)
    if pools is None:
        placebo = study._placebo_options(panel, loaded, study.model)
        claims = study.claims(panel, abn, small_group_rule(tables["test_table"]), day0, placebo, adjust=False)
    return {**tables, "claims": claims, "notes": loaded.notes}


def get_backend(backend: Any) -> DaskBackend:
    """A backend instance from ``"dask"`` or a :class:`DaskBackend` (returned as it is)."""
    if isinstance(backend, DaskBackend):
        return backend
    if isinstance(backend, str) and backend == "dask":
        return DaskBackend()
    from . import BACKENDS

    raise ConfigError(
        f"backend: unknown backend {backend!r}; fix: use one of {', '.join(BACKENDS)} or a DaskBackend(...)"
    )


def fit_dask(study: EventStudy, client: Any, *, analyse: bool = True, **options: Any) -> EventStudyResults:
    """``study.fit(backend=DaskBackend(**options), client=client, analyse=analyse)``."""
    return study.fit(backend=DaskBackend(**options), client=client, analyse=analyse)
