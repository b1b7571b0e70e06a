"""The events table: the curated study file, every validation error, file dialects and round trips."""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eventstudy.errors import DataWarning, EventsError
from eventstudy.events import (
    ALL_EVENT_COLUMNS,
    EVENT_COLUMNS,
    SIGN_VALUES,
    EventTable,
    read_events,
)

#: The rare-earth study's expected-sign columns and directions (data of that study, not of the library).
SIGN_COLUMNS = ("sign_miners_ex_china", "sign_miners_china", "sign_defense")
DIRECTIONS = ("escalation", "deescalation", "industrial_policy", "allied_framework")
#: The columns of a normalised frame built from :func:`_row` (the signs follow ``timezone``).
ROW_COLUMNS = [*ALL_EVENT_COLUMNS[:9], *SIGN_COLUMNS, *ALL_EVENT_COLUMNS[9:], "announced_at_utc"]

HEADLINE_RESEARCH_IDS = {"E05", "E10", "E14", "E15", "E17", "E22", "E31"}
FIRM_SPECIFIC_RESEARCH_IDS = {"E09", "E14b", "E21", "E25", "E36"}


@pytest.fixture(scope="module")
def events_path(repo_dir: Path) -> Path:
    return repo_dir / "events.csv"


@pytest.fixture(scope="module")
def table(events_path: Path) -> EventTable:
    return read_events(events_path)


