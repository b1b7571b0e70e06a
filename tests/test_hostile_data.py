"""Hostile input, prices: data sanity that speaks.

A one-day spike that reverses (a bad print) is not used as a price, with a note and a warning; a large move that
does not reverse is real and stays, flagged in the data notes and the firm-event table; a lasting jump by a unit
factor (10, 100, 1000) or by the exchange rate to another currency of the study is flagged as a unit or currency
change with its fix, while a large real move (+51 %, ×4.5, any jump on a news day's volume) is not; dates off the
exchange's sessions question the exchange; price instants (a time of day in UTC) are refused with one line; a
model that needs no benchmark does not need one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_hostile_paths import make_study_dir, one_error_line, run, snapshot
from test_reliability import SESSIONS, fit, synthetic_prices, universe_frame

from eventstudy import calendars
from eventstudy.data.sanity import screen_prices
from eventstudy.data.sources import FileSource
from eventstudy.errors import ConfigError, DataWarning, PriceDataError, UniverseError


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
    day = SESSIONS[d0 - 80]
    prices.loc[day:, "BBB"] *= 100  # the vendor switched from units to cents
    res, notes = fit(prices)
    cell = res.data_notes.set_index("ticker").loc["BBB", "suspect_units"]
    ratio = prices.loc[day, "BBB"] / prices.loc[SESSIONS[d0 - 81], "BBB"]
    assert cell == (
        f"{day:%Y-%m-%d} x{ratio:.4g} (a unit change by 100, e.g. cents and units or pence and pounds: divide the "
        f"closes from {day:%Y-%m-%d} on by 100)"
    )
    assert any(n == f"BBB: the close jumped by a unit or currency factor and stayed: {cell}; the prices are used "
               "as they are; check the price file's unit and currency" for n in notes)  # fmt: skip
    assert res.data_notes.set_index("ticker").loc["BBB", "extreme_returns"] == ""  # said once, as a unit change
    assert (res.data_notes.set_index("ticker").loc[["AAA", "SPY"], "suspect_units"] == "").all()


def test_a_hundredth_jump_says_to_multiply(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    prices = synthetic_prices()
    day = SESSIONS[d0 + 1]  # inside the event window: pence to pounds on day 1
    prices.loc[day:, "AAA"] /= 100
    res, notes = fit(prices)
    cell = res.data_notes.set_index("ticker").loc["AAA", "suspect_units"]
    assert cell.startswith(f"{day:%Y-%m-%d} x0.0")
    assert cell.endswith(f"multiply the closes from {day:%Y-%m-%d} on by 100)")
    row = _row(res, "AAA")
    assert row["data_flags"] == f"unit jump {cell}"  # the firm-event whose window holds it says so
    assert row["car_m1_1"] < -0.9  # the prices are used as they are: flagged, never silently changed
    assert any(n.startswith("AAA: the close jumped by a unit or currency factor") for n in notes)


def test_a_currency_switch_is_flagged_when_the_study_has_that_currency(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    prices = synthetic_prices()
    day = SESSIONS[d0 - 40]
    prices.loc[day:, "AAA"] *= 7.2  # the file switches from dollars to yuan
    universe = universe_frame()
    universe.loc[universe["ticker"] == "BBB", "currency"] = "CNY"  # the study holds yuan prices
    res, notes = fit(prices, universe=universe)
    cell = res.data_notes.set_index("ticker").loc["AAA", "suspect_units"]
    ratio = prices.loc[day, "AAA"] / prices.loc[SESSIONS[d0 - 41], "AAA"]
    assert cell == (
        f"{day:%Y-%m-%d} x{ratio:.4g} (a currency change, USD to CNY?: convert the closes from {day:%Y-%m-%d} on "
        "from CNY to USD)"
    )
    assert res.data_notes.set_index("ticker").loc["AAA", "extreme_returns"] == ""
    assert any(cell in n for n in notes)
    # the same jump in a study of dollar prices only: no currency to switch to, a large move kept and listed
    dollars, _ = fit(prices)
    assert dollars.data_notes.set_index("ticker").loc["AAA", "suspect_units"] == ""
    assert dollars.data_notes.set_index("ticker").loc["AAA", "extreme_returns"] == f"{day:%Y-%m-%d} {ratio - 1:+.1%}"


def test_a_large_real_move_that_stays_is_not_a_unit_jump(clean) -> None:
    base, _ = clean
    d0 = _day0(base)
    universe = universe_frame()
    universe["currency"] = ["USD", "AUD", "USD"]  # AUD per USD is 1.2-2.1: a +51 % move is still news
    for factor in (1.51, 2.2, 0.45, 4.5):  # +51 % (MP on the Pentagon deal), ×2.2, −55 %, ×4.5: no unit factor
        prices = synthetic_prices()
        prices.loc[SESSIONS[d0] :, "AAA"] *= factor
        res, _ = fit(prices, universe=universe)
        notes = res.data_notes.set_index("ticker")
        assert notes.loc["AAA", "suspect_units"] == "", factor
        assert notes.loc["AAA", "extreme_returns"].startswith(f"{SESSIONS[d0]:%Y-%m-%d} "), factor


def _series(jump: float, *, volume: np.ndarray | None = None, at: int = 60, n: int = 120) -> np.ndarray:
    rng = np.random.default_rng(4)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    close[at:] *= jump
    return close[:, None]


@pytest.mark.parametrize(
    ("jump", "currency", "currencies", "cause"),
    [
        (100.0, "GBP", {"GBP"}, "a unit change by 100"),  # pounds to pence (GBp/GBP)
        (0.01, "GBP", {"GBP"}, "a unit change by 100"),  # pence to pounds
        (10.0, "USD", {"USD"}, "a unit change by 10"),
        (0.001, "ZAR", {"ZAR"}, "a unit change by 1000"),
        (7.2, "USD", {"USD", "CNY"}, "a currency change, USD to CNY?"),
        (1 / 7.2, "USD", {"USD", "CNY"}, "a currency change, CNY to USD?"),
        (150.0, "USD", {"USD", "JPY"}, "a currency change, USD to JPY?"),
        (1 / 7.8, "HKD", {"HKD", "USD"}, "a currency change, HKD to USD?"),
    ],
)
def test_unit_and_currency_factors(jump: float, currency: str, currencies: set[str], cause: str) -> None:
    close = _series(jump)
    dates = SESSIONS.values[: close.shape[0]].astype("datetime64[ns]")
    s = screen_prices(
        dates, close, np.ones_like(close, dtype=bool), dates, ["X"], exchange="XNYS", currency=[currency],
        currencies=currencies,
    )  # fmt: skip
    cell = str(s.notes["X"]["suspect_units"])
    ratio = close[60, 0] / close[59, 0]
    assert cell.startswith(f"{SESSIONS[60]:%Y-%m-%d} x{ratio:.4g} ({cause}")
    assert s.notes["X"]["extreme_returns"] == "" and not s.drop.any()


def test_a_jump_on_news_volume_is_a_real_move() -> None:
    n = 120
    volume = np.full((n, 1), 1e5)
    volume[60] = 2e6  # twenty times the usual volume, back to normal after: news, not a unit change
    close = _series(0.1, n=n)  # a −90 % collapse
    dates = SESSIONS.values[:n].astype("datetime64[ns]")
    kw = dict(exchange="XNYS", currency=["USD"], currencies={"USD"})
    news = screen_prices(dates, close, np.ones_like(close, dtype=bool), dates, ["X"], volume=volume, **kw)
    assert news.notes["X"]["suspect_units"] == ""
    ratio = close[60, 0] / close[59, 0]
    assert news.notes["X"]["extreme_returns"] == f"{SESSIONS[60]:%Y-%m-%d} {ratio - 1:+.1%}"
    volume[60:] = 1e7  # the volume column changed unit the same day: a new level, not a peak
    unit = screen_prices(dates, close, np.ones_like(close, dtype=bool), dates, ["X"], volume=volume, **kw)
    assert str(unit.notes["X"]["suspect_units"]).startswith(f"{SESSIONS[60]:%Y-%m-%d} x0.1")


def test_no_real_ticker_of_the_snapshot_has_a_unit_jump() -> None:
    """The shipped snapshot's securities (on their exchanges, with their volumes and the universe's currencies)
    have no unit or currency jump; their large moves (AREC x22 on 2018-03-01, MP +50.6 % on 2025-07-10) are
    listed as extreme returns, and DFEN's one-day x0.356 on 2024-06-03 is a bad print."""
    from eventstudy import calendars
    from eventstudy.universe import read_universe

    root = Path(__file__).resolve().parents[1]
    universe = read_universe(root / "universe.csv").frame
    prices = pd.read_parquet(root / "data" / "prices.parquet", columns=["ticker", "date", "close", "volume"])
    prices["date"] = pd.to_datetime(prices["date"])
    currencies = set(universe["currency"])
    found: dict[str, dict[str, object]] = {}
    for exchange, group in universe.groupby("exchange"):
        tickers = list(group["ticker"])
        rows = prices[prices["ticker"].isin(tickers) & (prices["date"] >= "2000-01-03")]
        close = rows.pivot(index="date", columns="ticker", values="close").reindex(columns=tickers)
        volume = rows.pivot(index="date", columns="ticker", values="volume").reindex(close.index, columns=tickers)
        dates = close.index.values.astype("datetime64[ns]")
        sessions = calendars.sessions(exchange, close.index[0].date(), close.index[-1].date())
        values = close.to_numpy(dtype="float64")
        screen = screen_prices(
            dates, values, np.isfinite(values), sessions.values.astype("datetime64[ns]"), tickers,
            exchange=str(exchange), currency=list(group["currency"]), currencies=currencies,
            volume=volume.to_numpy(dtype="float64"),
        )  # fmt: skip
        found.update(screen.notes)
    assert len(found) == len(universe)
    assert {t: c["suspect_units"] for t, c in found.items() if c["suspect_units"]} == {}
    assert "2018-03-01 +2100.0%" in str(found["AREC"]["extreme_returns"])
    assert "2025-07-10 +50.6%" in str(found["MP"]["extreme_returns"])
    assert str(found["DFEN"]["bad_prints"]).startswith("2024-06-03 x0.3561")


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
def test_price_instants_without_a_zone_are_refused_with_one_line(tmp_path: Path, stamp: str) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "X.SS.csv").write_text(f"date,close\n2025-01-01T16:00:00+08:00,9.9\n{stamp},10\n")
    (folder / "Y.SS.csv").write_text("date,close\n2025-01-02T00:00:00+08:00,10\n2025-01-03,10.1\n")
    with pytest.raises(PriceDataError) as info:
        FileSource(folder).fetch(["X.SS"])  # a source that does not know the exchange's zone
    msg = str(info.value)
    assert msg.startswith(f"{folder / 'X.SS.csv'}:2:date: a date with a time of day and a UTC offset")
    assert "(got '2025-01-01T16:00:00+08:00')" in msg
    assert "fix: write the exchange's local trading date as YYYY-MM-DD" in msg
    got = FileSource(folder).fetch(["Y.SS"]).prices  # local midnight with its offset is a date
    assert list(got["date"].dt.strftime("%Y-%m-%d")) == ["2025-01-02", "2025-01-03"]


