"""Benchmark data choices of METHODS §2, each checked against a hand calculation on a small made-up study.

- A benchmark's missing session is filled from its ``benchmark_fallback`` index when that has the day; otherwise a
  CAR window holding the gap uses the returns across the gap for the security and the benchmark (flagged), and a
  window holding only part of it has no CAR.
- Cash dividends of a price-only benchmark are added back into the ex-dividend session's return; an ex-dividend
  session of unknown amount inside a claim window is flagged.

The references: the market model fitted by statsmodels OLS on the estimation window's daily returns, and the
abnormal returns and exact variances written out from the prices (MacKinlay 1997, eq. 7-8).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy import calendars
from eventstudy.data.returns import read_dividends
from eventstudy.errors import DataWarning, PriceDataError, UniverseError
from eventstudy.study import EventStudy
from eventstudy.universe import Universe

SESSIONS = calendars.sessions("XASX", "2024-06-03", "2025-12-31")
GAP = pd.Timestamp("2025-10-24")  # a Friday session; the benchmark has no price that day
EX_DAY = pd.Timestamp("2025-07-09")  # the benchmark's ex-dividend session in the dividend tests
FIRMS = ["A", "B", "C"]
EST = (-120, -11)


def _prices(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(SESSIONS)
    rm = rng.normal(0.0004, 0.009, n)
    ralt = rm + rng.normal(0, 0.001, n)
    cols = {"IDX": 80 * np.cumprod(1 + rm), "ALT": 36 * np.cumprod(1 + ralt)}
    for i, tk in enumerate(FIRMS):
        r = 0.0002 + (0.8 + 0.3 * i) * rm + rng.normal(0, 0.015, n)
        cols[tk] = 10 * np.cumprod(1 + r)
    frame = pd.DataFrame(cols, index=pd.DatetimeIndex(SESSIONS, name="date"))
    frame.loc[GAP, "IDX"] = np.nan
    return frame


def _universe(fallback: str = "") -> pd.DataFrame:
    tickers = [*FIRMS, "IDX", "ALT"]
    return pd.DataFrame(
        {
            "ticker": tickers,
            "name": tickers,
            "group": ["miners"] * 3 + ["benchmark"] * 2,
            "exchange": ["XASX"] * 5,
            "currency": ["AUD"] * 5,
            "benchmark": ["IDX"] * 3 + ["", ""],
            "benchmark_fallback": ["", "", "", fallback, ""],
        }
    )


def _events(day: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["ev"],
            "announced_at": [day],
            "time_precision": ["day"],
            "timezone": ["Australia/Sydney"],
            "headline": ["true"],
        }
    )


def _fit(prices: pd.DataFrame, day: str, fallback: str = "", dividends: pd.DataFrame | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        study = EventStudy(
            _events(day),
            _universe(fallback),
            prices,
            estimation_window=EST,
            event_window=(-3, 3),
            car_windows=[(0, 0), (0, 1), (-1, 1), (-2, 2)],
            min_estimation=60,
            tests=["csect_t"],
            placebo_draws=0,
            dividends=dividends,
        )
        return study.fit(analyse=False)


def _hand_fit(r: pd.Series, rm: pd.Series, day0: pd.Timestamp) -> tuple[float, float, float, int, float, float]:
    """α, β, σ², M, mean and centred sum of squares of the benchmark returns over the estimation window."""
    pos = SESSIONS.get_loc(day0)
    est = SESSIONS[pos + EST[0] : pos + EST[1] + 1]
    y, x = r.reindex(est), rm.reindex(est)
    ok = y.notna() & x.notna()
    fit = sm.OLS(y[ok].to_numpy(), sm.add_constant(x[ok].to_numpy())).fit()
    xs = x[ok].to_numpy()
    m = int(ok.sum())
    return fit.params[0], fit.params[1], fit.scale, m, xs.mean(), ((xs - xs.mean()) ** 2).sum()


def _row(res, ticker: str) -> pd.Series:
    fe = res.firm_events
    return fe[fe["ticker"] == ticker].iloc[0]


@pytest.fixture(scope="module")
def gap_fit():
    prices = _prices()
    return prices, _fit(prices, "2025-10-24")


@pytest.mark.parametrize("ticker", FIRMS)
def test_two_day_return_across_the_gap(gap_fit, ticker: str) -> None:
    prices, res = gap_fit
    px, pm = prices[ticker], prices["IDX"]
    r, rm = px.pct_change(fill_method=None), pm.pct_change(fill_method=None)
    alpha, beta, s2, m, xbar, sxx = _hand_fit(r, rm, GAP)
    pos = SESSIONS.get_loc(GAP)
    before, day1, dm1 = SESSIONS[pos - 1], SESSIONS[pos + 1], SESSIONS[pos - 1]
    r2 = px[day1] / px[before] - 1  # the security's return from the close before the gap to day +1
    rm2 = pm[day1] / pm[before] - 1  # the benchmark's, across its missing close
    row = _row(res, ticker)
    # [0, 1] holds the whole gap: the two-day abnormal return, R2 - 2a - b Rm2
    assert row["car_0_1"] == pytest.approx(r2 - 2 * alpha - beta * rm2, rel=1e-9, abs=1e-12)
    assert row["var_car_0_1"] == pytest.approx(s2 * (2 + 4 / m + (rm2 - 2 * xbar) ** 2 / sxx), rel=1e-9)
    # [-1, 1]: day -1's own abnormal return plus the two-day one
    ar_m1 = r[dm1] - alpha - beta * rm[dm1]
    car = ar_m1 + r2 - 2 * alpha - beta * rm2
    assert row["car_m1_1"] == pytest.approx(car, rel=1e-9, abs=1e-12)
    var = s2 * (3 + 9 / m + (rm[dm1] + rm2 - 3 * xbar) ** 2 / sxx)
    assert row["var_car_m1_1"] == pytest.approx(var, rel=1e-9)
    # [0, 0] holds only part of the gap: no CAR, and the firm-event says why
    assert np.isnan(row["car_0_0"])
    assert row["status"] == "missing_event_window"
    assert "benchmark IDX has no price on 2025-10-24" in row["benchmark_flags"]
    assert row["n_estimation"] == m


def test_gap_is_listed_in_the_data_notes_and_days_have_no_single_day_ar(gap_fit) -> None:
    _, res = gap_fit
    notes = res.data_notes.set_index("ticker")
    assert notes.loc["IDX", "benchmark_gaps"].startswith("2025-10-24 no price")
    assert notes.loc["A", "benchmark_gaps"] == ""
    ar = res.ar[(res.ar["ticker"] == "A") & res.ar["event_day"].isin([0, 1])]
    assert ar["ar"].isna().all() and ar["ret"].isna().all()


def test_without_the_gap_rule_the_windows_are_missing() -> None:
    """The outcome before the rule: with the gap kept (a benchmark without a gap list), every window holding
    2025-10-24 or 2025-10-27 had no CAR. With it, [0, 1], [-1, 1] and [-2, 2] are back (the study's counts move
    the same way)."""
    from eventstudy.windows import build_panel

    prices = _prices()
    rets = {tk: prices[tk].pct_change(fill_method=None).dropna() for tk in [*FIRMS, "IDX"]}
    fe = pd.DataFrame({"event_id": "ev", "ticker": FIRMS, "exchange": "XASX", "benchmark": "IDX", "day0": GAP})
    plain = build_panel(fe, rets, {"XASX": SESSIONS}, estimation_window=EST, event_window=(-3, 3))
    j = plain.day_index(0)
    assert np.isnan(plain.mret[:, j : j + 2]).all()  # a plain mapping of returns has no gap list: nothing merged
    assert not plain.merged.any()
    res = _fit(prices, "2025-10-24")
    assert res.firm_events[["car_0_1", "car_m1_1", "car_m2_2"]].notna().all().all()


def test_fallback_fills_the_missing_session() -> None:
    prices = _prices()
    res = _fit(prices, "2025-10-24", fallback="ALT")
    pos = SESSIONS.get_loc(GAP)
    before, day1 = SESSIONS[pos - 1], SESSIONS[pos + 1]
    r_alt = prices["ALT"][GAP] / prices["ALT"][before] - 1
    pm = prices["IDX"].copy()
    pm[GAP] = pm[before] * (1 + r_alt)  # the benchmark's close rebuilt from the fallback's return
    rm = pm.pct_change(fill_method=None)
    assert rm[GAP] == pytest.approx(r_alt, rel=1e-12)
    assert rm[day1] == pytest.approx(prices["IDX"][day1] / (prices["IDX"][before] * (1 + r_alt)) - 1, rel=1e-12)
    for ticker in FIRMS:
        r = prices[ticker].pct_change(fill_method=None)
        alpha, beta, s2, m, xbar, sxx = _hand_fit(r, rm, GAP)
        row = _row(res, ticker)
        assert row["car_0_0"] == pytest.approx(r[GAP] - alpha - beta * rm[GAP], rel=1e-9, abs=1e-12)
        assert row["var_car_0_0"] == pytest.approx(s2 * (1 + 1 / m + (rm[GAP] - xbar) ** 2 / sxx), rel=1e-9)
        car01 = r[GAP] + r[day1] - 2 * alpha - beta * (rm[GAP] + rm[day1])
        assert row["car_0_1"] == pytest.approx(car01, rel=1e-9, abs=1e-12)
        assert row["status"] == "ok"
        assert row["benchmark_flags"] == "benchmark IDX 2025-10-24 filled from ALT"
    assert res.data_notes.set_index("ticker").loc["IDX", "benchmark_gaps"] == "2025-10-24 filled from ALT"


def test_fallback_must_be_a_ticker_of_the_universe() -> None:
    frame = _universe("NOPE")
    with pytest.raises(UniverseError, match=r"<frame>:5:benchmark_fallback: the fallback of IDX is not a ticker"):
        Universe.from_frame(frame)


def test_dividend_is_added_back_into_the_benchmark_return() -> None:
    prices = _prices()
    prices.loc[GAP, "IDX"] = prices.loc[SESSIONS[SESSIONS.get_loc(GAP) - 1], "IDX"]  # no gap in this test
    amount = 1.6
    divs = pd.DataFrame({"ticker": ["IDX"], "date": [EX_DAY.strftime("%Y-%m-%d")], "dividend": [amount]})
    res = _fit(prices, "2025-07-09", dividends=divs)
    pm = prices["IDX"]
    pos = SESSIONS.get_loc(EX_DAY)
    prev = SESSIONS[pos - 1]
    total = (pm[EX_DAY] + amount) / pm[prev] - 1  # (P_t + D_t) / P_{t-1} - 1
    rm = pm.pct_change(fill_method=None)
    rm[EX_DAY] = total
    panel = res.panel
    assert panel.mret[0, panel.day_index(0)] == pytest.approx(total, rel=1e-12)
    for ticker in FIRMS:
        r = prices[ticker].pct_change(fill_method=None)
        alpha, beta, s2, m, xbar, sxx = _hand_fit(r, rm, EX_DAY)
        row = _row(res, ticker)
        assert row["car_0_0"] == pytest.approx(r[EX_DAY] - alpha - beta * total, rel=1e-9, abs=1e-12)
        assert row["var_car_0_0"] == pytest.approx(s2 * (1 + 1 / m + (total - xbar) ** 2 / sxx), rel=1e-9)
        assert row["benchmark_flags"] == ""
    note = res.data_notes.set_index("ticker").loc["IDX", "dividends"]
    assert note == "2025-07-09 1.6 added back"


def test_ex_dividend_of_unknown_amount_is_flagged_inside_a_claim_window() -> None:
    prices = _prices()
    prices.loc[GAP, "IDX"] = prices.loc[SESSIONS[SESSIONS.get_loc(GAP) - 1], "IDX"]
    divs = pd.DataFrame({"ticker": ["IDX", "IDX"], "date": ["2025-07-09", "2025-07-14"], "dividend": ["", ""]})
    # a date-only event on 07-08: its claim window [0, 1] holds 07-09; 07-14 is in the event window only
    res = _fit(prices, "2025-07-08", dividends=divs)
    for ticker in FIRMS:
        assert _row(res, ticker)["benchmark_flags"] == (
            "benchmark IDX ex-dividend 2025-07-09, amount unknown (not adjusted), inside claim window 0_1"
        )
    # nothing was added: the benchmark's return is the price return
    pm = prices["IDX"]
    panel = res.panel
    assert panel.mret[0, panel.day_index(1)] == pytest.approx(pm["2025-07-09"] / pm["2025-07-08"] - 1, rel=1e-12)
    note = res.data_notes.set_index("ticker").loc["IDX", "dividends"]
    assert note.startswith("2025-07-09 ex-dividend, amount unknown: not adjusted")


def test_dividends_file_errors_name_the_line(tmp_path) -> None:
    path = tmp_path / "dividends.csv"
    path.write_text("ticker,date,dividend\n1306.T,2025-07-09,-3\n", encoding="utf-8")
    with pytest.raises(PriceDataError, match=r"dividends.csv:2:dividend: the dividend must be a positive amount"):
        read_dividends(path)
    path.write_text("ticker,date,dividend\n1306.T,09/07/2025,\n", encoding="utf-8")
    with pytest.raises(PriceDataError, match=r"dividends.csv:2:date: not a date"):
        read_dividends(path)