def _row(event_id: str = "e1", **changes: str) -> dict[str, str]:
    row = {
        "event_id": event_id,
        "title": "An event",
        "announced_at": "2025-04-02T16:00:00-04:00",
        "time_precision": "exact",
        "timezone": "America/New_York",
        "sign_miners_ex_china": "+",
        "sign_miners_china": "-",
        "sign_defense": "0",
        "headline": "false",
    }
    row.update(changes)
    return row


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _error(path: Path) -> str:
    with pytest.raises(EventsError) as info:
        read_events(path)
    message = str(info.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------------------------------------
# The curated file
# ------------------------------------------------------------------------------------------------------------


def test_real_file_validates(table: EventTable, events_path: Path) -> None:
    assert list(table.frame.columns) == ROW_COLUMNS
    assert table.name == "events.csv"
    assert 30 <= len(table) <= 34
    assert len(set(table.ids)) == len(table)
    assert table.frame["announced_at_utc"].is_monotonic_increasing
    assert table.frame["announced_at_utc"].is_unique, "two events share the very same instant"
    assert set(table.frame["direction"]) <= set(DIRECTIONS)
    for column in SIGN_COLUMNS:
        assert set(table.frame[column]) <= set(SIGN_VALUES)
    assert all(len(t) <= 60 for t in table.frame["title"])
    assert all(re.match(r"https?://", u) for u in table.frame["source_url"])
    assert table.frame["research_id"].is_unique


def test_deal_formalisation_row(table: EventTable) -> None:
    row = table.frame.set_index("event_id").loc["jun27_deal_formalised"]
    assert row["research_id"] == "E15"
    assert bool(row["headline"]) is True
    assert row["time_precision"] == "day"
    assert row["timezone"] == "Asia/Shanghai"
    assert row["announced_at"] == "2025-06-27"
    assert row["announced_at_utc"] == pd.Timestamp("2025-06-27 15:59:59", tz="UTC")


def test_headline_set_is_exactly_the_seven_events(table: EventTable) -> None:
    research = table.frame.set_index("event_id")["research_id"]
    assert len(table.headline_ids) == 7
    assert {research[i] for i in table.headline_ids} == HEADLINE_RESEARCH_IDS
    assert {"apr04_china_controls", "jun27_deal_formalised"} <= set(table.headline_ids)


def test_exact_event_instant(table: EventTable) -> None:
    row = table.frame.set_index("research_id").loc["E04"]
    assert row["time_precision"] == "exact"
    assert row["announced_at_utc"] == pd.Timestamp("2025-04-02 20:00", tz="UTC")


@pytest.mark.parametrize(
    ("research_id", "utc"),
    [
        ("E05", "2025-04-04 10:00"),  # Beijing evening, after the ASX close and before the US open
        ("E10", "2025-05-12 07:30"),  # Geneva morning, CEST (+02:00)
        ("E14", "2025-06-10 21:00"),  # late evening London, BST (+01:00)
        ("E33", "2025-11-03 20:28"),  # New York after the end of daylight saving (EST, -05:00)
    ],
)
def test_approx_instants_respect_daylight_saving(table: EventTable, research_id: str, utc: str) -> None:
    row = table.frame.set_index("research_id").loc[research_id]
    assert row["time_precision"] == "approx"
    assert row["announced_at_utc"] == pd.Timestamp(utc, tz="UTC")


def test_firm_specific_items_are_left_out_but_named_as_confounders(table: EventTable) -> None:
    assert not FIRM_SPECIFIC_RESEARCH_IDS & set(table.frame["research_id"])
    confounders = " ".join(table.frame["confounders"])
    for research_id in FIRM_SPECIFIC_RESEARCH_IDS:
        assert f"({research_id}" in confounders, research_id


def test_policy_deals_with_firms_are_kept(table: EventTable) -> None:
    research = set(table.frame["research_id"])
    assert {"E17", "E18", "E33"} <= research


def test_day_precision_rows_are_plain_dates(table: EventTable) -> None:
    day = table.frame[table.frame["time_precision"] == "day"]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", a) for a in day["announced_at"])
    timed = table.frame[table.frame["time_precision"] != "day"]
    assert all(re.search(r"[+-]\d{2}:\d{2}$", a) for a in timed["announced_at"])


def test_helpers(table: EventTable) -> None:
    ids = ["oct30_busan_suspension", "apr04_china_controls"]
    sub = table.subset(ids)
    assert sub.ids == ("apr04_china_controls", "oct30_busan_suspension")  # table order
    assert len(sub) == 2 and sub.name == table.name
    assert table.instants["apr02_liberation_day"] == pd.Timestamp("2025-04-02 20:00", tz="UTC")
    with pytest.raises(EventsError, match=r"events\.csv:event_id: unknown event id.*apr04_china_control'"):
        table.subset(["apr04_china_control"])


def test_from_frame_round_trip(table: EventTable) -> None:
    again = EventTable.from_frame(table.frame, name="copy")
    pd.testing.assert_frame_equal(again.frame, table.frame)
    assert again.name == "copy"


# ------------------------------------------------------------------------------------------------------------
# Dialects: BOM, semicolons, CRLF, padding
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "newline", "bom", "pad"),
    [
        (";", "\n", False, False),
        (",", "\r\n", False, False),
        (",", "\n", True, False),
        (";", "\r\n", True, True),
    ],
)
def test_dialects_read_identically(
    events_path: Path, tmp_path: Path, delimiter: str, newline: str, bom: bool, pad: bool
) -> None:
    plain = read_events(events_path)
    with events_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if pad:
        rows = [[f"  {cell} " if cell else cell for cell in row] for row in rows]
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator=newline).writerows(rows)
    if bom:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    other = read_events(path)
    pd.testing.assert_frame_equal(other.frame, plain.frame)


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    rows = [_row("a", title="two\nlines"), _row("b"), _row("a")]
    message = _error(_write(tmp_path / "events.csv", rows))
    assert message.startswith("events.csv:5:event_id: duplicate event_id, already used on line 2")


def test_only_required_columns_and_some_optional_ones(tmp_path: Path) -> None:
    rows = [_row("a", description="d", confounders="")]
    table = read_events(_write(tmp_path / "ev.csv", rows))
    assert list(table.frame.columns) == ROW_COLUMNS
    assert table.frame.loc[0, "source_url"] == ""
    assert table.frame.loc[0, "description"] == "d"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("true", True), ("FALSE", False), ("Yes", True), ("no", False), ("1", True), ("0", False)],
)
def test_headline_words(tmp_path: Path, word: str, expected: bool) -> None:
    table = read_events(_write(tmp_path / "ev.csv", [_row(headline=word)]))
    assert bool(table.frame.loc[0, "headline"]) is expected


