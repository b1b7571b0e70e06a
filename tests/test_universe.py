"""The universe table: the study file against the price manifest, every validation error, file dialects."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.errors import UniverseError
from eventstudy.universe import (
    BENCHMARK_GROUP,
    REQUIRED_UNIVERSE_COLUMNS,
    UNIVERSE_COLUMNS,
    Universe,
    calendar_of,
    read_universe,
)

LOCAL_BENCHMARK = {
    "XNYS": "SPY",
    "XASX": "STW.AX",
    "XSHG": "000300.SS",
    "XSHE": "000300.SS",
    "XTKS": "1306.T",
}


@pytest.fixture(scope="module")
def universe_path(repo_dir: Path) -> Path:
    return repo_dir / "universe.csv"


@pytest.fixture(scope="module")
def universe(universe_path: Path) -> Universe:
    return read_universe(universe_path)


@pytest.fixture(scope="module")
def manifest(prices_dir: Path) -> pd.DataFrame:
    return pd.read_csv(prices_dir / "MANIFEST.csv", dtype=str, keep_default_na=False).set_index("ticker")


def _rows() -> list[dict[str, str]]:
    base = {"name": "", "segment": "", "currency": "USD", "first_valid_date": "", "notes": ""}
    return [
        {**base, "ticker": "MP", "group": "miners", "exchange": "XNYS", "benchmark": "SPY"},
        {**base, "ticker": "SPY", "group": "benchmark", "exchange": "XNYS", "benchmark": ""},
        {**base, "ticker": "600111.SS", "group": "miners", "exchange": "XSHG", "currency": "CNY",
         "benchmark": "000300.SS"},
        {**base, "ticker": "300748.SZ", "group": "magnets", "exchange": "XSHE", "currency": "CNY",
         "benchmark": "000300.SS"},
        {**base, "ticker": "000300.SS", "group": "benchmark", "exchange": "XSHG", "currency": "CNY",
         "benchmark": ""},
    ]  # fmt: skip


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _error(path: Path) -> str:
    with pytest.raises(UniverseError) as info:
        read_universe(path)
    message = str(info.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------------------------------------
# The study file
# ------------------------------------------------------------------------------------------------------------


def test_real_file_validates(universe: Universe, universe_path: Path) -> None:
    header = universe_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(UNIVERSE_COLUMNS)
    assert universe.name == "universe.csv"
    assert list(universe.frame.columns) == list(UNIVERSE_COLUMNS)
    assert Counter(universe.frame["group"]) == {
        "miners": 18,
        "magnets": 8,
        "defense": 6,
        "peers": 4,
        "etf": 22,
        "benchmark": 8,
    }


def test_every_manifest_security_is_in_the_universe(universe: Universe, manifest: pd.DataFrame) -> None:
    expected = set(manifest.index) - {"^TNX", "^IRX"}
    assert set(universe.tickers) == expected
    assert "^TNX" not in universe and "^IRX" not in universe
    for row in universe.frame.itertuples():
        assert row.exchange == manifest.loc[row.ticker, "exchange"], row.ticker
        assert row.currency == manifest.loc[row.ticker, "currency"], row.ticker


def test_first_valid_dates(universe: Universe) -> None:
    dates = universe.frame.set_index("ticker")["first_valid_date"]
    assert pd.api.types.is_datetime64_dtype(dates)
    assert dates["USAR"] == pd.Timestamp("2025-03-14")
    assert dates.drop("USAR").isna().all()


def test_every_security_has_a_benchmark_on_its_own_calendar(universe: Universe) -> None:
    exchanges = universe.exchanges
    groups = universe.frame.set_index("ticker")["group"]
    for ticker, group in groups.items():
        benchmark = universe.benchmarks.get(ticker)
        if group == BENCHMARK_GROUP:
            assert benchmark is None, ticker
            assert pd.isna(universe.frame.set_index("ticker").loc[ticker, "benchmark"])
            continue
        assert benchmark in universe, ticker
        assert groups[benchmark] == BENCHMARK_GROUP
        assert benchmark == LOCAL_BENCHMARK[exchanges[ticker]], ticker
        assert calendar_of(exchanges[benchmark]) == calendar_of(exchanges[ticker]), ticker


def test_segments(universe: Universe) -> None:
    for row in universe.frame.itertuples():
        china = row.exchange in ("XSHG", "XSHE")
        expected = {
            "miners": "miners_china" if china else "miners_ex_china",
            "magnets": "magnets_china" if china else "magnets_japan",
            "defense": "defense_us",
        }.get(row.group, row.group)
        assert row.segment == expected, row.ticker
    assert set(universe.members("magnets")) == {
        "300748.SZ", "600366.SS", "000970.SZ", "300224.SZ", "000795.SZ", "300127.SZ", "4063.T", "6762.T",
    }  # fmt: skip
    assert set(universe.members(["defense"])) == {"LMT", "RTX", "NOC", "GD", "LHX", "HII"}


def test_helpers(universe: Universe) -> None:
    assert universe.groups == ("miners", "magnets", "defense", "peers", "etf", "benchmark")
    both = universe.members(["defense", "peers"])
    assert both == tuple(t for t in universe.tickers if t in set(both))  # file order
    assert universe.exchanges["LYC.AX"] == "XASX"
    assert universe.benchmarks["LYC.AX"] == "STW.AX"
    assert "SPY" not in universe.benchmarks
    assert len(universe) == 66
    with pytest.raises(UniverseError, match=r"^universe\.csv:group: no security .*did you mean 'miners'\?"):
        universe.members("miner")


def test_from_frame_round_trip(universe: Universe) -> None:
    again = Universe.from_frame(universe.frame, name="copy")
    pd.testing.assert_frame_equal(again.frame, universe.frame)


def test_calendar_of() -> None:
    assert calendar_of("XSHE") == calendar_of("XSHG") == "XSHG"
    assert calendar_of("XNYS") == "XNYS"
    assert calendar_of("NYSE") == "XNYS"  # an exchange_calendars alias


# ------------------------------------------------------------------------------------------------------------
# Dialects and defaults
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "newline", "bom"), [(";", "\n", False), (",", "\r\n", True), (";", "\r\n", True)]
)
def test_dialects_read_identically(
    universe_path: Path, tmp_path: Path, delimiter: str, newline: str, bom: bool
) -> None:
    with universe_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    path = tmp_path / "universe.csv"
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator=newline).writerows(rows)
    pd.testing.assert_frame_equal(read_universe(path).frame, read_universe(universe_path).frame)


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    universe = read_universe(_write(tmp_path / "u.csv", _rows(), list(REQUIRED_UNIVERSE_COLUMNS)))
    assert list(universe.frame.columns) == list(UNIVERSE_COLUMNS)
    assert universe.frame["first_valid_date"].isna().all()
    assert list(universe.frame["segment"]) == list(universe.frame["group"])


def test_shenzhen_security_with_shanghai_benchmark_is_fine(tmp_path: Path) -> None:
    universe = read_universe(_write(tmp_path / "u.csv", _rows()))
    assert universe.benchmarks["300748.SZ"] == "000300.SS"


def test_exchange_calendars_names_are_accepted(tmp_path: Path) -> None:
    rows = _rows()
    rows += [
        {**rows[0], "ticker": "RIO.L", "exchange": "XLON", "currency": "GBP", "benchmark": "ISF.L"},
        {**rows[1], "ticker": "ISF.L", "exchange": "XLON", "currency": "GBP"},
    ]
    assert read_universe(_write(tmp_path / "u.csv", rows)).exchanges["RIO.L"] == "XLON"


# ------------------------------------------------------------------------------------------------------------
# Every error names FILE:LINE:COLUMN, the value and a fix
# ------------------------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "universe.csv"
    path.write_text("")
    assert _error(path).startswith("universe.csv:1: the file is empty")


def test_missing_column(tmp_path: Path) -> None:
    columns = [c for c in UNIVERSE_COLUMNS if c != "currency"]
    message = _error(_write(tmp_path / "universe.csv", _rows(), columns))
    assert message.startswith("universe.csv:1:currency: missing required column(s): currency")
    assert ", ".join(REQUIRED_UNIVERSE_COLUMNS) in message


def test_no_benchmark_column_is_read_and_refused_for_the_market_model(tmp_path: Path) -> None:
    columns = [c for c in UNIVERSE_COLUMNS if c != "benchmark"]
    universe = read_universe(_write(tmp_path / "universe.csv", _rows(), columns))
    assert universe.frame["benchmark"].isna().all() and not universe.benchmark_column
    universe.require_benchmarks([], model="market")  # nothing to check
    with pytest.raises(UniverseError) as info:
        universe.require_benchmarks(["MP", "600111.SS"], model="market")
    assert str(info.value) == (
        "universe.csv:1:benchmark: the universe has no benchmark column, and the market model needs each "
        "security's benchmark (e.g. MP); fix: add a benchmark column naming each security's local market index "
        "(a row of the universe), or choose a model that needs no benchmark (model = constant_mean)"
    )


def test_unknown_column(tmp_path: Path) -> None:
    rows = [{**r, "first_valid": r.pop("first_valid_date")} for r in _rows()]
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith("universe.csv:1:first_valid: unknown column")
    assert "did you mean 'first_valid_date'?" in message


def test_duplicate_ticker_names_both_lines(tmp_path: Path) -> None:
    rows = _rows()
    rows.append({**rows[0], "name": "again"})
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith("universe.csv:7:ticker: duplicate ticker, already listed on line 2 (got 'MP')")


@pytest.mark.parametrize("ticker", ["", "M P"])
def test_bad_ticker(tmp_path: Path, ticker: str) -> None:
    rows = _rows()
    rows[2]["ticker"] = ticker
    assert _error(_write(tmp_path / "universe.csv", rows)).startswith("universe.csv:4:ticker:")


def test_unknown_exchange(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["exchange"] = "XNSY"
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith("universe.csv:2:exchange: unknown exchange of MP (got 'XNSY')")
    assert "did you mean 'XNYS'?" in message


def test_benchmark_not_in_universe(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["benchmark"] = "VOO"
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith("universe.csv:2:benchmark: the benchmark of MP is not a ticker of the universe")
    assert "(got 'VOO')" in message
    assert "add VOO as a row with group benchmark" in message


def test_benchmark_on_another_calendar(tmp_path: Path) -> None:
    rows = _rows()
    rows[2]["benchmark"] = "SPY"
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith("universe.csv:4:benchmark: the benchmark SPY trades on XNYS but 600111.SS on XSHG")
    assert "use a benchmark listed on XSHG" in message


def test_missing_benchmark(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["benchmark"] = ""
    rows[2]["benchmark"] = "#N/A"
    universe = read_universe(_write(tmp_path / "universe.csv", rows))  # a constant-mean study needs none
    assert universe.benchmarks == {"300748.SZ": "000300.SS"}
    universe.require_benchmarks(["300748.SZ"], model="market")
    with pytest.raises(UniverseError) as info:
        universe.require_benchmarks(["300748.SZ", "MP", "600111.SS"], model="market")
    assert str(info.value) == (
        "universe.csv:2:benchmark: MP has no benchmark (and 1 more), and the market model needs one; fix: name the "
        "ticker of its local market index (a row of the universe), put it in the benchmark group, or choose a "
        "model that needs no benchmark (model = constant_mean)"
    )


def test_own_benchmark(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["benchmark"] = "MP"
    assert "MP is its own benchmark" in _error(_write(tmp_path / "universe.csv", rows))


@pytest.mark.parametrize("value", ["14/03/2025", "2025-02-30", "soon"])
def test_unparseable_first_valid_date(tmp_path: Path, value: str) -> None:
    rows = _rows()
    rows[0]["first_valid_date"] = value
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith(f"universe.csv:2:first_valid_date: cannot read the first valid date (got {value!r})")


def test_empty_group(tmp_path: Path) -> None:
    rows = _rows()
    rows[3]["group"] = ""
    message = _error(_write(tmp_path / "universe.csv", rows))
    assert message.startswith("universe.csv:5:group: the group of 300748.SZ is empty")


@pytest.mark.parametrize("currency", ["usd", "US", "", "US$"])
def test_bad_currency(tmp_path: Path, currency: str) -> None:
    rows = _rows()
    rows[0]["currency"] = currency
    assert _error(_write(tmp_path / "universe.csv", rows)).startswith("universe.csv:2:currency:")


def test_from_frame_names_rows_as_lines() -> None:
    frame = pd.DataFrame(_rows())
    frame.loc[1, "exchange"] = "NOPE"
    with pytest.raises(UniverseError, match=r"^<frame>:3:exchange: unknown exchange of SPY"):
        Universe.from_frame(frame)


def test_benchmark_and_fallback_on_another_calendar_or_itself(tmp_path: Path) -> None:
    """Each check of a benchmark or a fallback, word for word: itself, and an index on another calendar."""
    rows = _rows()
    rows[0]["benchmark"] = "000300.SS"
    assert _error(_write(tmp_path / "a.csv", rows)) == (
        "a.csv:2:benchmark: the benchmark 000300.SS trades on XSHG but MP on XNYS; the market model aligns returns "
        "on the security's own sessions (got '000300.SS'); fix: use a benchmark listed on XNYS (or on an exchange "
        "sharing its calendar)"
    )
    rows = [{**r, "benchmark_fallback": ""} for r in _rows()]
    rows[1]["benchmark_fallback"] = "SPY"
    assert _error(_write(tmp_path / "b.csv", rows)) == (
        "b.csv:3:benchmark_fallback: SPY is its own fallback (got 'SPY'); fix: name another index, or leave it empty"
    )
    rows[1]["benchmark_fallback"] = "000300.SS"
    assert _error(_write(tmp_path / "c.csv", rows)) == (
        "c.csv:3:benchmark_fallback: the fallback 000300.SS trades on XSHG but SPY on XNYS; a missing session is "
        "filled from the same session of the fallback (got '000300.SS'); fix: use an index listed on XNYS (or on an "
        "exchange sharing its calendar)"
    )
    rows[1]["benchmark_fallback"] = "NOPE"
    assert _error(_write(tmp_path / "d.csv", rows)) == (
        "d.csv:3:benchmark_fallback: the fallback of SPY is not a ticker of the universe (got 'NOPE'); fix: add NOPE "
        "as a row with group benchmark, or leave the cell empty"
    )
