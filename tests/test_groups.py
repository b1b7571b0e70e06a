"""Groups are the study's own: the study file and the API default to every group but benchmark, and the labels,
colours and order the report shows come from the study file, with plain defaults for any group."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_firm_events import EVENTS, OPTIONS, prices, universe

from eventstudy.config import read_study
from eventstudy.errors import ConfigError
from eventstudy.groups import PALETTE
from eventstudy.study import EventStudy


def _write_study(folder: Path, extra: str = "") -> Path:
    EVENTS.to_csv(folder / "events.csv", index=False)
    universe().to_csv(folder / "universe.csv", index=False)
    path = folder / "study.toml"
    path.write_text(f'[study]\nevents = "events.csv"\nuniverse = "universe.csv"\n{extra}', encoding="utf-8")
    return path


def test_a_minimal_study_file_studies_every_group_but_benchmark(tmp_path: Path) -> None:
    spec = read_study(_write_study(tmp_path))
    assert spec.groups is None
    from_file = EventStudy.from_spec(spec, prices=prices())
    from_api = EventStudy(EVENTS, universe(), prices())
    assert from_file.groups == from_api.groups == ("tech", "banks")


def test_labels_colours_and_order_come_from_the_study_file(tmp_path: Path) -> None:
    tables = '[groups.banks]\nlabel = "Banks and lenders"\ncolour = "darkred"\n\n[groups.nowhere]\nlabel = "x"\n'
    spec = read_study(_write_study(tmp_path, tables))
    assert spec.group_labels == {"banks": "Banks and lenders", "nowhere": "x"}
    assert spec.group_colours == {"banks": "#8b0000"}
    options = {k: v for k, v in OPTIONS.items() if k != "tests"}
    study = EventStudy.from_spec(spec, prices=prices())
    assert study.group_display == {
        "group_order": ["banks", "tech"],
        "group_labels": {"banks": "Banks and lenders", "tech": "tech"},
        "group_colours": {"banks": "#8b0000", "tech": PALETTE[0]},
    }
    api = EventStudy(
        EVENTS, universe(), prices(), group_labels={"banks": "Banks and lenders"}, group_colours={"banks": "darkred"}
    )
    assert api.group_display == study.group_display
    res = EventStudy(EVENTS, universe(), prices(), **options, group_labels={"banks": "Banks and lenders"}).fit()
    assert res.settings["group_order"] == ["banks", "tech"]
    assert res.settings["group_labels"] == {"banks": "Banks and lenders", "tech": "tech"}


@pytest.mark.slow
def test_the_report_shows_every_group_with_its_label(tmp_path: Path) -> None:
    res = EventStudy(
        EVENTS,
        universe(),
        prices(),
        **OPTIONS,
        group_by=("group", "ticker"),
        group_labels={"banks": "Banks and lenders", "tech": "Technology"},
    ).fit()
    html = res.to_html()
    shown = res.settings["group_order"]
    assert shown == ["banks", "tech", "AAA", "BBB", "CCC", "DDD"]
    for label in ("Banks and lenders", "Technology", "AAA", "BBB", "CCC", "DDD"):
        assert f">{label}<" in html or f"{label} (N" in html, label


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ('[groups.banks]\nlabel = ""\n', r"study\.toml:groups\.banks\.label: must be non-empty text"),
        ('[groups.banks]\ncolour = "blurple"\n', r"study\.toml:groups\.banks\.colour: not a colour \(got 'blurple'\)"),
        ('[groups.banks]\nlabl = "Banks"\n', r"study\.toml:groups\.banks: unknown key 'labl'; fix: a group table has"),
    ],
)
def test_bad_group_tables(tmp_path: Path, tables: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_study(_write_study(tmp_path, tables))