def test_approx_naive_time_is_local_to_the_timezone(tmp_path: Path) -> None:
    row = _row(announced_at="2025-04-04T18:00", time_precision="approx", timezone="Asia/Shanghai")
    table = read_events(_write(tmp_path / "ev.csv", [row]))
    assert table.frame.loc[0, "announced_at_utc"] == pd.Timestamp("2025-04-04 10:00", tz="UTC")


def test_day_precision_is_end_of_local_day(tmp_path: Path) -> None:
    row = _row(announced_at="2025-11-01", time_precision="day")  # still EDT on Nov 1
    table = read_events(_write(tmp_path / "ev.csv", [row]))
    assert table.frame.loc[0, "announced_at_utc"] == pd.Timestamp("2025-11-02 03:59:59", tz="UTC")


# ------------------------------------------------------------------------------------------------------------
# Every error names FILE:LINE:COLUMN, the value and a fix
# ------------------------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("")
    assert _error(path).startswith("events.csv:1: the file is empty; fix:")
    path.write_text("  \r\n\n")
    assert "the file is empty" in _error(path)


def test_header_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(",".join(EVENT_COLUMNS) + "\n")
    message = _error(path)
    assert message.startswith("events.csv:2:") and "no rows" in message


def test_missing_required_column(tmp_path: Path) -> None:
    columns = [c for c in _row() if c != "event_id"]
    message = _error(_write(tmp_path / "events.csv", [_row()], columns))
    assert message.startswith("events.csv:1:event_id: missing required column(s): event_id")
    assert ", ".join(EVENT_COLUMNS) in message


def test_missing_announcement_column_names_the_alias(tmp_path: Path) -> None:
    columns = [c for c in _row() if c != "announced_at"]
    message = _error(_write(tmp_path / "events.csv", [_row()], columns))
    assert message.startswith("events.csv:1:announced_at: missing required column: announced_at")
    assert "(or date)" in message


def test_two_announcement_columns(tmp_path: Path) -> None:
    row = _row(date="2025-04-02")
    message = _error(_write(tmp_path / "events.csv", [row]))
    assert message.startswith("events.csv:1:date: two columns give the announcement date: announced_at, date")


def test_unknown_column_suggests_the_nearest(tmp_path: Path) -> None:
    row = _row()
    row["headlines"] = row.pop("headline")
    message = _error(_write(tmp_path / "events.csv", [row]))
    assert message.startswith("events.csv:1:headlines: unknown column")
    assert "(got 'headlines')" in message
    assert "did you mean 'headline'?" in message
    assert "source_url" in message  # the allowed columns are listed


def test_duplicate_column(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    header = ",".join([*_row(), "title"])
    values = ",".join([*_row().values(), "x"])
    path.write_text(f"{header}\n{values}\n")
    assert "appears twice" in _error(path)


def test_duplicate_event_id_names_both_lines(tmp_path: Path) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row("a"), _row("b"), _row("a")]))
    assert message.startswith("events.csv:4:event_id: duplicate event_id, already used on line 2")
    assert "(got 'a')" in message


def test_empty_event_id(tmp_path: Path) -> None:
    assert _error(_write(tmp_path / "events.csv", [_row("")])).startswith("events.csv:2:event_id:")


@pytest.mark.parametrize("value", ["yesterday", "2025-13-45", "2025/04/02", "2025-04-02T25:00", "20250402", ""])
def test_unparseable_announced_at(tmp_path: Path, value: str) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(), _row("b", announced_at=value)]))
    assert message.startswith("events.csv:3:announced_at: cannot read the announcement time")
    assert f"(got {value!r})" in message
    assert "fix:" in message


