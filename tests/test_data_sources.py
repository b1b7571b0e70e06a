"""Price sources: files (canonical and yfinance layouts, the real shared files), frames and Yahoo (faked)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import (
    COLUMNS,
    SOURCES,
    FetchResult,
    FileSource,
    FrameSource,
    PriceSource,
    YahooSource,
    get_source,
    read_price_file,
    write_snapshot,
)
from eventstudy.errors import ConfigError, EventStudyError, PriceDataError

REPO = Path(__file__).resolve().parents[1]


def _manifest_tickers() -> list[str]:
    """The tickers of the snapshot's data/MANIFEST.csv, read at collection time."""
    return pd.read_csv(REPO / "data" / "MANIFEST.csv", dtype=str)["ticker"].tolist()


MANIFEST_TICKERS = _manifest_tickers()


def write(path: Path, text: str, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def assert_canonical(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(COLUMNS)
    assert pd.api.types.is_string_dtype(frame["ticker"].dtype)
    assert frame["date"].dtype == np.dtype("datetime64[ns]")
    for col in ("open", "high", "low", "close", "volume"):
        assert frame[col].dtype == np.dtype("float64"), col
    assert (frame["date"] == frame["date"].dt.normalize()).all()
    assert frame.equals(frame.sort_values(["ticker", "date"]).reset_index(drop=True))


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# ------------------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------------------


def test_canonical_csv(tmp_path: Path) -> None:
    write(
        tmp_path / "ABC.csv",
        "date,open,high,low,close,volume\n"
        "2025-01-02,10.0,11.0,9.5,10.5,1000\n"
        "2025-01-03,,,,10.75,\n"
        "2025-01-06,10.8,11.2,10.1,11.0,0\n",
    )
    result = FileSource(tmp_path).fetch(["ABC"])
    assert isinstance(result, FetchResult)
    assert result.failures == {}
    assert result.source == "files"
    p = result.prices
    assert_canonical(p)
    assert p["ticker"].tolist() == ["ABC"] * 3
    assert p["date"].tolist() == [ts("2025-01-02"), ts("2025-01-03"), ts("2025-01-06")]
    assert p["close"].tolist() == [10.5, 10.75, 11.0]
    assert p["open"].iloc[0] == 10.0 and np.isnan(p["open"].iloc[1])
    assert p["volume"].tolist()[0] == 1000.0 and np.isnan(p["volume"].iloc[1]) and p["volume"].iloc[2] == 0.0


def test_date_and_close_only(tmp_path: Path) -> None:
    write(tmp_path / "^TNX.csv", "date,close\n2025-01-02,4.57\n2025-01-03,-0.01\n")
    p = FileSource(tmp_path).fetch(["^TNX"]).prices
    assert_canonical(p)
    assert p["close"].tolist() == [4.57, -0.01]  # a yield may be negative
    assert p[["open", "high", "low", "volume"]].isna().all().all()


def test_yfinance_layout_with_adj_close_and_offset(tmp_path: Path) -> None:
    write(
        tmp_path / "LYC.AX.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits\n"
        "2024-01-02 00:00:00+11:00,8.0,8.8,7.6,8.0,4.0,100,0.0,0.0\n"
        "2024-01-03 00:00:00+11:00,9.0,9.9,8.1,9.0,4.5,200,0.0,0.0\n",
    )
    p = FileSource(tmp_path).fetch(["LYC.AX"]).prices
    assert_canonical(p)
    # the local date (first 10 characters), not the UTC date (which would be the day before)
    assert p["date"].tolist() == [ts("2024-01-02"), ts("2024-01-03")]
    assert p["close"].tolist() == [4.0, 4.5]  # Adj Close becomes close
    assert p["open"].tolist() == [4.0, 4.5]  # open/high/low on the adjusted basis (x 0.5)
    assert p["high"].tolist() == [4.4, 4.95]
    assert p["low"].tolist() == [3.8, 4.05]
    assert p["volume"].tolist() == [100.0, 200.0]


def test_bom_semicolon_crlf_and_case(tmp_path: Path) -> None:
    write(
        tmp_path / "600111.SS.csv",
        "DATE;Open;HIGH;low;Close;Volume\n2025-07-10;26.5;27.01;25.7;27.01;2969522.15\n"
        "2025-07-11;28.6;29.71;28.0;29.71;3426386.35\n\n",
        encoding="utf-8-sig",
        newline="\r\n",
    )
    assert (tmp_path / "600111.SS.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    p = FileSource(tmp_path).fetch(["600111.SS"]).prices
    assert_canonical(p)
    assert p["close"].tolist() == [27.01, 29.71]
    assert p["volume"].tolist() == [2969522.15, 3426386.35]


def test_parquet_file(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"Close": [1.5, 1.25], "Volume": [10, 20]},
        index=pd.DatetimeIndex(["2025-02-03", "2025-02-04"], name="Date"),
    )
    frame.to_parquet(tmp_path / "XYZ.parquet")
    p = FileSource(tmp_path).fetch(["XYZ"]).prices
    assert_canonical(p)
    assert p["date"].tolist() == [ts("2025-02-03"), ts("2025-02-04")]
    assert p["close"].tolist() == [1.5, 1.25]
    assert p["volume"].tolist() == [10.0, 20.0]


def test_parquet_errors_name_the_row(tmp_path: Path) -> None:
    pd.DataFrame({"date": ["2025-02-03", "2025-02-04"], "close": [1.5, 0.0]}).to_parquet(tmp_path / "Q.parquet")
    with pytest.raises(PriceDataError) as err:
        FileSource(tmp_path).fetch(["Q"])
    assert f"{tmp_path / 'Q.parquet'}:row 2:close" in str(err.value)


def test_start_end_inclusive_and_missing_file(tmp_path: Path) -> None:
    write(tmp_path / "A.csv", "date,close\n2025-01-02,1\n2025-01-03,2\n2025-01-06,3\n2025-01-07,4\n")
    result = FileSource(tmp_path).fetch(["A", "B"], start="2025-01-03", end="2025-01-06")
    assert result.prices["date"].tolist() == [ts("2025-01-03"), ts("2025-01-06")]
    assert result.failures == {"B": f"no price file B.csv or .parquet in {tmp_path}"}
    none = FileSource(tmp_path).fetch(["A"], start="2026-01-01", end="2026-02-01")
    assert none.prices.empty
    assert_canonical(none.prices)
    assert none.failures["A"] == ("no rows in 2026-01-01..2026-02-01 in A.csv (the file covers 2025-01-02..2025-01-07)")


def test_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(PriceDataError) as err:
        FileSource(missing)
    msg = str(err.value)
    assert str(missing) in msg and "does not exist" in msg
    assert "--prices-dir" in msg and "EVENTSTUDY_PRICES_DIR" in msg
    assert "\n" not in msg


def test_manifest(tmp_path: Path) -> None:
    assert FileSource(tmp_path).manifest().empty
    write(tmp_path / "MANIFEST.csv", "ticker,rows,note\nMP,3,\n")
    m = FileSource(tmp_path).manifest()
    assert m.to_dict("records") == [{"ticker": "MP", "rows": "3", "note": ""}]


BAD_FILES = [
    pytest.param(
        "Day,Price\n2025-01-02,1\n",
        ":1",
        ["no 'date' or 'close' column", "columns found: Day, Price"],
        id="missing-date-and-close",
    ),
    pytest.param("date,open\n2025-01-02,1\n", ":1", ["no 'close' column", "columns found: date, open"], id="no-close"),
    pytest.param(
        "date,close\n2025-01-02,1\n2025-13-01,2\n",
        ":3:date",
        ["unparseable date", "'2025-13-01'", "YYYY-MM-DD"],
        id="bad-date",
    ),
    pytest.param(
        "date,close,volume\n2025-01-02,1,5\n2025-01-03,2,lots\n",
        ":3:volume",
        ["not a number", "'lots'"],
        id="non-numeric-volume",
    ),
    pytest.param("date,open,close\n2025-01-02,#VALUE!,1\n", ":2:open", ["not a number", "'#VALUE!'"], id="excel-error"),
    pytest.param(
        "date;close\n2025-01-02;1,5\n",
        ":2:close",
        ["not a number", "'1,5'", "'.' as the decimal mark"],
        id="decimal-comma",
    ),
    pytest.param(
        "date,close\n2025-01-02,1\n2025-01-03,0\n",
        ":3:close",
        ["close must be positive", "'0'"],
        id="zero-close",
    ),
    pytest.param(
        "date,close\n2025-01-02,-2.5\n", ":2:close", ["close must be positive", "'-2.5'"], id="negative-close"
    ),
    pytest.param("date,close\n2025-01-02,inf\n", ":2:close", ["infinite value", "'inf'"], id="infinite-close"),
    pytest.param("date,close\n2025-01-02,1\n2025-01-03,\n", ":3:close", ["empty close"], id="empty-close"),
    pytest.param(
        "date,close\n2025-01-02,1\n2025-01-03,2\n2025-01-03,3\n",
        ":4:date",
        ["duplicated date", "first at", ":3:date", "'2025-01-03'", "keep one row per date"],
        id="duplicate-date",
    ),
    pytest.param(
        "date,close\n2025-01-02,1\n2025-01-06,2\n2025-01-03,3\n",
        ":4:date",
        ["not sorted ascending", "'2025-01-03'", "sort the file by date"],
        id="unsorted",
    ),
]


@pytest.mark.parametrize(("text", "where", "parts"), BAD_FILES)
def test_validation_errors(tmp_path: Path, text: str, where: str, parts: list[str]) -> None:
    path = write(tmp_path / "BAD.csv", text)
    with pytest.raises(PriceDataError) as err:
        FileSource(tmp_path).fetch(["BAD"])
    msg = str(err.value)
    assert msg.startswith(f"{path}{where}:"), msg
    for part in parts:
        assert part in msg, (part, msg)
    assert "fix:" in msg and "\n" not in msg


def test_validation_errors_are_value_errors(tmp_path: Path) -> None:
    write(tmp_path / "BAD.csv", "date,close\nyesterday,1\n")
    with pytest.raises(ValueError):
        read_price_file(tmp_path / "BAD.csv")
    with pytest.raises(EventStudyError):
        read_price_file(tmp_path / "BAD.csv")


def test_nonpositive_close_allowed_for_declared_yields(tmp_path: Path) -> None:
    write(tmp_path / "RATE.csv", "date,close\n2020-03-19,-0.028\n")
    with pytest.raises(PriceDataError):
        FileSource(tmp_path).fetch(["RATE"])
    p = FileSource(tmp_path, yield_tickers={"RATE"}).fetch(["RATE"]).prices
    assert p["close"].tolist() == [-0.028]


def test_misuse_raises(tmp_path: Path) -> None:
    src = FileSource(tmp_path)
    with pytest.raises(ConfigError, match=r"tickers: expected a list of tickers, not one string .*\['MP'\]"):
        src.fetch("MP")
    with pytest.raises(ConfigError, match="start is after end"):
        src.fetch(["MP"], start="2025-02-01", end="2025-01-01")
    with pytest.raises(ConfigError, match="start: not a date"):
        src.fetch(["MP"], start="someday")


# ------------------------------------------------------------------------------------------------------------
# The real price files (the snapshot written out as files by the prices_dir fixture) and raw vendor files
# ------------------------------------------------------------------------------------------------------------


def test_real_mp_july_2025(prices_dir: Path) -> None:
    p = FileSource(prices_dir).fetch(["MP"], "2025-07-09", "2025-07-10").prices
    assert p["date"].tolist() == [ts("2025-07-09"), ts("2025-07-10")]
    # the files hold Yahoo's float32 closes written with 6 decimals
    assert p["close"].iloc[0] == pytest.approx(30.030001, abs=1e-6)
    assert p["close"].iloc[1] == pytest.approx(45.23, abs=1e-6)
    assert p["close"].iloc[1] / p["close"].iloc[0] - 1 == pytest.approx(0.5062, abs=1e-4)


@pytest.mark.parametrize(
    ("ticker", "date", "close"),
    [
        ("LYC.AX", "2025-06-05", 9.26),
        ("LYC.AX", "2025-10-06", 19.360001),
        ("600111.SS", "2025-07-10", 27.01),
        ("600111.SS", "2025-07-11", 29.71),
        ("4063.T", "2025-04-04", 3817.78),
        ("000300.SS", "2025-04-07", 3589.44),
    ],
)
def test_real_foreign_files(prices_dir: Path, ticker: str, date: str, close: float) -> None:
    result = FileSource(prices_dir).fetch([ticker], date, date)
    assert result.failures == {}
    assert result.prices["close"].tolist() == [pytest.approx(close, abs=1e-6)]
    assert result.prices[["open", "high", "low", "volume"]].notna().all().all()


def test_real_lyc_placement_halt_removed(prices_dir: Path) -> None:
    # MANIFEST: "zero-volume halt days removed: 1" (2025-08-28)
    p = FileSource(prices_dir).fetch(["LYC.AX"], "2025-08-27", "2025-08-29").prices
    assert p["date"].tolist() == [ts("2025-08-27"), ts("2025-08-29")]


@pytest.mark.parametrize("ticker", MANIFEST_TICKERS)
def test_every_shared_file_reads(prices_dir: Path, ticker: str) -> None:
    source = FileSource(prices_dir)
    row = source.manifest().set_index("ticker").loc[ticker]
    result = source.fetch([ticker])
    assert result.failures == {}
    p = result.prices
    assert_canonical(p)
    assert len(p) == int(row["rows"])
    assert p["date"].iloc[0] == ts(row["first_date"])
    assert p["date"].iloc[-1] == ts(row["last_date"])
    assert p["close"].notna().all()
    assert not p["date"].duplicated().any()


def test_manifest_lists_every_file(prices_dir: Path) -> None:
    files = sorted(p.name for p in prices_dir.iterdir() if p.name != "MANIFEST.csv")
    listed = sorted(f"{t}.csv" for t in FileSource(prices_dir).manifest()["ticker"])
    assert files == listed
    assert len(listed) == 68


def test_real_irx_negative_yields_are_kept(prices_dir: Path) -> None:
    p = FileSource(prices_dir).fetch(["^IRX"], "2020-03-19", "2020-03-27").prices
    assert len(p) == 7
    assert (p["close"] < 0).all()
    assert p["close"].iloc[0] == pytest.approx(-0.028, abs=1e-9)


def test_real_raw_yfinance_file(raw_dir: Path) -> None:
    """naveenf's ASX files are yfinance ``history()`` output with +10:00/+11:00 suffixes and halt rows."""
    source = FileSource(raw_dir / "naveenf_asxscreener")
    p = source.fetch(["ARU.AX"], "2025-10-27", "2025-10-29").prices
    assert p["date"].tolist() == [ts("2025-10-27"), ts("2025-10-28"), ts("2025-10-29")]
    assert p["close"].iloc[0] == pytest.approx(0.375, abs=1e-9)
    assert p["volume"].iloc[1] == 0.0  # the halt row is still there: returns treat it as missing


def test_real_raw_excel_error_is_located(raw_dir: Path) -> None:
    """keroppa's TSE files hold ``#VALUE!`` on 2020-10-01 (the TSE outage): an error that names line 3804."""
    folder = raw_dir / "keroppa_chart0"
    with pytest.raises(PriceDataError) as err:
        FileSource(folder).fetch(["1306"])
    assert str(err.value).startswith(f"{folder / '1306.csv'}:3804:Open: not a number (got '#VALUE!')")


# ------------------------------------------------------------------------------------------------------------
# Frames
# ------------------------------------------------------------------------------------------------------------


def test_frame_source_long() -> None:
    frame = pd.DataFrame(
        {
            "Ticker": ["B", "A", "A"],
            "Date": ["2025-01-03", "2025-01-03", "2025-01-02"],
            "Close": [5.0, 2.0, 1.0],
            "Volume": [7, 8, 9],
        }
    )
    src = FrameSource(frame)
    result = src.fetch(["A", "B", "C"], end="2025-01-03")
    assert_canonical(result.prices)
    assert result.prices["ticker"].tolist() == ["A", "A", "B"]
    assert result.prices["date"].tolist() == [ts("2025-01-02"), ts("2025-01-03"), ts("2025-01-03")]
    assert result.prices["close"].tolist() == [1.0, 2.0, 5.0]
    assert result.prices["volume"].tolist() == [9.0, 8.0, 7.0]
    assert result.failures == {"C": "C is not in the frame"}
    assert result.source == "frame"
    only_a = src.fetch(["A"], start="2025-01-03")
    assert only_a.prices["close"].tolist() == [2.0]


def test_frame_source_wide() -> None:
    idx = pd.DatetimeIndex(["2025-01-02", "2025-01-03", "2025-01-06"], name="date")
    wide = pd.DataFrame({"MP": [10.0, np.nan, 12.0], "SPY": [500.0, 501.0, 502.0]}, index=idx)
    result = FrameSource(wide).fetch(["SPY", "MP"])
    p = result.prices
    assert_canonical(p)
    assert p["ticker"].tolist() == ["MP", "MP", "SPY", "SPY", "SPY"]
    assert p["date"].tolist() == [idx[0], idx[2], idx[0], idx[1], idx[2]]  # MP's empty cell is no row
    assert p["close"].tolist() == [10.0, 12.0, 500.0, 501.0, 502.0]
    assert p["volume"].isna().all()


def test_frame_source_errors_name_row_and_column() -> None:
    idx = pd.DatetimeIndex(["2025-01-02", "2025-01-03"])
    with pytest.raises(PriceDataError) as err:
        FrameSource(pd.DataFrame({"MP": [10.0, -1.0]}, index=idx))
    assert str(err.value).startswith("frame[2025-01-03]:MP: close must be positive (got -1.0)")

    long = pd.DataFrame({"ticker": ["A", "A"], "date": ["2025-01-02", "2025-01-02"], "close": [1.0, 2.0]})
    with pytest.raises(PriceDataError) as err:
        FrameSource(long)
    assert str(err.value).startswith("frame[A 2025-01-02]:date: duplicated date")

    long = pd.DataFrame({"ticker": ["A"], "date": ["2025-01-02"], "close": ["abc"]})
    with pytest.raises(PriceDataError, match=r"^frame\[A 2025-01-02\]:close: not a number \(got 'abc'\)"):
        FrameSource(long)

    with pytest.raises(PriceDataError, match=r"^frame: no 'close' column \(columns found: ticker, date\)"):
        FrameSource(pd.DataFrame({"ticker": ["A"], "date": ["2025-01-02"]}))

    with pytest.raises(PriceDataError, match=r"^frame.index\[1\]: not a date \(got 'x'\)"):
        FrameSource(pd.DataFrame({"MP": [1.0, 2.0]}, index=["2025-01-02", "x"]))


# ------------------------------------------------------------------------------------------------------------
# Yahoo, against a fake yfinance.download
# ------------------------------------------------------------------------------------------------------------


def yf_history(dates: list[str], close: list[float]) -> pd.DataFrame:
    """One ticker as ``Ticker.history(auto_adjust=True, actions=False)`` returns it (tz-naive, daily)."""
    c = np.asarray(close, dtype=float)
    return pd.DataFrame(
        {
            "Open": c * 0.99,
            "High": c * 1.01,
            "Low": c * 0.98,
            "Close": c,
            "Volume": np.arange(1, len(c) + 1) * 1e3,
        },
        index=pd.DatetimeIndex(dates, name="Date"),
    )


def yf_empty() -> pd.DataFrame:
    """yfinance.utils.empty_df(): what download() stores for a ticker that failed."""
    empty = pd.DataFrame(
        index=[],
        data={
            "Open": np.nan,
            "High": np.nan,
            "Low": np.nan,
            "Close": np.nan,
            "Adj Close": np.nan,
            "Volume": np.nan,
        },
    )
    empty.index.name = "Date"
    return empty


def yf_download_frame(dfs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What yfinance 1.x ``download(..., group_by="column")`` builds from per-ticker frames (multi.py)."""
    idx = None
    for df in dfs.values():
        if not df.empty:
            idx = df.index if idx is None else idx.union(df.index)
    if idx is None:
        idx = pd.DatetimeIndex([])
    dfs = {k: v.reindex(idx) for k, v in dfs.items()}
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)  # yfinance sorts in place


HISTORY = {
    "MP": yf_history(["2025-07-08", "2025-07-09", "2025-07-10", "2025-07-11"], [29.0, 30.03, 45.23, 44.0]),
    "LYC.AX": yf_history(["2025-07-09", "2025-07-10", "2025-07-11"], [8.0, 8.4, 8.7]),
}


class FakeDownload:
    """Serves HISTORY like Yahoo: ``start`` inclusive, ``end`` exclusive; unknown tickers fail."""

    def __init__(self, history: dict[str, pd.DataFrame] = HISTORY, script: list | None = None) -> None:
        self.history = history
        self.calls: list[dict] = []
        self.script = list(script or [])

    def __call__(self, **kwargs) -> pd.DataFrame:
        self.calls.append(kwargs)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, pd.DataFrame):
                return step
        dfs = {}
        for t in kwargs["tickers"]:
            df = self.history.get(t.upper())
            if df is None:
                dfs[t.upper()] = yf_empty()
                continue
            keep = np.ones(len(df), dtype=bool)
            if kwargs.get("start"):
                keep &= df.index >= pd.Timestamp(kwargs["start"])
            if kwargs.get("end"):
                keep &= df.index < pd.Timestamp(kwargs["end"])
            dfs[t.upper()] = df.loc[keep]
        return yf_download_frame(dfs)


def quiet_yahoo(download: Callable, **kwargs) -> tuple[YahooSource, list[float]]:
    sleeps: list[float] = []
    src = YahooSource(download=download, progress=False, sleep=sleeps.append, rng=np.random.default_rng(7), **kwargs)
    return src, sleeps


def test_fake_has_yfinance_shape() -> None:
    data = FakeDownload()(tickers=["MP", "LYC.AX"], start=None, end=None)
    assert isinstance(data.columns, pd.MultiIndex)
    assert list(data.columns.names) == ["Price", "Ticker"]
    assert set(data.columns.get_level_values(0)) == {"Close", "High", "Low", "Open", "Volume"}
    assert data.index.name == "Date" and isinstance(data.index, pd.DatetimeIndex)
    assert data[("Close", "LYC.AX")].isna().sum() == 1  # padded to the union of dates


def test_yahoo_multi_ticker() -> None:
    fake = FakeDownload()
    src, sleeps = quiet_yahoo(fake)
    result = src.fetch(["MP", "LYC.AX"], start="2025-07-09", end="2025-07-10")
    assert result.failures == {} and sleeps == []
    p = result.prices
    assert_canonical(p)
    assert p["ticker"].tolist() == ["LYC.AX", "LYC.AX", "MP", "MP"]
    assert p["date"].tolist() == [ts("2025-07-09"), ts("2025-07-10")] * 2
    assert p["close"].tolist() == [8.0, 8.4, 30.03, 45.23]
    assert p["volume"].tolist() == [1000.0, 2000.0, 2000.0, 3000.0]
    (call,) = fake.calls
    assert call["tickers"] == ["MP", "LYC.AX"]
    assert call["start"] == "2025-07-09" and call["end"] == "2025-07-11"  # yfinance's end is exclusive
    assert call["auto_adjust"] is True and call["actions"] is False and call["group_by"] == "column"
    assert call["progress"] is False and call["threads"] is True and call["timeout"] == 30.0
    assert "period" not in call


def test_yahoo_single_ticker_multiindex_and_flat() -> None:
    src, _ = quiet_yahoo(FakeDownload())
    p = src.fetch(["MP"], start="2025-07-10", end="2025-07-11").prices
    assert p["close"].tolist() == [45.23, 44.0]

    flat = HISTORY["MP"].copy()
    src, _ = quiet_yahoo(lambda **kw: flat)
    p = src.fetch(["MP"]).prices
    assert p["close"].tolist() == [29.0, 30.03, 45.23, 44.0]
    assert p["open"].tolist() == pytest.approx([29.0 * 0.99, 30.03 * 0.99, 45.23 * 0.99, 44.0 * 0.99], rel=1e-15)


def test_yahoo_open_start_asks_for_max_period() -> None:
    fake = FakeDownload()
    src, _ = quiet_yahoo(fake)
    src.fetch(["MP"], end="2025-07-09")
    assert fake.calls[0]["period"] == "max" and fake.calls[0]["start"] is None
    assert fake.calls[0]["end"] == "2025-07-10"


def rate_limit_error() -> Exception:
    try:
        from yfinance.exceptions import YFRateLimitError
    except ImportError:  # pragma: no cover - older yfinance
        return RuntimeError("Too Many Requests")
    return YFRateLimitError()


def test_yahoo_retries_with_exponential_backoff() -> None:
    fake = FakeDownload(script=[rate_limit_error(), rate_limit_error()])
    src, sleeps = quiet_yahoo(fake, backoff=0.5)
    result = src.fetch(["MP"], "2025-07-10", "2025-07-10")
    assert result.failures == {}
    assert result.prices["close"].tolist() == [45.23]
    assert len(fake.calls) == 3
    jitter = np.random.default_rng(7)
    expected = [0.5 * 2**a + jitter.uniform(0.0, 0.5) for a in range(2)]
    assert sleeps == pytest.approx(expected, rel=1e-12)
    assert 0.5 <= sleeps[0] < 1.0 <= sleeps[1] < 1.5


def test_yahoo_empty_answer_is_retried() -> None:
    fake = FakeDownload(script=[pd.DataFrame()])
    src, sleeps = quiet_yahoo(fake)
    result = src.fetch(["MP"], "2025-07-10", "2025-07-10")
    assert result.failures == {} and len(fake.calls) == 2 and len(sleeps) == 1


def test_yahoo_always_throttled_goes_to_failures() -> None:
    fake = FakeDownload(script=[RuntimeError("429 Too Many Requests")] * 10)
    src, sleeps = quiet_yahoo(fake, retries=3, batch_size=1)
    result = src.fetch(["MP", "LYC.AX"])
    assert result.prices.empty
    assert_canonical(result.prices)
    assert result.failures == {
        "MP": "Yahoo download failed after 4 attempts: RuntimeError: 429 Too Many Requests",
        "LYC.AX": "Yahoo download failed after 4 attempts: RuntimeError: 429 Too Many Requests",
    }
    assert len(fake.calls) == 8 and len(sleeps) == 6
    assert sleeps[:3] == sorted(sleeps[:3]) and sleeps[1] > 2 * 1.0 - 1e-12 and sleeps[2] >= 4.0


def test_yahoo_one_ticker_empty() -> None:
    fake = FakeDownload()
    src, sleeps = quiet_yahoo(fake)
    result = src.fetch(["MP", "GONE"], "2025-07-10", "2025-07-10")
    assert result.failures == {"GONE": "Yahoo returned no rows for GONE in 2025-07-10..2025-07-10"}
    assert result.prices["ticker"].tolist() == ["MP"]
    assert sleeps == [] and len(fake.calls) == 1


def test_yahoo_batches_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeDownload()
    src = YahooSource(download=fake, batch_size=1, progress=True, sleep=lambda s: None)
    result = src.fetch(["MP", "LYC.AX", "MP"])
    assert [c["tickers"] for c in fake.calls] == [["MP"], ["LYC.AX"]]
    assert sorted(result.tickers) == ["LYC.AX", "MP"]
    assert capsys.readouterr().out == ""


def test_yahoo_bad_rows_are_dropped_and_noted() -> None:
    history = {"MP": yf_history(["2025-07-08", "2025-07-09", "2025-07-10"], [29.0, 0.0, 45.23])}
    src, _ = quiet_yahoo(FakeDownload(history))
    result = src.fetch(["MP"])
    assert result.prices["close"].tolist() == [29.0, 45.23]
    assert result.notes == {"MP": "1 row(s) with a zero, negative or infinite close dropped (first 2025-07-09)"}


def test_yahoo_rejects_bad_settings() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        YahooSource(batch_size=0)
    with pytest.raises(ConfigError, match="retries"):
        YahooSource(retries=-1)


# ------------------------------------------------------------------------------------------------------------
# Registry and the shared conformance base: every registered source passes it
# ------------------------------------------------------------------------------------------------------------

CONFORMANCE = {
    "MP": (["2025-07-08", "2025-07-09", "2025-07-10", "2025-07-11"], [29.0, 30.03, 45.23, 44.0]),
    "LYC.AX": (["2025-07-09", "2025-07-10", "2025-07-11"], [8.0, 8.4, 8.7]),
}


def build_source(name: str, tmp_path: Path) -> PriceSource:
    if name == "files":
        for t, (dates, close) in CONFORMANCE.items():
            lines = "".join(f"{d},{c}\n" for d, c in zip(dates, close, strict=True))
            write(tmp_path / f"{t}.csv", "date,close\n" + lines)
        return get_source("files", tmp_path)
    if name == "frame":
        rows = [(t, d, c) for t, (ds, cs) in CONFORMANCE.items() for d, c in zip(ds, cs, strict=True)]
        return get_source("frame", pd.DataFrame(rows, columns=["ticker", "date", "close"]))
    if name == "yahoo":
        history = {t: yf_history(*v) for t, v in CONFORMANCE.items()}
        return get_source("yahoo", download=FakeDownload(history), progress=False, sleep=lambda s: None, retries=0)
    if name == "snapshot":
        rows = [(t, d, c) for t, (ds, cs) in CONFORMANCE.items() for d, c in zip(ds, cs, strict=True)]
        frame = pd.DataFrame(rows, columns=["ticker", "date", "close"]).assign(source="test", adjustment="none")
        return get_source("snapshot", write_snapshot(frame, tmp_path / "p.parquet", snapshot_date="2025-08-01"))
    raise AssertionError(f"no conformance builder for source {name!r}")


def test_registry_names() -> None:
    assert SOURCES.names() == ["yahoo", "files", "frame", "snapshot"]
    with pytest.raises(ConfigError, match="valid price sources are: yahoo, files, frame, snapshot"):
        get_source("yahooo")


@pytest.mark.parametrize("name", SOURCES.names())
def test_conformance(name: str, tmp_path: Path) -> None:
    src = build_source(name, tmp_path)
    assert isinstance(src, PriceSource)
    assert src.name == name
    result = src.fetch(["MP", "LYC.AX", "NOPE"], start="2025-07-09", end="2025-07-10")
    assert isinstance(result, FetchResult) and result.source == name
    assert_canonical(result.prices)
    assert result.prices["ticker"].tolist() == ["LYC.AX", "LYC.AX", "MP", "MP"]
    assert result.prices["date"].tolist() == [ts("2025-07-09"), ts("2025-07-10")] * 2  # both ends inclusive
    assert result.prices["close"].tolist() == [8.0, 8.4, 30.03, 45.23]
    assert list(result.failures) == ["NOPE"]
    assert isinstance(result.failures["NOPE"], str) and "\n" not in result.failures["NOPE"]
    everything = src.fetch(["MP"])
    assert everything.prices["date"].tolist() == [pd.Timestamp(d) for d in CONFORMANCE["MP"][0]]
    nothing = src.fetch([])
    assert nothing.prices.empty and nothing.failures == {}
    assert_canonical(nothing.prices)
