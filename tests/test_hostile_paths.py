"""Hostile input, containment: names never become paths outside their folders.

A study name, an event id or a ticker passes one sanitising function (:func:`eventstudy.paths.safe_name`) or a
strict pattern before it is part of a path; the output folder is resolved once; a file source opens only files
directly inside its folder. Each case asserts the message, the exit code, what exists on disk afterwards and that
nothing outside the output folder changed.

Also holds the small study on disk (:func:`study_dir`) and the tree snapshot the other ``test_hostile_*`` files use.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reliability import events_frame, synthetic_prices, universe_frame
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.data.sources import FileSource
from eventstudy.errors import ConfigError, EventsError, PriceDataError, UniverseError
from eventstudy.events import EventTable
from eventstudy.paths import ID_PATTERN, check_identifier, check_ticker, inside, resolve_output, safe_name
from eventstudy.universe import Universe

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


def write_study(root: Path, study: str = STUDY) -> Path:
    """A small study on disk in ``root/study``: study.toml, events.csv, universe.csv and prices/."""
    d = root / "study"
    (d / "prices").mkdir(parents=True)
    events_frame().to_csv(d / "events.csv", index=False)
    universe_frame().to_csv(d / "universe.csv", index=False)
    (d / "study.toml").write_text(study)
    wide = synthetic_prices()
    for t in wide.columns:
        wide[[t]].rename(columns={t: "close"}).to_csv(d / "prices" / f"{t}.csv")
    return d


def make_study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """:func:`write_study` in ``tmp_path``, made the working folder, with no price folder from the environment."""
    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    d = write_study(tmp_path)
    monkeypatch.chdir(d)
    return d


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_study_dir(tmp_path, monkeypatch)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def snapshot(root: Path, *, skip: Path | None = None) -> dict[str, str]:
    """Every file and folder under ``root`` (except ``skip`` and below): path → content hash ('dir' for folders)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames[:] = []
            continue
        out[str(here.relative_to(root))] = "dir"
        for f in filenames:
            p = here / f
            if skip is not None and p == skip:
                continue
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


PROGRESS_LINE = re.compile(r".+ \(\d+\.\d s\)|.+: still running \(\d+ s\)")
"""A line of the progress a run prints on stderr without a terminal."""


def one_error_line(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    # the stage lines a run prints before it fails are progress, not part of the error
    lines = [line for line in result.stderr.strip().splitlines() if not PROGRESS_LINE.fullmatch(line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    return lines[0]


# ---------------------------------------------------------------------------------------------------------------
# safe_name and the patterns, over hostile strings (Hypothesis)
# ---------------------------------------------------------------------------------------------------------------

HOSTILE_PIECES = st.sampled_from(
    ["..", "/", "\\", ".", "~", "C:", "\x00", "\n", "\r", "\t", "\u202e", " ", "=", "@", "+", "-", "a", "Z", "_", "0"]
)
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.lists(HOSTILE_PIECES, max_size=12).map("".join),
    st.sampled_from(
        ["../../x", "/etc/passwd", "..", ".", "", " ", "a/../../b", "C:\\Windows", "\\\\srv\\share", "NUL"]
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE)
def test_safe_name_accepts_only_names_that_stay_inside(tmp_path: Path, name: str) -> None:
    folder = tmp_path.resolve()
    try:
        safe_name(name, where="study.toml:name")
    except ConfigError as exc:
        msg = str(exc)
        assert msg.startswith("study.toml:name: ") and "fix:" in msg and "\n" not in msg
        return
    assert "/" not in name and "\\" not in name and ".." not in name and name not in ("", ".")
    assert all(ch.isprintable() for ch in name)
    assert (folder / name).resolve().parent == folder
    assert inside(folder, name) == folder / name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../../x", "it holds a path separator"),
        ("/tmp/abs", "it holds a path separator"),
        ("..", "it holds '..'"),
        ("a..b", "it holds '..'"),
        ("C:evil", "it is an absolute path"),
        ("x\ny", "invisible character U+000A"),
        ("x\u202ey", "invisible character U+202E"),
        ("", "it is empty"),
        (".hidden", "starts with '.'"),
        ("CON", "reserves for a device"),
        ("x" * 101, "longer than 100"),
    ],
)
def test_safe_name_names_the_problem(name: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        safe_name(name, where="study.toml:study.name")
    msg = str(info.value)
    assert msg.startswith("study.toml:study.name: not usable as a file name") and problem in msg
    assert "fix: use letters, digits" in msg


@settings(max_examples=300, deadline=None)
@given(ticker=HOSTILE)
def test_accepted_tickers_cannot_leave_a_folder_or_start_a_formula(ticker: str) -> None:
    try:
        check_ticker(ticker)
    except ConfigError as exc:
        assert str(exc).startswith("ticker: not a valid ticker") and "fix: write the ticker" in str(exc)
        return
    assert not ({"/", "\\", "\x00", "\n", ":"} & set(ticker)) and ".." not in ticker
    assert ticker[0] not in "=+-@.\t\r"


@settings(max_examples=300, deadline=None)
@given(value=HOSTILE)
def test_accepted_ids_cannot_start_a_formula_or_collide_with_pooled_sets(value: str) -> None:
    try:
        check_identifier(value, what="event_id", where="events.csv:2:event_id")
    except ConfigError:
        return
    assert ID_PATTERN.fullmatch(value) and ":" not in value and value[0] not in "=+-@\t\r"


@pytest.mark.parametrize("ticker", ["MP", "LYC.AX", "600111.SS", "^TNX", "BRK-B", "GC=F", "4063.T", "000831.SZ"])
def test_real_tickers_pass(ticker: str) -> None:
    assert check_ticker(ticker) == ticker


# ---------------------------------------------------------------------------------------------------------------
# The library: universe, events, file source
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ticker", "../outside/SECRET"),
        ("ticker", "/etc/passwd"),
        ("ticker", "../universe"),
        ("ticker", "=HYPERLINK(1)"),
        ("ticker", "a..b"),
        ("group", "=cmd|' /C calc'!A0"),
        ("group", "pooled:escalation"),
    ],
)
def test_universe_refuses_hostile_tickers_and_groups(column: str, value: str) -> None:
    frame = universe_frame()
    frame.loc[0, column] = value
    with pytest.raises(UniverseError) as info:
        Universe.from_frame(frame, name="universe.csv")
    msg = str(info.value)
    assert msg.startswith(f"universe.csv:2:{column}: not a valid") and repr(value) in msg and "fix:" in msg


