"""The report from the real data: page 1's answer written from the claims, the sections, the figures as PNG and SVG,
every number in one format, the banner of a partial run, and event text shown as text."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from types import MappingProxyType
from typing import ClassVar

import pandas as pd
import pytest
from markupsafe import escape

from eventstudy.report import fmt
from eventstudy.report.html import REPORT_TABLES, render_html, report_context
from eventstudy.report.sections import SECTIONS, answer, robustness
from eventstudy.report.view import MIN_NOBS_FOR_FINDINGS, ReportView

HEAD = "jun27_deal_formalised"


def _with(results, **analyses):
    return dataclasses.replace(results, analyses=MappingProxyType(analyses))


@pytest.fixture(scope="module")
def html(report_dir) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ formatting
@pytest.mark.parametrize(
    ("value", "text"),
    [(-0.07254, "−7.25"), (0.0134, "+1.34"), (0.0, "+0.00"), (-0.00001, "+0.00"), (float("nan"), "–"), (None, "–")],
)
def test_pct(value, text):
    assert fmt.pct(value) == text


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "< 0.001"), (0.001, "0.001"), (0.0312, "0.031"), (1.0, "1.000"), (float("nan"), "–")]
)
def test_pvalue(p, text):
    assert fmt.pvalue(p) == text


def test_integers_windows_intervals():
    assert fmt.integer(30.0) == "30" and fmt.integer(-2) == "−2"
    assert fmt.window("m1_1") == "[−1, 1]" and fmt.window("0_5") == "[0, 5]"
    assert fmt.interval(-0.1042, -0.0408) == "[−10.42, −4.08]"
    assert fmt.p_equals(0.0001, "KP-BMP p") == "KP-BMP p < 0.001"


# ------------------------------------------------------------------ page 1
def _best_claim(results) -> pd.Series:
    c = results.claims
    c = c[(c["event_id"] == HEAD) & (c["nobs"] >= MIN_NOBS_FOR_FINDINGS) & c["pvalue"].notna()]
    return c.sort_values("pvalue").iloc[0]


def test_answer_is_three_sentences_written_from_the_claims(report_results):
    view = ReportView(report_results)
    s = answer.sentences(view)
    assert len(s) == 3
    best = _best_claim(report_results)
    label = view.label(best["group"])
    size = fmt.pct_unit(abs(best["caar"]), sign=False)
    when = "on day 0" if best["window"] == "0_0" else f"over days {fmt.window(best['window'])}"
    if best["pvalue"] < 0.05:
        assert f"{label} {'fell' if best['caar'] < 0 else 'rose'} {size} {when}" in s[0]
    else:
        assert "no group's abnormal return differs from zero at the 5 % level" in s[0]
        direction = "down" if best["caar"] < 0 else "up"
        assert f"the largest move was {answer.possessive(label)}, {direction} {size} {when}" in s[0]
        assert fmt.p_equals(best["pvalue"], "KP-BMP p") in s[0]
    assert view.event_title(HEAD) in s[0]
    assert f"is {fmt.pvalue(best['pvalue_holm'])} after Holm's adjustment" in s[1]
    assert f"BH q = {fmt.pvalue(best['qvalue_bh'])}" in s[1]
    assert f"{fmt.pvalue(best['placebo_pvalue'])} against {fmt.integer(best['placebo_pool'])} placebo dates" in s[1]
    assert f"{len(report_results.claims)} claims" in s[1]
    assert s[2].startswith("Caveat: ")


def test_no_claims_no_finding(real_results):
    view = ReportView(_with(real_results))
    assert answer.sentences(view) == []
    ctx = answer.build(view, {})
    assert ctx["sentences"] == [] and "No finding is stated" in ctx["no_claims"]
    assert len(ctx["table"]) == len(view.page1_groups) > 0  # the table still shows each group's CAAR


def test_no_sentence_for_a_group_without_firm_events(report_results):
    c = report_results.claims.copy()
    best = _best_claim(report_results)
    c.loc[c["group"] == best["group"], ["nobs", "caar", "pvalue"]] = [0, float("nan"), float("nan")]
    view = ReportView(_with(report_results, claims=c))
    text = " ".join(answer.sentences(view))
    label = view.label(best["group"])
    assert f"{label} fell" not in text and f"{label} rose" not in text
    assert answer.possessive(label) not in text


def test_banner_when_fewer_than_half_usable(real_results):
    fe = real_results.firm_events.copy()
    n = len(fe)
    fe.loc[fe.index[: int(n * 0.7)], "status"] = "no_data"
    view = ReportView(dataclasses.replace(real_results, firm_events=fe))
    text = answer.banner(view)
    usable = int(fe["status"].isin(["ok", "missing_event_window"]).sum())
    assert text.startswith(f"Only {usable} of {n} firm-events")
    assert "The main reason is no_data" in text
    assert answer.banner(ReportView(real_results)) == ""  # the real run: most firm-events usable


def test_group_labels_and_colours_come_from_the_settings(report_results):
    settings = {**report_results.settings, "group_labels": {"miners_ex_china": "Miners outside X"}}
    settings["group_colours"] = {"miners_ex_china": "#123456"}
    view = ReportView(dataclasses.replace(report_results, settings=settings))
    assert view.label("miners_ex_china") == "Miners outside X"
    assert view.style.colour("miners_ex_china") == "#123456"
    assert view.label("defense") == "defense"  # no label given: the group's own name
    assert any("Miners outside X" in s for s in [*answer.sentences(view), str(answer.build(view, {})["table"].rows)])


def test_same_firms_are_shown_once(report_results):
    view = ReportView(report_results)
    assert view.duplicates.get("defense_us") == "defense"
    assert "defense_us" not in view.groups


# ------------------------------------------------------------------ robustness
def test_a_claim_holds_when_sign_and_side_of_5_percent_agree(report_results):
    view = ReportView(report_results)
    base = view.claim_rows()
    base = base[base["pvalue"].notna()].head(2)
    rows = []
    for _, b in base.iterrows():
        common = {"event_id": HEAD, "group": b["group"], "window": b["window"], "nobs": b["nobs"]}
        rows.append({**common, "variant": "same", "caar": b["caar"], "pvalue": b["pvalue"], "test": b["test"]})
        rows.append({**common, "variant": "flipped", "caar": -b["caar"], "pvalue": b["pvalue"], "test": b["test"]})
    rob = pd.DataFrame(rows).assign(description="a variant", note=None)
    ctx = robustness.build(ReportView(_with(report_results, claims=report_results.claims, robustness=rob)), {})
    t = ctx["tables"][0]
    labels = [c.label for c in t.columns]
    rows = {r[0].text: r for r in t.rows}
    assert {"same", "flipped"} <= set(rows)
    for _, b in base.iterrows():
        j = labels.index(f"{view.label(b['group'])} {fmt.window(b['window'])}")
        assert rows["same"][j].text.startswith("yes ") and rows["flipped"][j].text.startswith("no ")


# ------------------------------------------------------------------ the written report
class _Balance(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"}

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
    body = re.sub(r"<!doctype html>", "", html, flags=re.I)
    body = re.sub(r"<(meta|img|br|hr|link|input)([^>]*?)/?>", r"<\1\2/>", body)
    body = re.sub(r"<script>.*?</script>", "", body, flags=re.S)
    ET.fromstring(body.replace("&nbsp;", " ").replace(" hidden>", ">"))


def test_html_needs_no_network(html):
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//""", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"\bfetch\(|XMLHttpRequest", html)


