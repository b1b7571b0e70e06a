"""The commands besides ``run``: --version, init, validate, fetch, export-parquet and cache info."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_cli import STUDY, one_error_line, run, study_dir  # noqa: F401  (fixture)

import eventstudy
from eventstudy.data import network
from eventstudy.data.cache import PriceCache, read_parquet_partitions
from eventstudy.data.network import NO_NETWORK, NoNetworkError


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"eventstudy {eventstudy.__version__}"


@pytest.mark.parametrize("command", ["run", "init", "validate", "fetch", "export-parquet", "cache info"])
def test_help_has_examples(command: str) -> None:
    result = run(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output and "eventstudy " in result.output


def test_init_scaffolds_a_study_that_validates(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "new"))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert names == ["README.md", "events.csv", "study.toml", "universe.csv"]
    assert (tmp_path / "new" / "study.toml").read_text().count("#") > 10  # commented
    checked = run("validate", str(tmp_path / "new" / "study.toml"))
    assert checked.exit_code == 0, checked.output
    assert "valid; 1 events, 1 securities in 1 groups" in checked.stdout
    assert "prices: none at hand" in checked.stdout
    again = one_error_line(run("init", str(tmp_path / "new")))
    assert "already exists" in again and "--force" in again


def test_validate_reports_coverage_with_prices_at_hand(study_dir: Path) -> None:  # noqa: F811
    result = run("validate", "study.toml", "--prices-dir", "prices")
    assert result.exit_code == 0, result.output
    assert "prices (files): 3 of 3 tickers cover the study's span" in result.stdout
    assert "firm-events with enough prices" in result.stdout


def test_validate_names_a_bad_study_in_one_line(study_dir: Path) -> None:  # noqa: F811
    (study_dir / "study.toml").write_text(STUDY + 'modle = "market"\n')
    line = one_error_line(run("validate", "study.toml"))
    assert "unknown key 'modle'" in line


def test_fetch_without_network_is_one_line(study_dir: Path, monkeypatch) -> None:  # noqa: F811
    def unreachable(*args, **kwargs) -> None:
        raise NoNetworkError(f"{NO_NETWORK} (test)")

    monkeypatch.setattr(network, "probe", unreachable)
    line = one_error_line(run("fetch", "study.toml"))
    assert line.startswith(f"error: {NO_NETWORK}")


def test_export_parquet_refuses_an_empty_cache(study_dir: Path) -> None:  # noqa: F811
    (study_dir / "study.toml").write_text(STUDY + '\n[data]\nsource = "yahoo"\ncache = "cache.duckdb"\n')
    line = one_error_line(run("export-parquet", "dataset"))
    assert "no cache to export" in line
    PriceCache(study_dir / "cache.duckdb")  # created, empty
    line = one_error_line(run("export-parquet", "dataset"))
    assert "the cache is empty" in line and "eventstudy fetch" in line
    assert not any((study_dir / "dataset").glob("ticker=*"))


def test_export_parquet_from_a_prices_folder(study_dir: Path) -> None:  # noqa: F811
    result = run("export-parquet", "dataset", "--prices-dir", "prices")
    assert result.exit_code == 0, result.output
    back = read_parquet_partitions(study_dir / "dataset", ["AAA", "SPY"])
    first = pd.read_csv(study_dir / "prices" / "AAA.csv")
    assert len(back[back["ticker"] == "AAA"]) == len(first)
    assert back.loc[back["ticker"] == "AAA", "close"].iloc[0] == pytest.approx(first["close"].iloc[0], rel=1e-15)
    (study_dir / "empty").mkdir()
    line = one_error_line(run("export-parquet", "dataset2", "--prices-dir", "empty"))
    assert "no prices to export" in line


def test_cache_info_reads_the_study_files_cache(study_dir: Path) -> None:  # noqa: F811
    (study_dir / "study.toml").write_text(STUDY + '\n[data]\nsource = "yahoo"\ncache = "sub/my.duckdb"\n')
    result = run("cache", "info", "study.toml")
    assert result.exit_code == 0
    assert f"no cache at {study_dir / 'sub' / 'my.duckdb'}" in result.stdout
