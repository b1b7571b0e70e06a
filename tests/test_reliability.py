"""Reliability: flaky networks, partial failures, the offline cache, and numbers aligned by date.

Also holds the small synthetic study (three XNYS securities, ~320 sessions, market model) that the other
bad-input, CLI and safety tests build on.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy import calendars
from eventstudy.data.sources import FrameSource, YahooSource
from eventstudy.errors import DataWarning
from eventstudy.study import EventStudy

SESSIONS = calendars.sessions("XNYS", "2024-01-02", "2025-04-30")
EVENT_DAYS = ("2025-01-15", "2025-03-05")
OPTIONS = dict(
    model="market",
    estimation_window=(-120, -11),
    event_window=(-5, 5),
    car_windows=[(0, 0), (-1, 1)],
    min_estimation=50,
    tests=["csect_t", "patell_z"],
)


def synthetic_prices(seed: int = 3, sessions: pd.DatetimeIndex = SESSIONS) -> pd.DataFrame:
    """Wide closes of SPY (benchmark), AAA and BBB on XNYS sessions: a market model with known alpha and beta."""
    rng = np.random.default_rng(seed)
    n = len(sessions)
    rm = rng.normal(0.0004, 0.01, n)
    ra = 0.0002 + 1.2 * rm + rng.normal(0, 0.015, n)
    rb = -0.0001 + 0.8 * rm + rng.normal(0, 0.012, n)
    rm[0] = ra[0] = rb[0] = 0.0
    return pd.DataFrame(
        {"SPY": 400 * np.cumprod(1 + rm), "AAA": 20 * np.cumprod(1 + ra), "BBB": 50 * np.cumprod(1 + rb)},
        index=pd.DatetimeIndex(sessions, name="date"),
    )


def events_frame(days: tuple[str, ...] = EVENT_DAYS, **changes: str) -> pd.DataFrame:
    rows = []
    for i, day in enumerate(days):
        row = {
            "event_id": f"ev{i + 1}",
            "title": f"Event {i + 1}",
            "description": "A policy announcement",
            "announced_at": day,
            "time_precision": "day",
            "timezone": "America/New_York",
            "sign_miners": "+",
            "headline": "true" if i == 0 else "false",
            "source_url": "https://example.com/news",
        }
        row.update(changes if i == 0 else {})
        rows.append(row)
    return pd.DataFrame(rows)


def universe_frame(**first_valid: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "SPY"],
            "name": ["Alpha Mining", "Beta Magnets", "S&P 500 ETF"],
            "group": ["miners", "miners", "benchmark"],
            "exchange": ["XNYS"] * 3,
            "currency": ["USD"] * 3,
            "benchmark": ["SPY", "SPY", ""],
            "first_valid_date": [first_valid.get(t, "") for t in ("AAA", "BBB", "SPY")],
        }
    )


def fit(prices=None, events=None, universe=None, **options):
    """Fit the synthetic study; returns (results, DataWarnings raised)."""
    kw = {**OPTIONS, **options}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        study = EventStudy(
            events_frame() if events is None else events,
            universe_frame() if universe is None else universe,
            synthetic_prices() if prices is None else prices,
            **kw,
        )
        res = study.fit(analyse=False)
    return res, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def status(res, ticker: str, event_id: str = "ev1") -> str:
    fe = res.firm_events
    return str(fe.loc[(fe["ticker"] == ticker) & (fe["event_id"] == event_id), "status"].iloc[0])


def test_clean_synthetic_study_is_ok_and_quiet() -> None:
    res, notes = fit()
    assert set(res.firm_events["status"]) == {"ok"}
    assert notes == []
    assert (res.data_notes["suspect_splits"] == "").all()


# ---------------------------------------------------------------------------------------------------------------
# Numbers never silently wrong: alignment by date
# ---------------------------------------------------------------------------------------------------------------


def test_benchmark_shifted_by_one_day_is_aligned_by_date() -> None:
    """The benchmark's file starts one session later and ends one session later than the stock's: positions
    differ by one, dates do not. The AR on a known date is R_stock(date) − α − β R_bench(date), by date."""
    wide = synthetic_prices()
    stock = wide["AAA"].iloc[:-1]  # sessions 0 .. n-2
    bench = wide["SPY"].iloc[1:]  # sessions 1 .. n-1
    long = pd.concat(
        [
            pd.DataFrame({"ticker": "AAA", "date": stock.index, "close": stock.to_numpy()}),
            pd.DataFrame({"ticker": "SPY", "date": bench.index, "close": bench.to_numpy()}),
        ]
    )
    universe = universe_frame().iloc[[0, 2]].reset_index(drop=True)
    res, _ = fit(FrameSource(long), universe=universe)
    fe = res.firm_events.set_index(["event_id", "ticker"]).loc[("ev1", "AAA")]
    assert fe["status"] == "ok"
    alpha, beta = fe["alpha"], fe["beta"]
    day = pd.Timestamp(fe["day0"])
    prev = SESSIONS[SESSIONS.get_loc(day) - 1]
    r_stock = stock[day] / stock[prev] - 1
    r_bench = bench[day] / bench[prev] - 1
    ar = res.ar.set_index(["event_id", "ticker", "event_day"]).loc[("ev1", "AAA", 0)]
    assert ar["date"] == day  # the session, as a datetime64
    assert ar["ret"] == pytest.approx(r_stock, rel=1e-12)
    assert ar["ar"] == pytest.approx(r_stock - alpha - beta * r_bench, rel=1e-10, abs=1e-14)
    # the benchmark return of the previous session would give another number: the check can fail
    r_bench_prev = bench[prev] / bench[SESSIONS[SESSIONS.get_loc(prev) - 1]] - 1
    assert abs(ar["ar"] - (r_stock - alpha - beta * r_bench_prev)) > 1e-6


def test_returns_misaligned_with_their_prices_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from eventstudy.data import returns as returns_module
    from eventstudy.errors import PriceDataError

    real = returns_module.returns_matrix

    def shifted(*args, **kwargs):
        sr = real(*args, **kwargs)
        ret = np.full_like(sr.ret, np.nan)
        ret[1:] = sr.ret[:-1]  # a one-session positional slip
        return replace(sr, ret=ret)

    monkeypatch.setattr(returns_module, "returns_matrix", shifted)
    pattern = r"^AAA\[\d{4}-\d{2}-\d{2}\]: the return .* does not match the closes .* on "
    with pytest.raises(PriceDataError, match=pattern):
        fit()


def test_check_returns_accepts_halts_and_gaps() -> None:
    from eventstudy.data.returns import check_returns, to_returns

    sess = SESSIONS[:8]
    close = pd.Series([10.0, 10.5, 10.5, 11.0, 12.0, 12.5], index=sess[[0, 1, 2, 4, 5, 7]])
    volume = pd.Series([1e5, 1e5, 0.0, 1e5, 1e5, 1e5], index=close.index)
    rf = to_returns(close, sess, volume=volume)
    check_returns(rf, close, sess, where="X")  # no error
    assert rf.ret.notna().sum() == 2  # only sessions 1 and 5 have both prices


# ---------------------------------------------------------------------------------------------------------------
# Unadjusted splits, constant prices, short series, halts
# ---------------------------------------------------------------------------------------------------------------


def test_unadjusted_split_outside_every_event_window_warns() -> None:
    prices = synthetic_prices()
    split_day = pd.Timestamp("2024-09-16")
    prices.loc[prices.index >= split_day, "BBB"] /= 2.0  # a 2:1 split nobody adjusted
    res, notes = fit(prices)
    assert any(n.startswith("BBB: the close moved x0.5") and "2024-09-16" in n and "split" in n for n in notes)
    row = res.data_notes.set_index("ticker").loc["BBB"]
    assert row["suspect_splits"].startswith("2024-09-16 x0.5")
    assert res.data_notes.set_index("ticker").loc["AAA", "suspect_splits"] == ""


def test_large_move_inside_an_event_window_is_not_flagged() -> None:
    prices = synthetic_prices()
    day0 = calendars.date_day0("2025-01-15", "XNYS")  # a date-only event: the session of its date
    prices.loc[prices.index >= pd.Timestamp(day0), "AAA"] *= 2.2  # the news itself
    res, notes = fit(prices)
    assert not any(n.startswith("AAA:") and "split" in n for n in notes)
    assert res.data_notes.set_index("ticker").loc["AAA", "suspect_splits"] == ""
    # news, not a split: kept, and listed as an extreme return (tests/test_hostile_data.py)
    assert res.data_notes.set_index("ticker").loc["AAA", "extreme_returns"].startswith(f"{day0:%Y-%m-%d} +12")
    assert status(res, "AAA") == "ok"
    car = res.firm_events.set_index(["event_id", "ticker"]).loc[("ev1", "AAA"), "car_0_0"]
    assert car > 0.9


def test_split_threshold_is_ln_1_8() -> None:
    from eventstudy.data.returns import SPLIT_LOG_THRESHOLD, suspect_splits, to_returns

    assert pytest.approx(math.log(1.8)) == SPLIT_LOG_THRESHOLD
    sess = SESSIONS[:4]
    rf = to_returns(pd.Series([10.0, 17.9, 32.3, 18.0], index=sess), sess)
    flagged = suspect_splits(rf)
    assert list(flagged["date"]) == [sess[2]]  # x1.79 and /1.794 stay below the threshold, x1.804 does not
    rf2 = to_returns(pd.Series([10.0, 5.0], index=sess[:2]), sess[:2], kind="log")
    assert suspect_splits(rf2)["ratio"].tolist() == pytest.approx([0.5])


# ---------------------------------------------------------------------------------------------------------------
# Network: a fake Yahoo transport (no real network)
# ---------------------------------------------------------------------------------------------------------------


def yahoo_frame(wide: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """yfinance 1.x's ``download(group_by="column")`` shape: columns (Price, Ticker), padded with NaN."""
    cols = {}
    for field in ("Close", "High", "Low", "Open", "Volume"):
        for t in tickers:
            if t in wide:
                values = wide[t].to_numpy() * (1.0 if field != "Volume" else 0.0) + (1e6 if field == "Volume" else 0)
            else:
                values = np.full(len(wide), np.nan)  # yfinance's answer for a ticker it could not get
            cols[(field, t)] = values
    frame = pd.DataFrame(cols, index=pd.DatetimeIndex(wide.index, name="Date"))
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["Price", "Ticker"])
    return frame


