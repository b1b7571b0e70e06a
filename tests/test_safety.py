"""Safety: text from the inputs is shown as text, links are http(s) only, outputs stay in their folder, and the
study file is data (TOML), never code."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_reliability import events_frame, fit

from eventstudy.config import read_study
from eventstudy.errors import ConfigError, EventsError
from eventstudy.events import EventTable
from eventstudy.report.summary import render_summary, safe_url
from eventstudy.report.tables import _safe_path, write_tables

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_results():
    events = events_frame(title=f"Deal {HOSTILE}", description=f'"><img src=x onerror=alert(2)> {HOSTILE}')
    res, _ = fit(events=events)
    return res


def test_summary_autoescapes_event_text(hostile_results, tmp_path: Path) -> None:
    html = render_summary(hostile_results, tmp_path / "summary.html", title=f"T {HOSTILE}", files=["a.csv"]).read_text()
    assert "<script>" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert "<img" not in html
    assert "Deal &lt;script&gt;alert(1)&lt;/script&gt;" in html  # the headline title, as text
    assert "<title>T &lt;script&gt;alert(1)&lt;/script&gt;</title>" in html


def test_summary_prints_the_outcome_summary(hostile_results, tmp_path: Path) -> None:
    html = render_summary(hostile_results, tmp_path / "summary.html", title="t", files=[]).read_text()
    counts = hostile_results.outcome_counts()
    assert int(counts["ok"]) == 4
    for code, n in counts.items():
        assert f'<tr><td class="l"><code>{code}</code></td><td>{int(n)}</td>' in html


def test_only_http_links_are_rendered(hostile_results, tmp_path: Path) -> None:
    html = render_summary(hostile_results, tmp_path / "summary.html", title="t", files=[]).read_text()
    assert '<a href="https://example.com/news">link</a>' in html
    # a results object whose events were edited after validation still gets no javascript: link
    events = hostile_results.events.copy()
    events["source_url"] = "javascript:alert(3)"
    from dataclasses import replace

    edited = replace(hostile_results, events=events)
    html = render_summary(edited, tmp_path / "summary2.html", title="t", files=[]).read_text()
    assert "javascript:" not in html and "<a href" not in html


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.com/a?b=1", True),
        ("http://example.com", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example.com", False),
        ("", False),
    ],
)
def test_safe_url(url: str, kept: bool) -> None:
    assert safe_url(url) == (url if kept else "")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x"])
def test_events_validator_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(EventsError) as info:
        EventTable.from_frame(events_frame(source_url=url), name="events.csv")
    msg = str(info.value)
    assert msg.startswith("events.csv:2:source_url: the source URL is not an http(s) address")
    assert repr(url) in msg and "fix: give the full address, starting with https://" in msg


@pytest.mark.parametrize("name", ["../escape.csv", "../../etc/passwd", "/tmp/abs.csv", "a/../../b.csv"])
def test_output_paths_stay_inside_the_folder(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match="refusing to write outside"):
        _safe_path(out, name)


def test_output_paths_inside_the_folder_are_allowed(tmp_path: Path, hostile_results) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert _safe_path(out, "sub/../tests.csv") == (out / "tests.csv").resolve()
    written = write_tables(hostile_results, out)
    assert all(out.resolve() in p.resolve().parents for p in written)


def test_study_file_is_data_never_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    study = tmp_path / "study.toml"
    study.write_text(f"model = \"__import__('os').system('touch {marker}')\"\n")
    spec = read_study(study)
    assert spec.model.startswith("__import__")  # kept as a string
    from test_reliability import synthetic_prices, universe_frame

    from eventstudy.study import EventStudy

    with pytest.raises(ConfigError, match="unknown model"):
        EventStudy(events_frame(), universe_frame(), synthetic_prices(), model=spec.model)
    assert not marker.exists()


def test_a_python_study_file_is_not_read(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text("import os\nos.system('echo hi')\n")
    with pytest.raises(ConfigError) as info:
        read_study(study)
    assert str(info.value).startswith("study.toml: not valid TOML")
