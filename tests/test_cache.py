"""The DuckDB price cache and load_prices: round trips, incremental fetching, offline mode, schema refusal,
a writer killed mid-transaction and two writers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from eventstudy.data import SCHEMA_VERSION, FetchResult, FrameSource, PriceCache, load_prices
from eventstudy.errors import CacheError, PriceDataError

REPO = Path(__file__).resolve().parents[1]
HELPER = Path(__file__).resolve().parent / "helpers" / "cache_writer.py"


def prices(ticker: str, start: str, periods: int, level: float = 10.0) -> pd.DataFrame:
    dates = pd.bdate_range(start, periods=periods).astype("datetime64[ns]")
    close = level + np.arange(periods, dtype="float64")
    frame = pd.DataFrame(
        {
            "ticker": ticker,
            "date": dates,
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.arange(periods, dtype="float64") * 100.0,
        }
    )
    frame["ticker"] = frame["ticker"].astype(str)
    return frame


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture
def cache(tmp_path: Path) -> PriceCache:
    return PriceCache(tmp_path / "sub" / "dir" / "prices.duckdb")


class CountingSource:
    """Wraps a source and records every fetch call."""

    def __init__(self, inner: Any, name: str = "fake") -> None:
        self.inner = inner
        self.name = name
        self.calls: list[tuple[list[str], pd.Timestamp | None, pd.Timestamp | None]] = []

    def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
        self.calls.append((list(tickers), start, end))
        result = self.inner.fetch(tickers, start, end)
        return FetchResult(prices=result.prices, failures=result.failures, source=self.name)


UNIVERSE = pd.concat([prices("MP", "2024-11-01", 150, 20.0), prices("LYC.AX", "2024-11-01", 150, 8.0)])


# ------------------------------------------------------------------------------------------------------------
# PriceCache
# ------------------------------------------------------------------------------------------------------------


def test_round_trip(cache: PriceCache) -> None:
    frame = pd.concat([prices("B", "2025-01-02", 5), prices("A", "2025-01-02", 3)], ignore_index=True)
    frame.loc[1, ["open", "volume"]] = np.nan
    assert cache.path.is_file()
    assert cache.write(frame, source="unit") == 8
    back = cache.read(["A", "B"])
    expected = frame.sort_values(["ticker", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["date"].dtype == np.dtype("datetime64[ns]")
    assert np.isnan(back.loc[(back.ticker == "B") & (back.date == ts("2025-01-03")), "open"]).all()
    sub = cache.read(["B"], start="2025-01-03", end="2025-01-06")
    assert sub["date"].tolist() == [ts("2025-01-03"), ts("2025-01-06")]
    assert cache.read(["ZZZ"]).empty
    assert list(cache.read(["ZZZ"]).columns) == list(expected.columns)
    assert len(cache.read()) == 8


def test_upsert_replaces_rows(cache: PriceCache) -> None:
    cache.write(prices("A", "2025-01-02", 5, 10.0), source="one")
    cache.write(prices("A", "2025-01-06", 5, 99.0), source="two")  # replaces 2025-01-06..08, adds 09..10
    back = cache.read(["A"], with_provenance=True)
    assert back["date"].dt.day.tolist() == [2, 3, 6, 7, 8, 9, 10]
    assert back["close"].tolist() == [10.0, 11.0, 99.0, 100.0, 101.0, 102.0, 103.0]
    assert back["source"].tolist() == ["one", "one"] + ["two"] * 5


def test_provenance_and_coverage(cache: PriceCache) -> None:
    when = pd.Timestamp("2026-01-05 12:30:00")
    cache.write(prices("A", "2025-01-02", 3), source="files", fetched_at=when)
    later = pd.Timestamp("2026-02-01 08:00:00+01:00")  # stored as UTC
    cache.write(prices("A", "2025-01-07", 2), source="yahoo", fetched_at=later)
    back = cache.read(["A"], with_provenance=True)
    assert list(back.columns) == [
        "ticker",
        "date",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "source",
        "fetched_at",
    ]
    assert back["source"].tolist() == ["files", "files", "files", "yahoo", "yahoo"]
    assert back["fetched_at"].tolist() == [when] * 3 + [pd.Timestamp("2026-02-01 07:00:00")] * 2
    cov = cache.coverage()
    assert cov.to_dict("records") == [
        {
            "ticker": "A",
            "first_date": ts("2025-01-02"),
            "last_date": ts("2025-01-08"),
            "rows": 5,
            "source": "yahoo",
            "fetched_at": pd.Timestamp("2026-02-01 07:00:00"),
        }
    ]


def test_write_rejects_duplicate_keys(cache: PriceCache) -> None:
    frame = pd.concat([prices("A", "2025-01-02", 2), prices("A", "2025-01-03", 1)])
    with pytest.raises(PriceDataError, match=r"prices\[A 2025-01-03\]: duplicated \(ticker, date\)"):
        cache.write(frame, source="x")
    assert cache.read(["A"]).empty  # nothing half-written


def test_failed_write_rolls_back(cache: PriceCache, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.write(prices("A", "2025-01-02", 3, 1.0), source="old")

    def boom(self: PriceCache, con: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(PriceCache, "_widen_spans", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        cache.write(prices("A", "2025-01-02", 5, 50.0), source="new")
    back = cache.read(["A"], with_provenance=True)
    assert back["close"].tolist() == [1.0, 2.0, 3.0] and set(back["source"]) == {"old"}


def test_schema_version_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    PriceCache(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(CacheError) as err:
        PriceCache(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: price cache schema version 2 is not supported (expected {SCHEMA_VERSION})")
    assert "delete the file" in msg and "upgrade" in msg and "\n" not in msg


def test_foreign_files_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(CacheError, match="not an eventstudy price cache"):
        PriceCache(other)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 300)
    with pytest.raises(CacheError) as err:
        PriceCache(junk)
    assert str(err.value).startswith(f"{junk}: cannot open the price cache") and "delete the file" in str(err.value)


def test_locked_file_times_out(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    cache = PriceCache(path, lock_timeout=0.5)
    holder = subprocess.Popen(
        [sys.executable, str(HELPER), "hold", str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(CacheError) as err:
            cache.read(["A"])
        msg = str(err.value)
        assert msg.startswith(f"{path}: the price cache is locked: another eventstudy process is using it")
        assert "waited 0.5 s" in msg
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert cache.read(["A"]).empty  # usable again once the other process is gone


# ------------------------------------------------------------------------------------------------------------
# load_prices
# ------------------------------------------------------------------------------------------------------------


def test_second_call_uses_the_cache_and_a_wider_range_fetches_only_the_ends(cache: PriceCache) -> None:
    src = CountingSource(FrameSource(UNIVERSE))
    first = load_prices(["MP", "LYC.AX"], "2025-01-06", "2025-03-31", source=src, cache=cache)
    assert src.calls == [(["MP", "LYC.AX"], ts("2025-01-06"), ts("2025-03-31"))]
    assert first.failures == {}
    assert first.prices["date"].min() == ts("2025-01-06") and first.prices["date"].max() == ts("2025-03-31")

    again = load_prices(["MP", "LYC.AX"], "2025-01-06", "2025-03-31", source=src, cache=cache)
    assert len(src.calls) == 1  # no new call
    pd.testing.assert_frame_equal(again.prices, first.prices)

    wider = load_prices(["MP", "LYC.AX"], "2024-12-02", "2025-04-30", source=src, cache=cache)
    assert src.calls[1:] == [
        (["MP", "LYC.AX"], ts("2024-12-02"), ts("2025-01-05")),
        (["MP", "LYC.AX"], ts("2025-03-31") + pd.Timedelta(days=1), ts("2025-04-30")),
    ]
    direct = FrameSource(UNIVERSE).fetch(["MP", "LYC.AX"], "2024-12-02", "2025-04-30").prices
    pd.testing.assert_frame_equal(wider.prices, direct)
    assert wider.source == "fake"

    inside = load_prices(["MP"], "2025-02-03", "2025-02-07", source=src, cache=cache)
    assert len(src.calls) == 3
    assert (
        inside.prices["close"].tolist()
        == direct.query("ticker == 'MP'").set_index("date").loc["2025-02-03":"2025-02-07", "close"].tolist()
    )


def test_range_starting_on_a_weekend_is_not_asked_again(cache: PriceCache) -> None:
    src = CountingSource(FrameSource(UNIVERSE))
    load_prices(["MP"], "2025-01-04", "2025-01-12", source=src, cache=cache)  # Saturday .. Sunday
    load_prices(["MP"], "2025-01-04", "2025-01-12", source=src, cache=cache)
    assert src.calls == [(["MP"], ts("2025-01-04"), ts("2025-01-12"))]
    cov = cache.coverage()
    assert cov["first_date"].tolist() == [ts("2025-01-06")] and cov["last_date"].tolist() == [ts("2025-01-10")]


def test_only_the_new_ticker_is_fetched(cache: PriceCache) -> None:
    src = CountingSource(FrameSource(UNIVERSE))
    load_prices(["MP"], "2025-01-06", "2025-01-31", source=src, cache=cache)
    result = load_prices(["MP", "LYC.AX", "NOPE"], "2025-01-06", "2025-01-31", source=src, cache=cache)
    assert src.calls[1:] == [(["LYC.AX", "NOPE"], ts("2025-01-06"), ts("2025-01-31"))]
    assert result.failures == {"NOPE": "NOPE is not in the frame"}
    assert sorted(result.tickers) == ["LYC.AX", "MP"]
    assert len(result.prices) == 2 * 20


def test_offline(cache: PriceCache) -> None:
    src = CountingSource(FrameSource(UNIVERSE))
    load_prices(["MP"], "2025-01-06", "2025-01-31", source=src, cache=cache)
    off = load_prices(["MP", "LYC.AX"], "2024-12-02", "2025-02-28", source=src, cache=cache, offline=True)
    assert len(src.calls) == 1  # the source is never called offline
    assert off.failures == {"LYC.AX": "not in the cache (offline)"}
    assert off.prices["ticker"].unique().tolist() == ["MP"]
    assert off.prices["date"].min() == ts("2025-01-06") and off.prices["date"].max() == ts("2025-01-31")
    outside = load_prices(["MP"], "2026-01-01", "2026-01-31", source=src, cache=cache, offline=True)
    assert outside.failures["MP"].startswith("not in the cache (offline): no cached rows in 2026-01-01..2026-01-31")
    no_cache = load_prices(["MP"], "2025-01-06", "2025-01-31", source=src, offline=True)
    assert no_cache.failures == {"MP": "not in the cache (offline; no cache configured)"} and len(src.calls) == 1


def test_without_cache_calls_the_source(tmp_path: Path) -> None:
    src = CountingSource(FrameSource(UNIVERSE))
    a = load_prices(["MP"], "2025-01-06", "2025-01-10", source=src)
    b = load_prices(["MP"], "2025-01-06", "2025-01-10", source=src)
    assert len(src.calls) == 2
    pd.testing.assert_frame_equal(a.prices, b.prices)


def test_failed_refresh_keeps_cached_rows(cache: PriceCache) -> None:
    src = CountingSource(FrameSource(UNIVERSE))
    load_prices(["MP"], "2025-01-06", "2025-01-31", source=src, cache=cache)

    class Down:
        name = "fake"

        def fetch(self, tickers: Sequence[str], start: Any = None, end: Any = None) -> FetchResult:
            return FetchResult(
                prices=FrameSource(UNIVERSE).fetch([], None, None).prices,
                failures=dict.fromkeys(tickers, "Yahoo download failed after 5 attempts: ConnectionError: reset"),
                source="fake",
            )

    result = load_prices(["MP"], "2025-01-06", "2025-02-28", source=Down(), cache=cache)
    assert result.failures == {}
    assert result.prices["date"].max() == ts("2025-01-31")
    assert result.notes == {
        "MP": "refresh of 2025-02-01..2025-02-28 failed: Yahoo download failed after 5 attempts: ConnectionError: reset"
    }
    again = CountingSource(FrameSource(UNIVERSE))
    load_prices(["MP"], "2025-01-06", "2025-02-28", source=again, cache=cache)
    assert again.calls == [(["MP"], ts("2025-02-01"), ts("2025-02-28"))]  # a failed refresh is tried again


# ------------------------------------------------------------------------------------------------------------
# Processes: a writer killed inside its transaction, and two writers at once
# ------------------------------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_killed_write_leaves_committed_data_intact(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    cache = PriceCache(path)
    before = prices("MP", "2024-01-01", 300)
    cache.write(before, source="committed")
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), "kill", str(path), "300000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "ready", proc.stderr.read() if proc.stderr else line
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    reopened = PriceCache(path)
    assert reopened.read(["KILLED0", "KILLED59"]).empty
    assert reopened.coverage()["ticker"].tolist() == ["MP"]
    pd.testing.assert_frame_equal(reopened.read(["MP"]), before.reset_index(drop=True), check_dtype=False)
    reopened.write(prices("NEW", "2025-01-02", 3), source="after")  # still writable
    assert reopened.coverage()["ticker"].tolist() == ["MP", "NEW"]


def test_two_writers_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    PriceCache(path)
    n, rows = 8, 400
    procs = {
        prefix: subprocess.Popen(
            [sys.executable, str(HELPER), "write", str(path), prefix, str(n), str(rows)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=REPO,
        )
        for prefix in ("P", "Q")
    }
    outcomes = {}
    for prefix, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        outcomes[prefix] = (proc.returncode, out, err)
    for prefix, (rc, out, err) in outcomes.items():
        assert rc in (0, 3), (prefix, rc, err)
        if rc == 3:  # a clean failure, with the cache's own message
            assert "another eventstudy process is using it" in err, err
        else:
            assert out.strip() == "done"
    cache = PriceCache(path)
    cov = cache.coverage().set_index("ticker")
    assert (cov["rows"] == rows).all()  # every ticker that is there is complete
    for prefix, (rc, _, _) in outcomes.items():
        if rc == 0:
            assert {f"{prefix}{i}" for i in range(n)} <= set(cov.index)
    if "SHARED" in cov.index:
        shared = cache.read(["SHARED"], with_provenance=True)
        assert (shared["source"] == shared["source"].iloc[0]).all()  # one writer's rows, never a mix
        level = 100.0 if shared["source"].iloc[0] == "P" else 200.0
        assert shared["close"].tolist() == pytest.approx(level + np.arange(rows) / 1000.0)
    assert any(rc == 0 for rc, _, _ in outcomes.values())


def test_read_wide_is_the_pivot_of_read(cache: PriceCache) -> None:
    a = prices("AAA", "2024-01-01", 30, 10.0)
    b = prices("BBB", "2024-01-10", 30, 20.0).drop(index=[3, 7])  # gaps
    cache.write(pd.concat([a, b], ignore_index=True), source="test")
    want = cache.read(["AAA", "BBB"], "2024-01-05", "2024-02-05").pivot(index="date", columns="ticker", values="close")
    got = cache.read_wide(["BBB", "AAA", "ZZZ"], "2024-01-05", "2024-02-05")
    assert list(got.columns) == ["BBB", "AAA", "ZZZ"]
    assert got["ZZZ"].isna().all()  # kept, as an empty column
    pd.testing.assert_frame_equal(got[["AAA", "BBB"]], want, check_names=False, check_freq=False)
    volume = cache.read_wide(["AAA"], column="volume")
    assert volume["AAA"].tolist() == a["volume"].tolist()
    with pytest.raises(ValueError, match="column: 'adj' is not a price column"):
        cache.read_wide(["AAA"], column="adj")
