"""docs/methods.md: rendered for the report's appendix, and consistent with the registries it names."""

from __future__ import annotations

import re

from eventstudy.inference import TESTS
from eventstudy.methods_page import METHODS_PAGE, methods_html
from eventstudy.models import MODELS


def test_page_renders_with_its_tables_and_sections() -> None:
    html = methods_html()
    assert html is not None and html.startswith("<h1>Methods</h1>")
    assert html.count("<h2>") >= 7
    assert "<table>" in html and "<td><code>market</code> (default)</td>" in html


def test_every_test_and_model_is_described_and_every_name_exists() -> None:
    text = METHODS_PAGE.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z0-9_]+)`", text))
    for name in TESTS.names():
        assert f"`{name}`" in text, f"docs/methods.md does not describe the test {name}"
    for name in MODELS.names():
        assert f"`{name}`" in text, f"docs/methods.md does not describe the model {name}"
    bracketed = {n for group in re.findall(r"\[`([^\]]+)\]", text) for n in re.findall(r"([a-z0-9_]+)`?", group)}
    unknown = {n for n in bracketed if n not in TESTS and n not in ("alias",)}
    assert not unknown, f"docs/methods.md names tests that are not registered: {sorted(unknown)}"
    assert "kp_bmp_t" in named


def test_raw_html_is_escaped(tmp_path) -> None:
    page = tmp_path / "m.md"
    page.write_text("# T\n\n<script>alert(1)</script>\n", encoding="utf-8")
    assert "<script>" not in methods_html(page)
    assert methods_html(tmp_path / "missing.md") is None
