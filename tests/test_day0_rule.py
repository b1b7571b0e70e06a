"""Day 0 of date-only announcements (METHODS §1): the session of the announcer's calendar date, or the next one.

The reference is ``exchange_calendars`` itself (``date_to_session(date, "next")``) and a few dates checked by hand
against the exchanges' published holidays.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eventstudy import calendars
from eventstudy.errors import CalendarError, EventsError
from eventstudy.events import EventTable, read_events

EXCHANGES = ("XNYS", "XASX", "XSHG", "XSHE", "XTKS")
ZONES = ("America/New_York", "Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]


def _events(dates: list[str], zone: str, precision: str = "day") -> pd.DataFrame:
    n = len(dates)
    return EventTable.from_frame(
        pd.DataFrame(
            {
                "event_id": [f"E{i}" for i in range(n)],
                "title": ["t"] * n,
                "announced_at": dates,
                "time_precision": [precision] * n,
                "timezone": [zone] * n,
                "sign_miners_ex_china": ["+"] * n,
                "sign_china_rare_earths": ["+"] * n,
                "sign_defense": ["+"] * n,
                "headline": ["false"] * n,
            }
        )
    ).frame


# every day of two months with weekends and holidays on each exchange: Golden Week, Independence Day, Labour Day,
# Japanese and Australian public holidays
DATES = [d.strftime("%Y-%m-%d") for d in pd.date_range("2025-06-20", "2025-07-10")] + [
    d.strftime("%Y-%m-%d") for d in pd.date_range("2025-09-28", "2025-10-14")
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("exchange", EXCHANGES)
def test_date_only_day0_is_the_session_of_the_date_or_the_next(exchange, zone):
    table = calendars.day0_table(_events(DATES, zone), [exchange])
    cal = calendars.get_calendar(exchange)
    expected = [cal.date_to_session(pd.Timestamp(d), direction="next") for d in DATES]
    assert list(table["day0"]) == expected
    assert set(table["rule"]) == {"calendar_date"}


@pytest.mark.parametrize(
    ("date", "zone", "exchange", "day0", "late"),
    [
        # the deal: a Beijing Friday; 23:59:59 Beijing is 11:59:59 in New York, before its close
        ("2025-06-27", "Asia/Shanghai", "XNYS", "2025-06-27", "2025-06-27"),
        ("2025-06-27", "Asia/Shanghai", "XASX", "2025-06-27", "2025-06-30"),
        ("2025-06-27", "Asia/Shanghai", "XSHG", "2025-06-27", "2025-06-30"),
        ("2025-06-27", "Asia/Shanghai", "XSHE", "2025-06-27", "2025-06-30"),
        ("2025-06-27", "Asia/Shanghai", "XTKS", "2025-06-27", "2025-06-30"),
        # a New York Friday: 23:59:59 New York is after every close of that Friday
        ("2025-06-27", "America/New_York", "XNYS", "2025-06-27", "2025-06-30"),
        ("2025-06-27", "America/New_York", "XTKS", "2025-06-27", "2025-06-30"),
        # Independence Day: New York closed, Asia open; the date is the announcer's, not the exchange's
        ("2025-07-04", "America/New_York", "XNYS", "2025-07-07", "2025-07-07"),
        ("2025-07-04", "America/New_York", "XASX", "2025-07-04", "2025-07-07"),
        ("2025-07-04", "Asia/Shanghai", "XSHG", "2025-07-04", "2025-07-07"),
        ("2025-07-04", "Asia/Shanghai", "XNYS", "2025-07-07", "2025-07-07"),
        # Golden Week: Shanghai and Shenzhen closed 10-01 to 10-08
        ("2025-10-01", "Asia/Shanghai", "XSHG", "2025-10-09", "2025-10-09"),
        ("2025-10-01", "Asia/Shanghai", "XSHE", "2025-10-09", "2025-10-09"),
        ("2025-10-01", "Asia/Shanghai", "XNYS", "2025-10-01", "2025-10-01"),
        ("2025-10-01", "America/New_York", "XTKS", "2025-10-01", "2025-10-02"),
        # a Sunday: the next session everywhere (Tokyo's Monday 2025-10-13 is Sports Day)
        ("2025-10-12", "America/New_York", "XNYS", "2025-10-13", "2025-10-13"),
        ("2025-10-12", "America/New_York", "XTKS", "2025-10-14", "2025-10-14"),
        ("2025-10-12", "Asia/Shanghai", "XASX", "2025-10-13", "2025-10-13"),
    ],
)
def test_date_rule_and_late_convention_by_hand(date, zone, exchange, day0, late):
    ev = _events([date], zone)
    assert calendars.day0_table(ev, [exchange])["day0"].iloc[0] == pd.Timestamp(day0)
    old = calendars.day0_table(ev, [exchange], date_rule="end_of_day")
    assert old["day0"].iloc[0] == pd.Timestamp(late)
    assert old["rule"].iloc[0] == "end_of_day"
    # the late convention is the first close after 23:59:59 local: never earlier than the date rule
    assert calendars.day0(calendars.day_instant(date, zone), exchange) == pd.Timestamp(late)


def test_timed_events_keep_the_first_close_after():
    ev = _events(["2025-06-27T15:30:00+08:00"], "Asia/Shanghai", precision="approx")
    table = calendars.day0_table(ev, ["XSHG", "XNYS"])
    assert list(table["day0"]) == [pd.Timestamp("2025-06-30"), pd.Timestamp("2025-06-27")]
    assert set(table["rule"]) == {"first_close_after"}


def test_date_day0_scalar_and_array():
    assert calendars.date_day0("2025-06-28", "XTKS") == pd.Timestamp("2025-06-30")
    out = calendars.date_day0(pd.to_datetime(["2025-06-27", "2025-06-28"]).values, "XASX")
    assert list(pd.DatetimeIndex(out)) == [pd.Timestamp("2025-06-27"), pd.Timestamp("2025-06-30")]
    with pytest.raises(CalendarError, match="date_rule"):
        calendars.day0_table(_events(["2025-06-27"], "Asia/Shanghai"), ["XNYS"], date_rule="noon")


def test_the_deal_is_day0_on_2025_06_27_on_every_exchange():
    ev = read_events(ROOT / "events.csv")
    table = calendars.day0_table(ev.frame, list(EXCHANGES))
    deal = table[table["event_id"] == "jun27_deal_formalised"]
    assert (deal["day0"] == pd.Timestamp("2025-06-27")).all() and len(deal) == 5
    assert set(deal["rule"]) == {"calendar_date"}
    # the robustness variants: the late convention puts Asia on Monday; the early release puts New York on Thursday
    late = calendars.day0_table(ev.frame, list(EXCHANGES), date_rule="end_of_day")
    late = late[late["event_id"] == "jun27_deal_formalised"].set_index("exchange")["day0"]
    assert late["XNYS"] == pd.Timestamp("2025-06-27") and (late.drop("XNYS") == pd.Timestamp("2025-06-30")).all()
    early = calendars.day0_table(ev.with_early_release().frame, list(EXCHANGES))
    early = early[early["event_id"] == "jun27_deal_formalised"].set_index("exchange")
    assert early.loc["XNYS", "day0"] == pd.Timestamp("2025-06-26")
    assert (early.drop("XNYS")["day0"] == pd.Timestamp("2025-06-27")).all()
    assert set(early["rule"]) == {"first_close_after"}


def test_every_timed_event_says_where_its_time_came_from():
    frame = read_events(ROOT / "events.csv").frame
    timed = frame[frame["time_precision"] != "day"]
    assert (timed["time_source"].str.len() > 0).all()
    deal = frame.set_index("event_id").loc["jun27_deal_formalised"]
    assert deal["time_precision"] == "day" and deal["early_announced_at"] == "2025-06-26T14:00:00-04:00"


def test_early_release_needs_an_offset():
    frame = _events(["2025-06-27"], "Asia/Shanghai").drop(columns=["announced_at_utc"])
    frame["early_announced_at"] = ["2025-06-26 14:00"]
    with pytest.raises(EventsError, match=r"<frame>:2:early_announced_at.*UTC offset"):
        EventTable.from_frame(frame)
