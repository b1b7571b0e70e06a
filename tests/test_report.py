"""The full report from the real data: self-contained HTML, a PDF with the same sections and numbers, every figure,
every table as CSV, and event text shown as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pandas as pd
import pytest

from eventstudy.report.html import REPORT_TABLES, SECTIONS, fmt_pct, render_html, report_context

HEAD = "jun27_deal_formalised"


@pytest.fixture(scope="module")
def html(run_dir) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(run_dir) -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(run_dir / "report.pdf"))
    return "\n".join(p.extract_text() or "" for p in reader.pages)


class _Balance(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def test_html_is_well_formed(html):
    parser = _Balance()
    parser.feed(html)
    assert parser.errors == [] and parser.stack == []
    # strict XML parse of the body once the doctype and void tags are closed
    body = re.sub(r"<!doctype html>", "", html, flags=re.I)
    body = re.sub(r"<(meta|img|br|hr|link)([^>]*?)/?>", r"<\1\2/>", body)
    body = body.replace("&nbsp;", " ")
    ET.fromstring(body)


def test_html_needs_no_network(html):
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "@import" not in html
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"<script\b", html, re.I)
    assert "url(" not in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert all(h.startswith(("#", "http://", "https://")) for h in hrefs)


def test_html_has_every_section(html):
    for sid, title in SECTIONS:
        assert f'id="{sid}"' in html and f">{title}<" in html


def test_html_has_every_figure(html, run_dir):
    n_head = int(pd.read_csv(run_dir / "report_summary.csv")["event_id"].nunique())
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]{1000,})"', html)
    assert len(images) == 2 + n_head  # timeline, heatmap, one CAAR-path figure per headline event
    assert n_head >= 2


def test_headline_numbers_match_the_results(html, run_dir):
    caar = pd.read_csv(run_dir / "caar.csv")
    row = caar[(caar["event_id"] == HEAD) & (caar["group"] == "miners_ex_china") & (caar["window"] == "0_0")]
    value = float(row["caar"].iloc[0])
    assert value < 0
    text = f"fell {fmt_pct(abs(value), sign=False)} on day 0"
    assert f"Ex-China miners (N = {int(row['nobs'].iloc[0])}) " + text in html
    assert f"95 % CI {fmt_pct(row['ci_low'].iloc[0])} to {fmt_pct(row['ci_high'].iloc[0])}" in html


def test_pdf_has_sections_and_headline_numbers(pdf_text, html, run_dir):
    flat = re.sub(r"\s+", " ", pdf_text)
    for _, title in SECTIONS:
        assert title in flat
    summary = pd.read_csv(run_dir / "report_summary.csv")
    head = summary[summary["event_id"] == HEAD]
    assert len(head) >= 9
    for v in head["caar"]:
        printed = fmt_pct(v)
        assert printed in html
        assert printed in flat


def test_every_report_table_is_a_csv(run_dir):
    for name in REPORT_TABLES:
        frame = pd.read_csv(run_dir / name)
        assert len(frame) > 0, name
    rob = pd.read_csv(run_dir / "robustness.csv")
    variants = set(rob["variant"])
    assert {"baseline", "window", "market_adjusted", "constant_mean", "clean_estimation"} <= variants
    base = rob[(rob["variant"] == "baseline") & (rob["event_id"] == HEAD) & (rob["window"] == "0_0")]
    ma = rob[(rob["variant"] == "market_adjusted") & (rob["event_id"] == HEAD) & (rob["window"] == "0_0")]
    assert base["caar"].notna().all() and ma["caar"].notna().all()
    assert not base["caar"].reset_index(drop=True).equals(ma["caar"].reset_index(drop=True))
    timing = pd.read_csv(run_dir / "report_timing.csv")
    assert timing.loc[timing["event_id"] == HEAD, "day_only"].item()


def test_excluded_firm_events_have_reasons(run_dir, html):
    outcomes = pd.read_csv(run_dir / "outcomes.csv")
    excluded = pd.read_csv(run_dir / "report_excluded.csv")
    assert excluded["n_events"].sum() == int((outcomes["status"] != "ok").sum())
    assert excluded["reason"].notna().all()
    assert "pre_listing" in html and "USAR" in html


def test_event_text_is_escaped(repo_dir, prices_dir):
    from eventstudy import EventStudy

    events = pd.read_csv(repo_dir / "events.csv", dtype=str, keep_default_na=False)
    events = events[events["event_id"] == HEAD].copy()
    events["description"] = "<script>alert('x')</script> & more"
    events["title"] = "<b>bold</b> title"
    res = EventStudy(events, repo_dir / "universe.csv", prices_dir, groups=["defense"], headline_event=HEAD).fit()
    page = render_html(report_context(res, title="<i>t</i>", figures=False))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<i>t</i>" not in page