@pytest.mark.parametrize("event_id", ["../x", "pooled:escalation", "=1+1", "@SUM(A1)", "-2", "+2", "a b", "ev\t1"])
def test_events_refuse_hostile_ids(event_id: str) -> None:
    with pytest.raises(EventsError) as info:
        EventTable.from_frame(events_frame(event_id=event_id), name="events.csv")
    msg = str(info.value)
    assert msg.startswith("events.csv:2:event_id: not a valid event_id") and "fix: rename it" in msg
    if event_id.startswith("pooled"):
        assert "reserved" in msg


def test_file_source_opens_only_files_directly_inside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    secret = tmp_path / "SECRET.csv"
    secret.write_text("date,close\n2024-01-02,1\n")
    (folder / "LINK.csv").symlink_to(secret)
    before = snapshot(tmp_path)
    source = FileSource(folder)
    for ticker in ("../SECRET", str(secret.with_suffix(""))):
        with pytest.raises(PriceDataError, match="not a valid ticker"):
            source.fetch([ticker])
    with pytest.raises(PriceDataError) as info:
        source.fetch(["LINK"])
    assert "is a link to a file outside" in str(info.value) and "fix: copy the file" in str(info.value)
    assert snapshot(tmp_path) == before


def test_resolve_output_refuses_empty_and_file_paths(tmp_path: Path) -> None:
    for value in ("", "  "):
        with pytest.raises(ConfigError, match="--out: the output folder is empty"):
            resolve_output(value)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match="the output path is a file"):
        resolve_output(tmp_path / "f")
    assert resolve_output(tmp_path / "a" / ".." / "b") == (tmp_path / "b").resolve()


# ---------------------------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ('"../../x"', "it holds a path separator (got '../../x')"),
        ('"/tmp/eventstudy_abs_escape"', "it holds a path separator"),
        ('".."', "it holds '..'"),
        ('"x\\u0000y"', "invisible character U+0000"),
        ('""', "must not be empty"),
    ],
)
def test_cli_study_name_cannot_move_the_outputs(study_dir: Path, name: str, problem: str) -> None:
    root = study_dir.parent
    (study_dir / "study.toml").write_text(STUDY.replace('name = "mini"', f"name = {name}"))
    before = snapshot(root)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices"))
    assert line.startswith("error: study.toml:study.name: ") and problem in line and "fix:" in line
    assert snapshot(root) == before
    assert not Path("/tmp/eventstudy_abs_escape").exists()


def test_cli_empty_out_is_refused(study_dir: Path) -> None:
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", ""))
    assert line.startswith("error: --out: the output folder is empty") and "fix: give a folder" in line
    assert snapshot(study_dir.parent) == before


def test_cli_out_on_the_study_folder_is_refused(study_dir: Path) -> None:
    before = snapshot(study_dir.parent)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "."))
    assert "holds other files and is not an earlier run's output folder" in line and "fix: choose a new" in line
    assert snapshot(study_dir.parent) == before


@pytest.mark.parametrize("ticker", ["../outside/SECRET", "../universe", "/etc/hostname"])
def test_cli_ticker_paths_are_refused_before_any_file_is_read(study_dir: Path, ticker: str) -> None:
    outside = study_dir.parent / "outside"
    outside.mkdir()
    (outside / "SECRET.csv").write_text("date,close\n2024-01-02,SECRET-CONTENT\n")
    u = universe_frame()
    u.loc[1, "ticker"] = ticker
    u.to_csv(study_dir / "universe.csv", index=False)
    before = snapshot(study_dir.parent)
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    line = one_error_line(result)
    assert line.startswith("error: universe.csv:3:ticker: not a valid ticker") and repr(ticker) in line
    assert "SECRET-CONTENT" not in result.output and "event_id,title" not in result.output
    assert "ticker,name" not in line
    assert snapshot(study_dir.parent) == before