@pytest.mark.parametrize(
    ("zone", "stamps", "dates"),
    [
        # a Shanghai close (15:00 CST) in UTC is 07:00Z the same day; local midnight in UTC is 16:00Z the day before
        ("Asia/Shanghai", ["2025-06-26T07:00:00Z", "2025-06-26T16:00:00Z"], ["2025-06-26", "2025-06-27"]),
        ("Asia/Shanghai", ["2025-06-26 15:00:00+08:00", "2025-06-27 15:00 +0800"], ["2025-06-26", "2025-06-27"]),
        # a New York close with its offset, and in UTC (20:00Z in summer, 21:00Z in winter)
        ("America/New_York", ["2025-06-26 16:00:00-04:00", "2025-06-27T20:00:00Z"], ["2025-06-26", "2025-06-27"]),
        ("America/New_York", ["2025-01-02T21:00:00Z", "2025-01-03 16:00 UTC"], ["2025-01-02", "2025-01-03"]),
        # Tokyo: 15:00 JST is 06:00Z the same day
        ("Asia/Tokyo", ["2025-06-26T06:00:00.000Z", "2025-06-27T06:00:00Z"], ["2025-06-26", "2025-06-27"]),
    ],
)
def test_price_instants_are_read_in_the_exchanges_zone(tmp_path: Path, zone: str, stamps, dates) -> None:
    (tmp_path / "X.csv").write_text("date,close\n" + "".join(f"{s},{10 + i}\n" for i, s in enumerate(stamps)))
    with pytest.warns(DataWarning) as caught:
        got = FileSource(tmp_path, zones={"X": zone}).fetch(["X"])
    assert list(got.prices["date"].dt.strftime("%Y-%m-%d")) == dates
    assert list(got.prices["close"]) == [10.0, 11.0]
    note = f"2 date-times with a UTC offset read as {zone} trading dates (e.g. {stamps[0].strip()} is {dates[0]})"
    assert got.notes == {"X": f"X.csv: {note}"}
    assert [str(w.message) for w in caught] == [f"{tmp_path / 'X.csv'}: {note}"]


