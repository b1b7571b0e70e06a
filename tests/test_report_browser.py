"""The HTML report in a real browser: Debian's Chromium driven by Selenium through /usr/bin/chromedriver (never a
downloaded browser). Skipped when Chromium is absent, except under CI, where it must be installed (.ci/run)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _need_browser() -> None:
    missing = [n for n, ok in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER.exists())) if not ok]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{', '.join(missing)} missing: CI must install chromium, chromium-driver and selenium")
        pytest.skip(f"{', '.join(missing)} not installed")


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--window-size=1366,768"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    driver.set_window_size(1366, 768)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, report_dir):
    url = (report_dir / "report.html").as_uri()
    browser.get(url)
    return browser, url


def _rows(driver, table_id: str) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.getElementById(arguments[0]).tBodies[0].rows)"
        ".filter(r => !r.hidden).map(r => r.textContent);",
        table_id,
    )


def test_loads_without_errors_or_requests(page):
    import json

    driver, url = page
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    requested = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            requested.add(msg["params"]["request"]["url"])
    other = {u for u in requested if u != url and not u.startswith("data:")}
    assert url in requested and other == set()


def test_sorting_a_column_reorders_the_rows(page):
    from selenium.webdriver.common.by import By

    driver, _ = page
    table = "t-outcomes"
    before = _rows(driver, table)
    header = driver.find_elements(By.CSS_SELECTOR, f"#{table} thead th")[1]  # firm-events
    driver.execute_script("arguments[0].scrollIntoView()", header)
    header.click()
    asc = _rows(driver, table)
    values = driver.execute_script(
        "return Array.from(document.querySelectorAll('#t-outcomes tbody tr td:nth-child(2)')).map(c => +c.textContent)"
    )
    assert values == sorted(values) and asc != before
    header.click()
    values = driver.execute_script(
        "return Array.from(document.querySelectorAll('#t-outcomes tbody tr td:nth-child(2)')).map(c => +c.textContent)"
    )
    assert values == sorted(values, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"


def test_the_filter_hides_rows(page):
    from selenium.webdriver.common.by import By

    driver, _ = page
    box = driver.find_element(By.CSS_SELECTOR, 'input.table-filter[data-table="t-events"]')
    all_rows = _rows(driver, "t-events")
    driver.execute_script("arguments[0].scrollIntoView()", box)
    box.send_keys("de-escalation")
    shown = _rows(driver, "t-events")
    assert 0 < len(shown) < len(all_rows)
    assert all("de-escalation" in r for r in shown)
    driver.execute_script("arguments[0].value=''; arguments[0].dispatchEvent(new Event('input'))", box)
    assert len(_rows(driver, "t-events")) == len(all_rows)


def test_a_details_section_opens(page):
    from selenium.webdriver.common.by import By

    driver, _ = page
    details = driver.find_elements(By.CSS_SELECTOR, "details.event")[0]
    assert details.get_attribute("open") is None
    summary = details.find_element(By.TAG_NAME, "summary")
    driver.execute_script("arguments[0].scrollIntoView()", summary)
    summary.click()
    assert details.get_attribute("open") is not None
    assert details.find_element(By.TAG_NAME, "table").is_displayed()


def test_page_one_answer_is_visible_at_1366x768(browser, report_dir, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get((report_dir / "report.html").as_uri())
    browser.set_window_size(1366, 768)
    shot = tmp_path / "first_screen.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    height = browser.execute_script("return window.innerHeight")
    sentences = browser.find_elements(By.CSS_SELECTOR, ".answer p.sentence")
    assert len(sentences) == 3
    for s in sentences:
        rect = browser.execute_script("return arguments[0].getBoundingClientRect()", s)
        assert s.is_displayed() and rect["top"] >= 0 and rect["bottom"] <= height, rect
    assert browser.execute_script("return window.scrollY") == 0
