"""The ``eventstudy`` command.

``run [STUDY]`` runs a study file and writes its outputs (``--quick``: the tables only); ``report DIR`` renders the
report again from the results a run saved; ``init DIR`` scaffolds a new study; ``validate [STUDY]`` checks one
without fitting; ``fetch [STUDY]`` fills the price cache from Yahoo; ``export-parquet DIR`` writes the
Dask backend's dataset; ``cache info`` lists the cache; ``--version``.
Bad input ends the command with a one-line message naming the file, row, column or parameter, the value and the fix,
and a non-zero exit code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import DataWarning, EventStudyError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Event studies of how markets priced policy news.")
cache_app = typer.Typer(no_args_is_help=True, help="Inspect the price cache.")
app.add_typer(cache_app, name="cache")

EXIT_INPUT = 2
EXIT_DATAERR = 65  # sysexits EX_DATAERR: the inputs are valid but leave nothing usable (e.g. no prices)
EXIT_SOFTWARE = 70  # sysexits EX_SOFTWARE: an unexpected error, a bug to report
EXIT_IOERR = 74  # sysexits EX_IOERR: a file could not be read or written
EXIT_TEMPFAIL = 75  # sysexits EX_TEMPFAIL: another run holds the output folder; try again later
EXIT_INTERRUPTED = 130


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _fail(exc: BaseException, debug: bool) -> None:
    if debug:
        raise exc
    typer.echo(f"error: {_one_line(exc)}", err=True)
    raise typer.Exit(EXIT_INPUT)


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Every error a command can meet, as one ``error:`` line and an exit code (``--debug``: the traceback).

    Bad input (an :class:`EventStudyError`) exits 2; another run holding the output folder 75; a file that cannot
    be read or written 74; running out of memory 70 with what to change; an interrupt 130; anything else is a bug:
    one line saying "unexpected error", how to see the details (``--debug``), exit 70.
    """
    from .output import OutputBusyError

    try:
        yield
    except typer.Exit:
        raise
    except OutputBusyError as exc:
        if debug:
            raise
        typer.echo(f"error: {_one_line(exc)}", err=True)
        raise typer.Exit(EXIT_TEMPFAIL) from None
    except EventStudyError as exc:
        _fail(exc, debug)
    except OSError as exc:
        if debug:
            raise
        what = exc.filename if exc.filename is not None else ""
        why = exc.strerror or type(exc).__name__
        typer.echo(
            f"error: {what}: cannot read or write the file ({why}); "
            "fix: check the path, its permissions and the free disk space",
            err=True,
        )
        raise typer.Exit(EXIT_IOERR) from None
    except MemoryError:
        if debug:
            raise
        typer.echo(
            "error: the run ran out of memory; fix: study fewer events or securities per run, or use a machine with "
            "more memory (--debug shows where)",
            err=True,
        )
        raise typer.Exit(EXIT_SOFTWARE) from None
    except KeyboardInterrupt:
        if debug:
            raise
        typer.echo("error: interrupted; the previous outputs are left as they were", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if debug:
            raise
        typer.echo(
            f"error: unexpected error ({type(exc).__name__}: {_one_line(exc)[:200]}); "
            "run again with --debug to see the details, and report it with that output",
            err=True,
        )
        raise typer.Exit(EXIT_SOFTWARE) from None


STUDY_ARG = typer.Argument(help="The study file (TOML).")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eventstudy {_package_version()}")
        raise typer.Exit()


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from . import DISTRIBUTION, __version__

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return __version__


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Event studies of how markets priced policy news.

    Examples:

      eventstudy run                       # the study file study.toml, outputs in reports/<name>/

      eventstudy validate my/study.toml    # check a study without fitting it

      eventstudy init my_study             # a new study from commented templates
    """


def _spec(study: Path, **changes):
    from .config import read_study

    return read_study(study).with_options(**changes)


#: the folder of a run's outputs that holds its saved results (``res.save``), read by ``eventstudy report``
RESULTS_DIR = "results"

QUICK_HELP = (
    "Tables only, in seconds: the fit with the claims' test and the cross-sectional t (unless --tests names "
    "others), without the analyse stage (no MVRM, cross-sectional regressions, robustness variants or robust path "
    "bands), without placebo draws, and with no figures, HTML or PDF. The results are saved, so eventstudy report "
    "DIR can render them later."
)


@app.command(
    epilog="Examples:  eventstudy run  |  eventstudy run --quick  |  eventstudy run my.toml --model market_adjusted "
    "--tests csect_t,bmp_t --no-pdf   |  eventstudy run --prices-dir prices/  |  eventstudy run --refresh"
)
def run(
    study: Annotated[Path, STUDY_ARG] = Path("study.toml"),
    events: Annotated[Optional[Path], typer.Option(help="Events CSV (overrides the study file).")] = None,  # noqa: UP045
    universe: Annotated[Optional[Path], typer.Option(help="Universe CSV (overrides the study file).")] = None,  # noqa: UP045
    prices_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--prices-dir", envvar="EVENTSTUDY_PRICES_DIR", help="Folder of price files (offline use)."),
    ] = None,
    out: Annotated[Optional[str], typer.Option(help="Output folder (default reports/<study name>).")] = None,  # noqa: UP045
    model: Annotated[Optional[str], typer.Option(help="Normal-return model (overrides the study file).")] = None,  # noqa: UP045
    tests: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Comma-separated tests, e.g. csect_t,kp_bmp_t (overrides the study file)."),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Write report.pdf beside report.html.")] = True,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the HTML/PDF report (off: tables only).")
    ] = True,
    quick: Annotated[bool, typer.Option("--quick", help=QUICK_HELP)] = False,
    offline: Annotated[bool, typer.Option(help="Use the cache only; never fetch.")] = False,
    refresh: Annotated[
        bool, typer.Option(help="Prices from Yahoo through the cache (fetching what it lacks), not the study's source.")
    ] = False,
    min_usable: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Stop without writing outputs when fewer than this share of firm-events is usable "
            "(default 0: only when none is).",
        ),
    ] = 0.0,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Run a study: read or fetch prices, map day 0, estimate, test, and write the tables and the report.

    Progress goes to stderr: a live display on a terminal, one line per stage with its duration otherwise.
    A run where no firm-event is usable (or fewer than --min-usable) stops with one line and writes nothing.
    Every run saves its results in DIR/results (Parquet and settings.json), which eventstudy report DIR reads.
    """
    from .output import OutputFolder
    from .paths import inside, resolve_output
    from .progress import Stages
    from .study import EventStudy

    t0 = time.perf_counter()
    with _errors(debug):
        test_list = tuple(t.strip() for t in tests.split(",") if t.strip()) if tests is not None else None
        spec = _spec(
            study,
            events=events,
            universe=universe,
            prices_dir=prices_dir,
            offline=offline or None,
            source="yahoo" if refresh else None,
            model=model,
            tests=test_list or None,
            placebo_draws=0 if quick else None,
        )
        if quick and not test_list:  # the claims' test and the cross-sectional t: a second or two, not all of them
            spec = spec.with_options(tests=tuple(dict.fromkeys([spec.primary_test, "csect_t"])))
        report = report and not quick
        # the output folder, resolved once; the study's name is one safe file name inside spec.out
        out_dir = resolve_output(out) if out is not None else inside(resolve_output(spec.out, where="out"), spec.name)
        with Stages(sys.stderr, live=sys.stderr.isatty()) as stage, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            results = EventStudy.from_spec(spec).fit(progress=stage, analyse=not quick)
            stage("checking what is usable")
            _check_usable(results, min_usable)
            with OutputFolder(out_dir) as folder:
                written = _write(results, folder.path, spec.title, report=report, pdf=pdf, stage=stage)
                folder.commit()
        paths = [out_dir / p.name for p in written]
        shown = [p for p in paths if p.suffix in (".html", ".pdf") and p.name.startswith("report")]
        if shown:
            typer.echo("report: " + ", ".join(str(p) for p in shown))
        notices = [_one_line(w.message) for w in caught if issubclass(w.category, DataWarning)]
        _print_summary(results, paths, out_dir, time.perf_counter() - t0, notices)


def _check_usable(results, min_share: float) -> None:
    """Stop with one line when no firm-event (or fewer than ``min_share`` of them) can be used."""
    counts = results.outcome_counts()
    total = int(counts.sum())
    usable = int(counts.get("ok", 0)) + int(counts.get("missing_event_window", 0))
    if total and usable and usable / total >= min_share:
        return
    worst = counts.drop(["ok", "missing_event_window"], errors="ignore")
    main = str(worst.idxmax()) if total and worst.max() > 0 else "no firm-events"
    why = f"{main} {int(worst.max())}" if total else "the study has no firm-events"
    notes = results.data_notes
    fix = "check the events' dates against the prices' span"
    if main == "no_data" and "failure" in notes.columns:
        failed = notes["failure"].fillna("").astype(str)
        failed = failed[failed != ""]
        if len(failed):
            common = failed.value_counts().index[0]
            why += f"; {len(failed)} of {len(notes)} tickers have no prices (e.g. {_one_line(common)[:160]})"
            fix = "use the shipped snapshot (source = snapshot), --prices-dir DIR, or fill the cache (eventstudy fetch)"
    share = f"{usable} of {total}" if total else "0"
    need = (
        "no firm-event is usable" if not usable else f"only {share} firm-events are usable (--min-usable {min_share})"
    )
    if not usable:
        need += f" ({share})"
    typer.echo(f"error: {need}: {why}; no outputs written; fix: {fix}", err=True)
    raise typer.Exit(EXIT_DATAERR)


def _write(
    results,
    out_dir: Path,
    title: str,
    *,
    report: bool = True,
    pdf: bool = True,
    stage=None,
) -> list[Path]:
    from .report.summary import render_summary
    from .report.tables import write_tables

    stage = stage or (lambda msg: None)
    stage("writing the tables")
    paths = write_tables(results, out_dir)
    stage("saving the results for eventstudy report")
    paths.append(_save(results, out_dir / RESULTS_DIR, title))
    paths.append(render_summary(results, out_dir / "summary.html", title=title, files=[p.name for p in paths]))
    if report:
        from .report.html import render_report

        stage("writing the report (robustness, figures, HTML" + (", PDF)" if pdf else ")"))
        paths += render_report(results, out_dir, title=title, files=[p.name for p in paths], pdf=pdf)
    return paths


def _save(results, folder: Path, title: str) -> Path:
    """``results.save(folder)`` with the report's title in its settings, so ``eventstudy report`` renders the same
    report."""
    import dataclasses

    settings = {**dict(results.settings), "title": title}
    return dataclasses.replace(results, settings=settings).save(folder, csv=False)  # the CSVs are in the outputs


@app.command(
    "report",
    epilog="Examples:  eventstudy report reports/my_study  |  eventstudy report reports/my_study --no-pdf  "
    "|  eventstudy report reports/my_study --out /tmp/again",
)
def report_command(
    directory: Annotated[
        Path, typer.Argument(help="A run's output folder (its results/ folder is read), or a folder of res.save().")
    ],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Write the report here (default: DIR itself, replacing its report)."),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Write report.pdf beside report.html.")] = True,
    title: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="The report's title (default: the title the run saved)."),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Render the report again (report.html, report.pdf, figures and the report's tables) from the results a run
    saved in DIR/results, or from a folder written by res.save(). Nothing is fitted or computed again: the report
    shows the analyses the saved results hold."""
    from .report.html import render_report
    from .results import EventStudyResults

    t0 = time.perf_counter()
    with _errors(debug):
        saved = directory / RESULTS_DIR if (directory / RESULTS_DIR / "settings.json").is_file() else directory
        results = EventStudyResults.load(saved)
        target = out if out is not None else directory
        shown_title = title or str(results.settings.get("title") or "Event study report")
        files = sorted(p.name for p in directory.glob("*.csv"))
        written = render_report(results, target, title=shown_title, files=files, pdf=pdf)
        reports = [p for p in written if p.name in ("report.html", "report.pdf")]
        typer.echo("report: " + ", ".join(str(p) for p in reports))
        typer.echo(
            f"wrote {len(written)} files to {target} from the results in {saved} in {time.perf_counter() - t0:.1f} s"
        )


def _print_summary(results, paths: list[Path], out_dir: Path, seconds: float, notices: list[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from .report.summary import headline_columns, headline_rows

    con = Console(width=120)
    head = results.settings.get("headline_event")
    title = "CAAR by group (no headline event), in per cent"
    if head:
        title = f"Headline event {head}: CAAR by group, in per cent"
    table = Table(title=title)
    columns = headline_columns(results)
    for key, col in columns.items():
        table.add_column(col, justify="left" if key in ("group", "window") else "right")
    for r in headline_rows(results):
        table.add_row(*(r[k] for k in columns))
    con.print(table)
    counts = results.outcome_counts()
    total = int(counts.sum())
    excluded = total - int(counts["ok"])
    con.print(
        f"{total} firm-events: {int(counts['ok'])} ok, {excluded} not fully used — "
        + ", ".join(f"{k} {int(v)}" for k, v in counts.items() if k != "ok" and v)
    )
    for line in _notices(results, notices or []):
        con.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    con.print(f"wrote {len(paths)} files to {out_dir} in {seconds:.1f} s")


def _notices(results, notices: list[str]) -> list[str]:
    """The run's warnings, each once; tickers without prices in one summary line when there are more than three
    (each ticker's reason is in data_notes.csv)."""
    notices = list(dict.fromkeys(notices))
    failures = results.data_notes
    if "failure" in failures.columns:
        bad = failures[failures["failure"].fillna("").astype(str) != ""]
        for r in bad.itertuples():
            if not any(n.startswith(f"{r.ticker}: no prices") for n in notices):
                why = _one_line(r.failure)
                notices.append(f"{r.ticker}: no prices ({why}); its firm-events get the outcome no_data")
    no_prices = [n for n in notices if ": no prices (" in n]
    if len(no_prices) <= 3:
        return notices
    tickers = [n.split(":", 1)[0] for n in no_prices]
    reasons = [n.split(": no prices (", 1)[1].rsplit("); its firm-events", 1)[0] for n in no_prices]
    common = max(set(reasons), key=reasons.count)
    shown = ", ".join(tickers[:8]) + (", …" if len(tickers) > 8 else "")
    line = (
        f"{len(tickers)} tickers without prices ({shown}), e.g. {common[:160]}; their firm-events get the outcome "
        "no_data; each reason is in data_notes.csv"
    )
    return [n for n in notices if n not in no_prices] + [line]


@app.command(epilog="Examples:  eventstudy init my_study  |  eventstudy init . --force")
def init(
    directory: Annotated[Path, typer.Argument(help="The new study's folder (created if missing).")],
    force: Annotated[bool, typer.Option(help="Overwrite the files if they exist.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Scaffold a new study: study.toml, events.csv and universe.csv templates with comments, and a README."""
    from .scaffold import write_scaffold

    with _errors(debug):
        for path in write_scaffold(directory, force=force):
            typer.echo(f"wrote {path}")
        typer.echo(f"next: edit the files, then eventstudy validate {directory / 'study.toml'}")


@app.command(
    epilog="Examples:  eventstudy validate  |  eventstudy validate my/study.toml --prices-dir prices/  |  "
    "eventstudy validate --no-prices"
)
def validate(
    study: Annotated[Path, STUDY_ARG] = Path("study.toml"),
    prices_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--prices-dir", envvar="EVENTSTUDY_PRICES_DIR", help="Folder of price files to check against."),
    ] = None,
    prices: Annotated[
        bool,
        typer.Option(
            "--prices/--no-prices",
            help="Check the coverage of the prices at hand (the snapshot, --prices-dir, or the cache; never the "
            "network).",
        ),
    ] = True,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Check a study without fitting it: the study file, the events and the universe; with prices at hand, the
    coverage per ticker and per event (enough estimation days, a complete event window).

    Exits 0 when the study can run, 2 with one line naming the problem otherwise.
    """
    from .study import EventStudy

    with _errors(debug):
        spec = _spec(study, prices_dir=prices_dir)
        built = EventStudy.from_spec(spec, prices=_local_prices(spec) if prices else _NoPrices())
        typer.echo(
            f"{study}: valid; {len(built.events)} events, {len(built.securities())} securities in "
            f"{len(built.groups)} groups, model {spec.model}, {len(built.tests)} tests"
        )
        if not prices:
            return
        if isinstance(built.source, _NoPrices):
            typer.echo(
                "prices: none at hand (the study's source is Yahoo and the cache is empty); run eventstudy fetch"
            )
            return
        from .coverage import coverage

        per_ticker, per_event = coverage(built)
        short = per_ticker[per_ticker["status"] != "ok"]
        typer.echo(
            f"prices ({getattr(built.source, 'name', 'source')}): {len(per_ticker) - len(short)} of {len(per_ticker)} "
            f"tickers cover the study's span"
        )
        for r in short.itertuples():
            typer.echo(f"warning: {r.ticker}: {r.status}", err=False)
        for r in per_event.itertuples():
            typer.echo(f"  {r.event_id}: {r.usable} of {r.firm_events} firm-events with enough prices")


class _NoPrices:
    """A stand-in source for validating without prices (never fetched from)."""

    name = "none"

    def fetch(self, tickers, start=None, end=None):  # pragma: no cover - never called by validate
        raise AssertionError("validate never fetches")


def _local_prices(spec):
    """The prices the study would read without the network, or a stand-in when there are none."""
    import os

    from .config import PRICES_DIR_ENV

    if spec.prices_dir is not None or os.environ.get(PRICES_DIR_ENV) or spec.source != "yahoo":
        return None  # the study's own choice: a folder or the snapshot
    from .data.cache import PriceCache

    if spec.cache is None or not Path(spec.cache).exists() or not len(PriceCache(spec.cache).coverage()):
        return _NoPrices()
    return _CacheOnly(PriceCache(spec.cache))


class _CacheOnly:
    """The cache's prices as a source (offline)."""

    name = "cache"

    def __init__(self, cache) -> None:
        self.cache = cache

    def fetch(self, tickers, start=None, end=None):
        from .data.cache import load_prices
        from .data.sources import get_source

        return load_prices(
            tickers, start, end, source=get_source("frame", _empty_frame()), cache=self.cache, offline=True
        )


def _empty_frame():
    import pandas as pd

    return pd.DataFrame(
        {"ticker": pd.Series([], dtype=str), "date": pd.Series([], dtype="datetime64[ns]"), "close": []}
    )


@app.command(epilog="Examples:  eventstudy fetch  |  eventstudy fetch my/study.toml --start 2020-01-01")
def fetch(
    study: Annotated[Path, STUDY_ARG] = Path("study.toml"),
    start: Annotated[Optional[str], typer.Option(help="First date (default: what the study needs).")] = None,  # noqa: UP045
    end: Annotated[Optional[str], typer.Option(help="Last date (default: what the study needs).")] = None,  # noqa: UP045
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Fill the study's price cache from Yahoo Finance: every ticker of the universe over the span the study needs
    (only what the cache lacks is downloaded). Without a network it stops in seconds with one line."""
    from .data.cache import PriceCache, load_prices
    from .data.sources import get_source
    from .study import EventStudy

    with _errors(debug):
        spec = _spec(study)
        if spec.cache is None:
            raise _config_error(f'{study}:data.cache: no cache configured; fix: set cache = ".eventstudy/cache.duckdb"')
        built = EventStudy.from_spec(spec, prices=_NoPrices())
        s, e = built._span()
        tickers = _tickers_of(built)
        result = load_prices(
            tickers,
            start or s.date(),
            end or e.date(),
            source=get_source("yahoo", progress=sys.stderr.isatty()),
            cache=PriceCache(spec.cache),
        )
        got = result.prices.groupby("ticker").size() if len(result.prices) else []
        typer.echo(f"cache {spec.cache}: {len(got)} of {len(tickers)} tickers, {len(result.prices)} rows")
        if result.failures:
            first = next(iter(result.failures.items()))
            typer.echo(
                f"warning: {len(result.failures)} tickers without prices, e.g. {first[0]}: {_one_line(first[1])[:160]}"
            )


def _tickers_of(built) -> list[str]:
    secs = built.securities()
    extra = [built.world_ticker] if getattr(built, "world_ticker", None) else []
    return list(dict.fromkeys([*secs["ticker"], *secs["benchmark"].dropna(), *extra]))


def _config_error(message: str) -> EventStudyError:
    from .errors import ConfigError

    return ConfigError(message)


@app.command(
    "export-parquet",
    epilog="Examples:  eventstudy export-parquet /shared/prices.parquet  |  "
    "eventstudy export-parquet out/ --prices-dir prices/",
)
def export_parquet(
    directory: Annotated[Path, typer.Argument(help="The dataset's folder (ticker=<T>/ partitions).")],
    study: Annotated[Path, typer.Option(help="The study file whose prices are exported.")] = Path("study.toml"),
    prices_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--prices-dir", help="Export this folder of price files instead of the study's prices."),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write the Parquet dataset (partitioned by ticker) that the Dask backend reads: from a prices folder, the
    study's snapshot, or its cache. An empty source is refused."""
    from .data.cache import PriceCache, write_parquet_partitions
    from .data.sources import FileSource

    with _errors(debug):
        if prices_dir is not None:
            source = FileSource(prices_dir)
            tickers = sorted(p.name[: -len(".csv")] for p in Path(prices_dir).glob("*.csv") if p.name != "MANIFEST.csv")
            prices = source.fetch(tickers).prices if tickers else None
            what = str(prices_dir)
        else:
            spec = _spec(study)
            if spec.source == "snapshot":
                from .data.snapshot import SnapshotSource

                snap = SnapshotSource(spec.snapshot)
                prices = snap.frame()[["ticker", "date", "open", "high", "low", "close", "volume"]]
                what = str(spec.snapshot)
            else:
                if spec.cache is None or not Path(spec.cache).exists():
                    raise _config_error(
                        f"{spec.cache}: no cache to export; fix: run eventstudy fetch first, or pass --prices-dir DIR"
                    )
                cache = PriceCache(spec.cache)
                rows = int(cache.coverage()["rows"].sum()) if len(cache.coverage()) else 0
                if not rows:
                    raise _config_error(
                        f"{spec.cache}: the cache is empty; nothing to export; fix: run eventstudy fetch first, "
                        "or pass --prices-dir DIR"
                    )
                cache.export_parquet(directory)
                typer.echo(f"wrote {directory} from the cache {spec.cache} ({rows} rows)")
                return
        if prices is None or prices.empty:
            raise _config_error(
                f"{what}: no prices to export; fix: point --prices-dir at a folder of <TICKER>.csv files"
            )
        write_parquet_partitions(prices, directory)
        typer.echo(f"wrote {directory} from {what} ({prices['ticker'].nunique()} tickers, {len(prices)} rows)")


@cache_app.command("info", epilog="Examples:  eventstudy cache info  |  eventstudy cache info my/study.toml")
def cache_info(
    study: Annotated[Path, typer.Argument(help="The study file whose cache is listed.")] = Path("study.toml"),
    cache: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="The cache file (default: the study file's [data] cache)."),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """List what the price cache holds: per ticker its span, rows, source and fetch time."""
    with _errors(debug):
        if cache is None:
            if study.exists():
                cache = _spec(study).cache
            if cache is None:
                cache = Path(".eventstudy/cache.duckdb")
        _cache_info(cache)


def _cache_info(cache: Path) -> None:
    from .data.cache import SCHEMA_VERSION, PriceCache

    if not cache.exists():
        typer.echo(f"no cache at {cache}")
        return
    cov = PriceCache(cache).coverage()
    typer.echo(f"cache {cache} (schema version {SCHEMA_VERSION}): {len(cov)} tickers, {int(cov['rows'].sum())} rows")
    if not len(cov):
        typer.echo("the cache is empty")
        return
    shown = cov.assign(
        first_date=cov["first_date"].dt.strftime("%Y-%m-%d"),
        last_date=cov["last_date"].dt.strftime("%Y-%m-%d"),
        fetched_at=cov["fetched_at"].dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    typer.echo(shown.to_string(index=False))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
