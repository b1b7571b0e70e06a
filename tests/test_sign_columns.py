"""Every ``sign_<group>`` column of an events file names a group the study can test (issue 12)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.errors import DataWarning
from eventstudy.events import EventTable, read_events, sign_columns
from eventstudy.study import EventStudy
from eventstudy.universe import read_universe

ROOT = Path(__file__).resolve().parents[1]


def _events(**signs: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"event_id": "e1", "announced_at": "2025-03-05", "timezone": "America/New_York", "headline": "true", **signs}]
    )


def _universe() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["A", "B", "SPY"],
            "name": ["A", "B", "S&P 500"],
            "group": ["miners", "magnets", "benchmark"],
            "segment": ["miners_china", "magnets_japan", "benchmark"],
            "exchange": ["XNYS"] * 3,
            "currency": ["USD"] * 3,
            "benchmark": ["SPY", "SPY", ""],
        }
    )


def _build(events: pd.DataFrame) -> list[str]:
    prices = pd.DataFrame({"A": [1.0], "B": [1.0], "SPY": [1.0]}, index=pd.DatetimeIndex(["2025-03-05"], name="date"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        EventStudy(events, _universe(), prices, group_by=("group", "segment"), placebo_draws=0)
    return [str(w.message) for w in caught if "names no group" in str(w.message)]


def test_unknown_sign_column_warns_with_the_fix() -> None:
    messages = _build(_events(sign_miners="+", sign_china_rare_earths="-"))
    assert len(messages) == 1
    assert "'sign_china_rare_earths'" in messages[0]
    assert "fix:" in messages[0]
    assert "magnets, magnets_japan, miners, miners_china" in messages[0]


def test_sign_columns_of_groups_and_segments_are_accepted() -> None:
    assert _build(_events(sign_miners="+", sign_miners_china="-", sign_magnets_japan="+")) == []


def test_unknown_signs_lists_the_columns_in_order() -> None:
    table = EventTable.from_frame(_events(sign_b="+", sign_miners="+", sign_a="-"))
    assert table.unknown_signs(["miners"]) == ("sign_b", "sign_a")


def test_the_study_events_name_only_real_groups() -> None:
    events = read_events(ROOT / "events.csv")
    universe = read_universe(ROOT / "universe.csv").frame
    groups = set(universe["group"]) | set(universe["segment"])
    cols = sign_columns(events.frame.columns)
    assert "sign_miners_china" in cols
    assert [c for c in cols if c[len("sign_") :] not in groups] == []


@pytest.mark.parametrize("column", ["sign_miners_ex_china", "sign_miners_china", "sign_defense"])
def test_the_study_sign_columns_keep_their_values(column: str) -> None:
    events = read_events(ROOT / "events.csv").frame.set_index("event_id")
    # the 2025-04-02 tariff: expected + for ex-China miners, - for China-listed rare earths and for defence
    expected = {"sign_miners_ex_china": "+/-", "sign_miners_china": "-", "sign_defense": "-"}
    assert events.loc["apr02_liberation_day", column] == expected[column]
