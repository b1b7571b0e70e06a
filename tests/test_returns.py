"""Returns on a session calendar (METHODS §1): hand-computed values, gaps, halts and off-calendar rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.data import FileSource, ReturnsFrame, to_returns
from eventstudy.errors import ConfigError, PriceDataError

# Mon 2025-07-07 .. Fri 2025-07-11 and Mon 2025-07-14 .. Fri 2025-07-18
SESSIONS = pd.bdate_range("2025-07-07", "2025-07-18")


def series(values: dict[str, float]) -> pd.Series:
    return pd.Series(list(values.values()), index=pd.to_datetime(list(values)), dtype="float64")


def rets(result: ReturnsFrame) -> list[float]:
    return result.ret.tolist()


def assert_same(actual: list[float], expected: list[float], tol: float = 1e-15) -> None:
    assert len(actual) == len(expected), (actual, expected)
    for a, e in zip(actual, expected, strict=True):
        if math.isnan(e):
            assert math.isnan(a), (actual, expected)
        else:
            assert a == pytest.approx(e, abs=tol, rel=0), (actual, expected)


CLOSE = series({"2025-07-07": 10.0, "2025-07-08": 11.0, "2025-07-09": 12.1, "2025-07-10": 6.05})


def test_simple_returns_by_hand() -> None:
    r = to_returns(CLOSE, SESSIONS)
    assert r.frame.index.tolist() == list(SESSIONS[:4])
    assert r.frame.index.name == "date"
    assert list(r.frame.columns) == ["close", "ret"]
    assert r.close.tolist() == [10.0, 11.0, 12.1, 6.05]
    assert_same(rets(r), [math.nan, 0.1, 0.1, -0.5])
    assert r.notes.empty
    assert r.kind == "simple" and r.multi_day is False


def test_log_returns_by_hand() -> None:
    r = to_returns(CLOSE, SESSIONS, kind="log")
    assert_same(rets(r), [math.nan, math.log(1.1), math.log(1.1), math.log(0.5)])
    assert rets(r)[3] == pytest.approx(-0.6931471805599453, abs=1e-15)


def test_missing_day_makes_that_day_and_the_next_missing() -> None:
    close = series({"2025-07-07": 10.0, "2025-07-08": 11.0, "2025-07-10": 13.2, "2025-07-11": 13.2 * 1.05})
    r = to_returns(close, SESSIONS)
    assert r.frame.index.tolist() == list(SESSIONS[:5])  # the missing Wednesday stays in the calendar
    assert np.isnan(r.close.loc["2025-07-09"])
    assert_same(rets(r), [math.nan, 0.1, math.nan, math.nan, 0.05], tol=1e-14)


def test_multi_day_spans_the_gap() -> None:
    close = series({"2025-07-07": 10.0, "2025-07-08": 11.0, "2025-07-10": 13.2, "2025-07-11": 13.2 * 1.05})
    r = to_returns(close, SESSIONS, multi_day=True)
    # Thursday's return spans Tuesday -> Thursday; Wednesday stays missing
    assert_same(rets(r), [math.nan, 0.1, math.nan, 0.2, 0.05], tol=1e-14)
    r = to_returns(close, SESSIONS, kind="log", multi_day=True)
    assert rets(r)[3] == pytest.approx(math.log(1.2), abs=1e-15)


def test_halt_row_is_missing_and_recorded() -> None:
    close = series({"2025-07-07": 10.0, "2025-07-08": 11.0, "2025-07-09": 11.0, "2025-07-10": 11.0, "2025-07-11": 12.1})
    volume = series({"2025-07-07": 5.0, "2025-07-08": 6.0, "2025-07-09": 0.0, "2025-07-10": 0.0, "2025-07-11": 7.0})
    r = to_returns(close, SESSIONS, volume=volume)
    assert_same(rets(r), [math.nan, 0.1, math.nan, math.nan, math.nan])
    assert r.dates("halt").tolist() == [pd.Timestamp("2025-07-09"), pd.Timestamp("2025-07-10")]
    assert r.notes.to_dict("list") == {
        "date": [pd.Timestamp("2025-07-09"), pd.Timestamp("2025-07-10")],
        "reason": ["halt", "halt"],
        "close": [11.0, 11.0],
        "volume": [0.0, 0.0],
    }
    spanned = to_returns(close, SESSIONS, volume=volume, multi_day=True)
    assert_same(rets(spanned), [math.nan, 0.1, math.nan, math.nan, 0.1], tol=1e-14)


def test_zero_volume_with_a_new_price_is_not_a_halt() -> None:
    close = series({"2025-07-07": 10.0, "2025-07-08": 11.0})
    volume = series({"2025-07-07": 5.0, "2025-07-08": 0.0})
    r = to_returns(close, SESSIONS, volume=volume)
    assert_same(rets(r), [math.nan, 0.1])
    assert r.notes.empty
    # without volumes, a flat row is an ordinary zero return
    flat = series({"2025-07-07": 10.0, "2025-07-08": 10.0})
    assert_same(rets(to_returns(flat, SESSIONS)), [math.nan, 0.0])


def test_off_calendar_row_is_recorded_and_not_used() -> None:
    # Saturday 2025-07-12 is no session; Monday's return is against Friday
    close = series({"2025-07-10": 10.0, "2025-07-11": 11.0, "2025-07-12": 50.0, "2025-07-14": 12.1})
    r = to_returns(close, SESSIONS)
    assert r.frame.index.tolist() == [pd.Timestamp(d) for d in ("2025-07-10", "2025-07-11", "2025-07-14")]
    assert_same(rets(r), [math.nan, 0.1, 0.1], tol=1e-14)
    assert r.dates("off_calendar").tolist() == [pd.Timestamp("2025-07-12")]
    assert r.notes["close"].tolist() == [50.0]


def test_rows_outside_the_sessions_are_recorded() -> None:
    close = series({"2025-07-03": 9.0, "2025-07-07": 10.0, "2025-07-08": 11.0, "2025-07-21": 11.0})
    r = to_returns(close, SESSIONS)
    assert r.frame.index.tolist() == list(SESSIONS[:2])
    assert r.dates("outside_sessions").tolist() == [pd.Timestamp("2025-07-03"), pd.Timestamp("2025-07-21")]


def test_range_runs_from_first_to_last_usable_price() -> None:
    close = series({"2025-07-08": np.nan, "2025-07-09": 10.0, "2025-07-14": 11.0, "2025-07-15": np.nan})
    r = to_returns(close, SESSIONS)
    assert r.frame.index[0] == pd.Timestamp("2025-07-09")
    assert r.frame.index[-1] == pd.Timestamp("2025-07-14")
    assert len(r.frame) == 4  # 9, 10, 11, 14
    assert r.dates("missing_close").tolist() == [pd.Timestamp("2025-07-08"), pd.Timestamp("2025-07-15")]


def test_unsorted_input_and_tz_aware_index() -> None:
    close = CLOSE.iloc[::-1]
    assert_same(rets(to_returns(close, SESSIONS)), [math.nan, 0.1, 0.1, -0.5])
    aware = CLOSE.copy()
    aware.index = aware.index.tz_localize("Australia/Sydney")
    assert to_returns(aware, SESSIONS).frame.index.tolist() == list(SESSIONS[:4])


def test_no_usable_price() -> None:
    r = to_returns(series({"2025-07-12": 1.0}), SESSIONS)
    assert r.frame.empty and list(r.frame.columns) == ["close", "ret"]
    assert r.dates("off_calendar").tolist() == [pd.Timestamp("2025-07-12")]


def test_errors() -> None:
    with pytest.raises(ConfigError, match=r"kind: unknown return kind .*use one of simple, log"):
        to_returns(CLOSE, SESSIONS, kind="arith")
    with pytest.raises(PriceDataError, match=r"close\[2025-07-08\]: price must be positive"):
        to_returns(series({"2025-07-07": 1.0, "2025-07-08": 0.0}), SESSIONS)
    dup = pd.Series([1.0, 2.0], index=pd.to_datetime(["2025-07-07", "2025-07-07"]))
    with pytest.raises(PriceDataError, match=r"close\[2025-07-07\]: duplicated date"):
        to_returns(dup, SESSIONS)
    with pytest.raises(ConfigError, match="unknown note reason"):
        to_returns(CLOSE, SESSIONS).dates("holiday")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=1e4), min_size=2, max_size=10))
def test_complete_series_equals_pct_change(prices: list[float]) -> None:
    sessions = pd.bdate_range("2025-01-06", periods=len(prices))
    close = pd.Series(prices, index=sessions)
    r = to_returns(close, sessions)
    expected = close.pct_change()
    np.testing.assert_allclose(r.ret.to_numpy()[1:], expected.to_numpy()[1:], rtol=1e-12, atol=0)
    assert np.isnan(r.ret.iloc[0])


# exchange_calendars itself triggers this pandas deprecation
@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray:DeprecationWarning")
def test_real_aru_halts(raw_dir: Path) -> None:
    """The raw yfinance ARU.AX file keeps its halts (2025-08-18/19) as zero-volume flat rows."""
    xcals = pytest.importorskip("exchange_calendars")
    sessions = xcals.get_calendar("XASX", start="2024-01-02", end="2026-01-02").sessions
    p = FileSource(raw_dir / "naveenf_asxscreener").fetch(["ARU.AX"]).prices
    r = to_returns(p.set_index("date")["close"], sessions, volume=p.set_index("date")["volume"])
    assert r.dates("halt").strftime("%Y-%m-%d").tolist() == [
        "2024-07-24",
        "2025-08-18",
        "2025-08-19",
        "2025-10-28",
    ]
    assert r.dates("off_calendar").empty
    window = r.ret.loc["2025-08-15":"2025-08-21"]
    assert np.isnan(window.loc["2025-08-18"]) and np.isnan(window.loc["2025-08-19"])
    assert np.isnan(window.loc["2025-08-20"])  # no return across the halt
    assert window.loc["2025-08-21"] == pytest.approx(0.195 / 0.19 - 1, abs=1e-6)
    assert r.ret.loc["2025-10-27"] == pytest.approx(r.close.loc["2025-10-27"] / r.close.loc["2025-10-24"] - 1)