def test_unknown_time_precision(tmp_path: Path) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(time_precision="minute")]))
    assert message.startswith("events.csv:2:time_precision: unknown time_precision (got 'minute')")
    assert "exact, approx, day" in message


def test_unknown_timezone(tmp_path: Path) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(timezone="America/New_Yrok")]))
    assert message.startswith("events.csv:2:timezone: unknown IANA time zone (got 'America/New_Yrok')")
    assert "did you mean 'America/New_York'?" in message


@pytest.mark.parametrize("zone", ["EDT", "../etc/passwd"])
def test_bad_timezone_names(tmp_path: Path, zone: str) -> None:
    assert _error(_write(tmp_path / "events.csv", [_row(timezone=zone)])).startswith("events.csv:2:timezone:")


def test_exact_time_needs_an_offset(tmp_path: Path) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(announced_at="2025-04-02T16:00:00")]))
    assert message.startswith("events.csv:2:announced_at: an exact time without a UTC offset")
    assert "(got '2025-04-02T16:00:00')" in message
    assert "2025-04-02T16:00:00-04:00" in message  # the fix shows the offset to add


def test_day_precision_with_a_time(tmp_path: Path) -> None:
    row = _row(announced_at="2025-06-27T09:00:00+08:00", time_precision="day", timezone="Asia/Shanghai")
    message = _error(_write(tmp_path / "events.csv", [row]))
    assert message.startswith("events.csv:2:announced_at: a date with a time but time_precision is day")
    assert "write the date only (2025-06-27)" in message


def test_exact_precision_with_a_date_only(tmp_path: Path) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(announced_at="2025-04-02")]))
    assert "a date without a time but time_precision is exact" in message


def test_offset_must_match_the_timezone(tmp_path: Path) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(announced_at="2025-04-02T16:00:00-05:00")]))
    assert message.startswith("events.csv:2:announced_at: the UTC offset -05:00 is not the offset of America/New_York")
    assert "(-04:00)" in message


@pytest.mark.parametrize("local", ["2025-03-09T02:30", "2025-11-02T01:30"])
def test_approx_naive_time_in_a_dst_change(tmp_path: Path, local: str) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(announced_at=local, time_precision="approx")]))
    assert message.startswith("events.csv:2:announced_at: the local time")
    assert "daylight-saving" in message


@pytest.mark.parametrize("column", SIGN_COLUMNS)
@pytest.mark.parametrize("value", ["++", "positive", "+-"])
def test_bad_sign(tmp_path: Path, column: str, value: str) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(**{column: value})]))
    assert message.startswith(f"events.csv:2:{column}: unknown expected sign (got {value!r})")


@pytest.mark.parametrize("value", ["maybe", "y"])
def test_bad_headline(tmp_path: Path, value: str) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(headline=value)]))
    assert message.startswith(f"events.csv:2:headline: headline must be a boolean word (got {value!r})")


@pytest.mark.parametrize("url", ["ftp://example.com/x", "www.example.com", "javascript:alert(1)", "https://"])
def test_bad_source_url(tmp_path: Path, url: str) -> None:
    message = _error(_write(tmp_path / "events.csv", [_row(source_url=url)]))
    assert message.startswith(f"events.csv:2:source_url: the source URL is not an http(s) address (got {url!r})")


def test_direction_is_any_label_of_the_study(tmp_path: Path) -> None:
    table = read_events(_write(tmp_path / "events.csv", [_row(direction="beat"), _row("b", direction="miss")]))
    assert list(table.frame["direction"]) == ["beat", "miss"]


def test_row_with_too_many_cells(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row()])
    with path.open("a") as fh:
        fh.write(",".join(_row("b").values()) + ",extra\n")
    message = _error(path)
    assert message.startswith("events.csv:3: the row has 10 cells but the header (line 1) has 9")


def test_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", [_row(title="caf\u00e9")])
    path.write_bytes(path.read_bytes().replace("\u00e9".encode(), b"\xe9"))
    assert _error(path).startswith("events.csv:2: the file is not UTF-8 text")


