"""Hostile input, outputs: atomic and exclusive.

A run writes into a fresh folder beside its output folder and moves it into place at the end; the previous outputs
stay as they were until then. A second run into a folder another run holds stops with one line. A run that fails,
is interrupted or is killed (``kill -9``) leaves the previous outputs intact, and the next run cleans up after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hostile_paths import PROGRESS_LINE, make_study_dir, one_error_line, run, snapshot

from eventstudy.errors import ConfigError
from eventstudy.output import MARKER, OutputBusyError, OutputFolder


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_study_dir(tmp_path, monkeypatch)


@pytest.fixture
def first_run(study_dir: Path) -> dict[str, str]:
    """The study run once into ``out``; returns the snapshot of its outputs."""
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    assert (study_dir / "out" / MARKER).is_file()
    return snapshot(study_dir / "out")


def leftovers(folder: Path) -> list[str]:
    """What a run left beside its output folder ``out``: temporary folders, set-aside outputs, its lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".out."))


def test_second_run_while_the_folder_is_held_stops_with_one_line(study_dir: Path, first_run) -> None:
    before = snapshot(study_dir)
    with OutputFolder((study_dir / "out").resolve()):  # another run holds the folder
        line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"), code=75)
    assert line.startswith(f"error: --out: another run is writing to {(study_dir / 'out').resolve()}")
    assert "fix: wait for that run to finish, or choose another output folder" in line
    assert snapshot(study_dir) == before


def test_output_folder_lock_is_exclusive(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with OutputFolder(target) as first:
        with pytest.raises(OutputBusyError, match="another run is writing"):
            OutputFolder(target).__enter__()
        (first.path / "a.csv").write_text("1\n")
        first.commit()
    with OutputFolder(target) as again:  # released: a later run goes ahead
        (again.path / "b.csv").write_text("2\n")
        again.commit()
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "b.csv"]  # replaced as a whole, no stale a.csv


@pytest.mark.parametrize(
    ("exc", "code", "start"),
    [
        (KeyboardInterrupt(), 130, "error: interrupted; the previous outputs are left as they were"),
        (RuntimeError("disk gremlin"), 70, "error: unexpected error (RuntimeError: disk gremlin)"),
        (OSError(28, "No space left on device", "report.html"), 74, "error: report.html: cannot read or write"),
    ],
)
def test_a_run_failing_mid_write_leaves_the_previous_outputs(
    study_dir: Path,
    first_run,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    code: int,
    start: str,
) -> None:
    from eventstudy.report import html

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(html, "render_report", fail)  # after the CSV tables were written
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"), code=code)
    assert line.startswith(start)
    assert snapshot(study_dir / "out") == first_run
    assert leftovers(study_dir) == []


def test_leftovers_of_a_killed_swap_are_restored(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with OutputFolder(target) as f:
        (f.path / "a.csv").write_text("1\n")
        f.commit()
    aside = tmp_path / ".out.old-killed"
    os.replace(target, aside)  # killed between the two renames of a swap
    (tmp_path / ".out.tmp-killed").mkdir()  # and a temporary folder of a killed run
    with OutputFolder(target):
        pass  # the next run fails before committing
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "a.csv"]
    assert not aside.exists() and not (tmp_path / ".out.tmp-killed").exists()


def test_a_folder_of_other_files_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.docx").write_text("years of work")
    with pytest.raises(ConfigError, match="holds other files and is not an earlier run's output folder"):
        OutputFolder(target).__enter__()
    assert (target / "thesis.docx").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


KILL_SCRIPT = """
import sys, time
import eventstudy.report.html as html
from eventstudy.cli import app

def slow(results, out_dir, **kw):
    (out_dir / "report_partial.csv").write_text("half written\\n")
    print("WRITING", flush=True)
    time.sleep(60)

html.render_report = slow
sys.argv = ["eventstudy", "run", "study.toml", "--prices-dir", "prices", "--out", "out"]
app()
"""


def test_a_run_killed_mid_write_leaves_the_previous_outputs(study_dir: Path, first_run) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT], cwd=study_dir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "WRITING" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
        assert "WRITING" in line, "the run did not reach the writing step"
        assert [n.split("-")[0] for n in leftovers(study_dir)] == [".out.lock", ".out.tmp"]  # beside the outputs
        # the lock is held: a second run stops with one line
        held = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"), code=75)
        assert "another run is writing" in held
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert snapshot(study_dir / "out") == first_run  # the previous outputs, untouched
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")  # the lock died with the process
    assert result.exit_code == 0, result.output
    assert leftovers(study_dir) == []  # the killed run's temporary folder was cleaned up
    assert not (study_dir / "out" / "report_partial.csv").exists()


TWO_RUNS = """
import sys
from eventstudy.cli import app
sys.argv = ["eventstudy", "run", "study.toml", "--prices-dir", "prices", "--out", "out"]
app()
"""


def test_two_runs_started_together(study_dir: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_RUNS], cwd=study_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes in ([0, 0], [0, 75]), outcomes
    for code, _, err in outcomes:
        if code == 75:
            lines = [line for line in err.strip().splitlines() if not PROGRESS_LINE.fullmatch(line)]
            assert len(lines) == 1 and "another run is writing to" in lines[0]
    files = {p.name for p in (study_dir / "out").iterdir()}
    assert {"firm_events.csv", "tests.csv", "report.html", "summary.html", MARKER} <= files
    assert leftovers(study_dir) == []
