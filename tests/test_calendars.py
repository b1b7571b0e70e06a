"""Tests of eventstudy.calendars: sessions, closes and the announcement → day-0 mapping (METHODS.md §1).

Every expected date below is written by hand from the exchanges' published 2024–2025 schedules (trading hours,
holidays, early closes, daylight-saving dates), not computed by the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.calendars import (
    SUPPORTED_EXCHANGES,
    day0,
    day0_table,
    day_instant,
    event_day_offset,
    get_calendar,
    session_closes,
    sessions,
    shift_sessions,
)
from eventstudy.errors import CalendarError, EventsError


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def d(text: str) -> pd.Timestamp:
    """A session date: tz-naive midnight."""
    return pd.Timestamp(text)


# ---------------------------------------------------------------------------------------------------------
# Day 0 within a regular session day (Wednesday 2025-06-25 is a session on all five exchanges)
# ---------------------------------------------------------------------------------------------------------

# (exchange, instant, expected day0). Local closes: XNYS 16:00 EDT (-04), XASX 16:00 AEST (+10),
# XSHG/XSHE 15:00 CST (+08), XTKS 15:30 JST (+09).
DURING = [
    ("XNYS", "2025-06-25T11:00-04:00", "2025-06-25"),
    ("XASX", "2025-06-25T11:00+10:00", "2025-06-25"),
    ("XSHG", "2025-06-25T10:00+08:00", "2025-06-25"),
    ("XSHE", "2025-06-25T10:00+08:00", "2025-06-25"),
    ("XTKS", "2025-06-25T10:00+09:00", "2025-06-25"),
    # before the open counts as "before the close" too
    ("XNYS", "2025-06-25T08:00-04:00", "2025-06-25"),
    # the lunch break is inside the session: the close is still ahead
    ("XSHG", "2025-06-25T12:00+08:00", "2025-06-25"),
    ("XTKS", "2025-06-25T12:00+09:00", "2025-06-25"),
]

JUST_BEFORE_CLOSE = [
    ("XNYS", "2025-06-25T15:59:59.999999999-04:00", "2025-06-25"),
    ("XASX", "2025-06-25T15:59:59.999999999+10:00", "2025-06-25"),
    ("XSHG", "2025-06-25T14:59:59.999999999+08:00", "2025-06-25"),
    ("XSHE", "2025-06-25T14:59:59.999999999+08:00", "2025-06-25"),
    ("XTKS", "2025-06-25T15:29:59.999999999+09:00", "2025-06-25"),
]

AT_CLOSE = [
    ("XNYS", "2025-06-25T16:00-04:00", "2025-06-26"),
    ("XASX", "2025-06-25T16:00+10:00", "2025-06-26"),
    ("XSHG", "2025-06-25T15:00+08:00", "2025-06-26"),
    ("XSHE", "2025-06-25T15:00+08:00", "2025-06-26"),
    ("XTKS", "2025-06-25T15:30+09:00", "2025-06-26"),
]

AFTER_CLOSE = [
    ("XNYS", "2025-06-25T17:00-04:00", "2025-06-26"),
    ("XASX", "2025-06-25T17:00+10:00", "2025-06-26"),
    ("XSHG", "2025-06-25T16:00+08:00", "2025-06-26"),
    ("XSHE", "2025-06-25T16:00+08:00", "2025-06-26"),
    ("XTKS", "2025-06-25T15:45+09:00", "2025-06-26"),
    # Friday after the close → Monday
    ("XNYS", "2025-06-27T16:30-04:00", "2025-06-30"),
    ("XASX", "2025-06-27T16:30+10:00", "2025-06-30"),
    ("XSHG", "2025-06-27T15:30+08:00", "2025-06-30"),
    ("XSHE", "2025-06-27T15:30+08:00", "2025-06-30"),
    ("XTKS", "2025-06-27T16:00+09:00", "2025-06-30"),
]


@pytest.mark.parametrize(("exchange", "instant", "expected"), DURING)
def test_announcement_during_session_is_that_session(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


@pytest.mark.parametrize(("exchange", "instant", "expected"), JUST_BEFORE_CLOSE)
def test_one_nanosecond_before_close_is_that_session(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


@pytest.mark.parametrize(("exchange", "instant", "expected"), AT_CLOSE)
def test_announcement_exactly_at_close_is_next_session(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


@pytest.mark.parametrize(("exchange", "instant", "expected"), AFTER_CLOSE)
def test_announcement_after_close_is_next_session(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


# ---------------------------------------------------------------------------------------------------------
# Weekends
# ---------------------------------------------------------------------------------------------------------

WEEKENDS = [
    # Saturday / Sunday noon local time → Monday 2025-06-30
    ("XNYS", "2025-06-28T12:00-04:00", "2025-06-30"),
    ("XNYS", "2025-06-29T12:00-04:00", "2025-06-30"),
    ("XASX", "2025-06-28T12:00+10:00", "2025-06-30"),
    ("XASX", "2025-06-29T12:00+10:00", "2025-06-30"),
    ("XSHG", "2025-06-28T12:00+08:00", "2025-06-30"),
    ("XSHG", "2025-06-29T12:00+08:00", "2025-06-30"),
    ("XSHE", "2025-06-28T12:00+08:00", "2025-06-30"),
    ("XSHE", "2025-06-29T12:00+08:00", "2025-06-30"),
    ("XTKS", "2025-06-28T12:00+09:00", "2025-06-30"),
    ("XTKS", "2025-06-29T12:00+09:00", "2025-06-30"),
    # a weekend before a Monday holiday → Tuesday
    ("XNYS", "2025-05-24T12:00-04:00", "2025-05-27"),  # Memorial Day 05-26
    ("XASX", "2025-06-07T12:00+10:00", "2025-06-10"),  # King's Birthday 06-09
    ("XSHG", "2025-05-31T12:00+08:00", "2025-06-03"),  # Dragon Boat Festival 06-02
    ("XSHE", "2025-05-31T12:00+08:00", "2025-06-03"),
    ("XTKS", "2025-10-11T12:00+09:00", "2025-10-14"),  # Sports Day 10-13
    # Sunday evening in New York is Monday morning in Asia, before the open: still Monday's session
    ("XTKS", "2025-06-29T20:00-04:00", "2025-06-30"),
    ("XASX", "2025-06-29T20:00-04:00", "2025-06-30"),
]


@pytest.mark.parametrize(("exchange", "instant", "expected"), WEEKENDS)
def test_weekend_announcement_is_next_session(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


# ---------------------------------------------------------------------------------------------------------
# Exchange holidays and early closes of 2025
# ---------------------------------------------------------------------------------------------------------

HOLIDAYS = [
    ("XNYS", "2025-07-04T11:00-04:00", "2025-07-07"),  # Independence Day (Friday)
    ("XNYS", "2025-01-09T11:00-05:00", "2025-01-10"),  # national day of mourning, President Carter
    ("XNYS", "2025-04-18T11:00-04:00", "2025-04-21"),  # Good Friday
    ("XNYS", "2025-11-27T11:00-05:00", "2025-11-28"),  # Thanksgiving
    ("XASX", "2025-04-25T11:00+10:00", "2025-04-28"),  # Anzac Day (Friday)
    ("XASX", "2025-04-17T16:30+10:00", "2025-04-22"),  # after Thursday's close: Good Friday + Easter Monday
    ("XASX", "2025-01-27T11:00+11:00", "2025-01-28"),  # Australia Day (observed)
    ("XSHG", "2025-04-04T10:00+08:00", "2025-04-07"),  # Qingming
    ("XSHE", "2025-04-04T10:00+08:00", "2025-04-07"),
    ("XSHG", "2025-10-01T10:00+08:00", "2025-10-09"),  # Golden Week 10-01..10-08
    ("XSHE", "2025-10-01T10:00+08:00", "2025-10-09"),
    ("XSHG", "2025-09-30T15:30+08:00", "2025-10-09"),  # after the last close before Golden Week
    ("XSHG", "2025-10-05T10:00+08:00", "2025-10-09"),  # inside Golden Week, on a Sunday
    ("XSHG", "2025-01-27T15:30+08:00", "2025-02-05"),  # Spring Festival 01-28..02-04
    ("XSHG", "2025-05-01T10:00+08:00", "2025-05-06"),  # Labour Day 05-01..05-05
    ("XTKS", "2025-10-13T10:00+09:00", "2025-10-14"),  # Sports Day
    ("XTKS", "2025-03-20T10:00+09:00", "2025-03-21"),  # Vernal Equinox Day
    ("XTKS", "2025-05-02T16:00+09:00", "2025-05-07"),  # Golden Week: 05-03..05-06
    ("XTKS", "2024-12-30T16:00+09:00", "2025-01-06"),  # year-end closure 12-31..01-03
]

EARLY_CLOSES = [
    ("XNYS", "2025-07-03T12:30-04:00", "2025-07-03"),  # before the 13:00 early close
    ("XNYS", "2025-07-03T13:00-04:00", "2025-07-07"),  # at it: next session is after Independence Day
    ("XNYS", "2025-07-03T13:30-04:00", "2025-07-07"),
    ("XNYS", "2025-11-28T13:30-05:00", "2025-12-01"),  # day after Thanksgiving
    ("XASX", "2025-12-24T14:00+11:00", "2025-12-24"),  # before the 14:10 Christmas Eve close
    ("XASX", "2025-12-24T14:30+11:00", "2025-12-29"),  # after it; 12-25 and 12-26 closed
]


@pytest.mark.parametrize(("exchange", "instant", "expected"), HOLIDAYS)
def test_holiday_announcement_is_next_session(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


@pytest.mark.parametrize(("exchange", "instant", "expected"), EARLY_CLOSES)
def test_early_close_is_the_close(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


# ---------------------------------------------------------------------------------------------------------
# Daylight saving and a change of trading hours (instants given in UTC on purpose)
# ---------------------------------------------------------------------------------------------------------

CLOCK_CHANGES = [
    # US DST began 2025-03-09: NYSE close 21:00 UTC before, 20:00 UTC after
    ("XNYS", "2025-03-07T20:30Z", "2025-03-07"),
    ("XNYS", "2025-03-10T20:30Z", "2025-03-11"),
    # US DST ended 2025-11-02: NYSE close 20:00 UTC before, 21:00 UTC after
    ("XNYS", "2025-10-31T20:30Z", "2025-11-03"),
    ("XNYS", "2025-11-03T20:30Z", "2025-11-03"),
    # Australian DST ended 2025-04-06: ASX close 05:00 UTC (AEDT) before, 06:00 UTC (AEST) after
    ("XASX", "2025-04-04T05:30Z", "2025-04-07"),
    ("XASX", "2025-04-07T05:30Z", "2025-04-07"),
    # Australian DST began 2025-10-05: ASX close 06:00 UTC before, 05:00 UTC after
    ("XASX", "2025-10-03T05:30Z", "2025-10-03"),
    ("XASX", "2025-10-06T05:30Z", "2025-10-07"),
    # TSE close moved from 15:00 to 15:30 JST on 2024-11-05 (11-04 was a holiday)
    ("XTKS", "2024-11-01T15:15+09:00", "2024-11-05"),
    ("XTKS", "2024-11-05T15:15+09:00", "2024-11-05"),
    ("XTKS", "2025-06-25T15:15+09:00", "2025-06-25"),
]


@pytest.mark.parametrize(("exchange", "instant", "expected"), CLOCK_CHANGES)
def test_close_follows_clock_changes(exchange, instant, expected):
    assert day0(ts(instant), exchange) == d(expected)


# ---------------------------------------------------------------------------------------------------------
# Cross-time-zone cases from the study
# ---------------------------------------------------------------------------------------------------------

BEIJING_FRIDAY = "2025-06-27T15:30+08:00"  # after every Asian close, before New York's
US_AFTER_CLOSE = "2025-04-02T16:05-04:00"  # 20:05 UTC, before the Asian closes of 04-03

CROSS_ZONE = [
    (BEIJING_FRIDAY, "XNYS", "2025-06-27"),
    (BEIJING_FRIDAY, "XASX", "2025-06-30"),  # ASX closed at 16:00 AEST = 14:00 Beijing
    (BEIJING_FRIDAY, "XSHG", "2025-06-30"),
    (BEIJING_FRIDAY, "XSHE", "2025-06-30"),
    (BEIJING_FRIDAY, "XTKS", "2025-06-30"),
    (US_AFTER_CLOSE, "XNYS", "2025-04-03"),
    (US_AFTER_CLOSE, "XASX", "2025-04-03"),  # ASX 04-03 closes 05:00 UTC on 04-03
    (US_AFTER_CLOSE, "XSHG", "2025-04-03"),
    (US_AFTER_CLOSE, "XSHE", "2025-04-03"),
    (US_AFTER_CLOSE, "XTKS", "2025-04-03"),
]


@pytest.mark.parametrize(("instant", "exchange", "expected"), CROSS_ZONE)
def test_cross_time_zone_day0(instant, exchange, expected):
    assert day0(ts(instant), exchange) == d(expected)


# ---------------------------------------------------------------------------------------------------------
# Date-only announcements
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "timezone", "expected"),
    [
        ("2025-06-27", "Asia/Shanghai", "2025-06-27T15:59:59Z"),
        ("2025-06-27", "America/New_York", "2025-06-28T03:59:59Z"),  # EDT, -04
        ("2025-01-15", "America/New_York", "2025-01-16T04:59:59Z"),  # EST, -05
        ("2025-04-05", "Australia/Sydney", "2025-04-05T12:59:59Z"),  # last AEDT evening, +11
        ("2025-04-06", "Australia/Sydney", "2025-04-06T13:59:59Z"),  # AEST, +10
        ("2025-06-27", "UTC", "2025-06-27T23:59:59Z"),
    ],
)
def test_day_instant_is_end_of_local_day_in_utc(date, timezone, expected):
    assert day_instant(date, timezone) == ts(expected)


def test_day_instant_is_utc():
    assert str(day_instant("2025-06-27", "Asia/Shanghai").tz) == "UTC"


def test_day_instant_accepts_date_objects():
    import datetime

    assert day_instant(datetime.date(2025, 6, 27), "Asia/Shanghai") == ts("2025-06-27T15:59:59Z")


@pytest.mark.parametrize(("exchange", "expected"), [("XNYS", "2025-06-27"), ("XSHG", "2025-06-30")])
def test_day0_of_date_only_beijing_announcement(exchange, expected):
    assert day0(day_instant("2025-06-27", "Asia/Shanghai"), exchange) == d(expected)


def test_day_instant_missing_date_is_nat():
    assert day_instant(None, "Asia/Shanghai") is pd.NaT


# ---------------------------------------------------------------------------------------------------------
# Calendars, sessions and closes
# ---------------------------------------------------------------------------------------------------------


def test_xshe_uses_the_shanghai_sessions():
    assert sessions("XSHE", "2025-01-01", "2025-12-31").equals(sessions("XSHG", "2025-01-01", "2025-12-31"))


def test_get_calendar_is_cached():
    assert get_calendar("XNYS") is get_calendar("XNYS")


def test_get_calendar_alias_shares_instance():
    assert get_calendar("XSHE") is get_calendar("XSHG")


def test_get_calendar_starts_in_2000():
    assert get_calendar("XNYS").first_session == d("2000-01-03")


def test_other_exchange_calendars_names_are_accepted():
    # London: Good Friday 2025-04-18 and Easter Monday 04-21 closed
    assert day0(ts("2025-04-17T17:00+01:00"), "XLON") == d("2025-04-22")


@pytest.mark.parametrize("exchange", SUPPORTED_EXCHANGES)
def test_every_supported_exchange_has_a_calendar_covering_2025(exchange):
    cal = get_calendar(exchange)
    assert cal.first_session <= d("2024-01-02") and cal.last_session >= d("2025-12-31")


@pytest.mark.parametrize(
    ("exchange", "start", "end", "expected"),
    [
        (
            "XNYS",
            "2025-07-01",
            "2025-07-08",
            ["2025-07-01", "2025-07-02", "2025-07-03", "2025-07-07", "2025-07-08"],
        ),
        ("XSHG", "2025-09-29", "2025-10-10", ["2025-09-29", "2025-09-30", "2025-10-09", "2025-10-10"]),
        ("XASX", "2025-04-24", "2025-04-28", ["2025-04-24", "2025-04-28"]),
        ("XTKS", "2025-10-10", "2025-10-14", ["2025-10-10", "2025-10-14"]),
        ("XNYS", "2025-07-04", "2025-07-04", []),
    ],
)
def test_sessions_in_range(exchange, start, end, expected):
    assert list(sessions(exchange, start, end)) == [d(x) for x in expected]


def test_sessions_are_tz_naive_midnights():
    idx = sessions("XASX", "2025-01-01", "2025-12-31")
    assert idx.tz is None and (idx == idx.normalize()).all()


@pytest.mark.parametrize(
    ("bound", "start", "end"),
    [("start", "1990-01-02", "2025-01-02"), ("end", "2025-01-02", "2090-01-02")],
)
def test_sessions_out_of_calendar_names_bound_and_span(bound, start, end):
    with pytest.raises(CalendarError, match=rf"^{bound}: .*spans 2000-01-03 to \d{{4}}-\d\d-\d\d"):
        sessions("XNYS", start, end)


@pytest.mark.parametrize(
    ("exchange", "session", "close_utc"),
    [
        ("XNYS", "2025-07-03", "2025-07-03T17:00Z"),  # early close, 13:00 EDT
        ("XNYS", "2025-03-07", "2025-03-07T21:00Z"),
        ("XNYS", "2025-03-10", "2025-03-10T20:00Z"),
        ("XASX", "2025-12-24", "2025-12-24T03:10Z"),  # early close, 14:10 AEDT
        ("XASX", "2025-06-27", "2025-06-27T06:00Z"),
        ("XSHE", "2025-06-27", "2025-06-27T07:00Z"),
        ("XTKS", "2024-11-01", "2024-11-01T06:00Z"),
        ("XTKS", "2024-11-05", "2024-11-05T06:30Z"),
    ],
)
def test_session_closes_values(exchange, session, close_utc):
    assert session_closes(exchange)[d(session)] == ts(close_utc)


def test_session_closes_index_naive_values_utc():
    closes = session_closes("XTKS")
    assert closes.index.tz is None and str(closes.dt.tz) == "UTC"


# ---------------------------------------------------------------------------------------------------------
# Vectorised day 0 and the long table
# ---------------------------------------------------------------------------------------------------------

ALL_CASES = DURING + JUST_BEFORE_CLOSE + AT_CLOSE + AFTER_CLOSE + WEEKENDS + HOLIDAYS + CLOCK_CHANGES


@pytest.mark.parametrize("exchange", SUPPORTED_EXCHANGES)
def test_vectorised_series_equals_scalar(exchange):
    instants = pd.Series([ts(i).tz_convert("UTC") for _, i, _ in ALL_CASES])
    instants.index = instants.index * 7  # an index that is not 0..n-1
    out = day0(instants, exchange)
    assert out.index.equals(instants.index)
    assert list(out) == [day0(i, exchange) for i in instants]


def test_vectorised_mixed_zones_object_series():
    instants = pd.Series([ts(BEIJING_FRIDAY), ts(US_AFTER_CLOSE)], dtype=object)
    assert list(day0(instants, "XNYS")) == [d("2025-06-27"), d("2025-04-03")]


def test_vectorised_datetimeindex_returns_datetimeindex():
    idx = pd.DatetimeIndex([ts(BEIJING_FRIDAY), ts("2025-06-28T12:00+08:00")]).tz_convert("UTC")
    out = day0(idx, "XSHG")
    assert isinstance(out, pd.DatetimeIndex) and list(out) == [d("2025-06-30"), d("2025-06-30")]


def test_vectorised_list_returns_array_of_same_shape():
    out = day0([ts(BEIJING_FRIDAY), ts(US_AFTER_CLOSE)], "XASX")
    assert out.shape == (2,) and list(pd.DatetimeIndex(out)) == [d("2025-06-30"), d("2025-04-03")]


def test_nat_passes_through_vectorised():
    instants = pd.to_datetime(pd.Series([US_AFTER_CLOSE, None, BEIJING_FRIDAY]), utc=True)
    out = day0(instants, "XNYS")
    assert out.isna().tolist() == [False, True, False]


def test_nat_passes_through_object_series():
    instants = pd.Series([ts(US_AFTER_CLOSE), pd.NaT, ts(BEIJING_FRIDAY)], dtype=object)
    out = day0(instants, "XSHG")
    assert out.isna().tolist() == [False, True, False]


def test_nat_passes_through_day0_table():
    missing = pd.Series([pd.NaT], dtype="datetime64[ns, UTC]")
    events = pd.DataFrame({"event_id": ["E1"], "announced_at_utc": missing})
    assert day0_table(events, ["XNYS", "XASX"])["day0"].isna().all()


def test_nat_passes_through_scalar():
    assert day0(pd.NaT, "XNYS") is pd.NaT


def test_vectorised_result_is_tz_naive_dates():
    out = day0(pd.Series([ts(BEIJING_FRIDAY)]), "XTKS")
    assert out.dt.tz is None and out.iloc[0] == d("2025-06-30")


@pytest.fixture
def events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E3"],
            "announced_at_utc": pd.to_datetime(
                ["2025-06-27T07:30:00Z", "2025-04-02T20:05:00Z", "2025-10-01T02:00:00Z"], utc=True
            ),
        }
    )


def test_day0_table_columns(events):
    table = day0_table(events, ["XNYS", "XSHG"])
    assert list(table.columns) == ["event_id", "exchange", "announced_at_utc", "day0", "rule"]


def test_day0_table_one_row_per_event_and_exchange_in_order(events):
    table = day0_table(events, ["XNYS", "XSHG"])
    assert list(zip(table["event_id"], table["exchange"], strict=True)) == [
        ("E1", "XNYS"),
        ("E1", "XSHG"),
        ("E2", "XNYS"),
        ("E2", "XSHG"),
        ("E3", "XNYS"),
        ("E3", "XSHG"),
    ]


def test_day0_table_values(events):
    table = day0_table(events, ["XNYS", "XSHG", "XASX"])
    expected = [
        "2025-06-27",
        "2025-06-30",
        "2025-06-30",  # E1: Beijing Friday 15:30
        "2025-04-03",
        "2025-04-03",
        "2025-04-03",  # E2: New York 16:05 EDT
        "2025-10-01",
        "2025-10-09",
        "2025-10-01",  # E3: Golden Week for Shanghai only
    ]
    assert list(table["day0"]) == [d(x) for x in expected]


def test_day0_table_keeps_announcement(events):
    table = day0_table(events, ["XNYS", "XTKS"])
    assert list(table["announced_at_utc"]) == list(events["announced_at_utc"].repeat(2))


def test_day0_table_single_exchange_string(events):
    assert list(day0_table(events, "XTKS")["exchange"]) == ["XTKS"] * 3


def test_day0_table_missing_column():
    with pytest.raises(EventsError, match="announced_at_utc"):
        day0_table(pd.DataFrame({"event_id": ["E1"]}), ["XNYS"])


# ---------------------------------------------------------------------------------------------------------
# Event time
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exchange", "day0_", "date", "expected"),
    [
        ("XNYS", "2025-07-03", "2025-07-07", 1),
        ("XNYS", "2025-07-07", "2025-07-02", -2),
        ("XNYS", "2025-07-07", "2025-07-07", 0),
        ("XSHG", "2025-09-30", "2025-10-09", 1),
        ("XSHE", "2025-10-09", "2025-09-29", -2),
        ("XTKS", "2025-10-10", "2025-10-14", 1),
        ("XASX", "2025-04-17", "2025-04-28", 4),  # 04-22, 04-23, 04-24, (Anzac Day 04-25), 04-28
    ],
)
def test_event_day_offset(exchange, day0_, date, expected):
    assert event_day_offset(exchange, day0_, date) == expected


@pytest.mark.parametrize(
    ("exchange", "day0_", "n", "expected"),
    [
        ("XNYS", "2025-07-03", 1, "2025-07-07"),
        ("XNYS", "2025-07-07", -1, "2025-07-03"),
        ("XNYS", "2025-07-07", 0, "2025-07-07"),
        ("XSHG", "2025-09-30", 1, "2025-10-09"),
        ("XASX", "2025-04-17", 4, "2025-04-28"),
        ("XTKS", "2025-01-06", -1, "2024-12-30"),
    ],
)
def test_shift_sessions(exchange, day0_, n, expected):
    assert shift_sessions(exchange, day0_, n) == d(expected)


def test_event_day_offset_vectorised():
    window = sessions("XNYS", "2025-06-30", "2025-07-09")
    assert list(event_day_offset("XNYS", d("2025-07-03"), window)) == [-3, -2, -1, 0, 1, 2, 3]


def test_shift_sessions_vectorised():
    out = shift_sessions("XNYS", d("2025-07-03"), np.arange(-3, 4))
    assert list(pd.DatetimeIndex(out)) == list(sessions("XNYS", "2025-06-30", "2025-07-09"))


def test_shift_sessions_series_keeps_index():
    day0s = pd.Series([d("2025-07-03"), d("2025-09-30")], index=["a", "b"])
    out = shift_sessions("XSHG", day0s, 1)
    assert list(out.index) == ["a", "b"] and list(out) == [d("2025-07-04"), d("2025-10-09")]


def test_event_day_offset_rejects_non_session():
    with pytest.raises(CalendarError, match=r"^date: not a session of XNYS.*2025-07-04"):
        event_day_offset("XNYS", "2025-07-03", "2025-07-04")


def test_shift_sessions_rejects_non_session_day0():
    with pytest.raises(CalendarError, match=r"^day0: not a session of XSHG.*2025-10-01"):
        shift_sessions("XSHG", "2025-10-01", 1)


def test_shift_sessions_outside_calendar():
    with pytest.raises(CalendarError, match=r"^n: shift leaves the XNYS calendar.*-100000"):
        shift_sessions("XNYS", "2025-07-03", -100_000)


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["XXXX", "NASDAQ-GS", "xnys"])
def test_unknown_exchange_message(bad):
    with pytest.raises(CalendarError) as info:
        get_calendar(bad)
    msg = str(info.value)
    assert msg.startswith("exchange: ") and repr(bad) in msg and "XNYS" in msg and "XSHE" in msg
    assert "exchange_calendars" in msg and "\n" not in msg


def test_unknown_exchange_in_day0():
    with pytest.raises(CalendarError, match="'XXXX'"):
        day0(ts(BEIJING_FRIDAY), "XXXX")


def test_unknown_exchange_is_value_error():
    with pytest.raises(ValueError):
        sessions("XXXX", "2025-01-02", "2025-01-03")


def test_naive_timestamp_rejected():
    with pytest.raises(CalendarError, match=r"^instant: .*no time zone.*2025-06-27 15:30"):
        day0(ts("2025-06-27 15:30"), "XNYS")


def test_naive_series_rejected():
    with pytest.raises(CalendarError, match="no time zone"):
        day0(pd.Series(pd.to_datetime(["2025-06-27 15:30"])), "XNYS")


def test_naive_element_in_object_list_rejected():
    with pytest.raises(CalendarError, match="no time zone"):
        day0([ts(BEIJING_FRIDAY), ts("2025-06-27 15:30")], "XNYS")


@pytest.mark.parametrize("zone", ["Beijing", "Asia/Shangai", "+08:00", ""])
def test_unknown_timezone_message(zone):
    with pytest.raises(CalendarError) as info:
        day_instant("2025-06-27", zone)
    msg = str(info.value)
    assert msg.startswith("timezone: ") and repr(zone) in msg


def test_day_instant_rejects_time_of_day():
    with pytest.raises(CalendarError, match=r"^date: .*time of day"):
        day_instant("2025-06-27 15:30", "Asia/Shanghai")


def test_instant_past_calendar_end_message():
    last = get_calendar("XNYS").last_session
    with pytest.raises(CalendarError) as info:
        day0(ts("2095-01-01T00:00Z"), "XNYS")
    msg = str(info.value)
    assert "2095-01-01" in msg and f"last session {last:%Y-%m-%d}" in msg


def test_instant_past_calendar_end_in_array():
    with pytest.raises(CalendarError, match="2095-01-01"):
        day0(pd.Series([ts(BEIJING_FRIDAY), ts("2095-01-01T00:00Z")]), "XSHG")


def test_instant_before_calendar_start():
    with pytest.raises(CalendarError, match=r"^instant: before the first session.*2000-01-03.*1995-01-01"):
        day0(ts("1995-01-01T00:00Z"), "XNYS")


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------

_LO = pd.Timestamp("2000-02-01", tz="UTC").value
_HI = pd.Timestamp("2026-11-30", tz="UTC").value
instants_ns = st.integers(min_value=_LO, max_value=_HI)
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


@PROPS
@given(exchange=st.sampled_from(SUPPORTED_EXCHANGES), a=instants_ns, b=instants_ns)
def test_day0_is_monotone(exchange, a, b):
    lo, hi = sorted((a, b))
    assert day0(_utc(lo), exchange) <= day0(_utc(hi), exchange)


@PROPS
@given(exchange=st.sampled_from(SUPPORTED_EXCHANGES), t=instants_ns)
def test_day0_is_a_session(exchange, t):
    assert get_calendar(exchange).is_session(day0(_utc(t), exchange))


@PROPS
@given(exchange=st.sampled_from(SUPPORTED_EXCHANGES), t=instants_ns)
def test_day0_close_after_and_previous_close_not_after(exchange, t):
    closes = get_calendar(exchange).closes  # exchange_calendars directly, not this module
    session = day0(_utc(t), exchange)
    i = closes.index.get_loc(session)
    assert closes.iloc[i] > _utc(t)
    assert closes.iloc[i - 1] <= _utc(t)


@PROPS
@given(exchange=st.sampled_from(SUPPORTED_EXCHANGES), ts_ns=st.lists(instants_ns, min_size=1, max_size=30))
def test_vectorised_equals_scalar_property(exchange, ts_ns):
    idx = pd.DatetimeIndex([_utc(x) for x in ts_ns])
    assert list(day0(idx, exchange)) == [day0(x, exchange) for x in idx]


@PROPS
@given(
    exchange=st.sampled_from(SUPPORTED_EXCHANGES),
    # at least 300 sessions away from both ends of every calendar
    t=st.integers(
        min_value=pd.Timestamp("2002-01-01", tz="UTC").value,
        max_value=pd.Timestamp("2025-06-30", tz="UTC").value,
    ),
    n=st.integers(min_value=-300, max_value=300),
)
def test_shift_then_offset_round_trip(exchange, t, n):
    start = day0(_utc(t), exchange)
    assert event_day_offset(exchange, start, shift_sessions(exchange, start, n)) == n