def test_missing_file(tmp_path: Path) -> None:
    assert "file not found" in _error(tmp_path / "nope.csv")


def test_from_frame_names_rows_as_lines() -> None:
    frame = pd.DataFrame([_row("a"), _row("b", sign_defense="?")])
    with pytest.raises(EventsError, match=r"^<frame>:3:sign_defense: unknown expected sign \(got '\?'\)"):
        EventTable.from_frame(frame)
    with pytest.raises(EventsError, match=r"^mine\.csv:3:sign_defense:"):
        EventTable.from_frame(frame, name="mine.csv")


# ------------------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------------------

ZONES = ["America/New_York", "Asia/Shanghai", "Europe/London", "Europe/Zurich", "Asia/Tokyo", "UTC"]


@st.composite
def event_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    n = draw(st.integers(min_value=1, max_value=6))
    ids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), min_size=n, max_size=n, unique=True))
    rows = []
    for event_id in ids:
        zone = draw(st.sampled_from(ZONES))
        precision = draw(st.sampled_from(["exact", "approx", "day"]))
        moment = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)))
        moment = moment.replace(microsecond=0)
        if precision == "day":
            announced = moment.date().isoformat()
        else:
            aware = moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).astimezone(ZoneInfo(zone))
            announced = aware.isoformat()
        text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
        rows.append(
            {
                "event_id": event_id,
                "title": draw(text).strip(),
                "description": draw(text).strip(),
                "announced_at": announced,
                "time_precision": precision,
                "timezone": zone,
                "sign_miners_ex_china": draw(st.sampled_from(SIGN_VALUES)),
                "sign_miners_china": draw(st.sampled_from(SIGN_VALUES)),
                "sign_defense": draw(st.sampled_from(SIGN_VALUES)),
                "headline": draw(st.sampled_from(["true", "false", "yes", "no", "1", "0"])),
                "source_url": draw(st.sampled_from(["", "https://example.com/a?b=1", "http://x.org"])),
            }
        )
    return rows


def _expected_instant(row: dict[str, str]) -> pd.Timestamp:
    if row["time_precision"] == "day":
        end = datetime.fromisoformat(row["announced_at"]) + timedelta(hours=23, minutes=59, seconds=59)
        return pd.Timestamp(end.replace(tzinfo=ZoneInfo(row["timezone"]))).tz_convert("UTC")
    return pd.Timestamp(row["announced_at"]).tz_convert("UTC")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_rows(), delimiter=st.sampled_from([",", ";"]))
def test_valid_rows_round_trip(rows: list[dict[str, str]], delimiter: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        table = read_events(path)
        assert table.ids == tuple(r["event_id"] for r in rows)
        for i, row in enumerate(rows):
            assert table.frame.loc[i, "announced_at_utc"] == _expected_instant(row)
            assert bool(table.frame.loc[i, "headline"]) is (row["headline"] in ("true", "yes", "1"))
            assert table.frame.loc[i, "title"] == (row["title"] or row["event_id"])
        # written back and read again: the same table
        back = table.frame.drop(columns="announced_at_utc")
        back["headline"] = back["headline"].map({True: "true", False: "false"})
        path2 = Path(tmp) / "again.csv"
        back.to_csv(path2, index=False)
        pd.testing.assert_frame_equal(read_events(path2).frame, table.frame)
        pd.testing.assert_frame_equal(EventTable.from_frame(table.frame).frame, table.frame)


_DATE_START = re.compile(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@settings(max_examples=300, deadline=None)
@given(garbage=st.text(max_size=40), precision=st.sampled_from(["exact", "approx", "day"]))
def test_garbage_announced_at_raises_events_error(garbage: str, precision: str) -> None:
    assume(not _DATE_START.match(garbage))
    frame = pd.DataFrame([_row(announced_at=garbage, time_precision=precision)])
    with pytest.raises(EventsError, match=r"^<frame>:2:announced_at: "):
        EventTable.from_frame(frame)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?.{0,8}", fullmatch=True),
    ),
    precision=st.sampled_from(["exact", "approx", "day"]),
    zone=st.sampled_from([*ZONES, "Pacific/Chatham", "Australia/Lord_Howe"]),
)
def test_any_announced_at_either_parses_or_raises_events_error(text: str, precision: str, zone: str) -> None:
    frame = pd.DataFrame([_row(announced_at=text, time_precision=precision, timezone=zone)])
    try:
        table = EventTable.from_frame(frame)
    except EventsError as exc:
        assert str(exc).startswith("<frame>:2:announced_at: ")
    else:
        assert table.frame.loc[0, "announced_at_utc"].tz is not None