class FakeYahoo:
    """Serves synthetic prices like ``yfinance.download``; ``script`` steps (exceptions or frames) come first,
    and tickers in ``broken`` never have data."""

    def __init__(self, wide: pd.DataFrame, *, script: list | None = None, broken: set[str] = frozenset()) -> None:
        self.wide, self.script, self.broken = wide, list(script or []), set(broken)
        self.calls: list[dict] = []

    def __call__(self, **kwargs) -> pd.DataFrame:
        self.calls.append(kwargs)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, BaseException):
                raise step
            return step
        start, end = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
        wide = self.wide.loc[(self.wide.index >= start) & (self.wide.index < end)]
        return yahoo_frame(wide.drop(columns=[c for c in self.broken if c in wide]), list(kwargs["tickers"]))


def quiet(fake: FakeYahoo, **kwargs) -> tuple[YahooSource, list[float]]:
    sleeps: list[float] = []
    return YahooSource(download=fake, progress=False, sleep=sleeps.append, rng=11, **kwargs), sleeps


def test_throttle_timeout_and_empty_answers_are_retried_with_backoff_and_jitter() -> None:
    fake = FakeYahoo(
        synthetic_prices(),
        script=[RuntimeError("429 Too Many Requests"), TimeoutError("read timed out"), pd.DataFrame()],
    )
    src, sleeps = quiet(fake, backoff=2.0, timeout=7.5)
    result = src.fetch(["AAA", "SPY"], "2024-03-01", "2024-03-08")
    assert result.failures == {}
    assert len(result.prices) == 12  # 6 sessions × 2 tickers
    assert len(fake.calls) == 4
    assert all(call["timeout"] == 7.5 for call in fake.calls)  # the per-request timeout is passed through
    jitter = np.random.default_rng(11)
    assert sleeps == pytest.approx([2.0 * 2**a + jitter.uniform(0.0, 2.0) for a in range(3)], rel=1e-12)
    for a, pause in enumerate(sleeps):  # exponential base plus a jitter below one backoff unit
        assert 2.0 * 2**a <= pause < 2.0 * 2**a + 2.0


