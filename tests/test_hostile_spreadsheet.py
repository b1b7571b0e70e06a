"""Hostile input, a spreadsheet export at 2 a.m.: each case gets a correct result or one line naming the
file, row, column, value and fix.

Correct results: a byte-order mark, ``;`` delimiters, CRLF, trailing blank rows, trailing empty columns, spaces
around cells, mixed-case tickers (matched to their price files), a midnight time on a date-only announcement,
``NaN``/``#N/A`` in a universe column that may be empty. One-line errors: duplicated header columns (in every
table), duplicate event ids, Excel date formats, decimal commas, ``#N/A`` closes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_hostile_paths import make_study_dir, one_error_line, run, snapshot
from test_reliability import events_frame, universe_frame

from eventstudy.data.sources import FileSource
from eventstudy.errors import EventsError, PriceDataError, UniverseError
from eventstudy.events import read_events
from eventstudy.universe import read_universe


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_study_dir(tmp_path, monkeypatch)


def _excel(frame: pd.DataFrame, path: Path, *, sep: str = ";", trailing: int = 2, blank_rows: int = 3) -> Path:
    """``frame`` as a spreadsheet would export it: BOM, ``;``, CRLF, empty columns and blank rows at the end."""
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n")
    lines = [line + sep * trailing for line in text.rstrip("\r\n").split("\r\n")]
    lines += [sep * (len(frame.columns) - 1 + trailing)] * blank_rows
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    return path


def test_excel_exports_of_events_and_universe_read_like_clean_files(tmp_path: Path) -> None:
    events = events_frame().assign(title=lambda f: "  " + f["title"] + " ")
    clean_events = read_events(_write(events_frame(), tmp_path / "clean_events.csv"))
    got = read_events(_excel(events, tmp_path / "events.csv"))
    pd.testing.assert_frame_equal(got.frame, clean_events.frame)
    universe = universe_frame()
    universe["benchmark"] = ["SPY", "SPY", "#N/A"]
    universe["first_valid_date"] = ["NaN", "", "nan"]
    got_u = read_universe(_excel(universe, tmp_path / "universe.csv"))
    pd.testing.assert_frame_equal(got_u.frame, read_universe(_write(universe_frame(), tmp_path / "u.csv")).frame)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_midnight_time_on_a_date_only_event_is_the_date(tmp_path: Path) -> None:
    events = events_frame()
    events.loc[0, "announced_at"] = "2025-01-15 00:00:00"  # a date cell exported with its time
    got = read_events(_write(events, tmp_path / "events.csv"))
    want = read_events(_write(events_frame(), tmp_path / "want.csv"))
    assert got.frame.loc[0, "announced_at_utc"] == want.frame.loc[0, "announced_at_utc"]
    events.loc[0, "announced_at"] = "2025-01-15 09:30:00"  # a real time still needs time_precision exact/approx
    with pytest.raises(EventsError, match="a date with a time but time_precision is day"):
        read_events(_write(events, tmp_path / "events.csv"))


@pytest.mark.parametrize(
    ("table", "reader", "error"),
    [("events", read_events, EventsError), ("universe", read_universe, UniverseError)],
)
def test_duplicated_header_columns_are_named(tmp_path: Path, table: str, reader, error) -> None:
    frame = events_frame() if table == "events" else universe_frame()
    text = frame.to_csv(index=False).splitlines()
    first = text[0].split(",")[1]
    text = [f"{line},{line.split(',')[1]}" for line in text]
    path = tmp_path / f"{table}.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(error) as info:
        reader(path)
    msg = str(info.value)
    assert msg.startswith(f"{table}.csv:1:{first}: column {first!r} appears twice") and "fix: delete one" in msg


def test_duplicate_event_ids_name_both_lines(tmp_path: Path) -> None:
    events = events_frame()
    events.loc[1, "event_id"] = "ev1"
    with pytest.raises(EventsError) as info:
        read_events(_write(events, tmp_path / "events.csv"))
    assert str(info.value).startswith("events.csv:3:event_id: duplicate event_id, already used on line 2 (got 'ev1')")


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("date,close,close\n2024-01-02,10,1\n", "X.csv:1", "column 'close' appears twice (columns 2 and 3)"),
        ("Date;Adj Close\n2024-01-02;10,5\n", "X.csv:2:Adj Close", "not a number (got '10,5')"),
        (
            "date,close\n02/01/2024,10\n",
            "X.csv:2:date",
            "a date in day/month or month/day order, which a file cannot tell apart (2024-01-02 day first or "
            "2024-02-01 month first) (got '02/01/2024'); fix: write dates as YYYY-MM-DD",
        ),
        (
            "date,close\n27/06/2025,10\n",
            "X.csv:2:date",
            "a date in day/month or month/day order, which a file cannot tell apart (2025-06-27 if the day comes "
            "first) (got '27/06/2025')",
        ),
        ("date,close\n2024-01-02,10\nTotal,10\n", "X.csv:3:date", "unparseable date (got 'Total')"),
        ("date,close\n2024-01-02,1 234.5\n", "X.csv:2:close", "not a number (got '1 234.5')"),
        ("date,close\n2024-01-02,12.5%\n", "X.csv:2:close", "not a number (got '12.5%')"),
        ("date,close\n2024-01-02,\u221210\n", "X.csv:2:close", "not a number (got '\u221210')"),
        ("date,close\n2024-01-02,10\n2024-01-03,#N/A\n", "X.csv:3:close", "empty close (got '#N/A')"),
        (
            "date,close\n45293,10\n",
            "X.csv:2:date",
            "a spreadsheet's serial date number (45293 is 2024-01-02), not a date (got '45293'); fix: format the "
            "column as dates (yyyy-mm-dd)",
        ),
    ],
)
def test_price_file_spreadsheet_mistakes_are_one_line(tmp_path: Path, text: str, where: str, problem: str) -> None:
    (tmp_path / "X.csv").write_text(text)
    with pytest.raises(PriceDataError) as info:
        FileSource(tmp_path).fetch(["X"])
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / where}: {problem}") and "fix:" in msg and "\n" not in msg


def test_price_file_with_bom_blank_rows_and_spaces_is_read(tmp_path: Path) -> None:
    (tmp_path / "X.csv").write_bytes(b"\xef\xbb\xbf Date ; Close \r\n 2024-01-02 ; 10 \r\n2024-01-03;11\r\n\r\n\r\n")
    got = FileSource(tmp_path).fetch(["X"]).prices
    assert list(got["close"]) == [10.0, 11.0]


def test_mixed_case_tickers_find_their_price_files(study_dir: Path) -> None:
    universe = universe_frame()
    universe["ticker"] = ["aaa", "BBB", "SPY"]  # the universe in lower case, the price file AAA.csv
    universe.to_csv(study_dir / "universe.csv", index=False)
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    fe = pd.read_csv(study_dir / "out" / "firm_events.csv")
    assert set(fe.loc[fe["ticker"] == "aaa", "status"]) == {"ok"}


def test_a_spreadsheet_study_runs_end_to_end(study_dir: Path) -> None:
    _excel(events_frame(), study_dir / "events.csv")
    _excel(universe_frame(), study_dir / "universe.csv")
    before = snapshot(study_dir, skip=study_dir / "out")
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert result.exit_code == 0, result.output
    fe = pd.read_csv(study_dir / "out" / "firm_events.csv")
    assert len(fe) == 4 and set(fe["status"]) == {"ok"}
    assert snapshot(study_dir, skip=study_dir / "out") == before


def test_a_decimal_comma_price_file_on_the_command_line(study_dir: Path) -> None:
    path = study_dir / "prices" / "BBB.csv"
    frame = pd.read_csv(path)
    frame.to_csv(path, index=False, sep=";", decimal=",")
    before = snapshot(study_dir)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert "BBB.csv:2:close: not a number" in line and "fix: write numbers with '.' as the decimal mark" in line
    assert snapshot(study_dir) == before


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook (.xlsx) or another zip file, not CSV text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls), not CSV text"),
        ("ticker,name\n".encode("utf-16"), "UTF-16 text (Excel's 'Unicode Text'), not UTF-8"),
    ],
)
@pytest.mark.parametrize("table", ["events", "universe", "prices"])
def test_a_workbook_or_utf16_file_saved_as_csv_is_one_line(tmp_path: Path, head: bytes, what: str, table: str) -> None:
    name = "X.csv" if table == "prices" else f"{table}.csv"
    path = tmp_path / name
    path.write_bytes(head + b"\x00" * 200)
    error = {"events": EventsError, "universe": UniverseError, "prices": PriceDataError}[table]
    with pytest.raises(error) as info:
        if table == "events":
            read_events(path)
        elif table == "universe":
            read_universe(path)
        else:
            FileSource(tmp_path).fetch(["X"])
    msg = str(info.value)
    where = str(path) if table == "prices" else name
    assert msg == f"{where}:1: {what}; fix: open it in the spreadsheet and save as CSV UTF-8 (comma-separated, " \
        "dates as YYYY-MM-DD)"  # fmt: skip


def test_a_workbook_as_the_events_file_on_the_command_line(study_dir: Path) -> None:
    (study_dir / "events.csv").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    before = snapshot(study_dir)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line == (
        "error: events.csv:1: an Excel workbook (.xlsx) or another zip file, not CSV text; fix: open it in the "
        "spreadsheet and save as CSV UTF-8 (comma-separated, dates as YYYY-MM-DD)"
    )
    assert snapshot(study_dir) == before


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("15/01/2025", "cannot read the announcement time (got '15/01/2025')"),  # day first
        ("01/15/2025", "cannot read the announcement time (got '01/15/2025')"),  # month first
        ("15.01.2025", "cannot read the announcement time (got '15.01.2025')"),
        ("45672", "cannot read the announcement time (got '45672')"),  # a serial date number
        ("15-Jan-2025", "cannot read the announcement time (got '15-Jan-2025')"),
    ],
)
def test_events_with_spreadsheet_dates_are_one_line(tmp_path: Path, cell: str, problem: str) -> None:
    events = events_frame()
    events.loc[0, "announced_at"] = cell
    with pytest.raises(EventsError) as info:
        read_events(_write(events, tmp_path / "events.csv"))
    assert str(info.value) == (
        f"events.csv:2:announced_at: {problem}; fix: write an ISO-8601 date (2025-06-27) or date and time with its "
        "UTC offset (2025-04-02T16:00:00-04:00)"
    )


def test_excel_booleans_and_stray_spaces_read_like_clean_files(tmp_path: Path) -> None:
    clean = read_events(_write(events_frame(), tmp_path / "clean.csv")).frame
    events = events_frame()
    events["headline"] = ["TRUE", "FALSE"]  # a spreadsheet's booleans
    events["event_id"] = [" ev1\u00a0", "ev2 "]  # a non-breaking space pasted from a web page
    got = read_events(_write(events, tmp_path / "events.csv")).frame
    pd.testing.assert_frame_equal(got, clean)
    universe = universe_frame()
    universe["ticker"] = ["AAA ", "\u00a0BBB", "SPY"]
    got_u = read_universe(_write(universe, tmp_path / "universe.csv")).frame
    assert list(got_u["ticker"]) == ["AAA", "BBB", "SPY"]


def test_a_ticker_with_an_inner_space_is_refused(tmp_path: Path) -> None:
    universe = universe_frame()
    universe.loc[0, "ticker"] = "AA A"
    with pytest.raises(UniverseError) as info:
        read_universe(_write(universe, tmp_path / "universe.csv"))
    assert str(info.value) == (
        "universe.csv:2:ticker: the ticker is empty or contains a space (got 'AA A'); fix: write the ticker as the "
        "price source spells it, e.g. MP, LYC.AX, 600111.SS"
    )
