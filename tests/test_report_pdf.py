"""The PDF report: page 1 rendered with pdftoppm holds the answer (text read back with pypdf), the body is at most
eight pages, and a missing weasyprint gives one warning and every other output (an error under CI)."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings

import pytest

from eventstudy.report.sections import SECTIONS, answer
from eventstudy.report.view import ReportView

MAX_BODY_PAGES = 8
APPENDICES = [s.TITLE for s in SECTIONS if s.APPENDIX]


def body_pages(texts: list[str]) -> int:
    """Pages before the first page that opens with an appendix's title."""
    return next(i for i, text in enumerate(texts) if text.lstrip().startswith(tuple(APPENDICES)))


@pytest.fixture(scope="module")
def pages(report_dir) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(report_dir / "report.pdf"))
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]


def test_page_one_holds_the_answer(pages, report_results):
    for s in answer.sentences(ReportView(report_results)):
        assert re.sub(r"\s+", " ", s) in pages[0]
    assert "Figure 1." in pages[0] and "Table 1." in pages[0]


def test_page_one_renders(report_dir, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(report_dir / "report.pdf"), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    from PIL import Image

    im = Image.open(png).convert("L")
    assert im.size[0] > 400
    dark = sum(im.histogram()[:128]) / (im.size[0] * im.size[1])
    assert 0.01 < dark < 0.5  # text, a figure and a table on a white page


def test_the_main_job_writes_the_pdf_and_every_figure(run_dir):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(run_dir / "report.pdf"))
    texts = [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]
    start = body_pages(texts)
    assert 1 <= start <= MAX_BODY_PAGES
    for name in ("answer_caar", "headline_grid", "timeline", "heatmap"):
        assert (run_dir / "figures" / f"{name}.png").stat().st_size > 1000
        assert (run_dir / "figures" / f"{name}.svg").stat().st_size > 1000


def test_body_is_at_most_eight_pages(pages):
    start = body_pages(pages)
    assert 1 <= start <= MAX_BODY_PAGES
    for s in SECTIONS:
        if not s.APPENDIX:
            assert any(s.TITLE in p for p in pages[:start]) or s.ID == "answer", s.TITLE


def test_missing_weasyprint_warns_once_and_ci_fails(monkeypatch, tmp_path):
    import builtins

    from eventstudy.report.pdf import ReportWarning, write_pdf

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name.startswith("weasyprint"):
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    monkeypatch.delenv("CI", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert write_pdf("<p>x</p>", tmp_path / "report.pdf") is None
    mine = [w for w in caught if issubclass(w.category, ReportWarning)]
    assert len(mine) == 1 and "\n" not in str(mine[0].message) and "report.pdf not written" in str(mine[0].message)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(OSError, match=r"report\.pdf not written"):
        write_pdf("<p>x</p>", tmp_path / "report.pdf")