# ------------------------------------------------------------------------------------------------------------
# Minimal tables, defaults and firm-specific events
# ------------------------------------------------------------------------------------------------------------


def test_event_id_and_date_are_enough(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event_id,date\nfed_cut,2025-09-17\n")
    with pytest.warns(DataWarning, match=r"events\.csv: 1 event\(s\) have no timezone and are read in UTC.*fed_cut"):
        table = read_events(path)
    row = table.frame.iloc[0]
    assert row["announced_at"] == "2025-09-17"
    assert row["time_precision"] == "day"
    assert row["timezone"] == "UTC"
    assert row["title"] == "fed_cut"
    assert bool(row["headline"]) is False
    assert row["announced_at_utc"] == pd.Timestamp("2025-09-17 23:59:59", tz="UTC")
    assert table.default_zone == ("fed_cut",)
    assert table.signs.shape == (1, 0)


@pytest.mark.parametrize(
    ("value", "precision", "utc"),
    [
        ("2025-04-02T16:00:00-04:00", "exact", "2025-04-02 20:00"),
        ("2025-04-02T16:00", "approx", "2025-04-02 20:00"),
        ("2025-04-02", "day", "2025-04-03 03:59:59"),
    ],
)
def test_time_precision_defaults_from_the_form(value: str, precision: str, utc: str) -> None:
    frame = pd.DataFrame({"event_id": ["e"], "announced_at": [value], "timezone": ["America/New_York"]})
    table = EventTable.from_frame(frame)
    assert table.frame.loc[0, "time_precision"] == precision
    assert table.frame.loc[0, "announced_at_utc"] == pd.Timestamp(utc, tz="UTC")


def test_an_offset_without_a_timezone_fixes_the_instant() -> None:
    frame = pd.DataFrame({"event_id": ["e"], "announced_at": ["2025-04-04T18:00:00+08:00"]})
    table = EventTable.from_frame(frame)  # no warning: the instant is known
    assert table.frame.loc[0, "announced_at_utc"] == pd.Timestamp("2025-04-04 10:00", tz="UTC")
    assert table.default_zone == ()
    again = EventTable.from_frame(table.frame)
    pd.testing.assert_frame_equal(again.frame, table.frame)


def test_sign_columns_for_any_group(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "announced_at": ["2025-01-02", "2025-01-03"],
            "timezone": ["UTC", "UTC"],
            "sign_banks": ["+", ""],
            "sign_insurers": ["-", "+/-"],
        }
    )
    table = EventTable.from_frame(frame)
    assert list(table.signs.columns) == ["banks", "insurers"]
    assert table.signs.loc["a"].tolist() == ["+", "-"]
    assert table.signs.loc["b", "banks"] == ""
    bad = frame.assign(sign_banks=["+", "up"])
    with pytest.raises(EventsError, match=r"^<frame>:3:sign_banks: unknown expected sign \(got 'up'\)"):
        EventTable.from_frame(bad)


SECS = pd.DataFrame(
    {
        "ticker": ["MP", "LYC.AX", "7203.T", "LMT"],
        "group": ["miners", "miners", "autos", "defense"],
        "exchange": ["XNYS", "XASX", "XTKS", "XNYS"],
    }
)
ZONES_OF = {"XNYS": "America/New_York", "XASX": "Australia/Sydney", "XTKS": "Asia/Tokyo"}


