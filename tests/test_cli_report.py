"""``eventstudy run --quick``, ``eventstudy run --no-pdf`` and ``eventstudy report DIR`` on the study's snapshot:
through typer's runner and as a real process (stdout piped, as in a log)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from eventstudy.cli import QUICK_HELP, RESULTS_DIR, app
from eventstudy.results import EventStudyResults

REPO = Path(__file__).resolve().parents[1]
TABLES = [
    "firm_events.csv",
    "ar.csv",
    "tests.csv",
    "caar.csv",
    "aar.csv",
    "day0.csv",
    "outcomes.csv",
    "outcome_summary.csv",
    "data_notes.csv",
    "settings.json",
    "summary.html",
]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"EVENTSTUDY_PRICES_DIR": None})


def command(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """The command as a user runs it, in its own process, with stdout and stderr piped."""
    env = {k: v for k, v in os.environ.items() if k != "EVENTSTUDY_PRICES_DIR"}
    code = "from eventstudy.cli import app; app(prog_name='eventstudy')"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


def _sentences(html: str) -> list[str]:
    return [unescape(s) for s in re.findall(r'<p class="sentence">(.*?)</p>', html, flags=re.S)]


def _help_text(output: str) -> str:
    """The help as running text: the box of rich's layout removed, lines joined."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def test_help_of_run_says_what_quick_skips() -> None:
    result = invoke("run", "--help")
    assert result.exit_code == 0
    text = _help_text(result.output)
    assert "--quick" in text and "eventstudy run --quick" in text
    for skipped in ("MVRM", "cross-sectional regressions", "robustness", "placebo", "figures, HTML or PDF"):
        assert skipped in QUICK_HELP and skipped in text


def test_help_of_report_has_examples() -> None:
    result = invoke("report", "--help")
    assert result.exit_code == 0
    text = _help_text(result.output)
    assert "Examples:" in text and "eventstudy report reports/" in text
    assert "--no-pdf" in text and "res.save()" in text


@pytest.fixture(scope="module")
def quick_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess, float]:
    out = tmp_path_factory.mktemp("quick") / "out"
    t0 = time.perf_counter()
    proc = command("run", "study.toml", "--quick", "--out", str(out))
    return out, proc, time.perf_counter() - t0


def test_quick_writes_the_tables_and_the_saved_results_only(quick_dir) -> None:
    out, proc, _ = quick_dir
    assert proc.returncode == 0, proc.stderr
    for name in TABLES:
        assert (out / name).is_file(), name
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()
    assert not (out / "figures").exists()
    assert not (out / "mvrm.csv").exists() and not (out / "regressions.csv").exists()  # the analyse stage is skipped
    assert (out / RESULTS_DIR / "settings.json").is_file()
    # the saved results are the Parquet tables (the CSV tables are the outputs beside them)
    assert (out / RESULTS_DIR / "caar.parquet").is_file() and (out / RESULTS_DIR / "analysis_claims.parquet").is_file()
    assert not list((out / RESULTS_DIR).glob("*.csv"))
    # the same numbers as a full run's: CAAR and tests do not depend on the analyse stage
    caar = pd.read_csv(out / "caar.csv")
    assert len(caar) > 100 and caar["caar"].notna().any()
    assert "report: " not in proc.stdout
    assert "Headline event" in proc.stdout and "in per cent" in proc.stdout


def test_quick_skips_the_slow_stages(quick_dir) -> None:
    out, proc, seconds = quick_dir
    assert proc.returncode == 0
    stages = proc.stderr
    assert "running 2 tests per event" in stages
    assert "analysis:" not in stages and "writing the report" not in stages
    tests = pd.read_csv(out / "tests.csv")
    assert set(tests["test"]) == {"kp_bmp_t", "csect_t"}
    claims = pd.read_parquet(out / RESULTS_DIR / "analysis_claims.parquet")
    assert claims["placebo_pvalue"].isna().all() and claims["pvalue"].notna().any()
    # a few CPU seconds; generous for a loaded shared machine
    assert seconds < 120, seconds


def test_quick_results_match_a_full_fit(quick_dir, real_results) -> None:
    out, _, _ = quick_dir
    saved = EventStudyResults.load(out / RESULTS_DIR)
    key = ["event_id", "group", "window"]
    a = saved.caar_table.sort_values(key).reset_index(drop=True)
    b = real_results.caar_table.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[[*key, "nobs"]], b[[*key, "nobs"]])
    assert (a["caar"] - b["caar"]).abs().max() < 1e-12


def test_report_dir_renders_the_saved_results_again(run_dir: Path, tmp_path: Path) -> None:
    """The main job saved its results; ``eventstudy report`` renders the same page 1 from them, without fitting."""
    assert (run_dir / RESULTS_DIR / "settings.json").is_file()
    again = tmp_path / "again"
    proc = command("report", str(run_dir), "--out", str(again), "--no-pdf", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"report: {again / 'report.html'}")
    assert "estimating" not in proc.stderr and "loading" not in proc.stderr
    assert not (again / "report.pdf").exists()
    first = (run_dir / "report.html").read_text(encoding="utf-8")
    second = (again / "report.html").read_text(encoding="utf-8")
    assert len(_sentences(first)) == 3
    assert _sentences(second) == _sentences(first)
    for name in ("answer_caar", "headline_grid", "timeline", "heatmap"):
        assert (again / "figures" / f"{name}.png").is_file(), name
    # the saved analyses are shown: the robustness table and the robust bands' caption
    assert 'id="t-robustness' in second
    assert "Kolari–Pynnönen adjusted BMP test" in second


def test_report_dir_through_the_runner(run_dir: Path, tmp_path: Path) -> None:
    result = invoke("report", str(run_dir / RESULTS_DIR), "--out", str(tmp_path), "--no-pdf", "--title", "Again")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>Again</title>" in html


def test_report_of_a_folder_without_results_is_one_line(tmp_path: Path) -> None:
    result = invoke("report", str(tmp_path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "settings.json" in lines[0]
    assert "fix:" in lines[0]


def test_the_report_shows_the_methods_page(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    methods = html.split('id="appendix_methods"')[1]
    page = (REPO / "docs" / "methods.md").read_text(encoding="utf-8")
    # a sentence of docs/methods.md, as written there, in the report's methods appendix
    sentence = "Sessions and closing times come from `exchange_calendars`, so each exchange"
    assert sentence in " ".join(page.split())
    shown = " ".join(unescape(re.sub(r"<[^>]+>", "", methods)).split())
    assert "Sessions and closing times come from exchange_calendars, so each exchange" in shown
    assert "<h3>1. Day 0 and event time</h3>" in methods


@pytest.mark.slow
def test_no_pdf_writes_everything_but_the_pdf(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "nopdf"
    proc = command("run", "study.toml", "--no-pdf", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert not (out / "report.pdf").exists()
    assert (run_dir / "report.pdf").is_file()

    def files(folder: Path) -> set[str]:
        return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}

    assert files(out) == files(run_dir) - {"report.pdf"}
    assert "report.pdf" not in proc.stdout and f"report: {out / 'report.html'}" in proc.stdout
