"""The second, small example study (examples/mineral_deals/): groups named its own way, firm-specific and
market-wide events, prices from the repository's snapshot. It runs through the CLI and the API alike, and its
report shows every one of its groups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.config import read_study
from eventstudy.study import EventStudy

STUDY = Path(__file__).resolve().parents[1] / "examples" / "mineral_deals" / "study.toml"
LABELS = {"producers": "US producers", "asx_producers": "ASX producers", "primes": "Defence primes"}
SCOPE = {
    "china_sanctions_primes": ["LMT", "NOC", "GD"],
    "tariff_pause": ["MP", "UUUU", "USAR", "LYC.AX", "ARU.AX", "LMT", "NOC", "GD"],
    "mp_halts_china_shipments": ["MP"],
    "mp_dod_deal": ["MP"],
    "mp_apple_deal": ["MP"],
    "lynas_noveon_mou": ["LYC.AX"],
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_run():
    study = EventStudy.from_spec(read_study(STUDY))
    return study, study.fit()


@pytest.fixture(scope="module")
def cli_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mineral_deals")
    result = CliRunner().invoke(app, ["run", str(STUDY), "--out", str(out)], env={"EVENTSTUDY_PRICES_DIR": ""})
    assert result.exit_code == 0, result.output
    return out


def test_the_study_file_leans_on_the_defaults(api_run) -> None:
    study, _ = api_run
    assert read_study(STUDY).groups is None
    assert study.groups == ("producers", "asx_producers", "primes")
    assert type(study.source).__name__ == "SnapshotSource"


def test_firm_events_are_those_the_events_name(api_run) -> None:
    _, res = api_run
    got = res.firm_events.groupby("event_id", sort=False)["ticker"].apply(list).to_dict()
    assert got == SCOPE


def test_a_firm_event_without_a_zone_takes_its_exchange(api_run) -> None:
    _, res = api_run
    ev = res.events.set_index("event_id")
    assert ev.loc["lynas_noveon_mou", "timezone"] == "Australia/Sydney"
    assert ev.loc["mp_halts_china_shipments", "timezone"] == "America/New_York"
    day0 = res.firm_events.set_index(["event_id", "ticker"])["day0"].astype(str)
    assert day0[("lynas_noveon_mou", "LYC.AX")] == "2025-10-09"
    assert day0[("mp_dod_deal", "MP")] == "2025-07-10"  # 08:00 New York, before the open
    assert day0[("tariff_pause", "MP")] == "2025-04-09"  # 13:18 New York, during the session
    assert day0[("tariff_pause", "LYC.AX")] == "2025-04-10"  # after the Sydney close


def test_settings_carry_the_groups_labels(api_run) -> None:
    _, res = api_run
    assert res.settings["group_order"] == list(LABELS)
    assert res.settings["group_labels"] == LABELS
    assert res.settings["group_colours"]["asx_producers"] == "#d55e00"


def test_the_cli_writes_the_same_numbers_as_the_api(api_run, cli_out: Path) -> None:
    _, res = api_run
    caar = pd.read_csv(cli_out / "caar.csv")
    keys = ["event_id", "group", "window"]
    a = caar.set_index(keys).sort_index()[["nobs", "caar"]]
    b = res.caar_table.set_index(keys).sort_index()[["nobs", "caar"]]
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-12)  # the CSV holds 11 digits
    assert set(caar["group"]) >= set(LABELS)


def test_the_report_shows_every_group(cli_out: Path) -> None:
    html = (cli_out / "report.html").read_text(encoding="utf-8")
    for label in LABELS.values():
        assert f'<td class="l">{label}</td>' in html, label
    assert (cli_out / "report.pdf").stat().st_size > 0
