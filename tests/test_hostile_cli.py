"""Hostile input, the command line: no traceback ever, a study file checked against its schema before anything runs.

Every case asserts the one ``error:`` line (key, value, fix), the exit code, that no output folder was created and
that nothing else on disk changed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_hostile_paths import STUDY, make_study_dir, one_error_line, run, snapshot

from eventstudy.config import REPORT_WINDOWS, read_study, window_label
from eventstudy.errors import ConfigError


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_study_dir(tmp_path, monkeypatch)


SCHEMA_CASES = [
    pytest.param(
        STUDY.replace('model = "market"', "model = 5"),
        ["study.toml:study.model: must be text in quotes (got 5)", 'fix: e.g. "market"'],
        id="model-a-number",
    ),
    pytest.param(
        STUDY.replace('name = "mini"', "name = 5"),
        ["study.toml:study.name: must be text in quotes (got 5)"],
        id="name-a-number",
    ),
    pytest.param(
        STUDY + '\n[data]\nstart = "abc"\n',
        ["study.toml:data.start: not a date (got 'abc')", "fix: write an ISO date"],
        id="start-not-a-date",
    ),
    pytest.param(
        STUDY + "\n[data]\nend = 2024-02-30\n",
        ["study.toml: not valid TOML"],
        id="end-impossible-date",
    ),
    pytest.param(
        STUDY + '\n[data]\nstart = "2025-03-01"\nend = "2025-01-01"\n',
        ["study.toml:data.end: end 2025-01-01 is before start 2025-03-01", "fix: swap"],
        id="end-before-start",
    ),
    pytest.param(
        STUDY.replace('groups = ["miners"]', "groups = []"),
        ["study.toml:study.groups: the list is empty", "fix: name at least one"],
        id="groups-empty",
    ),
    pytest.param(
        STUDY.replace('groups = ["miners"]', 'groups = ["miners", "miners"]'),
        ["study.toml:study.groups: 'miners' is listed twice"],
        id="groups-duplicated",
    ),
    pytest.param(
        STUDY.replace("car_windows = [[0, 0], [-1, 1]]", "car_windows = [[0, 0], [-1, 1], [0, 0]]"),
        ["study.toml:study.car_windows: the window [0, 0] is listed twice", "fix: list each window once"],
        id="car-window-duplicated",
    ),
    pytest.param(
        STUDY.replace("car_windows = [[0, 0], [-1, 1]]", "car_windows = []"),
        ["study.toml:car_windows: empty", "fix: give at least one window"],
        id="car-windows-empty",
    ),
    pytest.param(
        STUDY.replace("car_windows = [[0, 0], [-1, 1]]", "car_windows = [[0, 0], [true, 1]]"),
        ["study.toml:study.car_windows: must be a pair of whole numbers [start, end] (got [True, 1])"],
        id="car-window-boolean",
    ),
    pytest.param(
        STUDY.replace('title = "Mini study"', 'title = "  "'),
        ["study.toml:study.title: must not be empty"],
        id="title-empty",
    ),
    pytest.param(
        STUDY + 'thin_trading_share = "abc"\n',
        ["study.toml:study.thin_trading_share: must be a number between 0 and 1 (got 'abc')", "fix: use e.g. 0.2"],
        id="thin-trading-share-text",
    ),
    pytest.param(
        STUDY + "thin_trading_share = 1.5\n",
        ["study.toml:study.thin_trading_share: must lie in [0, 1] (got 1.5)"],
        id="thin-trading-share-range",
    ),
    pytest.param(
        STUDY.replace("min_estimation = 50", "min_estimation = 50.5"),
        ["study.toml:study.min_estimation: must be a whole number (got 50.5)"],
        id="min-estimation-float",
    ),
    pytest.param(
        STUDY.replace("min_estimation = 50", "min_estimation = 2"),
        ["study.toml:study.min_estimation: must be at least 3 (got 2)"],
        id="min-estimation-small",
    ),
    pytest.param(
        STUDY + 'return_kind = "pct"\n',
        ["study.toml:study.return_kind: must be 'simple' or 'log' (got 'pct')"],
        id="return-kind",
    ),
    pytest.param(
        STUDY + 'clean_estimation = "yes"\n',
        ["study.toml:study.clean_estimation: must be true or false (got 'yes')"],
        id="bool-as-text",
    ),
    pytest.param(
        "study = 5\n",
        ["study.toml:study: must be a section [study] of keys (got 5)"],
        id="section-not-a-table",
    ),
    pytest.param(
        STUDY.replace('tests = ["csect_t", "patell_z"]', 'tests = "csect_t, patell_z"'),
        ["tests: unknown test 'csect_t, patell_z'", "valid tests are"],
        id="tests-one-string",
    ),
    pytest.param(
        STUDY + 'events = ""\n',
        ["study.toml:study.events: the path is empty", 'events = "events.csv"'],
        id="events-path-empty",
    ),
    pytest.param(
        STUDY + 'world_index = "../x"\n',
        ["study.toml:study.world_index: not a valid ticker (", "got '../x'"],
        id="world-index-path",
    ),
]


@pytest.mark.parametrize(("text", "parts"), SCHEMA_CASES)
def test_study_file_schema(study_dir: Path, text: str, parts: list[str]) -> None:
    (study_dir / "study.toml").write_text(text)
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    for part in parts:
        assert part in line, line
    assert "fix" in line or "valid" in line
    assert snapshot(study_dir.parent) == before


def test_unknown_source_lists_the_valid_ones(study_dir: Path) -> None:
    (study_dir / "study.toml").write_text(STUDY + '\n[data]\nsource = "bloomberg"\n')
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--out", "out"))
    assert line.startswith("error: source: unknown price source 'bloomberg'") and "valid price sources are: " in line
    assert "yahoo" in line and "files" in line and "directory" not in line
    assert snapshot(study_dir.parent) == before


def test_files_source_without_a_folder_says_so(study_dir: Path) -> None:
    (study_dir / "study.toml").write_text(STUDY + '\n[data]\nsource = "files"\n')
    line = one_error_line(run("run", "study.toml", "--out", "out"))
    assert "source: the price source 'files' needs a folder of price files" in line and "prices_dir" in line


def test_end_before_every_event_names_end(study_dir: Path) -> None:
    (study_dir / "study.toml").write_text(STUDY + '\n[data]\nend = "2024-06-01"\n')
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line.startswith("error: end: end is before every event (the first, ev1, is on 2025-01-15)")
    assert "(got '2024-06-01')" in line and "fix: set end after" in line and "start" not in line.split(";")[0][5:11]
    assert snapshot(study_dir.parent) == before


def test_start_after_every_event_names_start(study_dir: Path) -> None:
    (study_dir / "study.toml").write_text(STUDY + "\n[data]\nstart = 2026-01-01\n")
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line.startswith("error: start: start is after every event (the last, ev2, is on 2025-03-05)")


def test_undecodable_study_file(study_dir: Path) -> None:
    (study_dir / "study.toml").write_bytes(STUDY.replace("Mini study", "Mini \xe9tude").encode("latin-1"))
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line.startswith("error: study.toml:3: the study file is not UTF-8 text") and "fix: save it as UTF-8" in line
    assert snapshot(study_dir.parent) == before


def test_utf16_study_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_bytes(STUDY.encode("utf-16"))  # with its byte-order mark, as Notepad saves
    spec = read_study(tmp_path / "study.toml")
    assert spec.name == "mini" and spec.title == "Mini study" and spec.car_windows == ((0, 0), (-1, 1))


def test_study_file_missing(study_dir: Path) -> None:
    line = one_error_line(run("run", "nope.toml", "--prices-dir", "prices", "--out", "out"))
    assert line == "error: nope.toml: study file not found; fix: pass the path of a study TOML file"
    assert not (study_dir / "out").exists()


def test_duplicated_window_through_the_api() -> None:
    from test_reliability import OPTIONS, events_frame, synthetic_prices, universe_frame

    from eventstudy.study import EventStudy

    with pytest.raises(ConfigError, match=r"the window \[0, 0\] is listed twice"):
        EventStudy(events_frame(), universe_frame(), synthetic_prices(), **{**OPTIONS, "car_windows": [(0, 0), (0, 0)]})


# ---------------------------------------------------------------------------------------------------------------
# Runs that used to crash half-way
# ---------------------------------------------------------------------------------------------------------------


def test_report_windows_are_computed_whatever_car_windows_says(study_dir: Path) -> None:
    (study_dir / "study.toml").write_text(STUDY.replace("car_windows = [[0, 0], [-1, 1]]", "car_windows = [[0, 2]]"))
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    fe = pd.read_csv(study_dir / "out" / "firm_events.csv")
    for w in [(0, 2), *REPORT_WINDOWS]:
        assert f"car_{window_label(w)}" in fe.columns
    assert fe["car_m1_1"].notna().all()
    assert (study_dir / "out" / "report.html").is_file() and (study_dir / "out" / "summary.html").is_file()
    assert "Traceback" not in result.output and "KeyError" not in result.output


def test_no_headline_event_is_said_in_words(study_dir: Path) -> None:
    from test_reliability import events_frame

    events_frame(headline="false").to_csv(study_dir / "events.csv", index=False)
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "Headline event None" not in result.output and "CAAR by group (no headline event)" in result.output


def test_unexpected_error_is_one_line_with_exit_70(study_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventstudy.study import EventStudy

    def boom(self, **kwargs):
        raise ZeroDivisionError("division by zero in a place nobody expected")

    monkeypatch.setattr(EventStudy, "fit", boom)
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"), code=70)
    assert line.startswith("error: unexpected error (ZeroDivisionError: division by zero in a place nobody expected)")
    assert "run again with --debug to see the details" in line
    assert snapshot(study_dir.parent) == before
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out", "--debug")
    assert isinstance(result.exception, ZeroDivisionError)


def test_memory_error_is_one_line(study_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventstudy.study import EventStudy

    def oom(self, **kwargs):
        raise MemoryError

    monkeypatch.setattr(EventStudy, "fit", oom)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"), code=70)
    assert line.startswith("error: the run ran out of memory; fix: study fewer events")


def test_unwritable_output_folder_is_one_line(study_dir: Path) -> None:
    import os

    locked = study_dir / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores the mode: nothing to test
            pytest.skip("the file system lets this user write anywhere")
        line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "locked/out"), code=2)
        assert "cannot create the folder" in line or "cannot read or write" in line
    finally:
        locked.chmod(0o700)


def test_cache_info_on_a_folder_is_one_line(study_dir: Path) -> None:
    (study_dir / "cachedir").mkdir()
    result = run("cache", "info", "--cache", "cachedir")
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