def test_a_naive_time_is_refused_when_local_and_utc_disagree(tmp_path: Path) -> None:
    (tmp_path / "X.SS.csv").write_text("date,close\n2025-06-25,9.9\n2025-06-26 16:00:00,10\n")
    with pytest.raises(PriceDataError) as info:
        FileSource(tmp_path, zones={"X.SS": "Asia/Shanghai"}).fetch(["X.SS"])
    assert str(info.value) == (
        f"{tmp_path / 'X.SS.csv'}:3:date: a time without a UTC offset: its Asia/Shanghai trading date is 2025-06-26 "
        "if it is local time but 2025-06-27 if it is UTC (got '2025-06-26 16:00:00'); fix: write the exchange's "
        "local trading date alone (YYYY-MM-DD), or the time with its UTC offset (e.g. 2025-06-26T16:00:00+08:00)"
    )
    # in New York 16:00 is 2025-06-26 either way: read as that date, with a note
    (tmp_path / "Y.csv").write_text("date,close\n2025-06-25,9.9\n2025-06-26 16:00:00,10\n")
    with pytest.warns(DataWarning, match="1 times without a UTC offset read as their date"):
        got = FileSource(tmp_path, zones={"Y": "America/New_York"}).fetch(["Y"])
    assert list(got.prices["date"].dt.strftime("%Y-%m-%d")) == ["2025-06-25", "2025-06-26"]


