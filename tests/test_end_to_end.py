"""The whole study on the real price files: the CLI writes every output, and known facts come out right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

OUTPUTS = {
    "firm_events.csv": [
        "event_id",
        "ticker",
        "group",
        "exchange",
        "day0",
        "status",
        "n_estimation",
        "alpha",
        "beta",
        "sigma",
        "car_0_0",
        "var_car_0_0",
        "scar_0_0",
        "car_m1_1",
        "var_car_m1_1",
        "scar_m1_1",
        "car_m10_10",
    ],
    "ar.csv": ["event_id", "ticker", "event_day", "date", "ret", "ar", "sar"],
    "tests.csv": ["event_id", "group", "window", "test", "statistic", "pvalue", "distribution", "nobs"],
    "day0.csv": ["event_id", "exchange", "announced_at_utc", "day0", "rule"],
    "caar.csv": ["event_id", "group", "window", "nobs", "caar", "sd_car", "ci_low", "ci_high"],
    "aar.csv": ["event_id", "group", "event_day", "nobs", "aar", "caar", "sd_car", "ci_low", "ci_high"],
    "outcomes.csv": ["event_id", "ticker", "group", "exchange", "day0", "status", "reason"],
    "outcome_summary.csv": ["status", "firm_events"],
    "data_notes.csv": ["ticker", "exchange", "source"],
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_output_file_has_its_columns(run_dir, name):
    frame = pd.read_csv(run_dir / name)
    assert len(frame) > 0
    missing = [c for c in OUTPUTS[name] if c not in frame.columns]
    assert not missing
    assert list(frame.columns[: len(OUTPUTS[name])]) == OUTPUTS[name] or name == "firm_events.csv"


def test_firm_events_column_order(run_dir):
    cols = list(pd.read_csv(run_dir / "firm_events.csv", nrows=1).columns)
    assert cols[:10] == OUTPUTS["firm_events.csv"][:10]


def test_summary_html_and_settings(run_dir):
    html = (run_dir / "summary.html").read_text(encoding="utf-8")
    assert "jun27_deal_formalised" in html and "<table>" in html
    settings = json.loads((run_dir / "settings.json").read_text())
    assert settings["model"] == "market" and settings["headline_event"] == "jun27_deal_formalised"


def _ar(run_dir, event_id, ticker, day):
    ar = pd.read_csv(run_dir / "ar.csv")
    row = ar[(ar.event_id == event_id) & (ar.ticker == ticker) & (ar.event_day == day)]
    assert len(row) == 1
    return row.iloc[0]


def test_mp_pentagon_deal_day0(run_dir):
    """MP closed at 45.23 on 2025-07-10 against 30.03 the day before: +50.6 %, an abnormal return of about +0.49."""
    row = _ar(run_dir, "jul10_pentagon_mp_deal", "MP", 0)
    assert row.date == "2025-07-10"
    assert row.ret == pytest.approx(45.23 / 30.03 - 1, abs=2e-4)
    assert row.ar == pytest.approx(0.49, abs=0.015)


def test_lynas_day0_on_the_beijing_friday(run_dir):
    """The 2025-06-27 formalisation (a date-only Beijing Friday statement) has day 0 on Friday 2025-06-27 on the
    ASX, as everywhere (METHODS §1), and day0.csv names the rule."""
    fe = pd.read_csv(run_dir / "firm_events.csv")
    row = fe[(fe.event_id == "jun27_deal_formalised") & (fe.ticker == "LYC.AX")].iloc[0]
    assert row.day0 == "2025-06-27"
    d0 = pd.read_csv(run_dir / "day0.csv")
    deal = d0[d0.event_id == "jun27_deal_formalised"].set_index("exchange")
    assert (deal["day0"] == "2025-06-27").all() and (deal["rule"] == "calendar_date").all()


def test_usar_before_listing_is_pre_listing(run_dir):
    fe = pd.read_csv(run_dir / "firm_events.csv").set_index(["event_id", "ticker"])
    assert fe.loc[("feb04_china_minerals_controls", "USAR"), "status"] == "pre_listing"
    assert fe.loc[("jul10_pentagon_mp_deal", "USAR"), "status"] in ("ok", "short_estimation")


def test_every_firm_event_has_an_outcome(run_dir):
    fe = pd.read_csv(run_dir / "firm_events.csv")
    events = pd.read_csv(Path(__file__).resolve().parents[1] / "events.csv")
    uni = pd.read_csv(Path(__file__).resolve().parents[1] / "universe.csv")
    studied = uni[uni.group.isin(["miners", "magnets", "defense"])]
    assert len(fe) == len(events) * len(studied)
    assert fe["status"].notna().all()
    summary = pd.read_csv(run_dir / "outcome_summary.csv").set_index("status")["firm_events"]
    assert summary.sum() == len(fe)
    # statuses carry numbers only when usable
    unusable = ~fe.status.isin(["ok", "missing_event_window"])
    assert fe.loc[unusable, "car_0_0"].isna().all()


def test_tests_table_covers_groups_events_windows(run_dir):
    tests = pd.read_csv(run_dir / "tests.csv")
    assert {"miners", "magnets", "defense", "miners_ex_china", "miners_china"} <= set(tests.group)
    assert set(tests.test) >= {"csect_t", "cda_t", "patell_z", "bmp_t", "kp_bmp_t", "sign_z", "gsign_z", "wilcoxon"}
    assert set(tests.window) == {"0_0", "0_1", "m1_1", "m2_2", "0_5", "m5_5", "m10_10"}
    ok = tests[tests.nobs >= 5]
    assert ok["pvalue"].dropna().between(0, 1).all() and ok["pvalue"].notna().mean() > 0.9
    # below five usable firm-events no p-value is reported (METHODS §4b)
    assert tests.loc[tests.nobs < 5, "pvalue"].isna().all()


def test_cli_bad_study_file_is_one_line(tmp_path, repo_dir):
    bad = tmp_path / "study.toml"
    bad.write_text("[study]\nestimaton_window = [-250, -11]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "eventstudy.cli", "run", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "estimaton_window" in lines[0] and "estimation_window" in lines[0]
    assert "Traceback" not in proc.stderr


def test_readme_library_api_runs(repo_dir, monkeypatch):
    """The README's five-line library example runs as written, on the shipped snapshot."""
    import re

    text = (repo_dir / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Library API\s+```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) == 5
    monkeypatch.chdir(repo_dir)
    scope: dict = {}
    exec(block, scope)
    res = scope["res"]
    assert len(res.outcomes) == len(res.firm_events) > 0
    assert "caar" in res.summary("jun27_deal_formalised").frame.columns
