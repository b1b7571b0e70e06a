"""The ``eventstudy`` command.

``eventstudy run [STUDY]`` runs a study file and writes its outputs; ``eventstudy cache info`` lists the price cache.
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


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="The study file (TOML).")] = Path("study.toml"),
    events: Annotated[Optional[Path], typer.Option(help="Events CSV (overrides the study file).")] = None,  # noqa: UP045
    universe: Annotated[Optional[Path], typer.Option(help="Universe CSV (overrides the study file).")] = None,  # noqa: UP045
    prices_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--prices-dir", envvar="EVENTSTUDY_PRICES_DIR", help="Folder of price files (offline use)."),
    ] = None,
    out: Annotated[Optional[str], typer.Option(help="Output folder (default reports/<study name>).")] = None,  # noqa: UP045
    offline: Annotated[bool, typer.Option(help="Use the cache only; never fetch.")] = False,
    refresh: Annotated[
        bool, typer.Option(help="Prices from Yahoo through the cache (fetching what it lacks), not the study's source.")
    ] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Run a study: fetch or read prices, map day 0, estimate, test, and write the outputs."""
    from rich.console import Console

    from .config import read_study
    from .output import OutputFolder
    from .paths import inside, resolve_output
    from .study import EventStudy

    err = Console(stderr=True)
    t0 = time.perf_counter()
    with _errors(debug):
        spec = read_study(study)
        spec = spec.with_options(
            events=events,
            universe=universe,
            prices_dir=prices_dir,
            offline=offline or None,
            source="yahoo" if refresh else None,
        )
        # the output folder, resolved once; the study's name is one safe file name inside spec.out
        out_dir = resolve_output(out) if out is not None else inside(resolve_output(spec.out, where="out"), spec.name)
        with err.status("starting", spinner="dots") as status, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)

            def progress(msg: str) -> None:
                if err.is_terminal:  # progress lines for a person watching; a pipe or a log gets only results
                    err.log(msg)
                status.update(msg)

            results = EventStudy.from_spec(spec).fit(progress=progress)
            status.update("writing outputs")
            with OutputFolder(out_dir) as folder:
                written = _write(results, folder.path, spec.title)
                folder.commit()
        paths = [out_dir / p.name for p in written]
        report = [p for p in paths if p.suffix in (".html", ".pdf") and p.name.startswith("report")]
        if report:
            typer.echo("report: " + ", ".join(str(p) for p in report))
        notices = [_one_line(w.message) for w in caught if issubclass(w.category, DataWarning)]
        _print_summary(results, paths, out_dir, time.perf_counter() - t0, notices)


def _write(results, out_dir: Path, title: str) -> list[Path]:
    from .report.summary import render_summary
    from .report.tables import write_tables

    paths = write_tables(results, out_dir)
    paths.append(render_summary(results, out_dir / "summary.html", title=title, files=[p.name for p in paths]))
    from .report.html import render_report

    report = render_report(results, out_dir, title=title, files=[p.name for p in paths])
    paths += report
    return paths


def _print_summary(results, paths: list[Path], out_dir: Path, seconds: float, notices: list[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from .report.summary import headline_rows

    con = Console(width=120)
    head = results.settings.get("headline_event")
    table = Table(title=f"Headline event {head}: CAAR by group" if head else "CAAR by group (no headline event)")
    for col in ("group", "window", "N", "CAAR", "95 % interval", "p KP-BMP", "p t"):
        table.add_column(col, justify="left" if col in ("group", "window") else "right")
    for r in headline_rows(results):
        table.add_row(r["group"], r["window"], r["nobs"], r["caar"], r["ci"], r["p_kp"], r["p_t"])
    con.print(table)
    counts = results.outcome_counts()
    total = int(counts.sum())
    excluded = total - int(counts["ok"])
    con.print(
        f"{total} firm-events: {int(counts['ok'])} ok, {excluded} not fully used — "
        + ", ".join(f"{k} {int(v)}" for k, v in counts.items() if k != "ok" and v)
    )
    notices = list(dict.fromkeys(notices or []))
    failures = results.data_notes
    if "failure" in failures.columns:
        bad = failures[failures["failure"].fillna("").astype(str) != ""]
        for r in bad.itertuples():
            if not any(n.startswith(f"{r.ticker}: no prices") for n in notices):
                why = _one_line(r.failure)
                notices.append(f"{r.ticker}: no prices ({why}); its firm-events get the outcome no_data")
    for line in notices:
        con.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    con.print(f"wrote {len(paths)} files to {out_dir} in {seconds:.1f} s")


@cache_app.command("info")
def cache_info(
    cache: Annotated[Path, typer.Option(help="The cache file.")] = Path(".eventstudy/cache.duckdb"),
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """List what the price cache holds: per ticker its span, rows, source and fetch time."""
    with _errors(debug):
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
    sys.exit(main())
