"""Hostile input, prices: data sanity that speaks.

A one-day spike that reverses (a bad print) is not used as a price, with a note and a warning; a large move that
does not reverse is real and stays, flagged in the data notes and the firm-event table; a jump by a power of ten is
flagged as a unit change; dates off the exchange's sessions question the exchange; price instants (a time of day in
UTC) are refused with one line; a model that needs no benchmark does not need one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_hostile_paths import make_study_dir, one_error_line, run, snapshot
from test_reliability import SESSIONS, fit, synthetic_prices, universe_frame

from eventstudy.data.sanity import screen_prices
from eventstudy.data.sources import FileSource
from eventstudy.errors import ConfigError, PriceDataError


@pytest.fixture
def study_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_study_dir(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def clean():
    res, notes = fit()
    return res, notes


def _day0(res, event_id: str = "ev1") -> int:
    d0 = pd.Timestamp(res.day0.set_index("event_id").loc[event_id, "day0"])
    return SESSIONS.get_loc(d0)


def _row(res, ticker: str, event_id: str = "ev1") -> pd.Series:
    fe = res.firm_events
    return fe[(fe["ticker"] == ticker) & (fe["event_id"] == event_id)].iloc[0]


def test_clean_data_has_no_findings(clean) -> None:
    res, notes = clean
    notes_table = res.data_notes
    for col in ("bad_prints", "extreme_returns", "suspect_units"):
        assert (notes_table[col] == "").all()
    assert (notes_table["off_session_share"] == 0).all()
    assert (res.firm_events["data_flags"] == "").all()
    assert notes == []


def test_a_reversing_spike_in_the_event_window_is_not_a_price(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    prices = synthetic_prices()
    spike = SESSIONS[d0]
    prices.loc[spike, "AAA"] *= 1000  # a 1000x bad print on day 0, back the next day
    res, notes = fit(prices)
    note = res.data_notes.set_index("ticker").loc["AAA", "bad_prints"]
    ratio = prices.loc[spike, "AAA"] / prices.loc[SESSIONS[d0 - 1], "AAA"]
    assert note == f"{spike:%Y-%m-%d} x{ratio:.4g} (reversed {SESSIONS[d0 + 1]:%Y-%m-%d})"
    assert any(n.startswith("AAA: bad print(s) not used as prices") and note in n for n in notes)
    row = _row(res, "AAA")
    assert row["status"] == "missing_event_window"  # day 0 and day 1 have no return: said, not hidden
    assert "bad print" in row["data_flags"]
    caar = res.caar_table
    assert (caar["caar"].abs() < 0.5).all()  # no +33,669 % headline
    # the other security is untouched
    pd.testing.assert_series_equal(
        _row(res, "BBB")[["car_0_0", "car_m1_1"]], _row(base, "BBB")[["car_0_0", "car_m1_1"]], check_names=False
    )


def test_a_reversing_spike_in_the_estimation_window_leaves_it(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    prices = synthetic_prices()
    prices.loc[SESSIONS[d0 - 60], "AAA"] /= 50  # a price typed without its decimals, fixed the next day
    res, _ = fit(prices)
    assert res.data_notes.set_index("ticker").loc["AAA", "bad_prints"].startswith(f"{SESSIONS[d0 - 60]:%Y-%m-%d} x0.02")
    row, before = _row(res, "AAA"), _row(base, "AAA")
    assert row["status"] == "ok" and row["n_estimation"] == before["n_estimation"] - 2
    assert row["data_flags"] == ""  # outside its event window
    assert abs(row["beta"] - before["beta"]) < 0.1  # the estimate is not wrecked by the spike
    assert abs(row["sigma"] - before["sigma"]) < 0.2 * before["sigma"]


def test_a_large_move_that_stays_is_kept_and_flagged(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    prices = synthetic_prices()
    prices.loc[SESSIONS[d0] :, "AAA"] *= 1.51  # +51 % on day 0, and it stays
    res, notes = fit(prices)
    cell = res.data_notes.set_index("ticker").loc["AAA", "extreme_returns"]
    assert (
        cell.startswith(f"{SESSIONS[d0]:%Y-%m-%d} +")
        and res.data_notes.set_index("ticker").loc["AAA", "bad_prints"] == ""
    )
    assert any("kept as real moves" in n and cell in n for n in notes)
    row = _row(res, "AAA")
    assert row["status"] == "ok" and row["car_0_0"] > 0.4  # the move is in the CAR, unchanged
    assert row["data_flags"].startswith("extreme return ")
    loose, _ = fit(prices, max_abs_return=0.6)
    assert (loose.data_notes["extreme_returns"] == "").all()
    assert loose.settings["max_abs_return"] == 0.6


def test_a_power_of_ten_jump_is_flagged_as_a_unit_change(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    prices = synthetic_prices()
    prices.loc[SESSIONS[d0 - 80] :, "BBB"] *= 100  # the vendor switched from units to cents
    res, notes = fit(prices)
    cell = res.data_notes.set_index("ticker").loc["BBB", "suspect_units"]
    assert cell.startswith(f"{SESSIONS[d0 - 80]:%Y-%m-%d} x1")
    assert any("moved by a power of ten and stayed" in n for n in notes)
    assert res.data_notes.set_index("ticker").loc["BBB", "extreme_returns"] == ""  # said once, as a unit change


def test_prices_of_another_exchange_are_questioned() -> None:
    universe = universe_frame()
    universe["exchange"] = "XASX"  # NYSE prices declared as ASX
    res, notes = fit(universe=universe)
    share = res.data_notes.set_index("ticker")["off_session_share"]
    assert (share > 0.01).all()
    assert any(
        n.startswith("AAA: ") and "are not sessions of XASX; check that XASX is its exchange" in n for n in notes
    )


def test_screen_keeps_every_row_of_a_quiet_series() -> None:
    dates = SESSIONS.values[:50].astype("datetime64[ns]")
    close = np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.02, (50, 2)), axis=0))
    s = screen_prices(dates, close, np.ones_like(close, dtype=bool), dates, ["A", "B"], exchange="XNYS")
    assert not s.drop.any() and s.messages == ()


@pytest.mark.parametrize(
    "stamp",
    ["2025-01-02T16:00:00Z", "2025-01-02 16:00:00+00:00", "2025-01-02T21:00:00-05:00", "2025-01-02 16:00 UTC"],
)
def test_price_instants_are_refused_with_one_line(tmp_path: Path, stamp: str) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "X.SS.csv").write_text(f"date,close\n2025-01-01T16:00:00+08:00,9.9\n{stamp},10\n")
    (folder / "Y.SS.csv").write_text("date,close\n2025-01-02T00:00:00+08:00,10\n2025-01-03,10.1\n")
    with pytest.raises(PriceDataError) as info:
        FileSource(folder).fetch(["X.SS"])
    msg = str(info.value)
    assert msg.startswith(f"{folder / 'X.SS.csv'}:2:date: a date with a time of day and a UTC offset")
    assert "fix: write the exchange's local trading date as YYYY-MM-DD" in msg
    got = FileSource(folder).fetch(["Y.SS"]).prices  # local midnight with its offset is a date
    assert list(got["date"].dt.strftime("%Y-%m-%d")) == ["2025-01-02", "2025-01-03"]


def test_price_instants_on_the_command_line(study_dir: Path) -> None:
    wide = synthetic_prices()
    stamps = (wide.index + pd.Timedelta(hours=21)).tz_localize("UTC")  # the NYSE close, in UTC
    pd.DataFrame({"date": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"), "close": wide["BBB"].to_numpy()}).to_csv(
        study_dir / "prices" / "BBB.csv", index=False
    )
    before = snapshot(study_dir)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert "BBB.csv:2:date: a date with a time of day and a UTC offset" in line and "fix:" in line
    assert snapshot(study_dir) == before


def test_a_model_without_benchmark_needs_no_benchmark_prices() -> None:
    prices = synthetic_prices()[["AAA", "BBB"]]  # the benchmark SPY has no prices
    res, _ = fit(prices, model="constant_mean")
    assert set(res.firm_events["status"]) == {"ok"}
    market, notes = fit(prices, model="market")  # the market model does need them, and says so
    assert set(market.firm_events["status"]) == {"no_data"}
    assert any(n.startswith("SPY: no prices") for n in notes)


def test_max_abs_return_is_checked(study_dir: Path) -> None:
    with pytest.raises(ConfigError, match="max_abs_return: must be a positive number"):
        fit(max_abs_return=0)
    (study_dir / "study.toml").write_text((study_dir / "study.toml").read_text() + 'max_abs_return = "big"\n')
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line.startswith("error: study.toml:study.max_abs_return: must be a positive number (got 'big')")