def test_converted_instants_that_land_on_one_date_are_duplicates(tmp_path: Path) -> None:
    (tmp_path / "X.SS.csv").write_text("date,close\n2025-06-26T07:00:00Z,10\n2025-06-26T15:00:00Z,10.1\n")
    with pytest.raises(PriceDataError, match=r"X.SS.csv:3:date: duplicated date") as info:
        FileSource(tmp_path, zones={"X.SS": "Asia/Shanghai"}).fetch_matrix(["X.SS"])
    assert "\n" not in str(info.value)  # 15:00Z is 23:00 in Shanghai: the same session as 07:00Z


def test_utc_instants_of_a_shanghai_stock_give_the_numbers_of_its_dates(study_dir: Path) -> None:
    """The issue's case: a Shanghai stock's closes stamped as UTC instants of local midnight (16:00Z the day
    before). Read in the exchange's zone they are the same prices on the same dates: the same beta and CARs as the
    plain-date file, and a data note; nothing is dropped."""
    sessions = calendars.sessions("XSHG", "2024-01-02", "2025-04-30")
    wide = synthetic_prices(sessions=sessions)
    universe = universe_frame()
    universe["exchange"] = "XSHG"
    universe["currency"] = "CNY"
    universe.to_csv(study_dir / "universe.csv", index=False)
    for t in wide.columns:
        wide[[t]].rename(columns={t: "close"}).to_csv(study_dir / "prices" / f"{t}.csv")
    plain = run("run", "study.toml", "--prices-dir", "prices", "--out", "plain", "--no-report")
    assert plain.exit_code == 0, plain.output
    stamps = (wide.index.tz_localize("Asia/Shanghai").tz_convert("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stamps[1].endswith("T16:00:00Z")  # the UTC date is the day before each session
    pd.DataFrame({"date": stamps, "close": wide["AAA"].to_numpy()}).to_csv(
        study_dir / "prices" / "AAA.csv", index=False
    )
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "utc", "--no-report")
    assert result.exit_code == 0, result.output
    note = (
        f"{len(sessions)} date-times with a UTC offset read as Asia/Shanghai trading dates (e.g. "
        f"{stamps[0]} is {sessions[0]:%Y-%m-%d})"
    )
    assert f"warning: {Path('prices') / 'AAA.csv'}: {note}" in " ".join(result.output.split())
    a = pd.read_csv(study_dir / "plain" / "firm_events.csv")
    b = pd.read_csv(study_dir / "utc" / "firm_events.csv")
    pd.testing.assert_frame_equal(
        a[["ticker", "status", "beta", "car_m1_1"]], b[["ticker", "status", "beta", "car_m1_1"]]
    )
    notes = pd.read_csv(study_dir / "utc" / "data_notes.csv", keep_default_na=False).set_index("ticker")
    assert notes.loc["AAA", "source_note"] == f"AAA.csv: {note}"
    assert notes.loc["BBB", "source_note"] == ""
    before = pd.read_csv(study_dir / "plain" / "data_notes.csv", keep_default_na=False).set_index("ticker")
    assert notes.loc["AAA", "price_rows"] == before.loc["AAA", "price_rows"] == notes.loc["BBB", "price_rows"]
    assert notes.loc["AAA", "off_session_share"] == 0  # every converted date is a Shanghai session


def test_ambiguous_times_on_the_command_line(study_dir: Path) -> None:
    wide = synthetic_prices()
    # 01:00 without an offset: 2024-01-02 if New York time, 2024-01-01 20:00 in New York if UTC
    stamps = wide.index.strftime("%Y-%m-%d 01:00:00")
    pd.DataFrame({"date": stamps, "close": wide["BBB"].to_numpy()}).to_csv(
        study_dir / "prices" / "BBB.csv", index=False
    )
    before = snapshot(study_dir)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line.startswith("error: ") and line.endswith(
        "BBB.csv:2:date: a time without a UTC offset: its America/New_York trading date is 2024-01-02 if it is "
        "local time but 2024-01-01 if it is UTC (got '2024-01-02 01:00:00'); fix: write the exchange's local "
        "trading date alone (YYYY-MM-DD), or the time with its UTC offset (e.g. 2025-06-26T16:00:00+08:00)"
    )
    assert snapshot(study_dir) == before


def test_a_model_without_benchmark_needs_no_benchmark_prices() -> None:
    prices = synthetic_prices()[["AAA", "BBB"]]  # the benchmark SPY has no prices
    res, _ = fit(prices, model="constant_mean")
    assert set(res.firm_events["status"]) == {"ok"}
    market, notes = fit(prices, model="market")  # the market model does need them, and says so
    assert set(market.firm_events["status"]) == {"no_data"}
    assert any(n.startswith("SPY: no prices") for n in notes)


@pytest.fixture(scope="module")
def constant_mean():
    return fit(model="constant_mean")[0]


@pytest.mark.parametrize("how", ["no column", "empty cells", "NaN cells", "no benchmark row"])
def test_constant_mean_runs_without_benchmarks(constant_mean, how: str) -> None:
    universe = universe_frame()
    if how == "no column":
        universe = universe.drop(columns=["benchmark"])
    elif how == "empty cells":
        universe["benchmark"] = ""
    elif how == "NaN cells":
        universe["benchmark"] = np.nan
    else:  # no index in the universe at all, and no price of it
        universe = universe[universe["ticker"] != "SPY"].assign(benchmark="")
    res, notes = fit(universe=universe, model="constant_mean")
    fe = res.firm_events
    assert list(fe["status"]) == ["ok"] * 4 and notes == []
    assert fe["benchmark"].isna().all()
    # the same numbers as with the benchmark named: the constant-mean model never reads it
    np.testing.assert_allclose(fe["car_m1_1"], constant_mean.firm_events["car_m1_1"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(fe["sigma"], constant_mean.firm_events["sigma"], rtol=0, atol=1e-15)


@pytest.mark.parametrize("model", ["market", "market_adjusted", "scholes_williams"])
def test_models_with_a_benchmark_refuse_a_universe_without_one(model: str) -> None:
    universe = universe_frame()
    universe.loc[universe["ticker"] == "BBB", "benchmark"] = ""
    with pytest.raises(UniverseError) as info:
        fit(universe=universe, model=model)
    assert str(info.value).startswith(f"<frame>:3:benchmark: BBB has no benchmark, and the {model} model needs one")
    assert str(info.value).endswith("or choose a model that needs no benchmark (model = constant_mean)")
    with pytest.raises(UniverseError, match=r"^<frame>:1:benchmark: the universe has no benchmark column"):
        fit(universe=universe.drop(columns=["benchmark"]), model=model)


def test_a_factor_model_without_the_local_index_needs_no_benchmark(constant_mean) -> None:
    from eventstudy.models import FactorModel

    factors = pd.DataFrame({"mkt": synthetic_prices()["SPY"].pct_change().fillna(0.0)})
    universe = universe_frame().drop(columns=["benchmark"])
    res, notes = fit(universe=universe, model=FactorModel(factors))
    assert set(res.firm_events["status"]) == {"ok"} and notes == []
    with pytest.raises(UniverseError, match="no benchmark column, and the factor model needs"):
        fit(universe=universe, model=FactorModel(factors, include_market=True))


def test_constant_mean_without_benchmarks_on_the_command_line(study_dir: Path) -> None:
    toml = study_dir / "study.toml"
    universe = universe_frame().drop(columns=["benchmark"])
    universe.to_csv(study_dir / "universe.csv", index=False)
    (study_dir / "prices" / "SPY.csv").unlink()  # no index prices either
    before = snapshot(study_dir)
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line == (
        "error: universe.csv:1:benchmark: the universe has no benchmark column, and the market model needs each "
        "security's benchmark (e.g. AAA); fix: add a benchmark column naming each security's local market index "
        "(a row of the universe), or choose a model that needs no benchmark (model = constant_mean)"
    )
    assert snapshot(study_dir) == before  # nothing written
    toml.write_text(toml.read_text().replace('model = "market"', 'model = "constant_mean"'))
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out", "--no-report")
    assert result.exit_code == 0, result.output
    fe = pd.read_csv(study_dir / "out" / "firm_events.csv")
    assert len(fe) == 4 and set(fe["status"]) == {"ok"} and fe["benchmark"].isna().all()
    assert (study_dir / "out" / "tests.csv").is_file() and (study_dir / "out" / "caar.csv").is_file()
    assert "no prices" not in result.output
    result = run("validate", "study.toml", "--prices-dir", "prices")
    assert result.exit_code == 0, result.output


def test_max_abs_return_is_checked(study_dir: Path) -> None:
    with pytest.raises(ConfigError, match="max_abs_return: must be a positive number"):
        fit(max_abs_return=0)
    (study_dir / "study.toml").write_text((study_dir / "study.toml").read_text() + 'max_abs_return = "big"\n')
    line = one_error_line(run("run", "study.toml", "--prices-dir", "prices", "--out", "out"))
    assert line.startswith("error: study.toml:study.max_abs_return: must be a positive number (got 'big')")


def test_robustness_says_why_a_variant_that_needs_benchmarks_is_empty() -> None:
    """Under constant_mean without benchmarks, the market-adjusted variant has nothing to estimate: its rows say
    why instead of showing empty numbers; the variants that need no benchmark are computed."""
    from eventstudy.robustness import robustness_from_results

    res, _ = fit(universe=universe_frame().drop(columns=["benchmark"]), model="constant_mean")
    rob = robustness_from_results(res)
    adjusted = rob[rob["variant"] == "market_adjusted"]
    assert len(adjusted) == 1 and adjusted["caar"].isna().all()
    assert adjusted["note"].iloc[0] == (
        "not computed: the market_adjusted model needs benchmark returns, and the securities have none"
    )
    assert rob.loc[rob["variant"] == "constant_mean", "caar"].notna().all()


def test_the_screen_of_quiet_columns_equals_the_full_screen(monkeypatch) -> None:
    """Columns without a large move skip the per-ticker screen: drops, notes and messages are those of the full
    screen of every column, on closes with gaps, off-session dates, a bad print, a unit jump and extreme moves."""
    from eventstudy.data import sanity

    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2024-01-01", periods=300).values.astype("datetime64[ns]")
    sessions = np.delete(dates, [10, 11, 12])  # three dates off the sessions
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 12)), axis=0))
    close[rng.random(close.shape) < 0.05] = np.nan  # gaps
    close[100, 1] *= 1000  # a bad print that reverses
    close[200:, 2] /= 100  # a unit jump that stays
    close[150:, 3] *= 1.6  # an extreme move
    close[151:, 4] *= 0.55  # another, downwards
    close[5:40, 5] = np.nan
    close[:, 6] = np.nan  # no price at all
    close[60:, 7] *= 1.35  # a large move under the bound
    args = (dates, close, np.isfinite(close), sessions, [f"T{j}" for j in range(12)])
    fast = screen_prices(*args, exchange="XNYS")
    quiet = sanity._quiet_columns(close, np.isfinite(close) & (close > 0), sanity.MAX_ABS_RETURN)
    assert quiet.tolist() == [True, False, False, False, False, True, True, True, True, True, True, True]
    assert fast.notes["T1"]["bad_prints"] and fast.notes["T2"]["suspect_units"] and fast.notes["T3"]["extreme_returns"]
    monkeypatch.setattr(sanity, "_quiet_columns", lambda close, present, bound: np.zeros(close.shape[1], dtype=bool))
    full = screen_prices(*args, exchange="XNYS")
    np.testing.assert_array_equal(fast.drop, full.drop)
    assert fast.notes == full.notes and fast.messages == full.messages
