"""Every bad input of the issue, and what the toolkit does with it.

Each case below has a named test in this file (or the file named), and each test asserts the message's content.
"error" means a typed :class:`~eventstudy.errors.EventStudyError` in the library and, on the command line, exit
code 2 with one line naming the file/row/column or parameter, the value and the fix (``--debug`` shows the
traceback); "warning" means a :class:`~eventstudy.errors.DataWarning`, a line in the run summary and a column of
``data_notes.csv``; an outcome code is the ``status`` of the firm-events concerned.

=====================================================  ================================================================
case                                                   result
=====================================================  ================================================================
events: missing column                                 error ``EventsError`` (``events.csv:1:COLUMN``)
events: extra (unknown) column                         error, nearest valid column suggested
events: duplicate ``event_id``                         error, both lines named
events: unparseable ``announced_at``                   error
events: unknown IANA zone                              error, nearest zone suggested
events: naive time with ``time_precision = exact``     error, the offset to add is suggested
events: day 0 outside an exchange's calendar           error ``EventsError`` naming the event, exchange and span
events: day 0 after every price of an exchange         outcome ``no_data`` for those firm-events + warning
events: day 0 before every price of an exchange        outcome ``pre_listing`` (``no_data`` if the benchmark has no
                                                       price either) + warning
events: empty file / header without rows               error
events: UTF-8 BOM, ``;`` delimiter, CRLF line ends     accepted (read identically)
events: ``javascript:`` / non-http(s) ``source_url``   error (tests/test_safety.py)
universe: unknown exchange MIC                         error, nearest MIC suggested
universe: ticker without data                          outcome ``no_data`` + warning + ``data_notes.csv:failure``
universe: benchmark missing from the universe          error
universe: duplicate ticker                             error, both lines named
universe: ``first_valid_date`` after the event         outcome ``pre_listing``
prices: unsorted dates                                 error ``PriceDataError`` (``FILE:LINE:date``)
prices: duplicated dates                               error, both lines named
prices: non-numeric cell                               error (``FILE:LINE:COLUMN``)
prices: zero / negative / Inf close                    error (``FILE:LINE:close``)
prices: unadjusted split (|ln move| > ln 1.8 outside   warning naming ticker and date, and
every event window)                                    ``data_notes.csv:suspect_splits`` (tests/test_reliability.py)
prices: constant price (zero variance)                 outcome ``thin_trading`` (100 % zero returns)
prices: series shorter than the estimation window      outcome ``short_estimation``
prices: halt run in the event window                   outcome ``missing_event_window``
prices: halt run in the estimation window              outcome ``short_estimation`` (halt rows noted in data_notes)
prices: returns misaligned with their price file       error ``PriceDataError`` naming ticker and date
study.toml: unknown key                                error ``ConfigError``, nearest key suggested
study.toml: window with start > end                    error
study.toml: estimation window overlapping event window error, a non-overlapping window suggested
study.toml: CAR window outside the event window        error
study.toml: unknown model / test name                  error listing the valid names
study.toml: not TOML                                   error naming the line
=====================================================  ================================================================
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_reliability import SESSIONS, events_frame, fit, status, synthetic_prices, universe_frame

from eventstudy.config import read_study
from eventstudy.data.sources import FileSource, FrameSource
from eventstudy.errors import ConfigError, EventsError, EventStudyError, PriceDataError, UniverseError
from eventstudy.events import read_events
from eventstudy.study import EventStudy
from eventstudy.universe import read_universe


def _csv(frame: pd.DataFrame, path: Path, *, sep: str = ",", bom: bool = False, crlf: bool = False) -> Path:
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n" if crlf else "\n")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


def _message(exc_type: type[EventStudyError], func, *args) -> str:
    with pytest.raises(exc_type) as info:
        func(*args)
    msg = str(info.value)
    assert "\n" not in msg and "fix:" in msg, msg
    return msg


# ---------------------------------------------------------------------------------------------------------------
# events.csv
# ---------------------------------------------------------------------------------------------------------------

EVENT_FILE_CASES = [
    pytest.param(
        lambda f: f.drop(columns=["event_id"]),
        ["events.csv:1:event_id", "missing required column(s): event_id", "fix: the events table needs"],
        id="events-missing-column",
    ),
    pytest.param(
        lambda f: f.rename(columns={"description": "descripton"}),
        ["events.csv:1:descripton", "unknown column", "did you mean 'description'?"],
        id="events-extra-column",
    ),
    pytest.param(
        lambda f: f.assign(event_id=["ev1", "ev1"]),
        ["events.csv:3:event_id", "duplicate event_id, already used on line 2", "(got 'ev1')"],
        id="events-duplicate-id",
    ),
    pytest.param(
        lambda f: f.assign(announced_at=["15/01/2025", "2025-03-05"]),
        ["events.csv:2:announced_at", "cannot read the announcement time", "'15/01/2025'", "ISO-8601"],
        id="events-unparseable-timestamp",
    ),
    pytest.param(
        lambda f: f.assign(timezone=["America/New_Yrok", "America/New_York"]),
        ["events.csv:2:timezone", "unknown IANA time zone", "did you mean 'America/New_York'?"],
        id="events-unknown-zone",
    ),
    pytest.param(
        lambda f: f.assign(announced_at=["2025-01-15T16:00:00", "2025-03-05"], time_precision=["exact", "day"]),
        ["events.csv:2:announced_at", "an exact time without a UTC offset", "e.g. 2025-01-15T16:00:00-05:00"],
        id="events-naive-exact",
    ),
]


@pytest.mark.parametrize(("change", "parts"), EVENT_FILE_CASES)
def test_events_file_errors(tmp_path: Path, change, parts: list[str]) -> None:
    path = _csv(change(events_frame()), tmp_path / "events.csv")
    msg = _message(EventsError, read_events, path)
    for part in parts:
        assert part in msg


def test_events_empty_file(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_bytes(b"\r\n  \n")
    msg = _message(EventsError, read_events, tmp_path / "events.csv")
    assert msg == "events.csv:1: the file is empty; fix: write a header line and at least one row"


def test_events_header_without_rows(tmp_path: Path) -> None:
    path = _csv(events_frame().iloc[:0], tmp_path / "events.csv")
    msg = _message(EventsError, read_events, path)
    assert msg.startswith("events.csv:2: the events table has a header but no rows")


@pytest.mark.parametrize(
    ("sep", "bom", "crlf"),
    [(",", True, False), (";", False, False), (",", False, True), (";", True, True)],
    ids=["bom", "semicolon", "crlf", "all-three"],
)
def test_events_dialects_are_accepted(tmp_path: Path, sep: str, bom: bool, crlf: bool) -> None:
    plain = read_events(_csv(events_frame(), tmp_path / "plain.csv"))
    other = read_events(_csv(events_frame(), tmp_path / "other.csv", sep=sep, bom=bom, crlf=crlf))
    pd.testing.assert_frame_equal(plain.frame, other.frame)
    assert other.ids == ("ev1", "ev2")
    assert str(other.frame.loc[0, "announced_at_utc"]) == "2025-01-16 04:59:59+00:00"


def test_event_outside_the_calendar_is_an_error() -> None:
    events = events_frame(("2025-01-15", "2031-06-02"))
    with pytest.raises(EventsError) as info:
        EventStudy(events, universe_frame(), synthetic_prices(), min_estimation=50, estimation_window=(-120, -11))
    msg = str(info.value)
    assert msg.startswith("<frame>:ev2:announced_at: day 0 on XNYS lies outside its calendar (")
    assert "2031-06-02" in msg and "fix: check the date" in msg


def test_event_after_every_price_is_no_data_with_a_warning() -> None:
    res, notes = fit(events=events_frame(("2025-01-15", "2025-06-03")))
    assert status(res, "AAA", "ev2") == status(res, "BBB", "ev2") == "no_data"
    assert status(res, "AAA", "ev1") == "ok"
    assert notes == [
        "event ev2: day 0 2025-06-03 on XNYS lies after the last price of every security there (2024-01-02 to "
        "2025-04-30); its firm-events on XNYS get the outcome no_data"
    ]


def test_event_before_every_price_is_pre_listing_with_a_warning() -> None:
    prices = synthetic_prices()
    prices.loc[prices.index < "2025-02-03", ["AAA", "BBB"]] = float("nan")
    res, notes = fit(FrameSource(_long(prices)), min_estimation=10)
    assert status(res, "AAA", "ev1") == status(res, "BBB", "ev1") == "pre_listing"
    assert notes == [
        "event ev1: day 0 2025-01-15 on XNYS lies before the first price of every security there (2025-02-03 to "
        "2025-04-03); its firm-events on XNYS get the outcome pre_listing (no_data where the benchmark has no "
        "price either)"
    ]
    spy_too = synthetic_prices()
    spy_too = spy_too[spy_too.index >= "2025-02-03"]
    res, notes = fit(spy_too, min_estimation=10)
    assert status(res, "AAA", "ev1") == "no_data" and len(notes) == 1


# ---------------------------------------------------------------------------------------------------------------
# universe.csv
# ---------------------------------------------------------------------------------------------------------------

UNIVERSE_CASES = [
    pytest.param(
        lambda f: f.assign(exchange=["XNSY", "XNYS", "XNYS"]),
        ["universe.csv:2:exchange", "unknown exchange of AAA (got 'XNSY')", "did you mean 'XNYS'?"],
        id="universe-unknown-mic",
    ),
    pytest.param(
        lambda f: f.assign(benchmark=["SPX", "SPY", ""]),
        [
            "universe.csv:2:benchmark",
            "the benchmark of AAA is not a ticker of the universe (got 'SPX')",
            "did you mean 'SPY'?",
            "add SPX as a row with group benchmark",
        ],
        id="universe-benchmark-missing",
    ),
    pytest.param(
        lambda f: f.assign(ticker=["AAA", "AAA", "SPY"]),
        ["universe.csv:3:ticker", "duplicate ticker, already listed on line 2 (got 'AAA')", "list each security once"],
        id="universe-duplicate-ticker",
    ),
    pytest.param(
        lambda f: f.assign(first_valid_date=["2025/02/01", "", ""]),
        ["universe.csv:2:first_valid_date", "cannot read the first valid date", "'2025/02/01'"],
        id="universe-bad-first-valid-date",
    ),
]


@pytest.mark.parametrize(("change", "parts"), UNIVERSE_CASES)
def test_universe_file_errors(tmp_path: Path, change, parts: list[str]) -> None:
    path = _csv(change(universe_frame()), tmp_path / "universe.csv")
    msg = _message(UniverseError, read_universe, path)
    for part in parts:
        assert part in msg


def test_ticker_without_data_is_no_data_and_listed(tmp_path: Path) -> None:
    prices = synthetic_prices()
    for t in ("AAA", "SPY"):
        prices[[t]].rename(columns={t: "close"}).to_csv(tmp_path / f"{t}.csv")
    res, notes = fit(FileSource(tmp_path))
    assert set(res.firm_events.loc[res.firm_events["ticker"] == "BBB", "status"]) == {"no_data"}
    assert set(res.firm_events.loc[res.firm_events["ticker"] == "AAA", "status"]) == {"ok"}
    failure = res.data_notes.set_index("ticker").loc["BBB", "failure"]
    assert failure == f"no price file BBB.csv or .parquet in {tmp_path}"
    assert notes == [f"BBB: no prices ({failure}); its firm-events get the outcome no_data"]


def test_first_valid_date_after_the_event_is_pre_listing() -> None:
    res, _ = fit(universe=universe_frame(AAA="2025-02-03"))
    assert status(res, "AAA", "ev1") == "pre_listing"
    assert status(res, "AAA", "ev2") == "short_estimation"  # listed 22 sessions before ev2: too short
    assert status(res, "BBB", "ev1") == "ok"
    start = pd.Timestamp(res.settings["data_start"])
    expected = int(((start <= SESSIONS) & (pd.Timestamp("2025-02-03") > SESSIONS)).sum())
    assert res.data_notes.set_index("ticker").loc["AAA", "rows_before_first_valid_date"] == expected > 100


# ---------------------------------------------------------------------------------------------------------------
# price files
# ---------------------------------------------------------------------------------------------------------------

PRICE_FILE_CASES = [
    pytest.param(
        "date,close\n2024-07-01,10\n2024-07-03,11\n2024-07-02,12\n",
        ["AAA.csv:4:date", "dates are not sorted ascending (2024-07-02 comes after 2024-07-03)", "sort the file"],
        id="prices-unsorted",
    ),
    pytest.param(
        "date,close\n2024-07-01,10\n2024-07-02,11\n2024-07-02,12\n",
        ["AAA.csv:4:date", "duplicated date, first at", "AAA.csv:3:date", "keep one row per date"],
        id="prices-duplicated",
    ),
    pytest.param(
        "date,close,volume\n2024-07-01,10,100\n2024-07-02,ten,100\n",
        ["AAA.csv:3:close", "not a number (got 'ten')"],
        id="prices-non-numeric",
    ),
    pytest.param(
        "date,close\n2024-07-01,10\n2024-07-02,0\n",
        ["AAA.csv:3:close", "close must be positive (got '0')", "correct the price or delete the row"],
        id="prices-zero",
    ),
    pytest.param(
        "date,close\n2024-07-01,-10\n",
        ["AAA.csv:2:close", "close must be positive (got '-10')"],
        id="prices-negative",
    ),
    pytest.param(
        "date,close\n2024-07-01,10\n2024-07-02,Inf\n",
        ["AAA.csv:3:close", "infinite value (got 'Inf')"],
        id="prices-inf",
    ),
]


@pytest.mark.parametrize(("text", "parts"), PRICE_FILE_CASES)
def test_price_file_errors_stop_the_study(tmp_path: Path, text: str, parts: list[str]) -> None:
    (tmp_path / "AAA.csv").write_text(text)
    msg = _message(PriceDataError, fit, FileSource(tmp_path))
    for part in parts:
        assert part in msg


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.melt(ignore_index=False, var_name="ticker", value_name="close").dropna().reset_index()


def test_constant_price_is_thin_trading() -> None:
    prices = synthetic_prices()
    prices["AAA"] = 25.0
    res, _ = fit(prices)
    fe = res.firm_events.set_index(["event_id", "ticker"])
    assert set(fe.xs("AAA", level="ticker")["status"]) == {"thin_trading"}
    assert fe.loc[("ev1", "AAA"), "zero_share"] == 1.0
    assert pd.isna(fe.loc[("ev1", "AAA"), "car_0_0"])  # no number without a usable status
    assert set(fe.xs("BBB", level="ticker")["status"]) == {"ok"}


def test_series_shorter_than_the_estimation_window_is_short_estimation() -> None:
    prices = synthetic_prices()
    day0 = SESSIONS.get_loc(pd.Timestamp("2025-01-15"))  # ev1 is date-only: day 0 is the session of its date
    prices.loc[prices.index < SESSIONS[day0 - 40], "AAA"] = float("nan")  # 29 estimation returns < 50
    res, _ = fit(FrameSource(_long(prices)))
    fe = res.firm_events.set_index(["event_id", "ticker"])
    assert fe.loc[("ev1", "AAA"), "status"] == "short_estimation"
    assert fe.loc[("ev1", "AAA"), "n_estimation"] == 29
    assert fe.loc[("ev2", "AAA"), "status"] == "ok"


def test_halt_run_in_the_event_window_is_missing_event_window() -> None:
    prices = synthetic_prices()
    day0 = SESSIONS.get_loc(pd.Timestamp("2025-01-15"))  # ev1 is date-only: day 0 is the session of its date
    prices.loc[SESSIONS[day0 + 1 : day0 + 3], "AAA"] = float("nan")  # halted on days +1 and +2
    res, _ = fit(FrameSource(_long(prices)))
    fe = res.firm_events.set_index(["event_id", "ticker"])
    assert fe.loc[("ev1", "AAA"), "status"] == "missing_event_window"
    assert pd.notna(fe.loc[("ev1", "AAA"), "car_0_0"]) and pd.isna(fe.loc[("ev1", "AAA"), "car_m1_1"])
    out = res.outcomes.set_index(["event_id", "ticker"]).loc[("ev1", "AAA")]
    assert out["status"] == "missing_event_window" and out["reason"]


def test_halt_run_in_the_estimation_window_is_short_estimation() -> None:
    prices = synthetic_prices()
    long = _long(prices).assign(volume=1e6)
    day0 = SESSIONS.get_loc(pd.Timestamp("2025-01-15"))  # ev1 is date-only: day 0 is the session of its date
    halted = SESSIONS[day0 - 100 : day0 - 30]  # a vendor-kept halt: flat close, zero volume
    mask = (long["ticker"] == "AAA") & long["date"].isin(halted)
    long.loc[mask, "close"] = float(prices.loc[SESSIONS[day0 - 101], "AAA"])
    long.loc[mask, "volume"] = 0.0
    res, _ = fit(FrameSource(long))
    fe = res.firm_events.set_index(["event_id", "ticker"])
    assert fe.loc[("ev1", "AAA"), "status"] == "short_estimation"
    assert fe.loc[("ev1", "AAA"), "n_estimation"] < 50
    assert res.data_notes.set_index("ticker").loc["AAA", "rows_halt"] == 70


# ---------------------------------------------------------------------------------------------------------------
# study.toml
# ---------------------------------------------------------------------------------------------------------------

TOML_CASES = [
    pytest.param(
        "estimation_windw = [-250, -11]\n",
        ["study.toml:estimation_windw: unknown key 'estimation_windw'", "did you mean 'estimation_window'?"],
        id="toml-unknown-key",
    ),
    pytest.param(
        '[study]\nmodle = "market"\n',
        ["study.toml:study.modle: unknown key 'modle'", "did you mean 'model'?"],
        id="toml-unknown-key-in-section",
    ),
    pytest.param(
        "event_window = [10, -10]\n",
        ["study.toml:event_window: start > end (got [10, -10])", "start <= end"],
        id="toml-window-start-after-end",
    ),
    pytest.param(
        "estimation_window = [-250, -5]\nevent_window = [-10, 10]\n",
        ["study.toml:estimation_window: [-250, -5] overlaps the event window [-10, 10]", "e.g. [-250, -11]"],
        id="toml-estimation-overlaps-event",
    ),
    pytest.param(
        "car_windows = [[0, 20]]\n",
        ["study.toml:car_windows: [0, 20] is not inside the event window [-10, 10]"],
        id="toml-car-window-outside",
    ),
    pytest.param(
        "estimation_window = [-250]\n",
        ["study.toml:estimation_window: must be a pair of whole numbers [start, end] (got [-250])"],
        id="toml-window-not-a-pair",
    ),
    pytest.param(
        "model = market\n",
        ["study.toml: not valid TOML", "line 1"],
        id="toml-syntax",
    ),
]


@pytest.mark.parametrize(("text", "parts"), TOML_CASES)
def test_study_file_errors(tmp_path: Path, text: str, parts: list[str]) -> None:
    (tmp_path / "study.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        read_study(tmp_path / "study.toml")
    msg = str(info.value)
    assert "\n" not in msg and "fix" in msg
    for part in parts:
        assert part in msg


def test_unknown_model_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        EventStudy(events_frame(), universe_frame(), synthetic_prices(), model="market_modle")
    msg = str(info.value)
    assert msg.startswith("model: unknown model 'market_modle'; did you mean")
    assert "valid models are: " in msg and "constant_mean" in msg and "market_adjusted" in msg


def test_unknown_test_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        EventStudy(events_frame(), universe_frame(), synthetic_prices(), tests=["csect_t", "kp_bmp"])
    msg = str(info.value)
    assert msg.startswith("tests: unknown test 'kp_bmp'") and "did you mean 'kp_bmp_t'?" in msg
    assert "valid tests are: " in msg and "patell_z" in msg