def test_server_errors_until_the_last_retry_become_failures_not_exceptions() -> None:
    fake = FakeYahoo(synthetic_prices(), script=[ConnectionError("502 Bad Gateway")] * 3)
    src, sleeps = quiet(fake, retries=2)
    result = src.fetch(["AAA"], "2024-03-01", "2024-03-08")
    assert result.prices.empty
    assert result.failures["AAA"].startswith("Yahoo download failed after 3 attempts: ConnectionError: 502 Bad")
    assert len(sleeps) == 2


def test_partial_failure_completes_the_study_on_the_rest() -> None:
    fake = FakeYahoo(synthetic_prices(), broken={"BBB"})
    src, _ = quiet(fake)
    res, notes = fit(src)
    assert set(res.firm_events.loc[res.firm_events["ticker"] == "AAA", "status"]) == {"ok"}
    assert set(res.firm_events.loc[res.firm_events["ticker"] == "BBB", "status"]) == {"no_data"}
    failure = res.data_notes.set_index("ticker").loc["BBB", "failure"]
    assert failure.startswith("Yahoo returned no rows for BBB")
    assert res.data_notes.set_index("ticker").loc["AAA", "failure"] == ""
    assert any(n.startswith("BBB: no prices (Yahoo returned no rows for BBB") and "no_data" in n for n in notes)
    assert int(res.outcome_counts()["no_data"]) == 2 and int(res.outcome_counts()["ok"]) == 2


