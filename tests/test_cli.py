"""The ``eventstudy`` command on a small synthetic study: one-line errors with exit code 2, ``--debug``,
warnings in the run summary, ``--offline`` and ``cache info``."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from test_reliability import events_frame, synthetic_prices, universe_frame
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.data.cache import PriceCache
from eventstudy.data.sources import YahooSource

STUDY = """\
[study]
name = "mini"
title = "Mini study"
groups = ["miners"]
model = "market"
estimation_window = [-120, -11]
event_window = [-5, 5]
car_windows = [[0, 0], [-1, 1]]
min_estimation = 50
tests = ["csect_t", "patell_z"]
"""


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    events_frame().to_csv(tmp_path / "events.csv", index=False)
    universe_frame().to_csv(tmp_path / "universe.csv", index=False)
    (tmp_path / "study.toml").write_text(STUDY)
    prices = tmp_path / "prices"
    prices.mkdir()
    wide = synthetic_prices()
    for t in wide.columns:
        wide[[t]].rename(columns={t: "close"}).to_csv(prices / f"{t}.csv")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, list(args))


PROGRESS_LINE = re.compile(r".+ \(\d+\.\d s\)|.+: still running \(\d+ s\)")
"""A line of the progress a run prints on stderr without a terminal."""


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    # the stage lines a run prints before it fails are progress, not part of the error
    lines = [line for line in result.stderr.strip().splitlines() if not PROGRESS_LINE.fullmatch(line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    return lines[0]


def test_run_writes_outputs_and_summary(study_dir: Path) -> None:
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "4 firm-events: 4 ok" in result.stdout
    # without a terminal: one plain line per stage with its duration (and "still running" during a long one)
    lines = result.stderr.strip().splitlines()
    stages = [line for line in lines if not re.fullmatch(r".+: still running \(\d+ s\)", line)]
    assert all(re.fullmatch(r".+ \(\d+\.\d s\)", line) for line in stages), result.stderr
    assert stages[0].startswith("loading prices for 3 tickers") and stages[-1].startswith("writing the report")
    counts = pd.read_csv(study_dir / "out" / "outcome_summary.csv").set_index("status")["firm_events"]
    assert counts["ok"] == 4 and counts.sum() == 4


@pytest.mark.parametrize(
    ("setup", "parts"),
    [
        pytest.param(
            lambda d: (d / "study.toml").write_text(STUDY + 'modle = "market"\n'),
            ["study.toml:study.modle: unknown key 'modle'", "did you mean 'model'?"],
            id="cli-unknown-key",
        ),
        pytest.param(
            lambda d: (d / "study.toml").write_text(STUDY.replace('model = "market"', 'model = "markte"')),
            ["model: unknown model 'markte'", "valid models are: constant_mean"],
            id="cli-unknown-model",
        ),
        pytest.param(
            lambda d: (d / "study.toml").write_text(STUDY.replace('"patell_z"', '"patel_z"')),
            ["tests: unknown test 'patel_z'", "did you mean 'patell_z'?", "valid tests are:"],
            id="cli-unknown-test",
        ),
        pytest.param(
            lambda d: (d / "study.toml").write_text(STUDY.replace("[-5, 5]", "[5, -5]")),
            ["study.toml:event_window: start > end (got [5, -5])"],
            id="cli-window-start-after-end",
        ),
        pytest.param(
            lambda d: events_frame(timezone="Europe/Londn").to_csv(d / "events.csv", index=False),
            ["events.csv:2:timezone: unknown IANA time zone (got 'Europe/Londn')", "did you mean 'Europe/London'?"],
            id="cli-events-zone",
        ),
        pytest.param(
            lambda d: (
                universe_frame().assign(exchange=["XNYS", "XXXX", "XNYS"]).to_csv(d / "universe.csv", index=False)
            ),
            ["universe.csv:3:exchange: unknown exchange of BBB (got 'XXXX')", "fix: use a MIC code"],
            id="cli-universe-mic",
        ),
        pytest.param(
            lambda d: (d / "prices" / "BBB.csv").write_text("date,close\n2024-07-01,10\n2024-07-02,abc\n"),
            ["BBB.csv:3:close: not a number (got 'abc')", "fix: write a plain number"],
            id="cli-price-file",
        ),
        pytest.param(
            lambda d: events_frame(source_url="javascript:alert(1)").to_csv(d / "events.csv", index=False),
            ["events.csv:2:source_url: the source URL is not an http(s) address (got 'javascript:alert(1)')"],
            id="cli-javascript-url",
        ),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(study_dir: Path, setup, parts: list[str]) -> None:
    setup(study_dir)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    for part in parts:
        assert part in line
    assert "fix" in line or "valid" in line
    assert not (study_dir / "out").exists()


def test_debug_shows_the_traceback(study_dir: Path) -> None:
    (study_dir / "study.toml").write_text(STUDY + "min_estimaton = 3\n")
    result = run("run", "study.toml", "--prices-dir", "prices", "--debug")
    assert result.exit_code != 0
    from eventstudy.errors import ConfigError

    assert isinstance(result.exception, ConfigError)
    assert "did you mean 'min_estimation'?" in str(result.exception)


def test_warnings_and_missing_tickers_are_printed_in_the_summary(study_dir: Path) -> None:
    (study_dir / "prices" / "BBB.csv").unlink()
    wide = synthetic_prices()
    wide.loc[wide.index >= "2024-09-16", "AAA"] *= 0.5  # an unadjusted 1:2 move
    wide[["AAA"]].rename(columns={"AAA": "close"}).to_csv(study_dir / "prices" / "AAA.csv")
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "warning: BBB: no prices (no price file BBB.csv or .parquet in prices)" in out.replace("\n", " ")
    assert re.search(r"warning: AAA: the close moved x0\.5\d* on 2024-09-16 outside every event window", out)
    assert "no_data 2" in out
    notes = pd.read_csv(study_dir / "out" / "data_notes.csv").set_index("ticker")
    assert notes.loc["BBB", "failure"].startswith("no price file BBB.csv")
    assert re.fullmatch(r"2024-09-16 x0\.5\d*", notes.loc["AAA", "suspect_splits"])


def _seed_cache(path: Path) -> PriceCache:
    cache = PriceCache(path)
    wide = synthetic_prices()
    long = wide.melt(ignore_index=False, var_name="ticker", value_name="close").reset_index()
    cache.write(long, source="yahoo", fetched_at=pd.Timestamp("2025-05-01 12:00:00"))
    return cache


def test_offline_uses_the_cache_only(study_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed_cache(study_dir / ".eventstudy" / "cache.duckdb")

    def no_network(self):
        raise AssertionError("--offline must not download")

    monkeypatch.setattr(YahooSource, "_downloader", no_network)
    result = run("run", "study.toml", "--offline", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "4 firm-events: 4 ok" in result.stdout
    settings = (study_dir / "out" / "settings.json").read_text()
    assert '"source": "yahoo"' in settings
    # a ticker the cache lacks is a no_data outcome, not a download
    events_frame().to_csv(study_dir / "events.csv", index=False)
    universe_frame().assign(ticker=["AAA", "CCC", "SPY"]).to_csv(study_dir / "universe.csv", index=False)
    result = run("run", "study.toml", "--offline", "--out", "out2")
    assert result.exit_code == 0, result.output
    assert "warning: CCC: no prices (not in the cache (offline))" in result.stdout


def test_cache_info_lists_span_rows_source_and_fetch_time(study_dir: Path) -> None:
    path = study_dir / "c.duckdb"
    _seed_cache(path)
    result = run("cache", "info", "--cache", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"cache {path} (schema version 1): 3 tickers, {3 * len(synthetic_prices())} rows"
    assert lines[1].split() == ["ticker", "first_date", "last_date", "rows", "source", "fetched_at"]
    n = len(synthetic_prices())
    assert lines[2].split() == ["AAA", "2024-01-02", "2025-04-30", str(n), "yahoo", "2025-05-01", "12:00:00", "UTC"]
    assert [ln.split()[0] for ln in lines[2:]] == ["AAA", "BBB", "SPY"]


def test_cache_info_without_a_cache_and_with_a_foreign_file(study_dir: Path) -> None:
    result = run("cache", "info", "--cache", "nothing.duckdb")
    assert result.exit_code == 0 and result.stdout.strip() == "no cache at nothing.duckdb"
    (study_dir / "junk.duckdb").write_text("not a database")
    line = one_error_line(run("cache", "info", "--cache", "junk.duckdb"))
    assert "junk.duckdb" in line and "fix:" in line