def test_ticker_and_event_date_make_firm_specific_events(tmp_path: Path) -> None:
    path = tmp_path / "earnings.csv"
    path.write_text("ticker,event_date\nMP,2025-08-07\n7203.T,2025-08-07\nMP,2025-11-06\n")
    table = read_events(path)  # firm-specific: the zone waits for the universe, no warning yet
    assert table.ids == ("MP_2025-08-07", "7203.T_2025-08-07", "MP_2025-11-06")
    assert table.firm_specific == table.ids
    fe = table.firm_events(SECS)
    assert fe[["event_id", "ticker"]].values.tolist() == [
        ["MP_2025-08-07", "MP"],
        ["7203.T_2025-08-07", "7203.T"],
        ["MP_2025-11-06", "MP"],
    ]
    assert list(fe.columns) == ["event_id", *SECS.columns]
    local = table.for_universe(SECS, ZONES_OF)
    assert list(local.frame["timezone"]) == ["America/New_York", "Asia/Tokyo", "America/New_York"]
    assert local.instants["7203.T_2025-08-07"] == pd.Timestamp("2025-08-07 14:59:59", tz="UTC")
    assert local.instants["MP_2025-08-07"] == pd.Timestamp("2025-08-08 03:59:59", tz="UTC")


def test_market_wide_and_scoped_events_mix() -> None:
    frame = pd.DataFrame(
        {
            "event_id": ["policy", "deal", "sector"],
            "announced_at": ["2025-01-02", "2025-01-03", "2025-01-06"],
            "timezone": ["UTC", "America/New_York", ""],
            "tickers": ["", "MP; LMT", ""],
            "group": ["", "", "miners"],
        }
    )
    with pytest.warns(DataWarning, match="sector"):  # its securities trade in two zones: UTC, with a warning
        table = EventTable.from_frame(frame).for_universe(SECS, ZONES_OF)
    assert table.frame.loc[2, "timezone"] == "UTC"
    fe = table.firm_events(SECS)
    assert fe.groupby("event_id", sort=False)["ticker"].apply(list).to_dict() == {
        "policy": ["MP", "LYC.AX", "7203.T", "LMT"],
        "deal": ["MP", "LMT"],
        "sector": ["MP", "LYC.AX"],
    }
    table.check_scope(SECS)


def test_market_wide_firm_events_are_the_cross_product() -> None:
    frame = pd.DataFrame({"event_id": ["a", "b"], "announced_at": ["2025-01-02"] * 2, "timezone": ["UTC"] * 2})
    fe = EventTable.from_frame(frame).firm_events(SECS)
    pd.testing.assert_frame_equal(fe, frame[["event_id"]].merge(SECS, how="cross"))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("tickers", "MPP", r"^<frame>:2:tickers: the ticker is not in the universe \(got 'MPP'\); fix: did you mean"),
        ("tickers", "LMT", r"^<frame>:2:tickers: the ticker is in group 'defense', which the study leaves out"),
        ("group", "defence", r"^<frame>:2:group: the group is not a group of the universe \(got 'defence'\)"),
    ],
)
def test_scope_names_a_studied_security(column: str, value: str, message: str) -> None:
    frame = pd.DataFrame({"event_id": ["e"], "announced_at": ["2025-01-02"], "timezone": ["UTC"], column: [value]})
    studied = SECS[SECS["group"] != "defense"]
    with pytest.raises(EventsError, match=message):
        EventTable.from_frame(frame).check_scope(studied, SECS)


def test_one_ticker_per_row_in_the_ticker_column() -> None:
    frame = pd.DataFrame({"ticker": ["MP LMT"], "date": ["2025-01-02"], "timezone": ["UTC"]})
    with pytest.raises(EventsError, match=r"^<frame>:2:ticker: several tickers in the ticker column"):
        EventTable.from_frame(frame)