# ---------------------------------------------------------------------------------------------------------------
# Property tests: the price-file reader and a whole study on random inputs
# ---------------------------------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from eventstudy.data.sources import read_price_file  # noqa: E402
from eventstudy.errors import EventStudyError, PriceDataError  # noqa: E402

_closes = st.floats(min_value=1e-4, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def price_table(draw) -> tuple[list[str], list[float]]:
    n = draw(st.integers(min_value=1, max_value=25))
    picks = sorted(draw(st.lists(st.integers(0, len(SESSIONS) - 1), min_size=n, max_size=n, unique=True)))
    dates = [f"{SESSIONS[i]:%Y-%m-%d}" for i in picks]
    return dates, draw(st.lists(_closes, min_size=n, max_size=n))


def _write_csv(dates: list[str], closes: list, *, delimiter: str, bom: bool, crlf: bool) -> Path:
    import tempfile

    eol = "\r\n" if crlf else "\n"
    cells = [c if isinstance(c, str) else repr(c) for c in closes]
    text = eol.join([f"date{delimiter}close", *(f"{d}{delimiter}{c}" for d, c in zip(dates, cells, strict=True))])
    folder = Path(tempfile.mkdtemp())
    path = folder / "XYZ.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + (text + eol).encode())
    return path


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=price_table(), delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans(), crlf=st.booleans())
def test_random_valid_price_files_read_exactly(table, delimiter: str, bom: bool, crlf: bool) -> None:
    dates, closes = table
    frame = read_price_file(_write_csv(dates, closes, delimiter=delimiter, bom=bom, crlf=crlf))
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == dates
    assert frame["close"].tolist() == closes
    assert (frame["ticker"] == "XYZ").all()


_BREAKAGES = {
    "text": "n/a?",
    "zero": "0",
    "negative": "-1.5",
    "inf": "inf",
    "comma": "1,5",
    "excel": "#DIV/0!",
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=price_table().filter(lambda t: len(t[0]) >= 2),
    how=st.sampled_from([*_BREAKAGES, "duplicate", "unsorted", "bad_date"]),
    where=st.integers(min_value=0, max_value=24),
    delimiter=st.sampled_from([",", ";"]),
)
def test_random_invalid_price_files_raise_price_data_error(table, how: str, where: int, delimiter: str) -> None:
    dates, closes = table
    closes = [repr(c) for c in closes]
    i = where % len(dates)
    if how in _BREAKAGES:
        closes[i] = _BREAKAGES[how]
        if delimiter == "," and "," in closes[i]:
            closes[i] = f'"{closes[i]}"'
    elif how == "duplicate":
        dates[i] = dates[i - 1] if i else dates[1]
    elif how == "unsorted":
        j = i - 1 if i else 1
        dates[i], dates[j] = dates[j], dates[i]
    else:
        dates[i] = "31/12/2024"
    path = _write_csv(dates, closes, delimiter=delimiter, bom=False, crlf=False)
    with pytest.raises(PriceDataError) as info:
        read_price_file(path)
    msg = str(info.value)
    assert "XYZ.csv:" in msg and "fix:" in msg and "\n" not in msg
    if how == "duplicate":
        assert f"XYZ.csv:{max(i, 1) + 2}:date: duplicated date" in msg
    elif how == "unsorted":
        assert ":date: dates are not sorted ascending" in msg
    else:
        assert f"XYZ.csv:{i + 2}:" in msg


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_as_a_price_file_reads_or_raises_price_data_error(text: str) -> None:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "ABC.csv"
    path.write_text("date,close\n" + text, encoding="utf-8")
    try:
        frame = read_price_file(path)
    except PriceDataError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
    else:
        assert frame["close"].gt(0).all() and frame["date"].is_monotonic_increasing


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    gaps=st.lists(st.integers(0, len(SESSIONS) - 1), max_size=40),
    start=st.integers(0, 200),
)
def test_random_valid_prices_never_crash_a_study(seed: int, gaps: list[int], start: int) -> None:
    """Random gaps and a random first date: every firm-event gets an outcome code, never an exception."""
    wide = synthetic_prices(seed)
    wide.iloc[gaps, 1] = np.nan  # AAA: missing days
    wide = wide.iloc[start:]
    long = wide.melt(ignore_index=False, var_name="ticker", value_name="close").dropna().reset_index()
    try:
        res, _ = fit(FrameSource(long))
    except EventStudyError:
        pytest.fail("valid prices must not raise")
    assert res.firm_events["status"].isin(["ok", "short_estimation", "missing_event_window", "pre_listing"]).all()
    ok = res.firm_events["status"] == "ok"
    assert res.firm_events.loc[ok, "car_0_0"].notna().all()