def test_html_has_every_section_and_a_details_per_event(html, report_results):
    for s in SECTIONS:
        assert f'id="{s.ID}"' in html
    assert html.count('<details class="event"') == len(report_results.events)
    assert 'title="Kolari–Pynnönen adjusted BMP: t_BMP' in html  # hover text of a test name, from the catalog
    assert re.search(r'<td class="l code" title="[^"]+">short_estimation</td>', html)  # hover text of a code


def test_page_one_shows_the_answer_the_figure_and_one_row_per_group(html, report_results):
    first = html.split('<section id="headline_events"')[0]
    view = ReportView(report_results)
    for s in answer.sentences(view):
        assert f'<p class="sentence">{escape(s)}</p>' in first
    assert first.count('id="fig-answer_caar"') == 1
    table = first.split('id="t-answer"')[1].split("</table>")[0]
    assert table.count("<tr") - 1 == len(view.page1_groups)
    fe = report_results.firm_events
    for t in fe.loc[(fe["event_id"] == HEAD) & (fe["status"] != "ok"), "ticker"]:
        assert f"{t} (" in first or f"{t}:" in first  # a headline firm left out is named on page 1


def test_every_figure_is_written_as_png_and_svg_with_readable_type(report_dir):
    names = {p.stem for p in (report_dir / "figures").glob("*.png")}
    assert {"answer_caar", "headline_grid", "timeline", "heatmap"} <= names
    for name in names:
        png = (report_dir / "figures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        svg = (report_dir / "figures" / f"{name}.svg").read_text(encoding="utf-8")
        sizes = [float(x) for x in re.findall(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px", svg)]
        assert sizes and min(sizes) >= 8.0, (name, min(sizes or [0]))


def test_report_tables_are_csv(report_dir):
    for name in REPORT_TABLES:
        assert (report_dir / name).exists(), name
    timing = pd.read_csv(report_dir / "report_timing.csv")
    assert timing.loc[timing["event_id"] == HEAD, "time_precision"].item() == "day"
    excluded = pd.read_csv(report_dir / "report_excluded.csv")
    assert excluded["reason"].notna().all() and "pre_listing" in set(excluded["status"])


def test_numbers_in_the_html_use_one_format(html):
    assert not re.search(r">\s*-?\d+\.\d{4,}\s*<", html)  # no raw decimals such as 30.0000 or -0.0725
    assert not re.search(r">\s*\d+\.0000\s*<", html)  # counts are integers, never 30.0000


def test_cli_summary_rows_use_the_report_format(report_results):
    """The headline rows are the headline event's claims: the interval, the p-value, the Holm p-value and the
    placebo p-value of the primary test, formatted as in the report."""
    from eventstudy.report.summary import headline_columns, headline_rows

    rows = headline_rows(report_results)
    claims = report_results.analyses["claims"]
    c = claims[(claims["event_id"] == HEAD) & (claims["group"] == "miners_ex_china")].iloc[0]
    label = ReportView(report_results).label("miners_ex_china")
    row = next(x for x in rows if x["group"] == label and x["window"] == fmt.window(c["window"]))
    assert row["caar"] == fmt.pct(c["caar"]) and row["nobs"] == str(int(c["nobs"]))
    assert row["ci"] == fmt.interval(c["ci_low"], c["ci_high"]) and row["p"] == fmt.pvalue(c["pvalue"])
    assert row["p_holm"] == fmt.pvalue(c["pvalue_holm"]) and row["p_placebo"] == fmt.pvalue(c["placebo_pvalue"])
    assert len(rows) == len(ReportView(report_results).claim_rows(HEAD))
    assert headline_columns(report_results)["p"] == "p KP-BMP"


def test_event_text_is_escaped(repo_dir, prices_dir):
    from eventstudy import EventStudy

    events = pd.read_csv(repo_dir / "events.csv", dtype=str, keep_default_na=False)
    events = events[events["event_id"] == HEAD].copy()
    events["description"] = "<script>alert('x')</script> & more"
    events["title"] = "<b>bold</b> title"
    res = EventStudy(events, repo_dir / "universe.csv", prices_dir, groups=["defense"], headline_event=HEAD).fit()
    page = render_html(report_context(res, title="<i>t</i>", figures=False))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<i>t</i>" not in page


def test_cli_summary_prints_per_cent_with_the_unit_in_the_header(report_results, tmp_path, capsys):
    from eventstudy.cli import _print_summary
    from eventstudy.report.summary import headline_rows

    _print_summary(report_results, [], tmp_path, 1.0)
    out = capsys.readouterr().out
    assert "CAAR, %" in out and "in per cent" in out
    row = headline_rows(report_results)[0]
    assert row["caar"] in out and row["ci"] in out
    assert not re.search(r"\s-?0\.0\d{3}\s", out)  # no CAAR in decimals such as -0.0725


def test_regression_appendix_flags_terms_on_few_event_dates(html, report_results):
    """One table per regression, each term's effective event dates, and a flag with the note on those under 5."""
    reg = report_results.analyses["regressions"]
    section = html.split('<section id="appendix_regressions"')[1].split("</section>")[0]
    fits = reg.drop_duplicates(["formula", "scope"])
    assert [f'id="t-regressions-{k}"' in section for k in range(1, len(fits) + 2)] == [True] * len(fits) + [False]
    notes = reg["term_note"].fillna("")
    assert (notes != "").sum() == section.count('<td class="r flag" title="rests on about') > 0
    for note in notes[notes != ""]:
        assert f'title="{escape(note)}"' in section
